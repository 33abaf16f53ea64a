"""Schema steps that migrations share, where SQLite needs care.

Adding or dropping a column that references another table is the case: on SQLite,
Alembic's batch mode rebuilds the table, and a plain rebuild loses what batch mode
does not copy: ``AUTOINCREMENT`` (which keeps ids from being handed out twice) and
the search index's triggers on ``posts``. These steps rebuild with both kept, and
with foreign keys off meanwhile (dropping the old table would otherwise empty or
delete the rows that point at it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op


@contextmanager
def _rebuilt(table: str) -> Iterator[object]:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        with op.batch_alter_table(table) as batch:
            yield batch
        return
    from blogapp.search.schema import create_search_index

    context = op.get_context()
    with context.autocommit_block():  # PRAGMA foreign_keys is ignored inside a transaction
        op.execute("PRAGMA foreign_keys=OFF")
    try:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ) as batch:
            yield batch
        if table == "posts":
            create_search_index(bind)  # its triggers were on the old table
    finally:
        with context.autocommit_block():
            op.execute("PRAGMA foreign_keys=ON")


def add_reference_column(table: str, column: str, target: str, *, ondelete: str) -> None:
    """``table.column`` (a nullable integer) referencing ``target.id``."""
    with _rebuilt(table) as batch:
        batch.add_column(sa.Column(column, sa.Integer(), nullable=True))
        batch.create_foreign_key(
            f"fk_{table}_{column}_{target}", target, [column], ["id"], ondelete=ondelete
        )


def drop_reference_column(table: str, column: str, target: str) -> None:
    """Undo ``add_reference_column``."""
    with _rebuilt(table) as batch:
        batch.drop_constraint(f"fk_{table}_{column}_{target}", type_="foreignkey")
        batch.drop_column(column)


def change_table(table: str, steps: Callable[[object], None]) -> None:
    """Any other batch change of ``table`` (``steps(batch)``), rebuilt as above."""
    with _rebuilt(table) as batch:
        steps(batch)
