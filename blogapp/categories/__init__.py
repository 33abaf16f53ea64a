from blogapp.categories.views import bp

__all__ = ["bp"]
