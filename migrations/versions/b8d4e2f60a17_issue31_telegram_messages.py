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
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_media_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_posts_card_media_id_media'), 'media',
                                    ['card_media_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_posts_card_media_id_media'), type_='foreignkey')
        batch_op.drop_column('card_media_id')
    op.drop_table('telegram_messages')
