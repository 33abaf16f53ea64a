"""issue 35: indexes for the sitemap's category dates and the import's GUID lookups

Revision ID: b5e1c7d3a962
Revises: a4d7e2c95b31
Create Date: 2026-12-07 09:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b5e1c7d3a962'
down_revision = 'a4d7e2c95b31'
branch_labels = None
depends_on = None


def upgrade():
    # The newest public post per category without reading each post's row.
    op.create_index(
        'ix_posts_status_published_updated',
        'posts',
        ['status', 'published_at', 'updated_at'],
        unique=False,
    )
    # The WordPress import looks a batch's GUIDs up instead of keeping them all.
    op.create_index('ix_posts_guid', 'posts', ['guid'], unique=False)


def downgrade():
    op.drop_index('ix_posts_guid', table_name='posts')
    op.drop_index('ix_posts_status_published_updated', table_name='posts')
