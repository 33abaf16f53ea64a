"""``srcset`` and ``sizes`` for images in post HTML, added when the post is written.

The media store keeps each upload at full size and, when it is larger than
THUMB_SIZE, a copy shrunk to fit it (``<name>-thumb.<ext>``). An ``<img>`` whose
``src`` is an upload and whose ``width`` and ``height`` are the original's (as the
editor's snippet writes them) is given both: a phone downloads the small copy."""

from __future__ import annotations

import math
import re

from blogapp.media.storage import THUMB_SIZE

# What bleach serializes: <img src="/uploads/…" … width="…" height="…" …>.
_IMG = re.compile(r"<img\s[^>]*>")
_UPLOAD_SRC = re.compile(r'\ssrc="/uploads/([0-9a-f]{24})\.(jpg|png|gif|webp)"')
_WIDTH = re.compile(r'\swidth="(\d{1,5})"')
_HEIGHT = re.compile(r'\sheight="(\d{1,5})"')
# The reading column is at most about 42rem wide; below that, the image fills the screen.
SIZES = "(max-width: 44rem) 100vw, 42rem"


def thumb_width(width: int, height: int) -> int:
    """The width Pillow's ``thumbnail(THUMB_SIZE)`` gives an image of this size."""
    box_w, box_h = THUMB_SIZE
    aspect = width / height
    if box_w / box_h >= aspect:
        exact = box_h * aspect
        candidates = (math.floor(exact), math.ceil(exact))
        return max(min(candidates, key=lambda n: abs(aspect - n / box_h)), 1)
    return box_w


def _with_srcset(match: re.Match) -> str:
    tag = match.group(0)
    src, width, height = _UPLOAD_SRC.search(tag), _WIDTH.search(tag), _HEIGHT.search(tag)
    if not (src and width and height) or " srcset=" in tag:
        return tag
    w, h = int(width.group(1)), int(height.group(1))
    if w < 1 or h < 1 or (w <= THUMB_SIZE[0] and h <= THUMB_SIZE[1]):
        return tag  # no smaller copy was made
    stem, ext = src.groups()
    srcset = f"/uploads/{stem}-thumb.{ext} {thumb_width(w, h)}w, /uploads/{stem}.{ext} {w}w"
    return f'{tag[:-1]} srcset="{srcset}" sizes="{SIZES}">'


def add_srcset(fragment: str) -> str:
    """``fragment`` (sanitized HTML) with srcset and sizes on images of the media store."""
    if "/uploads/" not in fragment:
        return fragment
    return _IMG.sub(_with_srcset, fragment)
