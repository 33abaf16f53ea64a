"""issue 32: link cards and video stills, fetched once by the server and stored

Revision ID: a4d7e2c95b31
Revises: c6e2a9d4b718
Create Date: 2026-12-07 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'a4d7e2c95b31'
down_revision = 'c6e2a9d4b718'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('link_previews',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=False),
    sa.Column('site_name', sa.String(length=200), nullable=False),
    sa.Column('media_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_link_previews_media_id_media'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_link_previews'))
    )
    op.create_index(op.f('ix_link_previews_media_id'), 'link_previews', ['media_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_link_previews_media_id'), table_name='link_previews')
    op.drop_table('link_previews')
