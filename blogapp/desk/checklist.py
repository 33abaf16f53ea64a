"""The checklist shown with "Publish": things a careful editor would
point out. Each is a warning: nothing here stops a post from being saved.

``check_post_draft`` is a pure function over the rendered body and the form's
fields, so tests call it directly; the editor's script shows its answer."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import regex
from flask_babel import gettext

from blogapp.content import MORE_MARKER

_KHMER = regex.compile(r"[\u1780-\u17ff\u19e0-\u19ff]")


@dataclass(frozen=True)
class Draft:
    title: str
    body: str  # the source, for <!--more-->
    body_html: str  # rendered and sanitized, as readers get it
    excerpt: str
    language: str
    category_count: int
    has_featured_image: bool = False


class _Reader(HTMLParser):
    """Images, heading levels, and Khmer text outside any lang="km" element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.images: list[tuple[str, str]] = []  # (src, alt)
        self.headings: list[int] = []
        self.langs: list[tuple[str, str | None]] = []  # (tag, lang) of open elements
        self.unmarked_khmer = False

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "img":
            self.images.append((found.get("src") or "", (found.get("alt") or "").strip()))
            return
        if regex.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag not in ("br", "hr", "wbr"):
            self.langs.append((tag, found.get("lang")))

    def handle_endtag(self, tag):
        for i in range(len(self.langs) - 1, -1, -1):
            if self.langs[i][0] == tag:
                del self.langs[i:]
                break

    def handle_data(self, data):
        if _KHMER.search(data):
            marked = next((lang for _, lang in reversed(self.langs) if lang), None)
            if not (marked or "").startswith("km"):
                self.unmarked_khmer = True


def check_post_draft(draft: Draft, site_host: str) -> list[str]:
    """Warnings for ``draft``, in the order an editor reads the page (may be empty)."""
    reader = _Reader()
    reader.feed(draft.body_html)
    reader.close()
    warnings: list[str] = []
    local_image = any(
        not urlsplit(src).netloc or urlsplit(src).netloc.lower() == site_host
        for src, _ in reader.images
    )
    with_picture = draft.has_featured_image or local_image  # the card draws it beside the title
    if draft.title.strip() and not title_fits_card(draft.title.strip(), with_picture=with_picture):
        warnings.append(gettext("The title is too long for the share card: it will be cut."))
    if not draft.excerpt.strip() and not MORE_MARKER.search(draft.body):
        warnings.append(gettext("There is no excerpt: listings will show the first words."))
    if draft.category_count == 0:
        warnings.append(gettext("No category is ticked."))
    without_alt = sum(1 for _, alt in reader.images if not alt)
    if without_alt:
        warnings.append(gettext("%(num)d image(s) without alternative text.", num=without_alt))
    elsewhere = sum(
        1
        for src, _ in reader.images
        if urlsplit(src).netloc and urlsplit(src).netloc.lower() != site_host
    )
    if elsewhere:
        warnings.append(
            gettext(
                "%(num)d image(s) on another site: readers' browsers will "
                "not load them. Upload them to Media.",
                num=elsewhere,
            )
        )
    level = 1  # the post's title is the page's h1
    for heading in reader.headings:
        if heading > level + 1:
            warnings.append(
                gettext(
                    "A heading level is skipped (h%(from)d to h%(to)d): use "
                    "the Heading button's levels in order.",
                    **{"from": level, "to": heading},
                )
            )
            break
        level = heading
    if draft.language == "en" and reader.unmarked_khmer:
        warnings.append(
            gettext(
                "Khmer text in an English post has no language mark: wrap "
                'it as <span lang="km">…</span> so it is read and shown '
                "as Khmer."
            )
        )
    return warnings


def title_fits_card(title: str, *, with_picture: bool) -> bool:
    """Whether the share card (blogapp.cards) draws ``title`` whole."""
    from blogapp.cards import draw  # Pillow and the fonts: only when asked

    width = draw.WIDTH - 2 * draw.MARGIN - (draw.PICTURE_WIDTH if with_picture else 0)
    return not draw.layout_title(title, width, draw.TITLE_BOTTOM - draw.TITLE_TOP).cut
