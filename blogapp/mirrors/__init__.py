"""Where else readers find the site when its address is blocked: the onion, static
copies, other domains. Listed on ``/mirrors/``, in the footer of every page and of
the newsletter and notification mails, and in the feeds."""

from blogapp.mirrors.views import bp

__all__ = ["bp"]
