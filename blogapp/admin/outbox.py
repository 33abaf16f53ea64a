"""The Outbox screen at ``/admin/outbox`` (admins): what mail is queued, being sent,
sent, failed or cancelled, with each failure's last error, and "Retry" (a POST) for
failed mail. Sending is the worker's job (``flask deliver``), never this page's."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from blogapp.admin.blueprint import bp
from blogapp.arguments import page_arg
from blogapp.auth.permissions import admin_required
from blogapp.extensions import db
from blogapp.interface_language import N_
from blogapp.mail.worker import retry
from blogapp.models import OutboxMessage, OutboxStatus

PER_PAGE = 50


@bp.get("/outbox")
@admin_required
def outbox():
    status = request.args.get("status", OutboxStatus.FAILED)
    if status not in tuple(OutboxStatus):
        abort(404)
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    page = db.paginate(
        select(OutboxMessage)
        .where(OutboxMessage.status == status)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()),
        page=page_arg(),
        per_page=PER_PAGE,
        error_out=False,
    )
    return render_template(
        "admin/outbox.html", page=page, status=status, counts=counts, statuses=tuple(OutboxStatus)
    )


# The status tabs' names (``admin/_tabs.html`` capitalizes a status and translates it).
STATUS_NAMES = (N_("Queued"), N_("Sending"), N_("Sent"), N_("Failed"), N_("Cancelled"))


@bp.post("/outbox/<int:message_id>/retry")
@admin_required
def retry_outbox_message(message_id: int):
    db.get_or_404(OutboxMessage, message_id)
    if retry(message_id):
        flash(
            _(
                "Message #%(id)s is queued again; the worker sends it on its next pass.",
                id=message_id,
            ),
            "success",
        )
    else:
        flash(_("Message #%(id)s has not failed; nothing to retry.", id=message_id), "info")
    return redirect(url_for("admin.outbox", status=OutboxStatus.FAILED))
