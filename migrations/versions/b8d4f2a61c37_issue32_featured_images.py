"""issue 32: a featured image per post, with its own alt text and caption

SQLite cannot add a column with a named reference, so there ``posts`` is rebuilt with
AUTOINCREMENT and the search index's triggers kept (blogapp.schema_changes).

Revision ID: b8d4f2a61c37
Revises: b36d5a1c7e20
Create Date: 2026-12-06 23:35:00.000000

"""
from alembic import op
import sqlalchemy as sa

from blogapp.schema_changes import change_table


# revision identifiers, used by Alembic.
revision = 'b8d4f2a61c37'
down_revision = 'b36d5a1c7e20'
branch_labels = None
depends_on = None

FK = 'fk_posts_featured_media_id_media'


def _add(batch_op) -> None:
    batch_op.add_column(sa.Column('featured_media_id', sa.Integer(), nullable=True))
    batch_op.add_column(sa.Column('featured_image_url', sa.String(length=1000), server_default='', nullable=False))
    batch_op.add_column(sa.Column('featured_alt', sa.String(length=500), server_default='', nullable=False))
    batch_op.add_column(sa.Column('featured_caption', sa.Text(), server_default='', nullable=False))
    batch_op.create_foreign_key(FK, 'media', ['featured_media_id'], ['id'], ondelete='SET NULL')


def _drop(batch_op) -> None:
    batch_op.drop_constraint(FK, type_='foreignkey')
    batch_op.drop_column('featured_caption')
    batch_op.drop_column('featured_alt')
    batch_op.drop_column('featured_image_url')
    batch_op.drop_column('featured_media_id')


def upgrade():
    change_table('posts', _add)


def downgrade():
    change_table('posts', _drop)
