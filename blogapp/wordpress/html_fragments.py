"""Reading and editing pieces of HTML (a post's body, a caption's content) with lxml.

A piece is parsed under a ``<body>`` of its own, so text before its first tag is kept
and a stray end tag cannot close anything outside it. An edit that changes nothing
hands back the text it was given, byte for byte: serializing a parsed tree writes
``<br>`` for ``<br />`` and ``\\xa0`` for ``&nbsp;``, and a post that was not edited
should not look edited."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import NamedTuple

from lxml import etree

URL_ATTRIBUTES = ("src", "href")
_text_content = etree.XPath("string()")


def parse_fragment(markup: str) -> etree._Element:
    """The ``<body>`` element holding ``markup``'s nodes, read by libxml2's HTML parser
    into lxml's own tree: the import parses every post that shows an image, and
    ``lxml.html``'s element classes cost a fifth more for nothing used here."""
    body = etree.HTML(f"<html><body>{markup}</body></html>").find("body")
    assert body is not None  # libxml2 makes the body it was given
    return body


def html_of(node: etree._Element, with_tail: bool = True) -> str:
    return etree.tostring(node, method="html", encoding="unicode", with_tail=with_tail)


def fragment_html(body: etree._Element) -> str:
    """The HTML of what ``body`` holds, without the ``<body>`` tags themselves."""
    return html.escape(body.text or "", quote=False) + "".join(html_of(child) for child in body)


def text_of(markup: str) -> str:
    """The text of ``markup``, tags and comments left out."""
    return str(_text_content(parse_fragment(markup)))


def image_sources(markup: str) -> list[str]:
    """The ``src`` of every ``<img>`` in ``markup``."""
    if "<img" not in markup.lower():
        return []
    return [src for img in parse_fragment(markup).iter("img") if (src := img.get("src"))]


def rewrite_urls(markup: str, new_url: Callable[[str], str | None]) -> str:
    """``markup`` with each ``src`` and ``href`` that ``new_url`` answers for replaced by
    its answer; ``markup`` itself when it answers for none."""
    body = parse_fragment(markup)
    changed = False
    for element in body.iter(etree.Element):
        for name in URL_ATTRIBUTES:
            old = element.get(name)
            new = new_url(old) if old else None
            if new is not None:
                element.set(name, new)
                changed = True
    return fragment_html(body) if changed else markup


class LeadingImage(NamedTuple):
    image: str  # the image, or the link around it, as written
    rest: str  # the HTML after it


def _is_image(element: etree._Element) -> bool:
    """An ``<img>``, or a link holding one ``<img>`` and nothing else but spaces."""
    if element.tag == "img":
        return True
    if element.tag != "a" or len(element) != 1 or (element.text or "").strip():
        return False
    return element[0].tag == "img" and not (element[0].tail or "").strip()


def split_leading_image(content: str) -> LeadingImage | None:
    """The image (optionally linked) that ``content`` starts with, and the rest; None
    when it starts with anything else."""
    body = parse_fragment(content)
    if (body.text or "").strip() or len(body) == 0 or not _is_image(body[0]):
        return None
    first = body[0]
    rest = html.escape(first.tail or "", quote=False) + "".join(map(html_of, body[1:]))
    # The image keeps the bytes its author wrote (WordPress's editor writes <img ... />)
    # whenever lxml writes the rest back as it was written, as it does plain caption
    # text; otherwise lxml writes both.
    if content.endswith(rest):
        return LeadingImage(content[: len(content) - len(rest)], rest)
    return LeadingImage(html_of(first, with_tail=False), rest)


_IMAGE_SLOT = "image"


def figure_html(image: str, caption: str, classes: list[str]) -> str:
    """``<figure>`` around ``image`` (HTML, kept as written) with ``caption`` below it:
    HTML when it holds a tag, else text in which entities are read once."""
    figure = etree.Element("figure", {"class": " ".join(classes)})
    figure.append(etree.Comment(_IMAGE_SLOT))
    figcaption = etree.SubElement(figure, "figcaption")
    if "<" in caption:
        parsed = parse_fragment(caption)
        figcaption.text = parsed.text
        figcaption.extend(parsed)
    else:
        figcaption.text = html.unescape(caption)
    # The slot comment comes first in the figure, so it is the first one replaced.
    return html_of(figure).replace(f"<!--{_IMAGE_SLOT}-->", image, 1)
