"""``FieldErrors``: what a write-side service raises for input a person must fix.

The services of posts and pages, categories and tags, and accounts raise it; the admin
screens show each message beside its field (``blogapp.admin.editing.show_errors``).
It lives in a module of its own, importing nothing, so every feature may raise it."""


class FieldErrors(ValueError):
    """Input to fix: ``errors`` maps a form field name to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
