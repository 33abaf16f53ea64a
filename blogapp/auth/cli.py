"""``flask --app blogapp create-admin``: the first account, from the command line."""

from __future__ import annotations

import re

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from blogapp.auth.forms import LOGIN_PATTERN
from blogapp.auth.passwords import set_password
from blogapp.extensions import db
from blogapp.models import ROLE_ADMIN, User


@click.command("create-admin")
@click.option("--username", required=True, help="The login name (also in /author/<name>/).")
@click.option("--email", required=True, help="The admin's email address.")
@click.option("--display-name", default="", help="The name bylines show.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Asked for when not given (give it only in scripts).",
)
@with_appcontext
def create_admin_command(username: str, email: str, display_name: str, password: str) -> None:
    """Create an admin account (or fail if the username is taken)."""
    username = username.strip()
    if not re.match(LOGIN_PATTERN, username) or len(username) > 60:
        raise click.UsageError("The username may hold letters, digits and . _ - @ only.")
    if "@" not in email:
        raise click.UsageError("Give a valid email address.")
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise click.UsageError(f"The password needs at least {minimum} characters.")
    if db.session.scalar(select(User.id).where(User.login == username)) is not None:
        raise click.UsageError(f"A user named {username!r} already exists.")
    user = User(
        login=username,
        email=email.strip(),
        display_name=display_name.strip(),
        role=ROLE_ADMIN,
        is_active_account=True,
    )
    set_password(user, password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"Admin {username!r} created. Log in at /login.")


@click.command("reset-2fa")
@click.option("--username", required=True, help="Whose second factor to remove.")
@with_appcontext
def reset_two_factor_command(username: str) -> None:
    """Remove a user's two-factor login and end their sessions (lost phone and codes)."""
    from blogapp.auth.passwords import rotate_session_token
    from blogapp.auth.two_factor import disable

    user = db.session.scalar(select(User).where(User.login == username.strip()))
    if user is None:
        raise click.UsageError(f"No user named {username!r}.")
    disable(user)
    rotate_session_token(user)
    db.session.commit()
    click.echo(
        f"Two-factor login of {username!r} is off; they log in with the password and enrol again."
    )
