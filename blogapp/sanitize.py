"""The one module that imports bleach: every piece of author, reader or imported
HTML passes through a cleaner here before it is stored.

bleach's own protocol check is not enough on its own (it reads ``javascript:123``
as a host and port), so every URL attribute also passes ``is_safe_url`` below.

bleach (with its html5lib and ElementTree, about 3 MB a worker) is imported when a
cleaner is first needed: a worker that only serves readers never loads it."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Sequence
from functools import cache, partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import bleach
    from markdown_it import MarkdownIt

POST_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "blockquote",
        "a",
        "em",
        "strong",
        "b",
        "i",
        "u",
        "s",
        "del",
        "ins",
        "sub",
        "sup",
        "code",
        "pre",
        "kbd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "caption",
        "figure",
        "figcaption",
        "img",
        "span",
        "div",
        "cite",
        "q",
        "abbr",
        "small",
        "mark",
        "dl",
        "dt",
        "dd",
        "section",
    }
)
# Markdown footnotes (mdit-py-plugins): their ids and classes, and nothing like them else,
# so an author cannot take the id of a part of the page ("content", "comments").
_FOOTNOTE_ID = re.compile(r"^fn(?:ref)?\d{1,4}(?::\d{1,4})?$")
_FOOTNOTE_CLASSES = {
    "sup": {"footnote-ref"},
    "hr": {"footnotes-sep"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "li": {"footnote-item"},
    "a": {"footnote-backref"},
}


def _footnote_attribute(tag: str, name: str, value: str) -> bool:
    if name == "id":
        return tag in ("sup", "a", "li") and bool(_FOOTNOTE_ID.match(value))
    if name == "class":
        return value in _FOOTNOTE_CLASSES.get(tag, ())
    return False


def _post_attribute(tag: str, name: str, value: str) -> bool:
    allowed = POST_ATTRIBUTES.get(tag, ())
    return name in allowed or name in POST_ATTRIBUTES["*"] or _footnote_attribute(tag, name, value)


POST_ATTRIBUTES = {
    "*": ["lang", "title"],
    "a": ["href", "title", "lang"],
    "img": ["src", "alt", "width", "height", "title"],
    "figure": ["class"],
    # Footnotes' ids and classes are checked by _footnote_attribute, not listed here.
    "th": ["colspan", "rowspan", "scope"],
    "td": ["colspan", "rowspan"],
    "ol": ["start", "reversed"],
    "blockquote": ["cite"],
    "q": ["cite"],
    "abbr": ["title"],
}
COMMENT_TAGS = frozenset({"p", "br", "a", "em", "strong", "b", "i", "code", "blockquote"})
COMMENT_ATTRIBUTES = {"a": ["href"]}

URL_ATTRIBUTES = {"href", "src", "cite"}
LINK_SCHEMES = {"http", "https", "mailto"}
IMAGE_SCHEMES = {"http", "https"}

# Invisible characters that change how text reads (bidi overrides, isolates) or hide URLs.
_BIDI_AND_CONTROL = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200e\u200f\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_URL_NOISE = re.compile(r"[\s\x00-\x1f\x7f]+")
_NUMERIC = re.compile(r"^\d{1,5}$")


def strip_invisible(text: str) -> str:
    return _BIDI_AND_CONTROL.sub("", text)


def is_safe_url(url: str, schemes: set[str] = LINK_SCHEMES) -> bool:
    """True for a relative URL or one whose scheme is in ``schemes``.

    Browsers ignore whitespace and control characters inside a scheme, so those
    are removed before looking at it."""
    compact = _URL_NOISE.sub("", html.unescape(url))
    if compact.startswith(("\\", "/\\")):
        return False
    match = _SCHEME.match(compact)
    if match is None:
        return ":" not in compact.split("/", 1)[0] or compact.startswith("/")
    return match.group(1).lower() in schemes


def safe_website(url: str) -> str:
    """A commenter's website: kept only when it is an absolute http(s) URL."""
    url = strip_invisible(url).strip()
    if not url:
        return ""
    if "://" not in url:
        # "example.org" gains http://, but "javascript:alert(1)" names a scheme: dropped.
        if _SCHEME.match(_URL_NOISE.sub("", url)):
            return ""
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[bad" is an invalid IPv6 host: no website
        return ""
    if parts.scheme.lower() not in IMAGE_SCHEMES or not parts.netloc or not is_safe_url(url):
        return ""
    return url


def _is_external(href: str, site_host: str) -> bool:
    host = urlsplit(href).netloc.lower()
    return bool(host) and host != site_host


@cache
def _safe_attributes() -> type:
    """The filter class, made on first use (it subclasses bleach's)."""
    from bleach.html5lib_shim import Filter

    class SafeAttributes(Filter):
        """Runs after bleach's sanitizer: strict URL schemes, rel on links, lazy images."""

        rel_external = "noopener nofollow"
        rel_all = ""
        site_host = ""

        def __iter__(self):
            kept_links: list[bool] = []  # for each open <a>: was it kept?
            for token in super().__iter__():
                kind = token["type"]
                if kind in ("StartTag", "EmptyTag"):
                    data = token["data"]
                    for key in list(data):
                        if key[1] in URL_ATTRIBUTES:
                            schemes = IMAGE_SCHEMES if token["name"] == "img" else LINK_SCHEMES
                            if not is_safe_url(data[key], schemes):
                                del data[key]
                        elif key[1] in ("width", "height", "colspan", "rowspan", "start"):
                            if not _NUMERIC.match(data[key].strip()):
                                del data[key]
                    if token["name"] == "a":
                        # An <a> without an address is no link (and invalid HTML with rel):
                        # its text stays, the tag goes.
                        is_link = (None, "href") in data
                        if kind == "StartTag":
                            kept_links.append(is_link)
                        if not is_link:
                            continue
                        href = data[(None, "href")]
                        rel = self.rel_all or (
                            self.rel_external if _is_external(href, self.site_host) else ""
                        )
                        data.pop((None, "rel"), None)
                        if rel:
                            data[(None, "rel")] = rel
                    if token["name"] == "img":
                        data[(None, "loading")] = "lazy"
                        data.setdefault((None, "alt"), "")
                elif kind == "EndTag" and token["name"] == "a" and kept_links:
                    if not kept_links.pop():
                        continue
                yield token

    return SafeAttributes


def _filter(**attrs):
    return type("SiteFilter", (_safe_attributes(),), attrs)


@cache
def _markdown() -> MarkdownIt:
    # Imported on first use: Markdown is rendered when content is written, so web
    # workers that only serve readers never load markdown-it.
    from markdown_it import MarkdownIt
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.use(footnote_plugin)


def markdown_to_html(source: str) -> str:
    """Markdown with raw HTML allowed: the result is not safe until cleaned."""
    return _markdown().render(source)


def clean_post_html(raw_html: str, site_host: str = "") -> str:
    """Sanitize an author's (or an import's) HTML for storage."""
    return _post_cleaner(site_host).clean(strip_invisible(raw_html)).strip()


# A bleach Cleaner keeps parser state between calls and is not thread-safe (two
# threads of a gthread worker would garble each other's comments), and building
# one costs more than most comments take to clean: each thread builds its own once.
_cleaners = threading.local()


def _post_cleaner(site_host: str) -> bleach.Cleaner:
    import bleach

    by_host = getattr(_cleaners, "posts", None)
    if by_host is None:
        by_host = _cleaners.posts = {}
    cleaner = by_host.get(site_host)
    if cleaner is None:
        cleaner = by_host[site_host] = bleach.Cleaner(
            tags=POST_TAGS,
            attributes=_post_attribute,
            protocols=LINK_SCHEMES,
            strip=True,
            strip_comments=True,
            filters=[_filter(site_host=site_host)],
        )
    return cleaner


def _comment_cleaner_pair() -> tuple[bleach.Cleaner, bleach.Cleaner]:
    """The first cleaner shows disallowed tags as text; the second turns bare URLs
    into links (in the same pass, rather than a third parse for ``bleach.linkify``)
    and makes every link nofollow."""
    pair = getattr(_cleaners, "comments", None)
    if pair is None:
        import bleach
        from bleach.linkifier import LinkifyFilter

        escape = bleach.Cleaner(
            tags=COMMENT_TAGS, attributes=COMMENT_ATTRIBUTES, protocols=LINK_SCHEMES, strip=False
        )
        final = bleach.Cleaner(
            tags=COMMENT_TAGS,
            attributes={"a": ["href", "rel"]},
            protocols=LINK_SCHEMES,
            strip=True,
            filters=[
                partial(LinkifyFilter, callbacks=[_set_comment_rel], parse_email=False),
                _filter(rel_all="nofollow ugc noopener"),
            ],
        )
        pair = _cleaners.comments = (escape, final)
    return pair


def _set_comment_rel(attrs, new=False):
    attrs[(None, "rel")] = "nofollow ugc noopener"
    return attrs


def _paragraphs(text: str) -> str:
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if b.strip()]
    return "".join("<p>" + b.replace("\n", "<br>\n") + "</p>\n" for b in blocks)


# The tags the first comment pass would leave exactly as written: simple inline
# ones, lowercase, and links to an absolute http(s) address with nothing to escape.
_PLAIN_TAG = re.compile(r'<(/?)(a|b|i|em|strong|code|br)( href="https?://[^"&<>\s]+")?>')
_NEEDS_ESCAPING = re.compile(r"[<>&\r]")


def _escape_pass_changes_nothing(text: str) -> bool:
    """True when ``text`` has only plain, well-nested inline tags and no character
    the first pass would escape, so that pass would give back ``text`` unchanged."""
    open_tags: list[str] = []
    position = 0
    for tag in _PLAIN_TAG.finditer(text):
        if _NEEDS_ESCAPING.search(text, position, tag.start()):
            return False
        closing, name, href = tag.groups()
        if name == "br":
            if closing or href:
                return False
        elif closing:
            if not open_tags or open_tags.pop() != name:
                return False
        elif href and name != "a":
            return False
        else:
            open_tags.append(name)
        position = tag.end()
    return not open_tags and not _NEEDS_ESCAPING.search(text, position)


def clean_comment(text: str) -> str:
    """A reader's comment as safe HTML: light tags kept, the rest shown as text,
    paragraphs and line breaks from blank lines and newlines, bare URLs made links.

    The first pass (disallowed tags to text) is skipped when it would change
    nothing, as for most comments: it is half the cost of cleaning one (a large
    import cleans 100,000). Safety never rests on it; the second pass sanitizes."""
    text = strip_invisible(text)
    if _no_pass_changes_anything(text):
        return _paragraphs(text).strip()
    escape, final = _comment_cleaner_pair()
    if not _escape_pass_changes_nothing(text):
        text = escape.clean(text)
    return final.clean(_paragraphs(text)).strip()


# Most comments are words and punctuation: no markup, nothing to escape, nothing the
# linkifier would make a link (its own pattern decides). Both passes would give back
# their paragraphs as they are, so bleach is skipped (a third of a comment POST's
# cleaning time); tests/test_comment_sanitizing.py compares the two on many texts.
_ANY_PASS_TOUCHES = re.compile(r"[<>&\r\x00]")


# Every address the linkifier's pattern finds has a word character, a dot and the first
# letter of a top-level domain in a row; a text without that cannot hold one, and its
# cleaning does not load bleach (about 2.5 MB a worker) to ask.
_MAYBE_AN_ADDRESS = re.compile(r"[\w-]\.\w")


def _no_pass_changes_anything(text: str) -> bool:
    if _ANY_PASS_TOUCHES.search(text):
        return False
    return not _MAYBE_AN_ADDRESS.search(text) or _linkifier_url().search(text) is None


@cache
def _linkifier_url() -> re.Pattern:
    from bleach.linkifier import URL_RE

    return URL_RE


COMMENTS_PER_PASS = 100  # comments cleaned together by clean_comments


def clean_comments(texts: Sequence[str]) -> list[str]:
    """``clean_comment`` of each of ``texts``, for an import's many comments.

    bleach costs about as much per call as per comment, so the comments whose first
    pass would change nothing (only plain, balanced inline tags) are cleaned many at
    a time, each inside a <blockquote> of its own that none of them can hold or
    close, and the result is cut at those boundaries. Should the cut not give one
    piece per comment, each is cleaned on its own; the others always are."""
    cleaned: list[str | None] = [None] * len(texts)
    together: list[tuple[int, str]] = []
    for index, raw in enumerate(texts):
        text = strip_invisible(raw)
        if _escape_pass_changes_nothing(text):
            together.append((index, text))
        else:
            cleaned[index] = clean_comment(raw)
    _, final = _comment_cleaner_pair()
    for start in range(0, len(together), COMMENTS_PER_PASS):
        group = together[start : start + COMMENTS_PER_PASS]
        html = final.clean("".join(f"<blockquote>{_paragraphs(t)}</blockquote>" for _, t in group))
        pieces = html.removeprefix("<blockquote>").removesuffix("</blockquote>")
        parts = pieces.split("</blockquote><blockquote>")
        if len(parts) != len(group) or not html.startswith("<blockquote>"):
            parts = [final.clean(_paragraphs(t)) for _, t in group]
        for (index, _), part in zip(group, parts, strict=True):
            cleaned[index] = part.strip()
    return [c or "" for c in cleaned]


def escape_plain(text: str) -> str:
    """Plain text (a name, a caption) as HTML-escaped text without invisible controls."""
    return html.escape(strip_invisible(text), quote=True)


# What a paste keeps (blogapp.desk.paste): only what Markdown can say, so fonts,
# colours, classes and Word's mso- styles never reach the Markdown.
PASTE_TAGS = POST_TAGS - {
    "abbr",
    "caption",
    "cite",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "ins",
    "kbd",
    "mark",
    "q",
    "section",
    "small",
    "span",
    "tfoot",
    "u",
}
PASTE_ATTRIBUTES = {"a": ["href", "title"], "img": ["src", "alt"]}


def clean_pasted_html(raw_html: str) -> str:
    """Pasted HTML cut down to ``PASTE_TAGS``: other tags are dropped, their text kept.
    Links and images keep only safe addresses (``is_safe_url``)."""
    import bleach

    cleaner = bleach.Cleaner(
        tags=PASTE_TAGS,
        attributes=PASTE_ATTRIBUTES,
        protocols=LINK_SCHEMES,
        strip=True,
        strip_comments=True,
        filters=[_filter(site_host="")],
    )
    return cleaner.clean(strip_invisible(raw_html))
