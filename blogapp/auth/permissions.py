"""Who may do what: every admin view is wrapped in one of these."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from blogapp.extensions import login_manager
from blogapp.models import ROLE_ADMIN, ROLES


def role_required(role: str) -> Callable:
    """Anonymous users are sent to log in; a logged-in user without the role gets 403."""
    rank = ROLES.index(role)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in ROLES or ROLES.index(current_user.role) < rank:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # read by tests that check every admin route
        return wrapped

    return decorator


editor_required = role_required(ROLES[0])  # editors and admins: posts, categories, comments
admin_required = role_required(ROLE_ADMIN)  # admins only: users and settings
