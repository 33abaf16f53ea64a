"""Items in batches, each in two phases, so one batch's HTML is rendered (in worker
processes, for a large file) while the batch before it is written: ``prepare`` builds
the rows and sends their HTML off; ``store`` writes the rows with the rendered HTML,
their category and tag links, revisions and comments, a few statements per batch."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass

from sqlalchemy import insert

from blogapp.extensions import db
from blogapp.models import Page, Post, post_bylines, post_categories, post_tags
from blogapp.revisions.services import store_imported as store_imported_revisions
from blogapp.wordpress.import_bylines import add_guest_author
from blogapp.wordpress.import_comments import is_linkback, write_comments
from blogapp.wordpress.import_items import (
    LEFT_OUT_STATUSES,
    NewPost,
    prepare_page,
    prepare_post,
)
from blogapp.wordpress.import_media import add_attachment, count_old_images, relink
from blogapp.wordpress.import_state import ImportState
from blogapp.wordpress.render_pool import InlineRenderer, PoolRenderer, PostSource
from blogapp.wordpress.wxr_meta import GUEST_AUTHOR
from blogapp.wordpress.wxr_reader import WxrComment, WxrItem

Renderer = InlineRenderer | PoolRenderer


@dataclass
class PreparedBatch:
    """A batch whose rows are built and whose HTML is being rendered elsewhere."""

    new_posts: list[NewPost]
    comment_targets: list[tuple[WxrItem, int]]  # comments of posts already imported
    new_pages: list[Page]
    rendering: Future  # -> (list[Rendered] for new_posts, cleaned HTML of comments)
    comments: list[WxrComment]  # in the order of the cleaned HTML


def prepare_batch(
    state: ImportState, renderer: Renderer, batch: list[WxrItem]
) -> PreparedBatch | None:
    if not batch:
        return None
    state.begin_batch(batch)
    new_posts: list[NewPost] = []
    comment_targets: list[tuple[WxrItem, int]] = []
    new_pages: list[Page] = []
    imported_pages: list[WxrItem] = []
    for item in batch:
        state.line = item.line
        kind = item.post_type or "post"
        if kind == "attachment":
            add_attachment(state, item)
        elif item.status in LEFT_OUT_STATUSES:
            state.report.skipped[f"{kind}s in the trash or auto-drafts"] += 1
        elif kind == "post":
            prepared = prepare_post(state, item)
            if isinstance(prepared, int):
                comment_targets.append((item, prepared))
            elif prepared is not None:
                new_posts.append(prepared)
        elif kind == GUEST_AUTHOR:
            add_guest_author(state, item)
        elif kind == "page":
            page = prepare_page(state, item)
            if page is not None:
                new_pages.append(page)
            elif state.uploads is not None and item.wp_id is not None:
                imported_pages.append(item)
        else:
            state.report.skipped[f"{kind} items"] += 1
    if state.uploads is not None:
        relink(state, Post, {post_id: item for item, post_id in comment_targets})
        relink(state, Page, {item.wp_id: item for item in imported_pages if item.wp_id is not None})
    sources = [
        PostSource(p.post.title, p.post.body, p.post.content_format, p.post.excerpt)
        for p in new_posts
    ]
    items = [item for item, _ in comment_targets] + [p.item for p in new_posts]
    comments = [c for item in items for c in item.comments if not is_linkback(c)]
    rendering = renderer.submit(sources, [c.content for c in comments])
    return PreparedBatch(new_posts, comment_targets, new_pages, rendering, comments)


def store_batch(state: ImportState, batch: PreparedBatch) -> None:
    rendered, cleaned = batch.rendering.result()
    new_posts = batch.new_posts
    for new, html in zip(new_posts, rendered, strict=True):
        html.apply(new.post)
        count_old_images(state, new.post.body_html)
    cleaned_html = {id(c): h for c, h in zip(batch.comments, cleaned, strict=True)}
    state.line = (new_posts[-1].item.line if new_posts else None) or state.line
    db.session.add_all([p.post for p in new_posts] + batch.new_pages)
    db.session.flush()
    store_imported_revisions([p.post for p in new_posts], batch.new_pages)
    links_c = [{"post_id": p.post.id, "category_id": c} for p in new_posts for c in p.category_ids]
    links_t = [{"post_id": p.post.id, "tag_id": t} for p in new_posts for t in p.tag_ids]
    if links_c:
        db.session.execute(insert(post_categories), links_c)
    if links_t:
        db.session.execute(insert(post_tags), links_t)
    bylines = [
        {"post_id": p.post.id, "author_id": a, "position": i}
        for p in new_posts
        for i, a in enumerate(p.byline_ids)
    ]
    if bylines:
        db.session.execute(insert(post_bylines), bylines)
    targets = batch.comment_targets + [(p.item, p.post.id) for p in new_posts]
    write_comments(state, targets, cleaned_html)
    state.end_batch()  # its posts and pages are in the database now
    db.session.expunge_all()  # keep the identity map as small as one batch


class BatchPipeline:
    """Two batches in flight: each one sent is prepared, then the one before it stored."""

    def __init__(self, state: ImportState, renderer: Renderer) -> None:
        self.state = state
        self.renderer = renderer
        self.waiting: PreparedBatch | None = None

    def send(self, batch: list[WxrItem]) -> None:
        earlier, self.waiting = self.waiting, prepare_batch(self.state, self.renderer, batch)
        if earlier is not None:
            store_batch(self.state, earlier)

    def drain(self) -> None:
        """Store the batch still waiting."""
        self.send([])
