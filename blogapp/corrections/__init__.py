"""Corrections and update notes on published posts: services.py holds the rules. The
public ``/corrections/`` page and feed are ``blogapp.feeds.corrections``, the editor's
forms ``blogapp.posts.editorial``: this package is read by the post page's queries
(``blogapp.post_queries``), so it imports none of the pages that read them."""
