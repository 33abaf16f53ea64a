"""telegram channel: the message that shows each post; a post's own share card

Revision ID: b8d4e2f60a17
Revises: c5d2e8f14a7b
Create Date: 2026-12-06 23:40:00.000000

"""
from alembic import op

from blogapp.schema_changes import add_reference_column, drop_reference_column
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4e2f60a17'
down_revision = 'c5d2e8f14a7b'
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
    # In place, not a batch: a batch rebuilds posts on SQLite (blogapp.schema_changes).
    add_reference_column('posts', 'card_media_id', 'media', ondelete='SET NULL')


def downgrade():
    drop_reference_column('posts', 'card_media_id', 'media')
    op.drop_table('telegram_messages')
