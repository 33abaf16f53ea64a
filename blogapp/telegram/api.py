"""The Telegram Bot API, as much of it as the channel needs, through the safe client
(``blogapp.fediverse.net``: address checks, one deadline, ``OUTGOING_PROXY``).

Every method is a POST to ``{TELEGRAM_API_URL}/bot{token}/{method}``; the answer is
JSON, ``{"ok": true, "result": …}`` or ``{"ok": false, "error_code": …,
"description": …, "parameters": {"retry_after": …}}``
(https://core.telegram.org/bots/api#making-requests). A 429 or a 5xx is worth
another try (after ``retry_after`` seconds when the API says so); any other 4xx is
not. The token is part of the address: no error text repeats the address."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from flask import current_app

from blogapp.fediverse import net


class BotError(Exception):
    """The Bot API said no. ``retry_after`` (seconds) is what a 429 asked for: the
    outbox worker waits that long before the next try (``blogapp.mail.worker``)."""

    def __init__(
        self, method: str, status: int, description: str, retry_after: int | None = None
    ) -> None:
        super().__init__(f"Telegram {method}: {status} {description}{_hint(status, description)}")
        self.method, self.status, self.description = method, status, description
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        return 400 <= self.status < 500 and self.status != 429


def _hint(status: int, description: str) -> str:
    """What an operator can do about a refusal no retry cures (the Outbox shows it)."""
    if status == 401:
        return " (the bot token is wrong: check TELEGRAM_BOT_TOKEN)"
    if status == 403:
        return " (make the bot an administrator of the channel, allowed to post)"
    if status == 400 and "chat not found" in description.lower():
        return " (check TELEGRAM_CHANNEL or TELEGRAM_CHANNELS: @name or the numeric id)"
    return ""


@dataclass(frozen=True)
class Photo:
    name: str
    data: bytes
    content_type: str = "image/png"


def _multipart(fields: dict[str, str], photo: Photo) -> tuple[bytes, str]:
    boundary = f"blogapp-{secrets.token_hex(12)}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; '
        f'filename="{photo.name}"\r\nContent-Type: {photo.content_type}\r\n\r\n'.encode()
        + photo.data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def call(method: str, fields: dict[str, str | int], photo: Photo | None = None):
    """Call ``method`` and return its ``result``; raises BotError, or the safe
    client's FetchError (retried) and RefusedAddress (not)."""
    config = current_app.config
    url = f"{config['TELEGRAM_API_URL'].rstrip('/')}/bot{config['TELEGRAM_BOT_TOKEN']}/{method}"
    values = {name: str(value) for name, value in fields.items()}
    if photo is not None:
        body, content_type = _multipart(values, photo)
    else:
        body, content_type = json.dumps(values, ensure_ascii=False).encode(), "application/json"
    answer = net.request("POST", url, {"Content-Type": content_type}, body)
    try:
        found = json.loads(answer.body)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise BotError(
            method,
            answer.status if answer.status >= 400 else 502,
            "the answer was not the Bot API's JSON",
        )
    if found.get("ok") is True and 200 <= answer.status < 300:
        return found.get("result")
    parameters = found.get("parameters") if isinstance(found.get("parameters"), dict) else {}
    retry_after = parameters.get("retry_after")
    status = found.get("error_code") if isinstance(found.get("error_code"), int) else answer.status
    raise BotError(
        method,
        status,
        str(found.get("description") or "")[:500],
        retry_after if isinstance(retry_after, int) and retry_after > 0 else None,
    )


def is_permanent(error: Exception) -> bool:
    """No try can cure it: an address refused, or a 4xx other than 429."""
    if isinstance(error, BotError):
        return error.permanent
    return isinstance(error, net.RefusedAddress | ValueError | KeyError)
