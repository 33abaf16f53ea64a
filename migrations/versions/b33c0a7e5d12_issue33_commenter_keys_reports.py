"""commenter keys, comment reports, known-browser marks on comments (issue 33)

Revision ID: b33c0a7e5d12
Revises: b8d4f2a61c37
Create Date: 2026-12-06 23:50:00

A browser that confirmed its reader's address holds a commenter key (only its hash
is stored); a comment records whether it came with one and whether its author asked
for one. Readers' reports of a comment keep a reason and a keyed hash of the reporter.
"""
from alembic import op
import sqlalchemy as sa

from blogapp.schema_changes import change_table


# revision identifiers, used by Alembic.
revision = 'b33c0a7e5d12'
down_revision = 'b8d4f2a61c37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('commenter_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_commenter_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_commenter_keys_key_hash')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('commenter_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commenter_keys_email'), ['email'], unique=False)

    op.create_table('comment_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('reporter_digest', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_comment_reports_comment_id_comments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment_reports')),
    sa.UniqueConstraint('comment_id', 'reporter_digest', name='uq_comment_reports_reporter'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('comment_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_reports_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_reports_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('known_browser', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('wants_key', sa.Boolean(), server_default='0', nullable=False))


def downgrade():
    # SQLite rebuilds the table to drop a column: ids never reused, foreign keys off
    # meanwhile (blogapp.schema_changes).
    def _drop(batch_op):
        batch_op.drop_column('wants_key')
        batch_op.drop_column('known_browser')

    change_table('comments', _drop)

    with op.batch_alter_table('comment_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_reports_created_at'))
        batch_op.drop_index(batch_op.f('ix_comment_reports_comment_id'))
    op.drop_table('comment_reports')

    with op.batch_alter_table('commenter_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commenter_keys_email'))
    op.drop_table('commenter_keys')
