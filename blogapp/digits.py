"""Digits as the page's language writes them. Babel's CLDR data writes Khmer dates and
numbers with Latin digits; a Khmer page may use Khmer ones (U+17E0–U+17E9) instead,
as the site's ``KHMER_DIGITS`` setting says. Every date and count on a page passes here."""

from __future__ import annotations

from flask import current_app

from blogapp.interface_language import current_language

LATIN_TO_KHMER = str.maketrans("0123456789", "០១២៣៤៥៦៧៨៩")


def page_digits(text: str, language: str | None = None) -> str:
    """``text`` (a formatted date or number) with the digits of ``language``, by default
    the page's: Khmer digits on a Khmer page when ``KHMER_DIGITS`` is on, else unchanged."""
    language = language or current_language()
    if language == "km" and current_app.config["KHMER_DIGITS"]:
        return text.translate(LATIN_TO_KHMER)
    return text


def format_count(number: int) -> str:
    """A count shown to readers (comments, posts in a category, a page number)."""
    return page_digits(str(number))
