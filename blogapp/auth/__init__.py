from blogapp.auth.views import bp

__all__ = ["bp"]
