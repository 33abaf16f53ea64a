"""Highlighted snippets for search results, built from ``Post.search_text``.

The text is plain and unsanitized, so every piece is escaped before the
matches are wrapped in ``<mark>``; the result is Markup only because of that."""

from __future__ import annotations

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


def snippet(title: str, search_text: str, terms) -> Markup:
    """About SNIPPET_GRAPHEMES characters of the body around the first match,
    cut between grapheme clusters (never inside a Khmer syllable), highlighted."""
    text = body_text(title, search_text)
    pattern = terms_pattern(terms)
    first = pattern.search(text) if pattern else None
    # Only a window around the match is split into clusters; a cluster has at most a
    # few code points, so WINDOW_FACTOR code points per cluster is plenty.
    lo = max(0, first.start() - LEAD_GRAPHEMES * WINDOW_FACTOR) if first else 0
    hi = lo + (LEAD_GRAPHEMES + SNIPPET_GRAPHEMES) * WINDOW_FACTOR
    clusters = [(lo + s, lo + e) for s, e in (m.span() for m in _GRAPHEME.finditer(text[lo:hi]))]
    if lo > 0:
        clusters = clusters[1:]  # the window may have started inside a cluster
    if not clusters:
        return Markup("")
    start_index = 0
    if first is not None:
        at = next((i for i, (s, e) in enumerate(clusters) if e > first.start()), 0)
        start_index = max(0, at - LEAD_GRAPHEMES)
        # When cutting into the text, start at a word if one is close by, not mid-word.
        for i in range(start_index, min(at, start_index + 20) if start_index else 0):
            if text[clusters[i][0]].isspace():
                start_index = i + 1
                break
    end_index = min(len(clusters), start_index + SNIPPET_GRAPHEMES)
    piece = text[clusters[start_index][0] : clusters[end_index - 1][1]]
    result = highlight(piece, terms)
    if clusters[start_index][0] > 0:
        result = Markup("… ") + result
    if clusters[end_index - 1][1] < len(text):
        result = result + Markup(" …")
    return result
