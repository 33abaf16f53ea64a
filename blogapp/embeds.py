"""Embeds that track no one. A line holding nothing but an address (bare, in a
``<p>``, or in WordPress's ``[embed]…[/embed]``; ``[youtube …]`` too) becomes:

- for a YouTube video, a figure with a still image and a play button linking to the
  video. Nothing of YouTube's loads until the reader presses play: then
  static/js/embeds.js swaps in a youtube-nocookie.com frame, the one other origin the
  Content-Security-Policy allows, and only as a frame. The still is the video's own,
  fetched once by the server and stored with our uploads (blogapp/link_previews), or
  our generic one until then;
- for any other page, a link card (title, description, picture) built from what the
  server fetched once and stored (``LinkPreview``); until then, or when the page had
  nothing to show, a plain link.

Rendering happens when a post is written, and again when its card arrives: readers'
pages only show the stored HTML. Everything fetched is text here, escaped; the picture
is one of our uploads, so a reader's browser asks nothing of the other site.

``blogapp.content`` calls ``render_embeds`` on the source before Markdown; the figures
are ordinary HTML that the post sanitizer keeps. ``video_ids`` and ``link_urls`` tell
blogapp.link_previews what to fetch, by the same patterns."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from markupsafe import Markup
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import LinkPreview, PreviewStatus

VIDEO_STILL = "/static/img/video-still.svg"
VIDEO_CLASS = "video-embed"  # the figure of a video: posts holding one load embeds.js
_VIDEO_ID = r"([A-Za-z0-9_-]{11})"
_YOUTUBE_URL = (
    r"https?://(?:www\.|m\.)?(?:youtube\.com/(?:watch\?(?:[^\s\[\]<>]*&)?v=|shorts/|embed/)"
    r"|youtu\.be/)" + _VIDEO_ID + r"[^\s\[\]<>]*"
)
_LINE = re.compile(
    r"^[ \t]*(?:<p>)?[ \t]*(?:\[embed\]|\[youtube[ =]+)?[ \t]*"
    + _YOUTUBE_URL
    + r"[ \t]*(?:\[/embed\]|\])?[ \t]*(?:</p>)?[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
# Any other address alone on its line. Quotes and angle brackets end it: it is put in
# an attribute below (escaped all the same).
_LINK_LINE = re.compile(
    r"^[ \t]*(?:<p>)?[ \t]*(?:\[embed\])?[ \t]*(https?://[^\s<>\[\]\"'`]{3,2000})"
    r"[ \t]*(?:\[/embed\])?[ \t]*(?:</p>)?[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)


def preview_key(url: str) -> str:
    """The stored preview's key: addresses can be longer than an index allows."""
    return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()


def watch_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


# A fenced code block of Markdown: an address shown there is an example, not an embed.
_FENCE = re.compile(
    r"^[ \t]{0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)


def _outside_fences(source: str, change: Callable[[str], str]) -> str:
    """``source`` with ``change`` applied to each stretch outside fenced code."""
    parts, at = [], 0
    for fence in _FENCE.finditer(source):
        parts += [change(source[at : fence.start()]), fence.group(0)]
        at = fence.end()
    return "".join([*parts, change(source[at:])])


def video_ids(source: str) -> list[str]:
    prose = _FENCE.sub("", source or "")
    return list(dict.fromkeys(m.group(1) for m in _LINE.finditer(prose)))


def link_urls(source: str) -> list[str]:
    """The addresses (not videos) alone on a line of ``source``, each once."""
    prose = _LINE.sub("", _FENCE.sub("", source or ""))
    return list(dict.fromkeys(m.group(1) for m in _LINK_LINE.finditer(prose)))


def _upload(filename: str) -> str:
    return f"/uploads/{filename}"  # as blogapp.media.responsive finds them


def youtube_figure(video_id: str, preview: LinkPreview | None = None) -> str:
    media = preview.media if preview is not None else None
    if media is not None:
        still = Markup('<img src="{}" alt="▶ YouTube video" width="{}" height="{}">').format(
            _upload(media.filename), media.width, media.height
        )
    else:
        still = Markup('<img src="{}" alt="▶ YouTube video" width="640" height="360">').format(
            VIDEO_STILL
        )
    return str(
        Markup('<figure class="{}"><a href="{}" title="YouTube">{}</a></figure>').format(
            VIDEO_CLASS, watch_url(video_id), still
        )
    )


def link_card(url: str, preview: LinkPreview | None) -> str:
    """A card when something was stored to show, else a plain link."""
    if preview is None or preview.status != PreviewStatus.CARD:
        return str(Markup('<p><a href="{}">{}</a></p>').format(url, url))
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    parts = []
    if preview.media is not None:
        parts.append(
            Markup('<img src="{}" alt="" width="{}" height="{}">').format(
                _upload(preview.media.filename), preview.media.width, preview.media.height
            )
        )
    parts.append(Markup("<strong>{}</strong>").format(preview.title or host))
    if preview.description:
        parts.append(Markup("<span>{}</span>").format(preview.description))
    parts.append(Markup("<small>{}</small>").format(preview.site_name or host))
    return str(
        Markup('<figure class="link-card"><a href="{}">{}</a></figure>').format(
            url, Markup("").join(parts)
        )
    )


def _as_block(line: str, html: str) -> str:
    """``html`` in place of ``line``, on lines of its own. WordPress's paragraphs can
    end on the embed's line ("Rest<br />\\n[embed]…[/embed]</p>") or begin on it: the
    paragraph the line closed or opened stays closed or opened around the block."""
    lower = line.lower()
    before = "</p>" if "</p>" in lower and "<p>" not in lower else ""
    after = "<p>" if "<p>" in lower and "</p>" not in lower else ""
    return f"{before}\n{html}\n{after}"


def stored_previews(keys: list[str]) -> Mapping[str, LinkPreview]:
    if not keys:
        return {}
    with db.session.no_autoflush:  # called while a post is being saved
        found = db.session.scalars(select(LinkPreview).where(LinkPreview.key.in_(keys)))
        return {preview.key: preview for preview in found}


def render_embeds(source: str) -> str:
    """``source`` with each video and each address alone on its line made a figure,
    a card or a link, as a block of its own; one query for what is stored."""
    videos, links = video_ids(source), link_urls(source)
    if not videos and not links:
        return source
    keys = [preview_key(watch_url(v)) for v in videos] + [preview_key(u) for u in links]
    stored = stored_previews(keys)

    def video(match: re.Match) -> str:
        video_id = match.group(1)
        figure = youtube_figure(video_id, stored.get(preview_key(watch_url(video_id))))
        return _as_block(match.group(0), figure)

    def link(match: re.Match) -> str:
        url = match.group(1)
        return _as_block(match.group(0), link_card(url, stored.get(preview_key(url))))

    return _outside_fences(source, lambda text: _LINK_LINE.sub(link, _LINE.sub(video, text)))
