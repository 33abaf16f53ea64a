"""Embeds that track no one: a YouTube link alone on a line, or a WordPress
``[embed]…[/embed]`` or ``[youtube …]`` shortcode holding one, becomes a figure with
our own still image and a play button linking to the video. Nothing of YouTube's
loads until the reader presses play: then static/js/embeds.js swaps in a
youtube-nocookie.com frame, the one other origin the Content-Security-Policy allows,
and only as a frame. Without the script the link simply opens YouTube.

A leaf module: ``blogapp.content`` calls ``youtube_embeds`` on the source before
rendering; the figure is ordinary HTML that the post sanitizer keeps."""

from __future__ import annotations

import re

from markupsafe import Markup

VIDEO_STILL = "/static/img/video-still.svg"
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


def youtube_figure(video_id: str) -> str:
    watch = f"https://www.youtube.com/watch?v={video_id}"
    return str(
        Markup(
            '<figure><a href="{}" title="YouTube"><img src="{}" alt="▶ YouTube video" '
            'width="640" height="360"></a></figure>'
        ).format(watch, VIDEO_STILL)
    )


def youtube_embeds(source: str) -> str:
    """``source`` with each YouTube link (or shortcode) alone on its line made a figure,
    as a block of its own."""
    return _LINE.sub(lambda m: "\n" + youtube_figure(m.group(1)) + "\n", source)
