"""What the post and page editors share: turning forms into service data and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from blogapp.categories.services import parse_tag_names
from blogapp.dates import to_local
from blogapp.field_errors import FieldErrors, show_errors
from blogapp.models import Post, PostStatus
from blogapp.posts.services import FeaturedImage, PostData
from blogapp.revisions.services import StaleSave, parse_based_on

Saved = TypeVar("Saved")


def post_data(form) -> PostData:
    return PostData(
        title=form.title.data or "",
        slug=form.slug.data or "",
        body=form.body.data or "",
        content_format=form.content_format.data,
        excerpt=form.excerpt.data or "",
        category_ids=list(form.categories.data or []),
        tag_names=parse_tag_names(form.tags.data or ""),
        language=form.language.data,
        source_line=form.source_line.data or "",
        status=form.status.data,
        publish_at=form.publish_at.utc,
        comment_mode=form.comment_mode.data,
        featured=FeaturedImage(
            media_id=form.featured_media.data or None,
            alt=form.featured_alt.data or "",
            caption=form.featured_caption.data or "",
        ),
    )


def fill_post_form(form, post: Post) -> None:
    """Show a stored post in the editor (GET)."""
    form.title.data = post.title
    form.slug.data = post.slug
    form.body.data = post.body
    form.content_format.data = post.content_format
    form.excerpt.data = post.excerpt
    form.categories.data = [c.id for c in post.categories]
    form.tags.data = ", ".join(t.name for t in post.tags)
    form.language.data = post.language
    form.source_line.data = post.source_line
    form.status.data = post.display_status
    form.comment_mode.data = post.comment_mode
    form.publish_at.data = local_input_value(post) if post.status == PostStatus.PUBLISHED else ""
    form.featured_media.data = post.featured_media_id or 0
    form.featured_alt.data = post.featured_alt
    form.featured_caption.data = post.featured_caption


def local_input_value(post: Post) -> str:
    return to_local(post.published_at).strftime("%Y-%m-%dT%H:%M")


def save_from_editor(
    form, save: Callable[[int | None], Saved]
) -> tuple[Saved | None, StaleSave | None]:
    """The editor's Save, for a post or a page: ``save(based_on)`` with the revision
    the editor was opened on. Returns what was saved; or the conflict (someone saved
    meanwhile: the form now builds on their revision, shown beside it); or neither,
    with the service's errors shown on the form's fields."""
    try:
        return save(parse_based_on(form.based_on.data)), None
    except StaleSave as stale:
        form.based_on.data = str(stale.latest.id)
        return None, stale
    except FieldErrors as error:
        show_errors(form, error)
        return None, None
