"""``/mirrors/``: "If this site is blocked", a public page like any other."""

from __future__ import annotations

from flask import Blueprint, render_template

from blogapp.mirrors.addresses import mirror_addresses

bp = Blueprint("mirrors", __name__)


@bp.route("/mirrors/")
def index():
    return render_template("mirrors/index.html", addresses=mirror_addresses())


@bp.record_once
def _allow_translation_marks(state) -> None:
    # Until the translations are wired in, _() in a template shows the English text;
    # the i18n extension's own _ (installed with the environment) wins over this.
    state.app.jinja_env.globals.setdefault(
        "_", lambda text, **values: text % values if values else text)
