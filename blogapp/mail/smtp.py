"""One SMTP connection for a batch of messages, from the ``MAIL_*`` settings
(``BLOGAPP_MAIL_SERVER``, ``_PORT``, ``_USE_TLS`` for STARTTLS, ``_USE_SSL`` for TLS
from the start, ``_USERNAME``, ``_PASSWORD``, ``_FROM``), and how to tell an error
worth retrying from one that will never go away."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Mapping
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from blogapp.models import OutboxMessage


class PermanentError(Exception):
    """The server refused the message for good (a 5xx answer): do not retry."""


def is_permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPAuthenticationError)
    return isinstance(error, PermanentError | ValueError)


def is_hard_refusal(error: Exception) -> bool:
    """The server's own 5xx answer (not a message the blog could not build): the
    address does not take mail, so a list stops sending to it."""
    return isinstance(
        error, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused
    ) and is_permanent(error)


def message_id(key: str, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1].strip("<> ") or "localhost"
    return f"<{key}@{domain}>"


# Headers set with ``message[name] = value`` are folded by the header classes as
# always; a value stored with ``set_raw`` is written as it is (``refold_source``).
_POLICY = policy.default.clone(refold_source="none")
_PLAIN_FOLD = 78
_BETWEEN_PARTS = re.compile(r"(?<=>)\s*,")  # "<a>, <b>": never a comma inside a URL


def _plain(value: str) -> str | None:
    """An extra header's value to send unencoded: printable ASCII, folded only after
    the commas between its parts; None when it needs the usual encoding."""
    if not value.isascii() or not value.isprintable():
        return None
    if len(value) <= _PLAIN_FOLD:
        return value
    return ",\n ".join(part.strip() for part in _BETWEEN_PARTS.split(value))


def build(row: OutboxMessage, sender: str) -> EmailMessage:
    """The mail for an outbox row: its key is the Message-ID, so a receiver can
    recognise a second copy; headers were fixed when the row was written.

    Extra headers in plain ASCII (``List-Unsubscribe``'s URLs) go out as written:
    the default policy would fold a URL longer than a line into RFC 2047
    encoded-words, which mail providers do not decode there (one-click unsubscribe
    is lost). A line may hold 998 characters (RFC 5322); the URLs hold about 200."""
    message = EmailMessage(policy=_POLICY)
    message["Message-ID"] = message_id(row.idempotency_key, sender)
    message["Date"] = format_datetime(row.created_at)
    message["From"] = sender
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (row.headers or {}).items():
        plain = _plain(value)
        if plain is None:
            message[name] = value
        else:
            message.set_raw(name, plain)
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    return message


class Connection:
    """Opened at the first message and kept for the rest of the batch; after an error
    that may have broken it, the next message opens a new one."""

    def __init__(self, config: Mapping) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        config = self.config
        if not config.get("MAIL_SERVER"):  # retried: the setting may come back
            raise RuntimeError("BLOGAPP_MAIL_SERVER is not set")
        host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
        timeout = float(config["MAIL_TIMEOUT"])
        if config.get("MAIL_USE_SSL"):
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = self._open()
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPResponseException as error:
            if not isinstance(error, smtplib.SMTPRecipientsRefused):
                self.reset()
            raise
        except (OSError, smtplib.SMTPException):
            self.close()
            raise

    def reset(self) -> None:
        """After a refused message the session may be mid-transaction: RSET it."""
        try:
            if self.smtp is not None:
                self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (OSError, smtplib.SMTPException):
            self.smtp.close()
        self.smtp = None
