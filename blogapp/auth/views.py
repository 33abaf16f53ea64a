"""Logging in and out."""

from __future__ import annotations

import hmac

from flask import Blueprint
from sqlalchemy import select

from blogapp.extensions import db, login_manager
from blogapp.models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Sessions hold ``id:token``; a rotated token (logout, new password) ends them."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.scalar(select(User).where(User.id == int(user_id)))
    if user is None or not user.session_token:
        return None
    if not hmac.compare_digest(user.session_token, token):
        return None
    return user
