"""``flask doctor``: every health check, one line each, and the fix of each one that is
not OK. Exits 1 when any check fails (warnings alone exit 0), for cron and monitoring."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check the site's health; exit 1 when a check fails."""
    # The checks bring dnspython and cryptography: every web worker registers this
    # command and never runs it.
    from blogapp.doctor.checks import Status, run_checks, worst

    marks = {Status.OK: "OK  ", Status.WARNING: "WARN", Status.FAILING: "FAIL"}
    found = run_checks()
    for check in found:
        click.echo(f"{marks[check.status]} {check.name}: {check.detail}")
        if check.status is not Status.OK and check.fix:
            click.echo(f"     Fix: {check.fix}")
    overall = worst(found)
    failing = [check.name for check in found if check.status is Status.FAILING]
    if failing:
        click.echo(f"Failing: {', '.join(failing)}.")
    else:
        click.echo("Healthy." if overall is Status.OK else "Healthy, with warnings.")
    sys.exit(1 if failing else 0)
