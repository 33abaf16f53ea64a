"""The editor's desk: revisions of posts and pages, autosave, the check
that a save is based on the latest version, and share-preview links.

``services`` stores and compares revisions; ``admin`` adds the editor's routes to the
admin blueprint; ``preview`` is the public blueprint that serves share-preview links.
(This package imports nothing itself, so ``blogapp.posts.services`` may use
``services`` without importing the admin routes.)"""


def init_app(app) -> None:
    """The editor's desk routes (history, compare, restore, autosave, share previews)
    join the admin blueprint."""
    from blogapp.revisions import admin  # noqa: F401
