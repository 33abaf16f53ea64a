"""Each account chooses the language of its admin screens and mails

Revision ID: c5d2e8f14a7b
Revises: a7c3d91e5b60
Create Date: 2026-12-06 23:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5d2e8f14a7b'
down_revision = 'a7c3d91e5b60'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch: a batch would rebuild ``users`` on SQLite and lose its
# AUTOINCREMENT (ids never reused); SQLite has dropped columns itself since 3.35.
def upgrade():
    op.add_column("users", sa.Column("interface_language", sa.String(length=10), nullable=True))


def downgrade():
    op.drop_column("users", "interface_language")
