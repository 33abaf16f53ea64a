"""Import step: categories (with their parents) and tags, matched by WordPress id,
then by slug, and created when new."""

from __future__ import annotations

from sqlalchemy import update

from blogapp.content import slugify
from blogapp.extensions import db
from blogapp.models import Category, Tag
from blogapp.sanitize import strip_invisible
from blogapp.wordpress.import_state import ImportState
from blogapp.wordpress.wxr_fields import clean_slug
from blogapp.wordpress.wxr_reader import WxrTerm


def create_terms(state: ImportState, terms: list[WxrTerm]) -> None:
    """The export's list of terms; parents are set once all are here, since a child
    may come before its parent."""
    parents: list[tuple[int, str, int | None]] = []
    for term in terms:
        state.line = term.line
        found = term_id(
            state,
            term.taxonomy,
            term.slug,
            term.name,
            term.wp_id,
            term.description,
            term.line,
            count_existing=True,
        )
        if found is not None and term.taxonomy == "category" and term.parent_slug:
            parents.append((found, term.parent_slug, term.line))
    for category_id, parent_slug, line in parents:
        parent_id = state.cats_by_slug.get(clean_slug(parent_slug))
        if parent_id is None:
            state.report.warn(f"parent category {parent_slug!r} is not in the file", line)
        elif parent_id != category_id:
            db.session.execute(
                update(Category)
                .where(Category.id == category_id, Category.parent_id.is_(None))
                .values(parent_id=parent_id)
            )


def term_id(
    state: ImportState,
    taxonomy: str,
    raw_slug: str,
    name: str,
    wp_id: int | None,
    description: str = "",
    line: int | None = None,
    count_existing: bool = False,
) -> int | None:
    """The id of the category or tag, created when new."""
    is_category = taxonomy == "category"
    by_slug = state.cats_by_slug if is_category else state.tags_by_slug
    by_wp = state.cats_by_wp if is_category else state.tags_by_wp
    name = strip_invisible(name).strip()[:200]
    slug = clean_slug(raw_slug) or slugify(name)
    if not slug:
        state.report.warn(f"a {taxonomy} without a name or slug was left out", line)
        return None
    kind = "categories" if is_category else "tags"
    found = by_wp.get(wp_id) if wp_id is not None else None
    if found is None:
        found = by_slug.get(slug)
    if found is not None:
        by_slug.setdefault(slug, found)
        if count_existing:
            state.report.skipped[f"{kind} already here"] += 1
        return found
    row = (Category if is_category else Tag)(name=name or slug, slug=slug, wp_id=wp_id)
    if isinstance(row, Category):
        row.description = description
    db.session.add(row)
    db.session.flush()
    by_slug[slug] = row.id
    if wp_id is not None:
        by_wp[wp_id] = row.id
    state.report.added[kind] += 1
    return row.id
