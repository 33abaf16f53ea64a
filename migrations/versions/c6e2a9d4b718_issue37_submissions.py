"""issue 37: op-eds submitted through the form, their writer's contact details sealed
with age; author profiles a submitter named, not yet confirmed

Revision ID: c6e2a9d4b718
Revises: b33c0a7e5d12
Create Date: 2026-12-07 00:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

from blogapp.schema_changes import change_table


# revision identifiers, used by Alembic.
revision = 'c6e2a9d4b718'
down_revision = 'b33c0a7e5d12'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submissions',
    sa.Column('post_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sealed_contact', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['post_id'], ['posts.id'], name=op.f('fk_submissions_post_id_posts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_submissions'))
    )
    op.add_column('author_profiles', sa.Column('is_unconfirmed', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    change_table('author_profiles', lambda batch_op: batch_op.drop_column('is_unconfirmed'))
    op.drop_table('submissions')
