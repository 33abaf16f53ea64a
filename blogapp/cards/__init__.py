"""Share cards: the picture social sites show beside a shared link (``og:image``).

``draw.py`` draws one (Pillow, pure); ``services.py`` decides which card a post or the
site should have and draws those missing (after a post's save, and ``flask cards
draw``); ``names.py`` is what pages read (names and addresses, no Pillow); ``cli.py``
holds the commands."""
