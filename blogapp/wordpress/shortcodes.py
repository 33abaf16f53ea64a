"""WordPress shortcodes in imported posts.

``[caption]`` (and its old name ``[wp_caption]``) becomes the ``<figure>`` WordPress
itself renders for HTML5 themes. Any other shortcode stays in the text as written
(its plugin is not here to run it) and is reported so the operator can fix it."""

from __future__ import annotations

import re
from collections import Counter

from blogapp.wordpress.html_fragments import figure_html, split_leading_image

CAPTION_TAGS = "caption|wp_caption"

# get_shortcode_regex() for the given names. Groups: 1 "[" of an escaped [[tag]],
# 2 name, 3 attributes, 4 "/" of a self-closing tag, 5 content, 6 "]" of [[tag]].
_SHORTCODE = (
    r"\[(\[?)({names})(?![\w-])([^\]/]*(?:/(?!\])[^\]/]*)*?)"
    r"(?:(/)\]|\](?:([^\[]*+(?:\[(?!/\2\])[^\[]*+)*+)\[/\2\])?)(\]?)"
)
_CAPTION = re.compile(_SHORTCODE.format(names=CAPTION_TAGS))
_ANY = re.compile(_SHORTCODE.format(names=r"[A-Za-z][\w-]*"))

# shortcode_parse_atts()
_ATTRS = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)"""
    r"""|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)"""
)
_CLASS_WORD = re.compile(r"^[\w-]+$")

# Names that are shortcodes of WordPress or of common plugins. Anything else in square
# brackets counts as a shortcode only when it has attributes or a closing tag, so
# "[sic]" or "[1]" in prose is not reported.
KNOWN_NAMES = frozenset(
    {
        "audio",
        "video",
        "playlist",
        "gallery",
        "embed",
        "wp_video",
        "wp_audio",
        "contact-form",
        "contact-form-7",
        "gravityform",
        "ninja_form",
        "youtube",
        "vimeo",
        "googlemaps",
        "soundcloud",
        "tweet",
        "instagram",
        "facebook",
        "slideshow",
        "su_button",
        "vc_row",
        "vc_column",
        "et_pb_section",
        "quote",
        "pullquote",
        "spoiler",
        "button",
        "column",
        "tabs",
        "tab",
        "accordion",
    }
)


def parse_attributes(text: str) -> dict[str, str]:
    text = re.sub("[\u00a0\u200b]+", " ", text)
    attrs: dict[str, str] = {}
    for m in _ATTRS.finditer(text):
        if m.group(1):
            attrs[m.group(1).lower()] = m.group(2)
        elif m.group(3):
            attrs[m.group(3).lower()] = m.group(4)
        elif m.group(5):
            attrs[m.group(5).lower()] = m.group(6)
    return attrs


def _caption_html(match: re.Match) -> str:
    if match.group(1) == "[" and match.group(6) == "]":
        return match.group(0)[1:-1]  # [[caption]] is the escaped, literal form
    attrs = parse_attributes(match.group(3) or "")
    content = (match.group(5) or "").strip()
    caption = attrs.get("caption", "")
    if not caption:
        # WordPress 3.4 and later: the caption follows the image (optionally linked).
        found = split_leading_image(content)
        if found:
            content, caption = found.image, found.rest.strip()
    if not caption:
        return content  # as WordPress does: no caption, just the image
    classes = ["wp-caption"] + [
        word for word in (attrs.get("align", ""), attrs.get("class", "")) if _CLASS_WORD.match(word)
    ]
    return figure_html(content, caption, classes)


def convert_captions(text: str) -> str:
    if "[" not in text:
        return text
    return _CAPTION.sub(_caption_html, text)


def unknown_shortcodes(text: str) -> Counter[str]:
    """Shortcode names left in ``text`` after conversion (escaped ``[[x]]`` excluded)."""
    found: Counter[str] = Counter()
    if "[" not in text:
        return found
    for m in _ANY.finditer(text):
        if m.group(1) == "[" and m.group(6) == "]":
            continue
        name = m.group(2).lower()
        has_attrs = "=" in (m.group(3) or "")
        closed = m.group(5) is not None or m.group(4) == "/"
        if name in KNOWN_NAMES or has_attrs or closed:
            found[name] += 1
    return found


def unescape_literal_shortcodes(text: str) -> str:
    """``[[gallery]]`` shows as ``[gallery]``, as in WordPress."""
    if "[[" not in text:
        return text
    return _ANY.sub(
        lambda m: m.group(0)[1:-1] if m.group(1) == "[" and m.group(6) == "]" else m.group(0),
        text,
    )
