"""Optional e-mail to moderators about a held comment, sent after the response
has gone to the reader, so a slow or broken mail server never slows them down.

Off unless both ``COMMENT_NOTIFY_EMAILS`` and ``MAIL_SERVER`` are set."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import Response, current_app, url_for

from blogapp.content import html_to_text
from blogapp.models import Comment, Post

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 10


def recipients() -> list[str]:
    raw = current_app.config.get("COMMENT_NOTIFY_EMAILS") or ""
    if isinstance(raw, list | tuple):
        raw = ",".join(raw)
    return [a.strip() for a in raw.split(",") if a.strip()]


def enabled() -> bool:
    return bool(recipients() and current_app.config.get("MAIL_SERVER"))


def build_message(comment: Comment, post: Post) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    title = post.title.strip() or f"post #{post.id}"
    # Header values are single lines: a name cannot inject headers.
    message["Subject"] = " ".join(f"[{config['SITE_NAME']}] Comment awaiting moderation: {title}"
                                  .split())[:200]
    message["From"] = config["MAIL_FROM"]
    message["To"] = ", ".join(recipients())
    link = config["SITE_URL"] + url_for("moderation.comments", status="pending")
    message.set_content(
        f"A new comment on “{title}” is waiting for moderation.\n\n"
        f"Author: {comment.author_name}\nEmail: {comment.author_email}\n"
        f"Website: {comment.author_url or '-'}\nAddress: {comment.author_ip}\n\n"
        f"{html_to_text(comment.body_html)}\n\nModerate it: {link}\n"
    )
    return message


def send(message: EmailMessage, settings: dict) -> None:
    """Deliver ``message``; failures are logged, never raised (the reader is gone)."""
    try:
        with smtplib.SMTP(settings["MAIL_SERVER"], int(settings["MAIL_PORT"]),
                          timeout=SMTP_TIMEOUT) as smtp:
            if settings["MAIL_USE_TLS"]:
                smtp.starttls()
            if settings["MAIL_USERNAME"]:
                smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        log.exception("could not send the comment notification to %s", message["To"])


def notify_after(response: Response, comment: Comment, post: Post) -> None:
    """Queue the mail on ``response``: it is sent when the server closes it."""
    if not enabled():
        return
    message = build_message(comment, post)
    settings = {k: current_app.config[k] for k in (
        "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USERNAME", "MAIL_PASSWORD")}
    response.call_on_close(lambda: send(message, settings))
