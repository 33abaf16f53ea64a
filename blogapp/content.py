"""Turning what an author writes into what readers are served, once, at write time:
sanitized body HTML, the listing excerpt, plain text for search, slugs."""

from __future__ import annotations

import html
import unicodedata
from html.parser import HTMLParser

import regex
from flask import current_app
from markupsafe import Markup
from sqlalchemy import select

from blogapp.embeds import render_embeds
from blogapp.extensions import db
from blogapp.media.responsive import add_srcset
from blogapp.models import FORMAT_MARKDOWN, Page, Post
from blogapp.sanitize import clean_post_html, markdown_to_html

MORE_MARKER = regex.compile(r"<!--\s*more\s*(?:[^>]*?)-->", regex.IGNORECASE)
_SLUG_SEPARATORS = regex.compile(r"[^\p{L}\p{M}\p{N}]+")
_GRAPHEME = regex.compile(r"\X")
KHMER_COENG = "\u17d2"  # joins the next consonant below this one: never cut after it
_BREAKS = (" ", "\u200b", "\n")  # spaces and the zero-width space Khmer uses between words

_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "figcaption",
    "tr",
    "td",
    "th",
    "pre",
    "figure",
    "dt",
    "dd",
    "hr",
}


def slugify(text: str, max_length: int = 180) -> str:
    """A URL slug that keeps letters of any script: a Khmer title keeps its Khmer."""
    text = unicodedata.normalize("NFC", text).lower()
    slug = _SLUG_SEPARATORS.sub("-", text).strip("-")
    if len(slug) > max_length:
        slug, _ = truncate_graphemes(slug, max_length)
        slug = slug.strip("-")
    return slug


def unique_slug(model: type[Post] | type[Page], wanted: str, exclude_id: int | None = None) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``… whichever no other row holds."""
    base = wanted or "untitled"
    stmt = select(model.slug).where(model.slug.startswith(base, autoescape=True))
    if exclude_id is not None:
        stmt = stmt.where(model.id != exclude_id)
    taken = set(db.session.scalars(stmt))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def truncate_graphemes(text: str, limit: int) -> tuple[str, bool]:
    """Cut ``text`` to at most about ``limit`` user-perceived characters.

    Counts grapheme clusters, never code points or spaces, so a Khmer syllable
    with its vowel signs stays whole; a trailing coeng takes its consonant with
    it. Prefers a word break near the end when the text has one."""
    clusters = _GRAPHEME.findall(text)
    if len(clusters) <= limit:
        return text, False
    kept = clusters[:limit]
    i = limit
    while kept[-1].endswith(KHMER_COENG) and i < len(clusters):
        kept.append(clusters[i])
        i += 1
    # Look back a little for a word break: a space, or Khmer's zero-width space.
    window = max(1, limit // 5)
    for j in range(len(kept) - 1, len(kept) - 1 - window, -1):
        if j > 0 and kept[j] in _BREAKS:
            kept = kept[:j]
            break
    return "".join(kept).rstrip(), True


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Readable plain text of sanitized HTML, blocks separated by spaces."""
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    return regex.sub(r"\s+", " ", "".join(parser.parts)).strip()


class _FirstImage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.src = ""

    def handle_starttag(self, tag, attrs):
        if tag == "img" and not self.src:
            self.src = dict(attrs).get("src") or ""


def first_image(fragment: str) -> str:
    parser = _FirstImage()
    parser.feed(fragment)
    return parser.src


def site_host() -> str:
    from urllib.parse import urlsplit

    return urlsplit(current_app.config["SITE_URL"]).netloc.lower()


def render_body(source: str, content_format: str | None) -> str:
    # A new, unsaved row has no column defaults yet: Markdown is the default format.
    is_markdown = (content_format or FORMAT_MARKDOWN) == FORMAT_MARKDOWN
    source = render_embeds(source)  # videos and link cards (blogapp.embeds)
    raw = markdown_to_html(source) if is_markdown else source
    return add_srcset(clean_post_html(raw, site_host()))


def render_post(post: Post) -> None:
    """Fill every derived column of ``post`` from its source: call on each save."""
    post.body_html = render_body(post.body, post.content_format)
    text = html_to_text(post.body_html)
    # A zero-width space only says where a Khmer line may wrap: search ignores it, so
    # "ខ្មែរភាសា" finds "ខ្មែរ\u200bភាសា".
    post.search_text = f"{post.title}\n{text}".replace("\u200b", "").strip()
    # The featured image, when there is one, is what cards and feeds show first.
    post.first_image_url = (post.featured_image_url or first_image(post.body_html))[:1000]

    parts = MORE_MARKER.split(post.body, maxsplit=1)
    if len(parts) == 2:
        post.excerpt_html = render_body(parts[0], post.content_format)
        post.has_more = bool(parts[1].strip())
    elif post.excerpt.strip():
        post.excerpt_html = Markup("<p>{}</p>").format(post.excerpt.strip())
        post.has_more = True
    else:
        cut, truncated = truncate_graphemes(text, current_app.config["EXCERPT_LENGTH"])
        post.excerpt_html = f"<p>{html.escape(cut)}{' …' if truncated else ''}</p>"
        post.has_more = truncated


def featured_figure(post: Post) -> Markup:
    """The post's featured image as a figure (feeds put it first), or nothing."""
    if not post.featured_image_url:
        return Markup("")
    img = Markup('<img src="{}" alt="{}">').format(post.featured_image_url, post.featured_alt)
    if post.featured_caption:
        return Markup("<figure>{}<figcaption>{}</figcaption></figure>").format(
            img, post.featured_caption
        )
    return Markup("<figure>{}</figure>").format(img)


def render_page(page: Page) -> None:
    page.body_html = render_body(page.body, page.content_format)


def post_label(post: Post, locale_date: str = "") -> str:
    """A post's title, or for an untitled post its first words, else its date."""
    if post.title.strip():
        return post.title.strip()
    words, truncated = truncate_graphemes(html_to_text(post.excerpt_html or post.body_html), 60)
    if words:
        return words + ("…" if truncated else "")
    return locale_date or f"Post #{post.id}"
