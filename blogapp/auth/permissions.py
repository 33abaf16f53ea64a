"""Who may do what: every admin view is wrapped in one of these."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from blogapp.extensions import login_manager
from blogapp.models import ROLE_ADMIN, ROLE_AUTHOR, ROLE_CONTRIBUTOR, ROLE_EDITOR, ROLES


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


# Contributors and up: their own posts (blogapp.authors.access says which and what).
writer_required = role_required(ROLE_CONTRIBUTOR)
editor_required = role_required(ROLE_EDITOR)  # editors and admins: posts, categories, comments
admin_required = role_required(ROLE_ADMIN)  # admins only: users and settings


def has_role(user, role: str) -> bool:
    """Whether ``user`` holds ``role`` or a stronger one."""
    return user.role in ROLES and ROLES.index(user.role) >= ROLES.index(role)


def may_publish(user) -> bool:
    """Authors publish their own posts; contributors leave theirs for an editor."""
    return has_role(user, ROLE_AUTHOR)


def runs_all_posts(user) -> bool:
    """Editors and admins may open any post; contributors and authors only their own."""
    return has_role(user, ROLE_EDITOR)
