"""The write side of accounts, as plain functions: an admin adds an account, edits
its role and details, or sets its password. The admin's Users screen calls them; tests
may call them directly. Each raises ``FieldErrors`` for input a person must fix."""

from __future__ import annotations

from sqlalchemy import exists, select, update

from blogapp.auth.passwords import rotate_session_token, set_password
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors
from blogapp.models import ROLE_ADMIN, AuthorProfile, User


def create_user(
    *, login: str, email: str, display_name: str, role: str, password: str, active: bool = True
) -> User:
    login = login.strip()
    if db.session.scalar(select(exists().where(User.login == login))):
        raise FieldErrors({"login": "That username is taken."})
    user = User(
        login=login,
        email=email.strip(),
        display_name=display_name.strip(),
        role=role,
        is_active_account=active,
    )
    set_password(user, password)
    db.session.add(user)
    db.session.commit()
    return user


def update_user(
    user: User, *, actor: User, email: str, display_name: str, role: str, active: bool
) -> None:
    """An admin edits an account; nobody can lock themselves out by demoting or
    deactivating their own account."""
    if user.id == actor.id and (role != ROLE_ADMIN or not active):
        raise FieldErrors(
            {
                "role": "You cannot remove your own admin role or deactivate "
                "yourself; ask another admin."
            }
        )
    user.email = email.strip()
    old_name, user.display_name = user.display_name, display_name.strip()
    if old_name != user.display_name:
        _follow_display_name(user, old_name)
    if user.is_active_account and not active:
        rotate_session_token(user)  # a deactivated account's open sessions end now
    user.role = role
    user.is_active_account = active
    db.session.commit()


def _follow_display_name(user: User, old_name: str) -> None:
    """An account's new display name reaches the bylines of its own author profile
    (blogapp.authors), unless that profile was renamed since; pen names never follow."""
    db.session.execute(
        update(AuthorProfile)
        .where(
            AuthorProfile.user_id == user.id,
            AuthorProfile.is_pen_name.is_(False),
            AuthorProfile.name == old_name.strip(),
        )
        .values(name=user.display_name)
    )


def change_password(user: User, password: str) -> None:
    set_password(user, password)
    db.session.commit()
