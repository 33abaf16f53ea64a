"""Storing uploaded images safely.

An upload is trusted only after Pillow has decoded it as a JPEG, PNG, GIF or
WebP within the pixel limit; what is kept is a fresh re-encoding, so metadata,
trailing payloads and polyglot tricks are dropped, under a generated name."""

from __future__ import annotations

import io
import os
import secrets
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from flask import current_app

from blogapp.extensions import db
from blogapp.models import Media

# Pillow is imported inside the functions that decode and encode: web workers
# that never receive an upload never load it.
if TYPE_CHECKING:
    from PIL import Image

# Pillow format name -> (extension, MIME type) of what we keep.
FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
MIME_BY_EXTENSION = dict(FORMATS.values())
THUMB_SIZE = (400, 400)  # listings and the media screen
MAX_FRAMES = 300  # an animation's frames all get decoded: bound the work


class ImageRejected(ValueError):
    """The upload is not an image we keep; ``str(error)`` says why, in plain words."""


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def store_image(
    stream: BinaryIO,
    original_name: str,
    *,
    alt: str = "",
    caption: str = "",
    credit: str = "",
    uploaded_by=None,
    source_url: str = "",
) -> Media:
    """Validate, re-encode and store an image; return its ``Media`` row, added to the
    session and flushed (the caller commits). Raises ``ImageRejected`` on bad input."""
    data = stream.read()
    if not data:
        raise ImageRejected("The file is empty.")
    image, kind = _decode(data)
    extension, mime_type = FORMATS[kind]
    encoded = _reencode(image, kind)

    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    stem = secrets.token_hex(12)
    filename = f"{stem}.{extension}"
    _write(folder / filename, encoded)
    thumb_filename = filename
    if image.width > THUMB_SIZE[0] or image.height > THUMB_SIZE[1]:
        thumb_filename = f"{stem}-thumb.{extension}"
        _write(folder / thumb_filename, _thumbnail(image, kind))

    media = Media(
        filename=filename,
        thumb_filename=thumb_filename,
        original_name=(original_name or "")[:300],
        mime_type=mime_type,
        width=image.width,
        height=image.height,
        size_bytes=len(encoded),
        alt=alt[:500],
        caption=caption,
        credit=credit[:500],
        source_url=source_url[:1000],
        uploaded_by_id=getattr(uploaded_by, "id", uploaded_by),
    )
    db.session.add(media)
    db.session.flush()
    return media


def _decode(data: bytes) -> tuple[Image.Image, str]:
    """Fully decode ``data`` (every frame of an animation) or refuse it."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    max_pixels = int(current_app.config["UPLOAD_MAX_PIXELS"])
    Image.MAX_IMAGE_PIXELS = max_pixels
    too_big = ImageRejected(
        f"The image is too large: at most {max_pixels:,} pixels (width × height) are accepted."
    )
    with warnings.catch_warnings():
        # Pillow only warns between the limit and twice the limit; refuse those as well.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            kind = image.format or ""
            if kind not in FORMATS:
                raise ImageRejected(_unsupported())
            if image.width * image.height > max_pixels:
                raise too_big
            frames = getattr(image, "n_frames", 1)
            if frames > MAX_FRAMES:
                raise ImageRejected(f"The animation has too many frames (at most {MAX_FRAMES}).")
            for frame in ImageSequence.Iterator(image):
                frame.load()
            image.seek(0)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big from None
        except UnidentifiedImageError:
            raise ImageRejected(_unsupported()) from None
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            if isinstance(error, ImageRejected):
                raise
            raise ImageRejected("The image file is damaged or incomplete.") from None
    return image, kind


def _unsupported() -> str:
    return "This file is not a JPEG, PNG, GIF or WebP image (SVG and other formats are refused)."


def _reencode(image: Image.Image, kind: str) -> bytes:
    from PIL import ImageOps

    out = io.BytesIO()
    if kind == "JPEG":
        # Turn the photo upright before the EXIF orientation tag is dropped with the rest.
        upright = ImageOps.exif_transpose(image)
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.save(out, "JPEG", quality=88, optimize=True, progressive=True)
    elif kind == "PNG":
        image.save(out, "PNG", optimize=True)
    else:
        animated = getattr(image, "n_frames", 1) > 1
        options = {"save_all": True} if animated else {}
        if kind == "GIF":
            image.save(out, "GIF", **options)
        else:
            image.save(out, "WEBP", quality=85, **options)
    return out.getvalue()


def _thumbnail(image: Image.Image, kind: str) -> bytes:
    """A smaller still copy (an animation's first frame) in the original's format."""
    from PIL import ImageOps

    image.seek(0)
    small = ImageOps.exif_transpose(image) if kind == "JPEG" else image.copy()
    if kind == "JPEG":
        small = small.convert("RGB") if small.mode not in ("RGB", "L") else small
    elif small.mode not in ("RGB", "RGBA", "L", "LA"):
        small = small.convert("RGBA")
    small.thumbnail(THUMB_SIZE)
    out = io.BytesIO()
    small.save(out, kind, **({"quality": 85} if kind in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def _write(path: Path, data: bytes) -> None:
    """Write whole or not at all: a reader never gets half a file."""
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)


def delete_files(media: Media) -> None:
    for name in {media.filename, media.thumb_filename}:
        if name:
            (upload_folder() / name).unlink(missing_ok=True)
