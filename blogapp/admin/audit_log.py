"""The Audit log screen at ``/admin/audit`` (admins): every admin write the session
hook in ``blogapp.audit`` recorded, newest first, filtered by who, table, action and
date, paged, and the same selection as CSV. Read-only: there is no route that changes
or removes an entry. Comment moderation also has its own log (linked)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from flask import Response, abort, render_template, request
from sqlalchemy import select

from blogapp.admin.blueprint import bp
from blogapp.auth.permissions import admin_required
from blogapp.csv_cells import csv_cell
from blogapp.extensions import db
from blogapp.models import AuditAction, AuditEntry

PER_PAGE = 50
CSV_COLUMNS = (
    "created_at",
    "actor_login",
    "address",
    "request",
    "action",
    "table_name",
    "row_id",
    "label",
    "changes",
)
ACTIONS = tuple(AuditAction)


def _day(name: str) -> datetime | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        abort(400)


def _filters() -> dict:
    found = {
        "who": request.args.get("who", "").strip()[:60],
        "table": request.args.get("table", "").strip()[:60],
        "action": request.args.get("action", "").strip()[:20],
        "since": request.args.get("since", "").strip()[:10],
        "until": request.args.get("until", "").strip()[:10],
    }
    if found["action"] and found["action"] not in ACTIONS:
        abort(404)
    return found


def _selection(filters: dict):
    stmt = select(AuditEntry)
    if filters["who"]:
        stmt = stmt.where(AuditEntry.actor_login == filters["who"])
    if filters["table"]:
        stmt = stmt.where(AuditEntry.table_name == filters["table"])
    if filters["action"]:
        stmt = stmt.where(AuditEntry.action == filters["action"])
    if (since := _day("since")) is not None:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if (until := _day("until")) is not None:
        stmt = stmt.where(AuditEntry.created_at < until + timedelta(days=1))
    return stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


@bp.get("/audit")
@admin_required
def audit_log():
    filters = _filters()
    page_arg = request.args.get("page", "1")
    if not page_arg.isdigit() or not 0 < int(page_arg) < 100_000:
        abort(404)
    page = db.paginate(_selection(filters), page=int(page_arg), per_page=PER_PAGE, error_out=False)
    tables = db.session.scalars(
        select(AuditEntry.table_name).distinct().order_by(AuditEntry.table_name)
    ).all()
    return render_template(
        "admin/audit_log.html",
        page=page,
        filters=filters,
        tables=[t for t in tables if t],
        actions=ACTIONS,
    )


@bp.get("/audit.csv")
@admin_required
def export_audit_log():
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in db.session.scalars(_selection(_filters())):
        writer.writerow([csv_cell(getattr(entry, name)) for name in CSV_COLUMNS])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )
