"""Import step: posts and pages. Each item becomes a row (its HTML rendered later,
with its batch), or is matched to the row an earlier import made of it, or is left
out with a reason in the report."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select

from blogapp.content import html_to_text, render_page, slugify
from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.models import (
    COMMENT_MODES,
    COMMENTS_CLOSED,
    COMMENTS_OPEN,
    FORMAT_HTML,
    FORMAT_MARKDOWN,
    Page,
    Post,
    PostStatus,
    Redirect,
)
from blogapp.sanitize import strip_invisible
from blogapp.translations.wxr import item_group, item_language, link_imported
from blogapp.wordpress.convert import wordpress_to_html
from blogapp.wordpress.import_authors import author_id
from blogapp.wordpress.import_bylines import item_bylines
from blogapp.wordpress.import_media import count_old_images, local_images
from blogapp.wordpress.import_state import IN_THIS_FILE, ImportState
from blogapp.wordpress.import_terms import term_id
from blogapp.wordpress.wxr_fields import clean_slug, guess_language, item_dates
from blogapp.wordpress.wxr_meta import (
    META_COMMENT_MODE,
    META_FORMAT,
    META_LANGUAGE,
    META_MARKDOWN,
    META_SOURCE_LINE,
)
from blogapp.wordpress.wxr_reader import WxrItem

POST_STATUS = {
    "publish": PostStatus.PUBLISHED,
    "future": PostStatus.PUBLISHED,
    "draft": PostStatus.DRAFT,
    "pending": PostStatus.PENDING,
    "private": PostStatus.PRIVATE,
}
LEFT_OUT_STATUSES = ("trash", "auto-draft", "inherit")


class NewPost(NamedTuple):
    item: WxrItem
    post: Post
    category_ids: list[int]
    tag_ids: list[int]
    byline_ids: list[int]  # author profiles, in order (blogapp.authors)


def prepare_post(state: ImportState, item: WxrItem) -> NewPost | int | None:
    """A new Post (with its category and tag ids), the id of the post already
    imported, or None when the item is left out."""
    report = state.report
    existing = state.post_match(item)
    if existing == IN_THIS_FILE:
        report.skipped["duplicate posts in the file"] += 1
        return None
    if existing is not None:
        report.skipped["posts already imported"] += 1
        return existing
    if item.status not in POST_STATUS:
        report.warn(
            f"post {item.wp_id}: unknown status {item.status!r}; imported as a draft", item.line
        )
    status = POST_STATUS.get(item.status, PostStatus.DRAFT)
    if item.password and status == PostStatus.PUBLISHED:
        status = PostStatus.PRIVATE
        report.warn(
            f"post {item.wp_id} was password-protected; imported as private "
            "(this blog has no post passwords)",
            item.line,
        )
    published, modified = item_dates(item, report)
    _check_url_date(state, item, published)
    body, content_format = item_body(state, item)
    wanted = clean_slug(item.post_name)
    slug = unique_slug(wanted or slugify(item.title) or f"post-{item.wp_id}", state.post_slugs)
    if wanted and slug != wanted and status == PostStatus.PUBLISHED:
        _redirect_moved_post(state, item, wanted, slug, published)
    excerpt = item.excerpt.strip()
    if "<" in excerpt:
        excerpt = html_to_text(excerpt)
    mode = item.meta.get(META_COMMENT_MODE)
    if mode not in COMMENT_MODES:
        mode = COMMENTS_CLOSED if item.comment_status == "closed" else COMMENTS_OPEN
    post = Post(
        title=strip_invisible(item.title)[:500],
        slug=slug,
        body=body,
        content_format=content_format,
        excerpt=excerpt,
        status=status,
        language=(
            item.meta.get(META_LANGUAGE)
            or item_language(item.terms, item.meta)
            or guess_language(item.title, item.content)
        ),
        source_line=item.meta.get(META_SOURCE_LINE, "")[:500],
        comment_mode=mode,
        sticky=item.is_sticky,
        published_at=published,
        created_at=published,
        updated_at=modified,
        author_id=author_id(state, item.creator, item.line),
        wp_id=item.wp_id,
        guid=item.guid[:500],
        comment_count=0,
    )
    state.claim_post(item)  # a second copy in the file is skipped
    if item.wp_id is not None and (group := item_group(item.terms, item.meta)):  # Polylang, WPML
        state.translation_groups.setdefault(group, []).append(item.wp_id)
    report.posts["scheduled" if post.is_scheduled else status] += 1
    categories: list[int] = []
    tags: list[int] = []
    for domain, nicename, name in item.terms:
        if domain in ("category", "post_tag"):
            found = term_id(state, domain, nicename, name, None, line=item.line)
            target = categories if domain == "category" else tags
            if found is not None and found not in target:
                target.append(found)
    return NewPost(item, post, categories, tags, item_bylines(state, item))


def prepare_page(state: ImportState, item: WxrItem) -> Page | None:
    """A new Page, rendered; None when it was imported before."""
    report = state.report
    if item.wp_id is not None and state.page_imported(item.wp_id):
        report.skipped["pages already imported"] += 1
        return None
    status = POST_STATUS.get(item.status, PostStatus.DRAFT)
    if item.status == "future" or (item.password and status == PostStatus.PUBLISHED):
        status = PostStatus.DRAFT if item.status == "future" else PostStatus.PRIVATE
        report.warn(
            f"page {item.wp_id} was scheduled or password-protected; imported as {status}",
            item.line,
        )
    published, modified = item_dates(item, report)
    body, content_format = item_body(state, item)
    wanted = clean_slug(item.post_name)
    slug = unique_slug(wanted or slugify(item.title) or f"page-{item.wp_id}", state.page_slugs)
    if wanted and slug != wanted:
        report.warn(f"page {item.wp_id}: slug {wanted!r} is taken; stored as {slug!r}", item.line)
    if item.comments:
        report.skipped["comments on pages"] += len(item.comments)
    page = Page(
        title=strip_invisible(item.title)[:500],
        slug=slug,
        body=body,
        content_format=content_format,
        status=status,
        menu_order=item.menu_order,
        language=item.meta.get(META_LANGUAGE) or guess_language(item.title, item.content),
        created_at=published,
        updated_at=modified,
        author_id=author_id(state, item.creator, item.line),
        wp_id=item.wp_id,
    )
    render_page(page)
    count_old_images(state, page.body_html)
    if item.wp_id is not None:
        state.claim_page(item.wp_id)
    report.added["pages"] += 1
    return page


def item_body(state: ImportState, item: WxrItem) -> tuple[str, str]:
    """(source, content format) of an item's content."""
    if META_MARKDOWN in item.meta:
        return item.meta[META_MARKDOWN], FORMAT_MARKDOWN
    if item.meta.get(META_FORMAT) in (FORMAT_HTML, FORMAT_MARKDOWN):
        return item.content, FORMAT_HTML  # our own export: already the HTML we show
    html, unknown = wordpress_to_html(item.content)
    for name, n in sorted(unknown.items()):
        state.report.warn(
            f"{item.post_type} {item.wp_id}: unknown shortcode [{name}] kept as text"
            + (f" ({n} times)" if n > 1 else ""),
            item.line,
        )
    return local_images(state, html, item.line), FORMAT_HTML


def unique_slug(wanted: str, taken: set[str]) -> str:
    slug, n = wanted, 2
    while slug in taken:
        suffix = f"-{n}"
        slug = wanted[: 200 - len(suffix)] + suffix
        n += 1
    taken.add(slug)
    return slug


def _check_url_date(state: ImportState, item: WxrItem, published: datetime) -> None:
    """WordPress put post_date (its local time) in the URL; we put the date in TIMEZONE."""
    local = item.post_date.strip()[:10]
    if local and not local.startswith("0000") and to_local(published).strftime("%Y-%m-%d") != local:
        state.date_mismatches += 1


def _redirect_moved_post(
    state: ImportState, item: WxrItem, old: str, new: str, published: datetime
) -> None:
    """The slug was taken, so the old permalink points at the post's new one."""
    old_day = item.post_date[:10].replace("-", "/") if item.post_date[:4] != "0000" else ""
    old_path = f"/{old_day or to_local(published).strftime('%Y/%m/%d')}/{old}/"
    new_path = f"/{to_local(published).strftime('%Y/%m/%d')}/{new}/"
    state.report.warn(
        f"post {item.wp_id}: slug {old!r} is taken; stored as {new!r}, "
        f"and {old_path} redirects to it",
        item.line,
    )
    exists = db.session.scalar(select(Redirect.id).where(Redirect.old_path == old_path))
    if exists is None:
        db.session.add(Redirect(old_path=old_path, new_path=new_path))


def finish_items(state: ImportState) -> None:
    """Once every item is in: link translations, and say when post dates moved a day."""
    if state.translation_groups:
        linked, problems = link_imported(state.translation_groups)
        state.report.added["translation groups"] += linked
        for problem in problems:
            state.report.warn(problem)
    if state.date_mismatches:
        zone = current_app.config["TIMEZONE"]
        state.report.warn(
            f"{state.date_mismatches} posts fall on another day in TIMEZONE {zone!r} than "
            "on the old site, so their /YYYY/MM/DD/ links redirect (301) to the new date; "
            "set BLOGAPP_TIMEZONE to the old site's zone and re-import into an empty "
            "database to keep them exact"
        )
