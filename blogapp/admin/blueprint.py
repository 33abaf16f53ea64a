"""The ``admin`` blueprint at ``/admin/`` and what every admin page shares: the
navigation, whose entries each feature registers (``blogapp.registry``). (Admin pages
are ``private, no-store``: ``blogapp.page_cache``.)"""

from __future__ import annotations

from flask import Blueprint, current_app
from flask_login import current_user

from blogapp.auth.permissions import has_role
from blogapp.registry import AdminScreen, registry

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """True when a view named ``name`` is registered (blueprints may be optional)."""
    return name in current_app.view_functions


@bp.app_template_global()
def admin_menu() -> list[AdminScreen]:
    """The navigation's entries this user may see, in order."""
    return [
        screen
        for screen in registry().menu()
        if (current_user.is_admin or not screen.admin_only)
        and screen.shown()
        and screen.endpoint in current_app.view_functions
        and has_role(current_user, _required_role(screen.endpoint))
    ]


def _required_role(endpoint: str) -> str:
    return getattr(current_app.view_functions[endpoint], "required_role", "admin")
