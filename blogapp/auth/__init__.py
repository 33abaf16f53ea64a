from blogapp.auth import account  # noqa: F401  (its routes join the auth blueprint)
from blogapp.auth.views import bp

__all__ = ["bp"]
