"""issue 32: a featured image per post, with its own alt text and caption

SQLite cannot add a column with a named reference, so there ``posts`` is rebuilt as
f3a9c2e17b40 rebuilt it: foreign keys off meanwhile, AUTOINCREMENT kept, and the
search index's triggers (they go with the old table) made again.

Revision ID: b8d4f2a61c37
Revises: a7c3d91e5b60
Create Date: 2026-12-06 23:35:00.000000

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8d4f2a61c37'
down_revision = 'a7c3d91e5b60'
branch_labels = None
depends_on = None

FK = 'fk_posts_featured_media_id_media'


@contextmanager
def _posts_table():
    """A batch over ``posts``: on SQLite a rebuild that keeps what f3a9c2e17b40 set up."""
    from blogapp.search.schema import create_search_index

    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        with op.batch_alter_table('posts') as batch_op:
            yield batch_op
        return
    context = op.get_context()
    with context.autocommit_block():  # PRAGMA foreign_keys is ignored inside a transaction
        op.execute('PRAGMA foreign_keys=OFF')
    try:
        with op.batch_alter_table('posts', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': True}) as batch_op:
            yield batch_op
        create_search_index(bind)  # its triggers were on the old posts table
    finally:
        with context.autocommit_block():
            op.execute('PRAGMA foreign_keys=ON')


def upgrade():
    with _posts_table() as batch_op:
        batch_op.add_column(sa.Column('featured_media_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('featured_image_url', sa.String(length=1000), server_default='', nullable=False))
        batch_op.add_column(sa.Column('featured_alt', sa.String(length=500), server_default='', nullable=False))
        batch_op.add_column(sa.Column('featured_caption', sa.Text(), server_default='', nullable=False))
        batch_op.create_foreign_key(FK, 'media', ['featured_media_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with _posts_table() as batch_op:
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.drop_column('featured_caption')
        batch_op.drop_column('featured_alt')
        batch_op.drop_column('featured_image_url')
        batch_op.drop_column('featured_media_id')
