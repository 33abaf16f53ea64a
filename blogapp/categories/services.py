"""The write side of categories and tags, as plain functions: saving (a category
never sits inside itself), deleting (a category's posts move to another) and the tags
a post names, created on the fly. The admin screens and the post service call them;
tests may call them directly. Each raises ``FieldErrors`` for input a person must fix."""

from __future__ import annotations

from sqlalchemy import delete, func, insert, literal, select, update

from blogapp.content import slugify
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors
from blogapp.models import Category, Tag, post_categories, post_tags


def parse_tag_names(text: str) -> list[str]:
    """``"rule of law, Courts ,courts"`` -> ``["rule of law", "Courts"]``."""
    seen: set[str] = set()
    names = []
    for raw in text.split(","):
        name = " ".join(raw.split())[:200]
        key = slugify(name)
        if name and key and key not in seen:
            seen.add(key)
            names.append(name)
    return names


def tags_for(names: list[str]) -> list[Tag]:
    """The tags named, created on the fly when new (matched by slug)."""
    wanted = {slugify(n): n for n in names if slugify(n)}
    if not wanted:
        return []
    found = {t.slug: t for t in db.session.scalars(select(Tag).where(Tag.slug.in_(wanted)))}
    for slug, name in wanted.items():
        if slug not in found:
            found[slug] = Tag(name=name, slug=slug)
            db.session.add(found[slug])
    return [found[s] for s in wanted]


def categories_by_id(ids: list[int]) -> list[Category]:
    """The categories with these ids (those that still exist)."""
    if not ids:
        return []
    return list(db.session.scalars(select(Category).where(Category.id.in_(ids))))


def descendant_ids(category_id: int) -> set[int]:
    """A category's children, grandchildren…: none of them may become its parent."""
    parents = dict(db.session.execute(select(Category.id, Category.parent_id)).all())
    found: set[int] = set()
    frontier = {category_id}
    while frontier:
        frontier = {cid for cid, pid in parents.items() if pid in frontier and cid not in found}
        found |= frontier
    return found


def _slug_taken(model: type[Category] | type[Tag], slug: str, own: Category | Tag | None) -> bool:
    """Whether another category (or tag) than ``own`` has ``slug``."""
    taken = select(model.id).where(model.slug == slug)
    if own is not None:
        taken = taken.where(model.id != own.id)
    return db.session.scalar(taken) is not None


def save_category(
    category: Category | None,
    *,
    name: str,
    slug: str = "",
    parent_id: int | None = None,
    description: str = "",
) -> Category:
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    if not name:
        errors["name"] = "Give the category a name."
    slug = slugify(slug or name)
    if name and not slug:
        errors["slug"] = "Use letters or digits in the slug."
    if slug and _slug_taken(Category, slug, category):
        errors["slug"] = f"The slug “{slug}” is already used by another category."
    if parent_id is not None:
        if db.session.get(Category, parent_id) is None:
            errors["parent_id"] = "That parent category no longer exists."
        elif category is not None and (
            parent_id == category.id or parent_id in descendant_ids(category.id)
        ):
            errors["parent_id"] = "A category cannot sit inside itself or its subcategories."
    if errors:
        raise FieldErrors(errors)
    if category is None:
        category = Category()
        db.session.add(category)
    category.name = name
    category.slug = slug
    category.parent_id = parent_id
    category.description = description.strip()
    db.session.commit()
    return category


def category_post_count(category_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(post_categories)
            .where(post_categories.c.category_id == category_id)
        )
        or 0
    )


def delete_category(category: Category, move_to_id: int | None = None) -> None:
    """Delete ``category``; its posts get ``move_to_id`` (when given) and keep their other
    categories; its subcategories move up to its parent."""
    if category_post_count(category.id):
        if move_to_id is None or move_to_id == category.id:
            raise FieldErrors({"move_to": "Choose the category its posts move to."})
        if db.session.get(Category, move_to_id) is None:
            raise FieldErrors({"move_to": "That category no longer exists."})
        already = select(post_categories.c.post_id).where(
            post_categories.c.category_id == move_to_id
        )
        db.session.execute(
            insert(post_categories).from_select(
                ["post_id", "category_id"],
                select(post_categories.c.post_id, literal(move_to_id))
                .where(post_categories.c.category_id == category.id)
                .where(post_categories.c.post_id.not_in(already)),
            )
        )
    db.session.execute(
        update(Category)
        .where(Category.parent_id == category.id)
        .values(parent_id=category.parent_id)
    )
    db.session.execute(delete(post_categories).where(post_categories.c.category_id == category.id))
    db.session.delete(category)
    db.session.commit()


def save_tag(tag: Tag | None, *, name: str, slug: str = "") -> Tag:
    name = " ".join(name.split())[:200]
    slug = slugify(slug or name)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the tag a name."
    elif not slug:
        errors["slug"] = "Use letters or digits in the slug."
    elif _slug_taken(Tag, slug, tag):
        errors["slug"] = f"The slug “{slug}” is already used by another tag."
    if errors:
        raise FieldErrors(errors)
    if tag is None:
        tag = Tag()
        db.session.add(tag)
    tag.name = name
    tag.slug = slug
    db.session.commit()
    return tag


def delete_tag(tag: Tag) -> None:
    db.session.execute(delete(post_tags).where(post_tags.c.tag_id == tag.id))
    db.session.delete(tag)
    db.session.commit()


def category_choices() -> list[tuple[int, str]]:
    """Every category in tree order, indented by depth: one query, never cached, so a
    category created a second ago is offered."""
    rows = db.session.execute(select(Category.id, Category.name, Category.parent_id)).all()
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered: list[tuple[int, str]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for row in sorted(children.get(parent_id, []), key=lambda r: r.name.lower()):
            ordered.append((row.id, "— " * depth + row.name))
            if depth < 20:  # a loop in bad data must not recurse forever
                walk(row.id, depth + 1)

    walk(None, 0)
    return ordered
