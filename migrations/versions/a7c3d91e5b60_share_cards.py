"""share cards: the file name of each post's drawn card

Revision ID: a7c3d91e5b60
Revises: a7c3e5b91d04
Create Date: 2026-12-06 21:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c3d91e5b60'
down_revision = 'a7c3e5b91d04'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_card', sa.String(length=40), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('share_card')
