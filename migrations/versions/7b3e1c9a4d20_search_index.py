"""search index: FTS5 trigram on SQLite, tsvector + pg_trgm on PostgreSQL

Revision ID: 7b3e1c9a4d20
Revises: 2d05dfe8013e
Create Date: 2026-11-27 20:15:00

The DDL lives in blogapp.search.schema, beside the queries that depend on it,
and is the same that ``db.create_all()`` runs in tests.
"""
from alembic import op

from blogapp.search.schema import create_search_index, drop_search_index

# revision identifiers, used by Alembic.
revision = '7b3e1c9a4d20'
down_revision = '2d05dfe8013e'
branch_labels = None
depends_on = None


def upgrade():
    create_search_index(op.get_bind())


def downgrade():
    drop_search_index(op.get_bind())
