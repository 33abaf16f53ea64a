"""Importing a WordPress export into this blog, in one transaction.

Records come from ``wxr_reader`` one at a time and go to the import's steps: authors
(``import_authors``), categories and tags (``import_terms``), then the items in
batches (``import_batches``): posts and pages (``import_items``), attachments
(``import_media``) and comments (``import_comments``). Everything already imported
(matched by WordPress id or GUID) is skipped and counted, so running the same file
twice adds nothing; any error rolls the whole import back and removes the image
files it stored. The steps share an ``ImportState``; what they did is the
``ImportReport``."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from blogapp import audit
from blogapp.extensions import db
from blogapp.models import AuditAction
from blogapp.wordpress.import_authors import add_author
from blogapp.wordpress.import_batches import BatchPipeline, Renderer
from blogapp.wordpress.import_items import finish_items
from blogapp.wordpress.import_report import ImportReport
from blogapp.wordpress.import_state import ImportState
from blogapp.wordpress.import_terms import create_terms
from blogapp.wordpress.render_pool import renderer_for
from blogapp.wordpress.wxr_fields import host_of
from blogapp.wordpress.wxr_reader import (
    CountingReader,
    WxrAuthor,
    WxrError,
    WxrItem,
    WxrSite,
    WxrTerm,
    read_wxr,
)

BATCH_ITEMS = 200  # items written per round of INSERTs


def import_wxr(
    path: str | Path,
    uploads: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the WXR file at ``path`` and commit; on any error roll back and raise
    ``WxrError`` (a one-line message), leaving the database as it was."""
    renderer = renderer_for(Path(path).stat().st_size)
    state = ImportState(Path(uploads).resolve() if uploads else None)
    try:
        with open(path, "rb") as raw:
            run(read_wxr(CountingReader(raw, progress)), state, renderer)
        # The whole import is one entry in the audit log, committed with it.
        audit.record(
            AuditAction.IMPORT,
            table="wxr",
            label=Path(path).name[:200],
            changes="; ".join(line.strip() for line in state.report.summary_lines()),
            actor_login=f"cli:{getpass.getuser()}"[:60],
        )
        db.session.commit()
    except WxrError:
        abandon(state)
        raise
    except SQLAlchemyError as error:
        abandon(state)
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise WxrError(f"the database refused the data: {reason}", state.line) from None
    except Exception as error:  # all or nothing: whatever went wrong, undo it and say so
        abandon(state)
        raise WxrError(f"{type(error).__name__}: {error}", state.line) from None
    finally:
        renderer.close()
    return state.report


def run(
    records: Iterable[WxrSite | WxrAuthor | WxrTerm | WxrItem],
    state: ImportState,
    renderer: Renderer,
) -> None:
    """Hand each record to its step. Terms are created together, before the first item
    (a category's parent may come after it); items go in batches of BATCH_ITEMS."""
    state.load()
    pipeline = BatchPipeline(state, renderer)
    terms: list[WxrTerm] | None = []  # None once the items have begun
    batch: list[WxrItem] = []
    for record in records:
        state.line = record.line
        if isinstance(record, WxrSite):
            state.report.version = record.version
            state.hosts = {host_of(u) for u in record.base_urls if host_of(u)}
            state.report.old_host = ", ".join(sorted(state.hosts))
        elif isinstance(record, WxrAuthor):
            add_author(state, record)
        elif isinstance(record, WxrTerm):
            if terms is None:  # a term after the items: create it straight away
                create_terms(state, [record])
            else:
                terms.append(record)
        elif isinstance(record, WxrItem):
            if terms is not None:
                create_terms(state, terms)
                terms = None
            batch.append(record)
            if len(batch) >= BATCH_ITEMS:
                pipeline.send(batch)
                batch = []
    if terms:
        create_terms(state, terms)
    pipeline.send(batch)
    pipeline.drain()
    finish_items(state)
    if not state.report.version:
        raise WxrError("not a WordPress export (WXR): no channel found")


def abandon(state: ImportState) -> None:
    """Undo the import: the transaction, and the files it put in the media store."""
    db.session.rollback()
    folder = Path(current_app.config.get("UPLOAD_FOLDER") or "")
    for name in state.stored_files:
        if name and folder.name:
            (folder / name).unlink(missing_ok=True)
