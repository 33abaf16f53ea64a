"""Fetching what a card shows, through the SSRF-safe client (blogapp.fediverse.net):
every address checked before connecting (no private, loopback or link-local host;
each redirect checked again), the outgoing proxy when one is set, one deadline per
request (``LINK_PREVIEW_TIMEOUT``), and at most ``FEDIVERSE_MAX_RESPONSE_BYTES`` read.

The page must answer 200 with HTML; its OpenGraph, Twitter, ``<title>`` and meta
description are read with lxml (imported here only: the worker loads it, readers'
web workers never do). What is read is plain text, cut to the columns' lengths; the
picture it names is fetched the same way and handed back as bytes, for
blogapp.media.storage to decode and re-encode or refuse."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from flask import current_app

from blogapp.content import truncate_graphemes
from blogapp.fediverse import net
from blogapp.sanitize import strip_invisible

HTML_TYPES = ("text/html", "application/xhtml+xml")
_SPACES = re.compile(r"\s+")


class NoCard(Exception):
    """The address gives no card (refused, not found, not HTML, too large): a plain
    link, for good. ``str(error)`` says why, for the admin. A site that cannot be
    reached at all (down, too slow, the proxy down) raises FetchError instead, and the
    outbox tries again later, as it does a delivery."""


@dataclass(frozen=True)
class Page:
    url: str  # where the page was found, after redirects
    title: str = ""
    description: str = ""
    site_name: str = ""
    image_url: str = ""


def _deadline() -> net.Deadline:
    return net.Deadline.after(float(current_app.config["LINK_PREVIEW_TIMEOUT"]))


def get(url: str, types: tuple[str, ...]) -> net.Answer:
    """A 200 answer of one of ``types``, or NoCard."""
    try:
        answer = net.get(url, deadline=_deadline())
    except net.RefusedAddress as error:
        raise NoCard(str(error)[:300]) from None
    except net.FetchError as error:
        if " answered more than " in str(error):  # net's words for a body over the cap
            raise NoCard(str(error)[:300]) from None
        raise  # unreachable for now (down, timed out, the proxy): the outbox tries again
    if answer.status != 200:
        raise NoCard(f"{url[:200]} answered {answer.status}")
    kind = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    if not kind.startswith(types):
        raise NoCard(f"{url[:200]} is {kind or 'of no type'}, not {' or '.join(types)}")
    return answer


def _text(value: str | None, limit: int) -> str:
    text = _SPACES.sub(" ", strip_invisible(value or "")).strip()
    cut, truncated = truncate_graphemes(text, limit - 10)
    return (cut + ("…" if truncated else ""))[:limit]  # a cluster can hold many code points


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset=[\"']?([A-Za-z0-9_.:-]+)", content_type or "")
    return match.group(1) if match else None


def _utf8(body: bytes) -> str | None:
    """UTF-8 for a body that decodes as such and says nothing in its header: libxml2
    would take it for Latin-1 unless a meta tag says otherwise, and most pages (Khmer
    ones among them) are UTF-8. Otherwise the page's own meta tag decides."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8"


def read_page(answer: net.Answer) -> Page:
    """What the HTML says about itself."""
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(
        encoding=_charset(answer.headers.get("content-type", "")) or _utf8(answer.body),
        no_network=True,
        remove_comments=True,
    )
    try:
        root = lxml.html.document_fromstring(answer.body, parser=parser)
    except (lxml.etree.ParserError, ValueError) as error:
        raise NoCard(f"unreadable HTML: {error}"[:300]) from None
    meta: dict[str, str] = {}
    for tag in root.iter("meta"):
        name = (tag.get("property") or tag.get("name") or "").strip().lower()
        content = tag.get("content")
        if name and content and name not in meta:
            meta[name] = content

    def first(*names: str) -> str:
        return next((meta[n] for n in names if meta.get(n, "").strip()), "")

    titles = root.findall(".//title")
    title = first("og:title", "twitter:title") or (titles[0].text_content() if titles else "")
    image = first(
        "og:image:secure_url", "og:image:url", "og:image", "twitter:image", "twitter:image:src"
    )
    image_url = urljoin(answer.url, image.strip()) if image else ""
    if not image_url.lower().startswith(("http://", "https://")):
        image_url = ""
    return Page(
        url=answer.url,
        title=_text(title, 300),
        description=_text(first("og:description", "twitter:description", "description"), 1000),
        site_name=_text(first("og:site_name"), 200),
        image_url=image_url[:1000],
    )


def fetch_page(url: str) -> Page:
    return read_page(get(url, HTML_TYPES))


def fetch_image(url: str) -> bytes | None:
    """The picture's bytes, or None when there is none to have (the card goes without);
    FetchError when its site cannot be reached now."""
    try:
        return get(url, ("image/",)).body
    except NoCard:
        return None


def still_url(video_id: str) -> str:
    base = current_app.config["LINK_PREVIEW_STILL_BASE"].rstrip("/")
    return f"{base}/vi/{video_id}/hqdefault.jpg"
