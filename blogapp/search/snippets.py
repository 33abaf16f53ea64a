"""Highlighted snippets for search results, built from ``Post.search_text``.

The text is plain and unsanitized, so every piece is escaped before the
matches are wrapped in ``<mark>``; the result is Markup only because of that."""

from __future__ import annotations

from collections import deque
from itertools import islice

import regex
from markupsafe import Markup, escape

SNIPPET_GRAPHEMES = 220
LEAD_GRAPHEMES = 60  # context kept before the first match
WINDOW_FACTOR = 8
_GRAPHEME = regex.compile(r"\X")


def terms_pattern(terms) -> regex.Pattern | None:
    if not terms:
        return None
    # Longest first, so "democracy" wins over "demo" where both match.
    alternatives = sorted({regex.escape(t) for t in terms}, key=len, reverse=True)
    return regex.compile("|".join(alternatives), regex.IGNORECASE | regex.V1)


def highlight(text: str, terms) -> Markup:
    """``text`` escaped, with every occurrence of a term wrapped in ``<mark>``."""
    pattern = terms_pattern(terms)
    if pattern is None:
        return Markup(escape(text))
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(str(escape(text[last : match.start()])))
        out.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def body_text(title: str, search_text: str) -> str:
    """``search_text`` is the title, a newline, then the body: the body alone."""
    if title and search_text.startswith(title):
        return search_text[len(title) :].lstrip()
    return search_text


def _lead_start(text: str, at: int) -> int:
    """Where LEAD_GRAPHEMES clusters before ``at`` begin (0 when the text is shorter)."""
    lo = max(0, at - LEAD_GRAPHEMES * WINDOW_FACTOR)
    window = text[lo:at]
    if window.isascii():  # one code point per cluster (CR LF aside: close enough here)
        return max(0, at - LEAD_GRAPHEMES)
    starts = [m.start() for m in _GRAPHEME.finditer(window)]
    if lo > 0:
        starts = starts[1:]  # the window may have started inside a cluster
    return (
        lo + starts[-LEAD_GRAPHEMES]
        if len(starts) >= LEAD_GRAPHEMES
        else lo + (starts[0] if starts else len(window))
    )


def _clusters_end(text: str, start: int, count: int) -> int:
    """Where ``count`` clusters from ``start`` end (the text's end when it is shorter)."""
    ahead = text[start : start + count]
    if ahead.isascii():
        return start + len(ahead)
    last = deque(islice(_GRAPHEME.finditer(text, start), count), maxlen=1)
    return last[0].end() if last else start


def snippet(title: str, search_text: str, terms) -> Markup:
    """About SNIPPET_GRAPHEMES characters of the body around the first match,
    cut between grapheme clusters (never inside a Khmer syllable), highlighted.

    Only the clusters around the match are found, and English text (ASCII, one
    code point per cluster) needs no cluster search at all: a results page has ten
    snippets, and splitting whole windows into clusters cost a search 100 ms."""
    text = body_text(title, search_text)
    pattern = terms_pattern(terms)
    first = pattern.search(text) if pattern else None
    start = _lead_start(text, first.start()) if first else 0
    if start > 0:
        # Cutting into the text: start at a word if one begins close by, not mid-word.
        near = text[start : _clusters_end(text, start, 20)]
        space = next((i for i, ch in enumerate(near) if ch.isspace()), None)
        if space is not None and start + space + 1 < first.start():
            start += space + 1
    end = _clusters_end(text, start, SNIPPET_GRAPHEMES)
    if end <= start:
        return Markup("")
    result = highlight(text[start:end], terms)
    if start > 0:
        result = Markup("… ") + result
    if end < len(text):
        result = result + Markup(" …")
    return result
