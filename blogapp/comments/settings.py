"""Comment rules an admin changes at run time, kept in the ``settings`` table.

Read on every post page from ``blogapp.site_settings``, which reads the whole
small table once per request, so a saved rule is in force on every worker at once."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from blogapp.extensions import db
from blogapp.models import Setting
from blogapp.site_settings import forget_stored_settings, stored_settings

PREFIX = "comments."
DEFAULT_LINK_LIMIT = 2
DEFAULT_REPORTS_TO_HIDE = 3


@dataclass(frozen=True)
class CommentSettings:
    # WordPress's "comment author must have a previously approved comment".
    auto_approve_known: bool = False
    blocklist_words: tuple[str, ...] = ()  # straight to spam
    moderation_words: tuple[str, ...] = ()  # held even when auto-approve would apply
    link_limit: int = DEFAULT_LINK_LIMIT  # more links than this: held
    close_after_days: int = 0  # 0: never close by age
    # Readers may leave the address out; such a comment is always held.
    email_optional: bool = False
    # Reports from this many readers hide an approved comment until a moderator looks
    # (0: reports never hide).
    reports_to_hide: int = DEFAULT_REPORTS_TO_HIDE


def parse_words(text: str) -> tuple[str, ...]:
    """One word or phrase a line, lower-cased, blank lines dropped, duplicates once."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        word = line.strip().lower()
        if word:
            seen.setdefault(word, None)
    return tuple(seen)


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, int(value)) if value is not None else default
    except ValueError:
        return default


def load_settings() -> CommentSettings:
    """The rules in force: what an admin stored, else the configured defaults."""
    stored = stored_settings()

    def get(name: str) -> str | None:
        return stored.get(PREFIX + name)

    return CommentSettings(
        auto_approve_known=get("auto_approve_known") == "1",
        blocklist_words=parse_words(get("blocklist_words") or ""),
        moderation_words=parse_words(get("moderation_words") or ""),
        link_limit=_int(get("link_limit"), DEFAULT_LINK_LIMIT),
        close_after_days=_int(
            get("close_after_days"), int(current_app.config["COMMENTS_CLOSE_AFTER_DAYS"])
        ),
        email_optional=get("email_optional") == "1",
        reports_to_hide=_int(get("reports_to_hide"), DEFAULT_REPORTS_TO_HIDE),
    )


def save_settings(settings: CommentSettings) -> None:
    """Store every rule (commits) and drop the cached copy."""
    values = {
        "auto_approve_known": "1" if settings.auto_approve_known else "0",
        "blocklist_words": "\n".join(settings.blocklist_words),
        "moderation_words": "\n".join(settings.moderation_words),
        "link_limit": str(settings.link_limit),
        "close_after_days": str(settings.close_after_days),
        "email_optional": "1" if settings.email_optional else "0",
        "reports_to_hide": str(settings.reports_to_hide),
    }
    for name, value in values.items():
        db.session.merge(Setting(key=PREFIX + name, value=value))
    db.session.commit()
    forget_stored_settings()
