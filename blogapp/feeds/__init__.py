from blogapp.feeds.views import bp

__all__ = ["bp"]
