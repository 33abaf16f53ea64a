"""The outbox handler: fetch one address's card (or video still), store it, and
render again the posts and pages that show it.

Nothing is held while the other server answers: the worker's transaction is ended
first, and the fetch (with its deadline) runs outside any. Then one short write
stores the picture (decoded, re-encoded and given a thumbnail by
blogapp.media.storage, as an upload is: a Media row), the preview, and the posts
rendered again.
Writing those posts is what tells readers' caches (blogapp.content_version): nothing
is invalidated by hand. An address that gives no card is stored as such, so it is
asked for once; the post keeps its plain link."""

from __future__ import annotations

import io

from sqlalchemy import delete, select

from blogapp import clock
from blogapp.content import render_page, render_post
from blogapp.database import write_transaction
from blogapp.embeds import preview_key, watch_url
from blogapp.extensions import db
from blogapp.fediverse import net
from blogapp.link_previews import fetch
from blogapp.media.storage import ImageRejected, store_image
from blogapp.models import LinkPreview, OutboxMessage, Page, Post, PreviewStatus


def is_permanent(error: Exception) -> bool:
    return isinstance(error, net.RefusedAddress | ImageRejected)


def send(row: OutboxMessage) -> None:
    payload = dict(row.payload)
    video = payload.get("video")
    url = watch_url(video) if video else payload["url"]
    key = preview_key(url)
    seen = db.session.scalar(select(LinkPreview.key).where(LinkPreview.key == key))
    db.session.commit()  # nothing held while the other server answers
    again = bool(payload.get("again"))  # flask link-previews refetch
    if seen is not None and not again:
        return  # fetched before (a row queued again after the outbox was pruned)

    preview = LinkPreview(key=key, url=url, status=PreviewStatus.PLAIN)
    image_url, image = "", None
    try:
        if video:
            image_url = fetch.still_url(video)
            image = fetch.fetch_image(image_url)
            if image is None:
                preview.error = "no still"
        else:
            page = fetch.fetch_page(url)
            preview.title, preview.description = page.title, page.description
            preview.site_name = page.site_name
            if page.image_url:
                image_url, image = page.image_url, fetch.fetch_image(page.image_url)
    except fetch.NoCard as error:
        preview.error = str(error)[:300]

    with write_transaction():
        if image is not None:
            try:
                preview.media = store_image(
                    io.BytesIO(image), image_url.rsplit("/", 1)[-1][:300], source_url=image_url
                )
            except ImageRejected as error:
                preview.error = f"picture refused: {error}"[:300]
        if preview.media is not None or preview.title:
            preview.status = PreviewStatus.CARD
        preview.fetched_at = clock.now()
        if again:
            db.session.execute(delete(LinkPreview).where(LinkPreview.key == key))
        db.session.add(preview)
        db.session.flush()
        rerender(video or url)
        db.session.commit()


def rerender(needle: str) -> int:
    """Render again every post and page whose text holds ``needle`` (rendering finds
    the stored card); returns how many."""
    pattern = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    count = 0
    for model, render in ((Post, render_post), (Page, render_page)):
        for item in db.session.scalars(
            select(model).where(model.body.like(f"%{pattern}%", escape="\\"))
        ):
            render(item)
            count += 1
    return count
