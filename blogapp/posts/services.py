"""The write side of posts and pages, as plain functions: checking, saving (with a
revision, and a redirect when a published address changes) and deleting. The admin
editors and the revision screens call them; tests may call them directly. Each raises
``FieldErrors`` for input a person must fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import delete, select, update

from blogapp import clock
from blogapp.authors.services import profile_for_user, set_bylines
from blogapp.categories.services import categories_by_id, tags_for
from blogapp.content import render_page, render_post, slugify, unique_slug
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors
from blogapp.models import (
    REVISION_RESTORE,
    REVISION_SAVE,
    ContentFormat,
    Media,
    Page,
    Post,
    PostStatus,
    Redirect,
    Revision,
    User,
)
from blogapp.permalinks import post_url
from blogapp.revisions import preview
from blogapp.revisions.services import Draft, check_based_on
from blogapp.revisions.services import record as record_revision

STATUS_SCHEDULED = "scheduled"  # a form choice: stored as published with a future date
# First path segments the site itself uses: a page slug may not take them.
RESERVED_PAGE_SLUGS = frozenset(
    {
        "admin",
        "login",
        "logout",
        "uploads",
        "static",
        "category",
        "tag",
        "author",
        "page",
        "feed",
        "comments",
        "search",
        "wp-admin",
        "wp-login.php",
        "wp-content",
        "wp-json",
        "xmlrpc.php",
    }
)


@dataclass
class FeaturedImage:
    """A post's featured image as the editor sends it: ``media_id`` None removes it."""

    media_id: int | None = None
    alt: str = ""
    caption: str = ""


@dataclass
class PostData:
    title: str = ""
    slug: str = ""  # empty: made from the title
    body: str = ""
    content_format: str = ContentFormat.MARKDOWN
    excerpt: str = ""
    category_ids: list[int] = field(default_factory=list)
    tag_names: list[str] = field(default_factory=list)
    language: str = "en"
    source_line: str = ""
    status: str = PostStatus.DRAFT  # or pending, published, "scheduled", private
    publish_at: datetime | None = None  # aware UTC; None keeps the date (or "now" on publish)
    comment_mode: str = "open"
    # The author profiles of its byline, in order (blogapp.authors); None keeps them,
    # and a new post without any is by its writer's own profile.
    byline_ids: list[int] | None = None
    featured: FeaturedImage | None = None  # None: keep the post's featured image as it is


@dataclass
class PageData:
    title: str = ""
    slug: str = ""
    body: str = ""
    content_format: str = ContentFormat.MARKDOWN
    language: str = "en"
    status: str = PostStatus.DRAFT  # or published, private
    menu_order: int = 0


def _resolve_slug(
    model, wanted_slug: str, title: str, current_id: int | None, errors: dict[str, str]
) -> str:
    """The author's own slug must be free; a slug made from the title is made unique."""
    if wanted_slug.strip():
        slug = slugify(wanted_slug)
        if not slug:
            errors["slug"] = "Use letters or digits in the slug."
            return ""
        taken = select(model.id).where(model.slug == slug)
        if current_id is not None:
            taken = taken.where(model.id != current_id)
        if db.session.scalar(taken) is not None:
            errors["slug"] = f"The slug “{slug}” is already used by another item."
        return slug
    return unique_slug(model, slugify(title) or ("post" if model is Post else "page"), current_id)


def record_move(old_path: str, new_path: str) -> None:
    """Readers (and search engines) following ``old_path`` get a 301 to ``new_path``."""
    if old_path == new_path:
        return
    # Older moves point straight at the new place: no chains of redirects.
    db.session.execute(
        update(Redirect).where(Redirect.new_path == old_path).values(new_path=new_path)
    )
    # The content lives at new_path again: a redirect away from it would hide it.
    db.session.execute(delete(Redirect).where(Redirect.old_path == new_path))
    existing = db.session.scalar(select(Redirect).where(Redirect.old_path == old_path))
    if existing is None:
        db.session.add(Redirect(old_path=old_path, new_path=new_path))
    else:
        existing.new_path = new_path


def check_post(data: PostData, post: Post | None, now: datetime | None = None) -> dict[str, str]:
    """Errors a person must fix before ``data`` can be saved (empty when none)."""
    now = now or clock.now()
    errors: dict[str, str] = {}
    if data.status in (PostStatus.PUBLISHED, STATUS_SCHEDULED) and not data.body.strip():
        errors["body"] = "Write some content before publishing."
    if data.status == STATUS_SCHEDULED:
        if data.publish_at is None:
            errors["publish_at"] = "Give the date and time when the post should appear."
        elif data.publish_at <= now:
            errors["publish_at"] = "A scheduled time must be in the future; choose Published."
    return errors


def apply_post(post: Post, data: PostData, now: datetime | None = None) -> None:
    """Copy ``data`` onto ``post`` and render it (used by both saving and previewing)."""
    now = now or clock.now()
    was_out = post.status == PostStatus.PUBLISHED
    post.title = data.title.strip()
    post.body = data.body
    post.content_format = data.content_format
    post.excerpt = data.excerpt.strip()
    post.language = data.language
    post.source_line = data.source_line.strip()
    post.comment_mode = data.comment_mode
    post.status = PostStatus.PUBLISHED if data.status == STATUS_SCHEDULED else data.status
    if data.featured is not None:
        _apply_featured(post, data.featured)
    if data.publish_at is not None:
        post.published_at = data.publish_at
    elif post.status == PostStatus.PUBLISHED and not was_out:
        post.published_at = now  # published now, for the first time (or again)
    elif post.published_at is None:
        post.published_at = now
    render_post(post)


def _apply_featured(post: Post, featured: FeaturedImage) -> None:
    media = db.session.get(Media, featured.media_id) if featured.media_id else None
    post.featured_media_id = media.id if media is not None else None
    post.featured_image_url = (
        url_for("media.uploaded", filename=media.filename) if media is not None else ""
    )
    post.featured_alt = (featured.alt.strip() or (media.alt if media else ""))[:500]
    post.featured_caption = featured.caption.strip() if media is not None else ""


def save_post(
    post: Post | None,
    data: PostData,
    *,
    author: User | None,
    based_on: int | None = None,
    restored_from: Revision | None = None,
) -> Post:
    """Create (``post`` None) or update a post: validate, render once, store with its
    revision, and leave a redirect behind when a published post's address changes.

    ``based_on`` is the revision the editor opened: a save based on an older one is
    refused with StaleSave (blogapp.revisions) rather than overwrite another's work."""
    now = clock.now()
    if post is not None:
        check_based_on(post, based_on)
    errors = check_post(data, post, now)
    slug = _resolve_slug(Post, data.slug, data.title, post.id if post else None, errors)
    if errors:
        raise FieldErrors(errors)
    old_path = post_url(post) if post is not None and post.is_public else None
    categories, tags = categories_by_id(data.category_ids), tags_for(data.tag_names)
    if post is None:
        post = Post(
            author=author,
            created_at=now,
            comment_count=0,
            published_at=now,
            categories=categories,
            tags=tags,
        )
        db.session.add(post)
    else:
        post.categories, post.tags = categories, tags
    post.slug = slug
    apply_post(post, data, now)
    post.updated_at = now
    if data.byline_ids:
        set_bylines(post, data.byline_ids)
    elif post.id is None and author is not None:
        set_bylines(post, [profile_for_user(author).id])
    if old_path is not None or (post.id is not None and post.is_public):
        # A share-preview link is for what readers cannot see yet: once the post has
        # been public, an old link must never show a later draft of it.
        preview.forget(post.id)
    _keep_history(
        post,
        old_path,
        post_url(post) if post.is_public else None,
        author=author,
        restored_from=restored_from,
    )
    _draw_share_card(post.id)
    return post


def _draw_share_card(post_id: int) -> None:
    """After the commit, so the post is saved whatever happens to its card; a card that
    could not be written now is drawn by ``flask cards draw``."""
    from blogapp.cards.services import refresh_post_card  # Pillow: only when saving

    try:
        refresh_post_card(post_id)
    except OSError:
        db.session.rollback()
        current_app.logger.exception("The share card of post %s was not drawn", post_id)


def _keep_history(
    item: Post | Page,
    old_path: str | None,
    new_path: str | None,
    *,
    author: User | None,
    restored_from: Revision | None,
) -> None:
    """How every save of a post or a page ends: a redirect when a public address moved
    (``new_path`` is None when the item is not public now), the revision, the commit."""
    if old_path and new_path:
        record_move(old_path, new_path)
    record_revision(
        item,
        author=author,
        kind=REVISION_RESTORE if restored_from else REVISION_SAVE,
        restored_from=restored_from,
    )
    db.session.commit()


def delete_post(post: Post) -> None:
    db.session.delete(post)
    db.session.commit()


def save_page(
    page: Page | None,
    data: PageData,
    *,
    author: User | None,
    based_on: int | None = None,
    restored_from: Revision | None = None,
) -> Page:
    if page is not None:
        check_based_on(page, based_on)
    errors: dict[str, str] = {}
    if data.status == PostStatus.PUBLISHED and not data.body.strip():
        errors["body"] = "Write some content before publishing."
    slug = _resolve_slug(Page, data.slug, data.title, page.id if page else None, errors)
    if slug in RESERVED_PAGE_SLUGS:
        errors["slug"] = f"“{slug}” is an address the site itself uses; choose another slug."
    if errors:
        raise FieldErrors(errors)
    old_path = None
    if page is not None and page.status == PostStatus.PUBLISHED:
        old_path = url_for("posts.page", slug=page.slug)
    if page is None:
        page = Page(author=author, created_at=clock.now())
        db.session.add(page)
    page.title = data.title.strip()
    page.slug = slug
    page.body = data.body
    page.content_format = data.content_format
    page.language = data.language
    page.status = data.status
    page.menu_order = data.menu_order
    page.updated_at = clock.now()
    render_page(page)
    published = page.status == PostStatus.PUBLISHED
    _keep_history(
        page,
        old_path,
        url_for("posts.page", slug=page.slug) if published else None,
        author=author,
        restored_from=restored_from,
    )
    return page


def delete_page(page: Page) -> None:
    db.session.delete(page)
    db.session.commit()


def restore(item: Post | Page, revision: Revision, *, author) -> Post | Page:
    """Save ``item`` again with the text of ``revision`` (title, body, excerpt, format),
    as a new revision; status, date, categories and tags stay as they are now."""
    if isinstance(item, Post):
        scheduled = item.is_scheduled
        data = PostData(
            title=revision.title,
            slug=item.slug,
            body=revision.body,
            content_format=revision.content_format,
            excerpt=revision.excerpt,
            category_ids=[c.id for c in item.categories],
            tag_names=[t.name for t in item.tags],
            language=item.language,
            source_line=item.source_line,
            status="scheduled" if scheduled else item.status,
            publish_at=item.published_at if scheduled else None,
            comment_mode=item.comment_mode,
        )
        return save_post(item, data, author=author, restored_from=revision)
    data = PageData(
        title=revision.title,
        slug=item.slug,
        body=revision.body,
        content_format=revision.content_format,
        language=item.language,
        status=item.status,
        menu_order=item.menu_order,
    )
    return save_page(item, data, author=author, restored_from=revision)


def save_new_draft(draft: Draft, *, author) -> Post:
    """The first autosave of a post never saved, stored as a draft."""
    data = PostData(
        title=draft.title,
        body=draft.body,
        excerpt=draft.excerpt,
        content_format=draft.content_format,
        status=PostStatus.DRAFT,
    )
    return save_post(None, data, author=author)
