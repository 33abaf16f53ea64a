"""The blog in the fediverse: readers on Mastodon and the like follow it,
see each post in their timeline, and their replies land in the moderation queue.

webfinger/nodeinfo/actors (``actors``), the inbox (``inbox``, ``replies``), HTTP
Signatures (``signatures``, ``keys``, ``remote``), the safe client (``net``),
activities (``activities``), what followers are told (``publishing``) and its
transport through the outbox (``delivery``); URLs in ``views``, commands in ``cli``."""

from blogapp.fediverse.views import bp

__all__ = ["bp"]
