"""The Site health screen at ``/admin/health`` (admins): the checks of ``flask doctor``,
run when the page is asked for."""

from __future__ import annotations

from flask import render_template

from blogapp.admin.blueprint import bp
from blogapp.auth.permissions import admin_required


@bp.route("/health")
@admin_required
def site_health():
    # The checks bring dnspython and cryptography: loaded when an admin opens this
    # screen, not in every web worker at start.
    from blogapp.doctor.checks import run_checks, worst

    found = run_checks()
    return render_template("admin/site_health.html", checks=found, overall=worst(found))
