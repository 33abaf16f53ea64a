"""issue16: corrections with their versions, and translation groups of posts

Revision ID: 7e3b1c9d2f04
Revises: e16a7c3b9d52
Create Date: 2026-12-02 04:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e3b1c9d2f04'
down_revision = 'e16a7c3b9d52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('noted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_corrections_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_corrections_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrections'))
    )
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.create_index('ix_corrections_post_noted', ['post_id', 'noted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_corrections_noted_at'), ['noted_at'], unique=False)

    op.create_table('correction_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('correction_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_correction_versions_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['correction_id'], ['corrections.id'], name=op.f('fk_correction_versions_correction_id_corrections'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correction_versions'))
    )
    with op.batch_alter_table('correction_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_correction_versions_correction_id'), ['correction_id'], unique=False)

    op.create_table('post_translations',
    sa.Column('post_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_post_translations_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_post_translations'))
    )
    with op.batch_alter_table('post_translations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_post_translations_group_id'), ['group_id'], unique=False)


def downgrade():
    with op.batch_alter_table('post_translations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_post_translations_group_id'))
    op.drop_table('post_translations')
    with op.batch_alter_table('correction_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_correction_versions_correction_id'))
    op.drop_table('correction_versions')
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corrections_noted_at'))
        batch_op.drop_index('ix_corrections_post_noted')
    op.drop_table('corrections')
