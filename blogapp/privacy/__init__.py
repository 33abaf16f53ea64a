"""Readers' privacy: the privacy page, and a commenter's own data:
"Send me my data" and "Delete everything I wrote here", each confirmed by mail."""

from blogapp.privacy.views import bp

__all__ = ["bp"]
