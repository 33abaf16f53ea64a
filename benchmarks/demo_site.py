"""A database with the demo content and an admin account, for a server under test."""

from __future__ import annotations

import secrets

from sqlalchemy import select

ADMIN_LOGIN = "proofadmin"
ADMIN_PASSWORD = "correct horse battery staple 42"


def make_app(database_url: str, **config):
    """An in-process app; its key is throw-away, since there is no default key."""
    from blogapp import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secrets.token_hex(32), **config}
    )


def build_demo_database(database_url: str, *, fresh_tables: bool = False) -> None:
    """Schema (``create_all``, which also runs the DDL hooks of every feature),
    the demo content and the admin account ``ADMIN_LOGIN``/``ADMIN_PASSWORD``."""
    from blogapp.demo import load_demo
    from blogapp.extensions import db

    app = make_app(database_url)
    with app.app_context():
        if fresh_tables:
            db.drop_all()
        db.create_all()
        load_demo()
        create_admin(ADMIN_LOGIN, ADMIN_PASSWORD)
        db.session.remove()
        db.engine.dispose()


def create_admin(login: str, password: str) -> None:
    """An admin who logs in through the real form: the password is hashed by the
    app's own ``set_password``, as a real login would need."""
    from blogapp.extensions import db
    from blogapp.models import ROLE_ADMIN, User

    if db.session.scalar(select(User).where(User.login == login)) is not None:
        return
    user = User(
        login=login, email=f"{login}@example.org", display_name="Proof Admin", role=ROLE_ADMIN
    )
    try:
        from blogapp.auth.passwords import set_password
    except ImportError:  # accounts not built yet: the login journeys will say so
        set_password = None
    if set_password is not None:
        set_password(user, password)
    db.session.add(user)
    db.session.commit()
