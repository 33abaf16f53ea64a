"""throttle_hits: failed logins and comments counted for every worker (issue 21)

Revision ID: c4e8a2f61b93
Revises: 7b3e1c9a4d20
Create Date: 2026-12-02 01:00:00

Without Redis, blogapp.throttle counts attempts here, one row each, deleted once
their window is over.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a2f61b93'
down_revision = '7b3e1c9a4d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('throttle_hits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('key_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_throttle_hits'))
    )
    with op.batch_alter_table('throttle_hits', schema=None) as batch_op:
        batch_op.create_index('ix_throttle_hits_scope_key_created', ['scope', 'key_digest', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_throttle_hits_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('throttle_hits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_hits_expires_at'))
        batch_op.drop_index('ix_throttle_hits_scope_key_created')

    op.drop_table('throttle_hits')
