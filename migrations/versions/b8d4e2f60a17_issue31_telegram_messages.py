"""telegram channel: the message that shows each post; a post's own share card

Revision ID: b8d4e2f60a17
Revises: a7c3d91e5b60
Create Date: 2026-12-06 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4e2f60a17'
down_revision = 'a7c3d91e5b60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('telegram_messages',
    sa.Column('post_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('chat_id', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('is_photo', sa.Boolean(), nullable=False),
    sa.Column('card', sa.String(length=40), nullable=False),
    sa.Column('text_digest', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('post_id', name=op.f('pk_telegram_messages'))
    )
    # A plain column (no foreign key): SQLite adds it with ALTER TABLE, where a rebuilt
    # posts table would lose its AUTOINCREMENT and its full-text triggers.
    op.add_column('posts', sa.Column('card_media_id', sa.Integer(), nullable=True))


def downgrade():
    op.drop_column('posts', 'card_media_id')
    op.drop_table('telegram_messages')
