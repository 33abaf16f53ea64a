"""The audit log's triggers allow one change: a label blanked (readers' names and
addresses written as labels by older versions can be erased)

Revision ID: a7c3e5b91d04
Revises: f3a9c2e17b40
Create Date: 2026-12-06 21:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c3e5b91d04'
down_revision = 'f3a9c2e17b40'
branch_labels = None
depends_on = None

_REFUSE = "SELECT RAISE(ABORT, 'the audit log is append-only')"


def upgrade():
    from blogapp.audit import create_append_only_triggers

    create_append_only_triggers(op.get_bind())


def downgrade():
    # Back to refusing every UPDATE.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute(f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                   f"BEGIN {_REFUSE}; END")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger "
                   "LANGUAGE plpgsql AS "
                   "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$")
