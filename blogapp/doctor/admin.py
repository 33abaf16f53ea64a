"""The Site health screen at ``/admin/health`` (admins): the checks of ``flask doctor``,
run when the page is asked for."""

from __future__ import annotations

from flask import render_template

from blogapp.admin.blueprint import bp
from blogapp.auth.permissions import admin_required
from blogapp.doctor.checks import run_checks, worst


@bp.route("/health")
@admin_required
def site_health():
    found = run_checks()
    return render_template("admin/site_health.html", checks=found, overall=worst(found))
