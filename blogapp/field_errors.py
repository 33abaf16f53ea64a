"""``FieldErrors``: what a write-side service raises for input a person must fix.

The services of posts and pages, categories and tags, and accounts raise it; the admin
screens show each message beside its field (``show_errors``). It lives in a module of
its own, importing nothing of the app, so every feature may raise and show it."""

from __future__ import annotations

from flask_wtf import FlaskForm


class FieldErrors(ValueError):
    """Input to fix: ``errors`` maps a form field name to a message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def show_errors(form: FlaskForm, error: FieldErrors) -> None:
    for name, message in error.errors.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            form.form_errors.append(message)
