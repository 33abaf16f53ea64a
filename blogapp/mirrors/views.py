"""``/mirrors/``: "If this site is blocked", a public page like any other."""

from __future__ import annotations

from flask import Blueprint, render_template

from blogapp.mirrors.addresses import mirror_addresses

bp = Blueprint("mirrors", __name__)


@bp.route("/mirrors/")
def index():
    return render_template("mirrors/index.html", addresses=mirror_addresses())
