"""ids are never handed out twice: AUTOINCREMENT on the SQLite tables whose ids leave
the database (sessions, URLs, signed links, mails, outbox keys)

Without it SQLite gives the next row the id of the last one deleted, and whatever
named the deleted row (a browser's session, a link in a mail) reaches the new one.
SQLite cannot add AUTOINCREMENT to a table, so each is rebuilt (Alembic's batch mode:
a new table, the rows copied with their ids, the old one dropped, the new renamed),
with foreign keys off meanwhile: dropping a table they point at would otherwise
delete or empty the rows that point at it. The search index's triggers go with the
old ``posts`` table and are made again. PostgreSQL's sequences never go back:
nothing to do there.

Revision ID: f3a9c2e17b40
Revises: e19b4d7a2c55
Create Date: 2026-12-06 20:45:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f3a9c2e17b40'
down_revision = 'e19b4d7a2c55'
branch_labels = None
depends_on = None

# The tables whose models say NEVER_REUSED (blogapp/models.py), as of this revision.
TABLES = (
    'users', 'categories', 'tags', 'posts', 'pages', 'comments', 'outbox',
    'mail_subscribers', 'mail_subscriptions', 'newsletter_subscribers', 'revisions',
    'corrections', 'fediverse_followers', 'login_sessions', 'passkeys',
)


def _rebuild(autoincrement: bool) -> None:
    from blogapp.search.schema import create_search_index

    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    context = op.get_context()
    # PRAGMA foreign_keys is ignored inside a transaction.
    with context.autocommit_block():
        op.execute('PRAGMA foreign_keys=OFF')
    try:
        for table in TABLES:
            with op.batch_alter_table(
                table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}
            ):
                pass
        create_search_index(bind)  # its triggers were on the old posts table
    finally:
        with context.autocommit_block():
            op.execute('PRAGMA foreign_keys=ON')


def upgrade():
    _rebuild(autoincrement=True)


def downgrade():
    _rebuild(autoincrement=False)
