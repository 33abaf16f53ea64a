from blogapp.auth import account, passkey_views, reset  # noqa: F401  (routes join the auth bp)
from blogapp.auth.views import bp

__all__ = ["bp"]
