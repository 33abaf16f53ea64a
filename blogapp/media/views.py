"""Serving uploads at ``/uploads/<filename>``: only names we generated, with the
right type and headers that stop a browser from treating them as anything else."""

from __future__ import annotations

import re

from flask import Blueprint, abort, send_from_directory

from blogapp.media.storage import MIME_BY_EXTENSION, upload_folder

bp = Blueprint("media", __name__)

YEAR = 365 * 24 * 3600
# What store_image writes: 24 hex digits, an optional -thumb, a known extension. Nothing else
# (no dots, slashes or backslashes) can name a file, so no path trick reaches the disk.
UPLOAD_NAME = re.compile(r"^[0-9a-f]{24}(?:-thumb)?\.(jpg|png|gif|webp)$")


@bp.route("/uploads/<path:filename>")
def uploaded(filename: str):
    match = UPLOAD_NAME.match(filename)
    if match is None:
        abort(404)
    return immutable(
        send_from_directory(
            upload_folder(), filename, mimetype=MIME_BY_EXTENSION[match.group(1)], max_age=YEAR
        )
    )


def immutable(response):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Names are never reused, so a file at a name never changes.
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
