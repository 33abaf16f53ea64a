"""WordPress post content to the HTML this blog stores, converted the way WordPress
displays it: ``[caption]`` to ``<figure>``, then ``wpautop``, each side of ``<!--more-->``."""

from __future__ import annotations

from collections import Counter

from blogapp.content import MORE_MARKER
from blogapp.wordpress.shortcodes import (
    convert_captions,
    unescape_literal_shortcodes,
    unknown_shortcodes,
)
from blogapp.wordpress.wpautop import wpautop


def has_blocks(text: str) -> bool:
    """Block-editor content is already HTML; WordPress skips wpautop for it too."""
    return "<!-- wp:" in text


def _convert_part(text: str, found: Counter[str]) -> str:
    text = convert_captions(text)
    found.update(unknown_shortcodes(text))
    text = unescape_literal_shortcodes(text)
    return text if has_blocks(text) else wpautop(text)


def wordpress_to_html(source: str) -> tuple[str, Counter[str]]:
    """``(html, unknown shortcode names with counts)``; ``<!--more-->`` is kept as the
    excerpt marker between the two converted halves."""
    found: Counter[str] = Counter()
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    marker = MORE_MARKER.search(source)
    if marker is None:
        return _convert_part(source, found).strip(), found
    before = _convert_part(source[: marker.start()], found).strip()
    after = _convert_part(source[marker.end() :], found).strip()
    return f"{before}\n{marker.group(0)}\n{after}".strip(), found
