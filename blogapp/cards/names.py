"""What pages need to know about cards, without Pillow: a card's address and the
name of the site's card. Pages only read these; they never draw (see services.py)."""

from __future__ import annotations

import re
from pathlib import Path

from flask import current_app, url_for

from blogapp.content_version import remembered
from blogapp.site_settings import stored_settings

WIDTH, HEIGHT = 1200, 630
SITE_CARD_KEY = "site_card"  # the settings row naming the site's card
# A card's file name: the first 32 hex digits of the SHA-256 of what it shows.
CARD_NAME = re.compile(r"^[0-9a-f]{32}\.png$")


def card_folder() -> Path:
    """Beside the uploads (and backed up with them); blogapp.media serves both."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / "cards"


def card_path(name: str) -> Path:
    return card_folder() / name


def card_url(name: str) -> str:
    return url_for("media.card", name=name)


def site_card() -> str:
    """The site's card's file name, "" until ``flask cards draw`` (or a post's save) drew it."""
    return remembered("site_card", None, lambda: stored_settings().get(SITE_CARD_KEY, ""))
