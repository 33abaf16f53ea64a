"""Serving share cards at ``/uploads/cards/<name>``, beside the uploads and with their
headers (``blogapp.media.views``). Here rather than in ``media``, which imports no
feature of its own: cards read media's folder, never the other way round."""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory

from blogapp.cards.names import CARD_NAME, card_folder
from blogapp.media.views import YEAR, immutable

bp = Blueprint("cards", __name__)


@bp.route("/uploads/cards/<name>")
def card(name: str):
    """A share card: its name is the hash of what it shows."""
    if CARD_NAME.match(name) is None:
        abort(404)
    return immutable(send_from_directory(card_folder(), name, mimetype="image/png", max_age=YEAR))
