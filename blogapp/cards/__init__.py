"""Share cards: the picture social sites show beside a shared link (``og:image``).

``draw.py`` draws one (Pillow, pure); ``services.py`` decides which card a post or the
site should have and draws those missing (after a post's save, and ``flask cards
draw``); ``names.py`` is what pages read (names and addresses, no Pillow); ``views.py``
serves them at ``/uploads/cards/``; ``cli.py`` holds the commands; ``admin.py`` lets a
writer upload a post's own card instead of the drawn one."""


def init_app(app) -> None:
    """The editor's share-card buttons join the admin blueprint (as the fediverse's
    Followers screen does)."""
    from blogapp.cards import admin  # noqa: F401
