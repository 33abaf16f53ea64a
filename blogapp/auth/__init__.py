from blogapp.auth import account, reset  # noqa: F401  (their routes join the auth blueprint)
from blogapp.auth.views import bp

__all__ = ["bp"]
