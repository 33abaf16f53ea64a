"""Import step: attachments become media rows, and with ``--uploads`` images are
copied from the old site's wp-content/uploads into the media store, with the posts
and pages that show them pointed at the copies. Without the copies, images still load
from the old site, and the report counts them."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import delete, select, update

from blogapp.content import render_page, render_post
from blogapp.extensions import db
from blogapp.media.storage import ImageRejected, store_image
from blogapp.models import FORMAT_HTML, Media, Page, Post
from blogapp.sanitize import strip_invisible
from blogapp.wordpress.html_fragments import image_sources, rewrite_urls
from blogapp.wordpress.import_state import ImportState
from blogapp.wordpress.wxr_fields import chunks, host_of, item_dates
from blogapp.wordpress.wxr_meta import META_CREDIT
from blogapp.wordpress.wxr_reader import WxrItem

IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
}
_UPLOADS_PATH = re.compile(r"/(?:wp-content/)?uploads/(.+)$")
_SIZE_SUFFIX = re.compile(r"-\d+x\d+(\.\w+)$")


def add_attachment(state: ImportState, item: WxrItem) -> None:
    url = item.attachment_url or item.guid
    report = state.report
    remote_id = state.remote_media(item.wp_id) if state.uploads and item.wp_id is not None else None
    if remote_id is not None:
        # Recorded with its old address by an import without --uploads: the file
        # takes the place of that row, once it is found.
        relative = item.meta.get("_wp_attached_file") or relative_upload(state, url)
        if relative and store_local(state, relative, url, item.line):
            db.session.execute(delete(Media).where(Media.id == remote_id))
    if item.wp_id is not None and state.media_imported(item.wp_id):
        report.skipped["media already imported"] += 1
        return
    fields = {
        "alt": strip_invisible(item.meta.get("_wp_attachment_image_alt", "")).strip()[:500],
        "caption": strip_invisible(item.excerpt).strip(),
        "credit": strip_invisible(item.meta.get(META_CREDIT, "")).strip()[:500],
        "wp_id": item.wp_id,
    }
    stored = None
    if state.uploads is not None:
        relative = item.meta.get("_wp_attached_file") or relative_upload(state, url)
        stored = store_local(state, relative, url, item.line) if relative else None
        if stored is None:
            report.warn(
                f"attachment {item.wp_id}: {relative or url!r} is not in {state.uploads}; "
                "recorded with its old address",
                item.line,
            )
    created = item_dates(item, report)[0]
    if stored is not None:
        db.session.execute(
            update(Media).where(Media.id == stored[0]).values(created_at=created, **fields)
        )
    else:
        report.remote_media += 1
        name = Path(urlsplit(url).path).name
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        db.session.add(
            Media(
                # Not a file here: the name only has to be unique; source_url is the image.
                filename=f"remote-{item.wp_id or state.media_urls}-{extension}"[:200],
                original_name=unquote(name)[:300],
                mime_type=IMAGE_TYPES.get(extension, ""),
                source_url=url[:1000],
                created_at=created,
                **fields,
            )
        )
    report.added["media"] += 1


def relative_upload(state: ImportState, url: str) -> str:
    """The path under wp-content/uploads of an image on the old site, else ''."""
    parts = urlsplit(url)
    if parts.netloc and state.hosts and host_of(url) not in state.hosts:
        return ""
    found = _UPLOADS_PATH.search(unquote(parts.path))
    return found.group(1) if found else ""


def store_local(
    state: ImportState, relative: str, url: str, line: int | None
) -> tuple[int, str] | None:
    """Copy an image from the --uploads folder into the media store (once per file);
    its (media id, file name)."""
    if relative in state.media_by_rel:
        return state.media_by_rel[relative]
    assert state.uploads is not None
    path = (state.uploads / relative).resolve()
    if not path.is_relative_to(state.uploads):
        return None  # "../" in a URL must not reach outside the folder
    # A resized copy (photo-300x200.jpg) stands for its original (photo.jpg): one
    # file in the media store per image, whichever size a post showed.
    original = path.with_name(_SIZE_SUFFIX.sub(r"\1", path.name))
    if original.is_file():
        path = original
    elif not path.is_file():
        return None
    if str(path) in state.media_by_rel:  # the same file by another name (a size variant)
        state.media_by_rel[relative] = state.media_by_rel[str(path)]
        return state.media_by_rel[relative]
    try:
        with path.open("rb") as stream:
            media = store_image(stream, path.name, source_url=url)
    except ImageRejected as error:
        state.report.warn(f"{relative}: {error} The old address is kept.", line)
        return None
    state.stored_files += [media.filename, media.thumb_filename]
    state.media_by_rel[relative] = state.media_by_rel[str(path)] = (media.id, media.filename)
    state.media_urls += 1
    return state.media_by_rel[relative]


def local_images(state: ImportState, html: str, line: int | None) -> str:
    """With --uploads, point images and links at copies in the media store."""
    if state.uploads is None or "uploads/" not in html:
        return html

    def local_url(url: str) -> str | None:
        relative = relative_upload(state, url)
        stored = store_local(state, relative, url, line) if relative else None
        return f"/uploads/{stored[1]}" if stored else None

    return rewrite_urls(html, local_url)


def count_old_images(state: ImportState, html: str) -> None:
    """Count the <img> of stored HTML that still load from the old site."""
    # Stored HTML is sanitized, so a host in it is written out plainly: HTML that never
    # names the old site needs no parsing.
    lowered = html.lower()
    if not any(host in lowered for host in state.hosts):
        return
    found = sum(1 for url in image_sources(html) if host_of(url) in state.hosts)
    if found:
        state.report.old_images += found
        state.report.old_image_rows += 1


def relink(state: ImportState, model: type[Post] | type[Page], items: dict[int, WxrItem]) -> None:
    """With --uploads: posts (by id) or pages (by WordPress id) an earlier import
    brought in show the local copies of their images now, their other content untouched."""
    key = Post.id if model is Post else Page.wp_id
    for chunk in chunks(sorted(items)):
        for row in db.session.scalars(select(model).where(key.in_(chunk))):
            if row.content_format != FORMAT_HTML or "uploads/" not in row.body:
                continue
            item = items[row.id if isinstance(row, Post) else row.wp_id]
            body = local_images(state, row.body, item.line)
            if body != row.body:
                row.body = body
                render_post(row) if isinstance(row, Post) else render_page(row)
                state.report.relinked += 1
                count_old_images(state, row.body_html)
