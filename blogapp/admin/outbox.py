"""The Outbox screen at ``/admin/outbox`` (admins): what mail is queued, being sent,
sent, failed or cancelled, with each failure's last error, and "Retry" (a POST) for
failed mail. Sending is the worker's job (``flask deliver``), never this page's."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from blogapp.admin.blueprint import bp
from blogapp.arguments import page_arg
from blogapp.auth.permissions import admin_required
from blogapp.extensions import db
from blogapp.mail.worker import retry
from blogapp.models import OutboxMessage, OutboxStatus

PER_PAGE = 50


@bp.get("/outbox")
@admin_required
def outbox():
    status = request.args.get("status", OutboxStatus.FAILED)
    if status not in tuple(OutboxStatus):
        abort(404)
    counts = dict(db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all())  # fmt: skip
    page = db.paginate(
        select(OutboxMessage).where(OutboxMessage.status == status)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()),
        page=page_arg(), per_page=PER_PAGE, error_out=False,
    )  # fmt: skip
    return render_template("admin/outbox.html", page=page, status=status, counts=counts,
                           statuses=tuple(OutboxStatus))


@bp.post("/outbox/<int:message_id>/retry")
@admin_required
def retry_outbox_message(message_id: int):
    db.get_or_404(OutboxMessage, message_id)
    if retry(message_id):
        flash(f"Message #{message_id} is queued again; the worker sends it on its next pass.",
              "success")
    else:
        flash(f"Message #{message_id} has not failed; nothing to retry.", "info")
    return redirect(url_for("admin.outbox", status=OutboxStatus.FAILED))
