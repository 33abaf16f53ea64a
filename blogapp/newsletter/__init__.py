"""The newsletter: readers follow the blog by e-mail, in English, Khmer or
both. Rules in services.py, pages in views.py; posts go out through blogapp.mail's
outbox (sent by ``flask deliver``)."""

from blogapp.newsletter.views import bp

__all__ = ["bp"]
