"""The queries behind public pages. Each listing is one query for its posts plus
one for their categories, whatever the page number or the number of posts.

Not inside ``blogapp/posts/``: the post page, categories, corrections, search, the
sitemap and related posts all read through it, and the post page links to them, so
this shared piece sits beside the packages and imports none that reads it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from flask import abort, current_app, has_request_context, request
from sqlalchemy import (
    Select,
    bindparam,
    exists,
    extract,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, selectinload

from blogapp import clock
from blogapp.arguments import check_page
from blogapp.content_version import EVERYTHING, SITE, STRUCTURE, remembered
from blogapp.corrections.services import Note, NoteRow, build_notes
from blogapp.extensions import db
from blogapp.models import (
    Category,
    Comment,
    CommentStatus,
    Correction,
    CorrectionVersion,
    Post,
    PostTranslation,
    Reaction,
    ReactionKind,
    Tag,
    post_categories,
    post_tags,
)
from blogapp.translations.services import Version, listing_language, versions_of

RECENT_COMMENTS = 5  # the sidebar's latest comments, as WordPress's widget


@dataclass(frozen=True)
class CategoryNode:
    id: int
    name: str
    slug: str
    parent_id: int | None
    path: str  # "parent/child", as in /category/parent/child/
    depth: int
    description: str
    post_count: int


@dataclass(frozen=True)
class RecentPost:
    id: int
    title: str
    slug: str
    published_at: datetime
    language: str


@dataclass(frozen=True)
class RecentComment:
    id: int
    author_name: str
    post: RecentPost


@dataclass(frozen=True)
class Sidebar:
    categories: list[CategoryNode]  # in tree order
    by_id: dict[int, CategoryNode]
    by_path: dict[str, CategoryNode]
    recent: list[RecentPost]
    months: list[tuple[int, int, int]]  # (year, month, posts)


def sidebar() -> Sidebar:
    """Categories with counts, recent posts and monthly archives: built once per content
    version in each worker, so a page neither queries nor unpickles them. Each part is
    kept under the scope it reads (``blogapp.content_version``): the counts over the whole
    site under the structure, so neither an approved comment nor a typo fixed in a post
    counts them again. The latest comments are apart (``sidebar_comments``): they move
    with every approved comment, the rest does not."""
    return remembered(
        "sidebar",
        None,
        lambda: replace(
            remembered("sidebar_structure", None, _build_sidebar, scope=STRUCTURE, maxsize=4),
            recent=remembered(
                "sidebar_recent", None, lambda: _recent_posts(clock.now()), scope=SITE, maxsize=4
            ),
        ),
        scope=SITE,
        maxsize=4,
    )


def sidebar_comments() -> list[RecentComment]:
    """The sidebar's latest approved comments of public posts, as WordPress's widget: once
    per version of every comment in each worker."""
    return remembered(
        "sidebar_comments", None, lambda: _recent_comments(clock.now()), scope=EVERYTHING, maxsize=4
    )


def sidebar_html(
    render_frame: Callable[[str], str], render_comments: Callable[[], str], language: str
) -> str:
    """The sidebar in the interface's ``language``: ``render_frame(slot)`` renders all of it
    but the latest comments, with ``slot`` where they go, once per site version;
    ``render_comments()`` renders them, once per version of every comment. So an approved
    comment renders only its few lines again in each worker, not the whole sidebar. The
    same object is returned until either moves (``blogapp.page_cache`` encodes and
    hashes each text once). Every kept page's hit asks for it: the joined text is looked
    up first, and its pieces only when a version moved."""

    def joined() -> str:
        frame = remembered(
            "sidebar_frame",
            language,
            lambda: _split_at_slot(render_frame(_SLOT)),
            scope=SITE,
            maxsize=8,
        )
        comments = remembered("sidebar_comments_html", language, render_comments, maxsize=8)
        return frame[0] + comments + frame[1]

    return remembered("sidebar_html", language, joined, maxsize=8)


# Where the latest comments go in the rendered sidebar: a comment that no text can hold.
_SLOT = "<!--sidebar-recent-comments-->"


def _split_at_slot(html: str) -> tuple[str, str]:
    before, found, after = html.partition(_SLOT)
    if not found:
        raise ValueError("the sidebar template lost its recent comments' slot")
    return before, after


def _build_sidebar() -> Sidebar:
    now = clock.now()
    # The public posts' ids from the (status, date) index, then the link table's own
    # index: no post row is read. A join read each linked post's row for its status
    # (1.6 s of CPU at 100,000 posts on SQLite, against 0.09 s this way).
    counts = dict(
        db.session.execute(
            select(post_categories.c.category_id, func.count())
            .where(post_categories.c.post_id.in_(select(Post.id).where(Post.public(now))))
            .group_by(post_categories.c.category_id)
        ).all()
    )
    rows = db.session.execute(
        select(Category.id, Category.name, Category.slug, Category.parent_id, Category.description)
    ).all()
    children: dict[int | None, list] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered: list[CategoryNode] = []

    def walk(parent_id: int | None, prefix: str, depth: int) -> None:
        for row in sorted(children.get(parent_id, []), key=lambda r: r.name.lower()):
            path = f"{prefix}/{row.slug}" if prefix else row.slug
            ordered.append(
                CategoryNode(
                    row.id,
                    row.name,
                    row.slug,
                    row.parent_id,
                    path,
                    depth,
                    row.description,
                    counts.get(row.id, 0),
                )
            )
            if depth < 20:  # a parent loop in bad data must not recurse forever
                walk(row.id, path, depth + 1)

    walk(None, "", 0)

    year = extract("year", Post.published_at)
    month = extract("month", Post.published_at)
    months = [
        (int(y), int(m), n)
        for y, m, n in db.session.execute(
            select(year, month, func.count())
            .where(Post.public(now))
            .group_by(year, month)
            .order_by(year.desc(), month.desc())
        )
    ]
    return Sidebar(
        categories=ordered,
        by_id={c.id: c for c in ordered},
        by_path={c.path: c for c in ordered},
        recent=[],
        months=months,
    )


def _recent_posts(now) -> list[RecentPost]:
    return [
        RecentPost(*r)
        for r in db.session.execute(
            select(Post.id, Post.title, Post.slug, Post.published_at, Post.language)
            .where(Post.public(now))
            .order_by(Post.published_at.desc(), Post.id.desc())
            .limit(5)
        )
    ]


def _recent_comments(now) -> list[RecentComment]:
    """The five latest approved comments of public posts, as WordPress's widget."""
    # The post's being public is asked of each comment (EXISTS), so SQLite walks the
    # approved comments newest first and stops at five. With the condition in the join,
    # it drove from the public posts and sorted all their comments: 5.8 s of CPU at a
    # million comments.
    public = aliased(Post, name="public_post")
    return [
        RecentComment(r[0], r[1], RecentPost(*r[2:]))
        for r in db.session.execute(
            select(
                Comment.id,
                Comment.author_name,
                Post.id,
                Post.title,
                Post.slug,
                Post.published_at,
                Post.language,
            )
            .join(Post, Post.id == Comment.post_id)
            .where(
                Comment.status == CommentStatus.APPROVED,
                exists().where(public.id == Comment.post_id, public.public(now)),
            )
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(RECENT_COMMENTS)
        )
    ]


@dataclass(frozen=True)
class Term:
    id: int
    name: str
    slug: str


@dataclass(frozen=True)
class PostTerms:
    categories: list[Term]
    tags: list[Term]


# A post's categories and tags in one query, built once (each post page binds its id).
# Eager-loading both with joins makes SQLite materialize the whole link tables (about
# 20 ms with 10,000 posts); two selectin loads would cost two queries.
_POST_TERMS = union_all(
    select(literal_column("'category'").label("kind"), Category.id, Category.name, Category.slug)
    .join(post_categories, post_categories.c.category_id == Category.id)
    .where(post_categories.c.post_id == bindparam("post")),
    select(literal_column("'tag'"), Tag.id, Tag.name, Tag.slug)
    .join(post_tags, post_tags.c.tag_id == Tag.id)
    .where(post_tags.c.post_id == bindparam("post")),
)


def post_terms(post_id: int) -> PostTerms:
    """A post's categories and tags, each sorted by name."""
    found: dict[str, list[Term]] = {"category": [], "tag": []}
    for row in db.session.execute(_POST_TERMS, {"post": post_id}):
        found[row.kind].append(Term(row.id, row.name, row.slug))
    return PostTerms(
        categories=sorted(found["category"], key=lambda t: t.name),
        tags=sorted(found["tag"], key=lambda t: t.name),
    )


_TAG_BY_SLUG = select(Tag).where(Tag.slug == bindparam("slug"))


def tag_by_slug(slug: str) -> Tag:
    """The tag a tag archive or feed shows; 404 when there is none."""
    found = db.session.scalar(_TAG_BY_SLUG, {"slug": slug})
    if found is None:
        abort(404)
    return found


# A category listing walks the site's newest posts when at least one post in this many
# is in the category (see public_posts).
CATEGORY_WALK_SHARE = 20


def _is_large(category_ids: list[int]) -> bool:
    """Whether these categories hold at least 1/CATEGORY_WALK_SHARE of the public posts,
    by the sidebar's counts (kept per content version: no query)."""
    side = sidebar()
    total = sum(n for _, _, n in side.months)
    in_categories = sum(side.by_id[i].post_count for i in category_ids if i in side.by_id)
    return total > 0 and in_categories * CATEGORY_WALK_SHARE >= total


@dataclass(frozen=True, slots=True)
class ShownPost:
    """A post a held listing page shows whose summary the static export already holds:
    only its id, for ``post_summary`` to leave the summary's place in the page."""

    id: int


@dataclass
class HeldListing:
    """A listing page as the static export already knows it from its inventory: the
    ids it shows and whether an older page follows. Given (``HELD_LISTING``) only with
    the export's own request for that page (in its WSGI environ, where no reader's
    request can put an object), so the live site never reads it."""

    page: int
    ids: tuple[int, ...]
    has_next: bool
    known: frozenset[int]  # posts whose summary the export holds: not loaded
    rendered: dict[int, str] = field(default_factory=dict)  # post id -> summary HTML


HELD_LISTING = "blogapp.held_listing"  # the key in the request's WSGI environ


def held_listing() -> HeldListing | None:
    """The listing page the static export holds for this request, if any."""
    return request.environ.get(HELD_LISTING) if has_request_context() else None


_HELD_POSTS = (
    select(Post)
    .options(
        selectinload(Post.bylines),
        selectinload(Post.categories),
        *Post.long_text_left_out(),
    )
    .where(Post.id.in_(bindparam("ids", expanding=True)))
)


def _held_posts(held: HeldListing) -> tuple[list, bool]:
    """The held page's posts: the ones whose summary the export needs loaded as the
    listing loads them (one query and two), the others as ``ShownPost``."""
    wanted = [i for i in held.ids if i not in held.known]
    loaded = {}
    if wanted:
        loaded = {post.id: post for post in db.session.scalars(_HELD_POSTS, {"ids": wanted})}
    return [loaded.get(i) or ShownPost(i) for i in held.ids], held.has_next


def public_posts(where=(), page: int = 1, join_category_ids: list[int] | None = None):
    """A page of public posts, newest first: ``(posts, has_next)``.

    The page is chosen by an index-only subquery of ids (indexed offset), so
    deep pages cost about what the first does; 404 past the last page. During the
    static export's request for a listing page, the page it holds (``held_listing``)."""
    check_page(page)
    if (held := held_listing()) is not None and held.page == page:
        return _held_posts(held)
    per_page = current_app.config["POSTS_PER_PAGE"]
    if (language := listing_language()) is not None:  # ?lang=km on any listing
        where = (*where, Post.language == language)
    ids: Select = select(Post.id).where(Post.public(), *where)
    if join_category_ids is not None and _is_large(join_category_ids):
        # A category with a good share of the posts: walk the (status, date) index newest
        # first and look each post up in the link table's primary key, stopping at the
        # page: ~CATEGORY_WALK_SHARE lookups a post shown, however large the site. The
        # list below would collect every post of the category first (5 ms at 100,000
        # posts for a sixth of them).
        ids = ids.where(
            exists().where(
                post_categories.c.post_id == Post.id,
                post_categories.c.category_id.in_(join_category_ids),
            )
        )
    elif join_category_ids is not None:
        # A small category: its posts' ids, listed once, cost less than a walk through
        # the whole site's newest posts in search of a few. "+posts.id" (unary plus)
        # stops SQLite from driving the query from the link table, which reads every
        # whole post row of the category to check its status; it walks the (status,
        # date) index instead and stops at the page.
        ids = ids.where(
            literal_column("+posts.id").in_(
                select(post_categories.c.post_id).where(
                    post_categories.c.category_id.in_(join_category_ids)
                )
            )
        )
    offset, limit = (page - 1) * per_page, per_page + 1
    newest_first = (Post.published_at.desc(), Post.id.desc())
    order = newest_first
    if not where and join_category_ids is None and offset:
        # A deep page of the whole site: an OFFSET reads every index entry it skips, so a
        # page past the middle walks from the oldest post, the shorter way (at 100,000
        # posts the page before the last skipped 99,980 entries, 6.5 ms). The same rows:
        # the outer query orders them newest first again.
        total = public_total()
        if total // 2 < offset < total:
            end = min(offset + limit, total)
            offset, limit = total - end, end - offset
            order = (Post.published_at.asc(), Post.id.asc())
    ids = ids.order_by(*order).offset(offset).limit(limit)
    posts = list(
        db.session.scalars(
            select(Post)
            .options(
                selectinload(Post.bylines),
                selectinload(Post.categories),
                *Post.long_text_left_out(),  # a summary shows the excerpt
            )
            .where(Post.id.in_(ids.scalar_subquery()))
            .order_by(*newest_first)
        )
    )
    if not posts and page > 1:
        abort(404)
    return posts[:per_page], len(posts) > per_page


def public_total() -> int:
    """How many posts are public: counted once per structure version in each worker (a
    post published, unpublished or going public on its schedule moves it)."""
    return remembered(
        "public_total",
        None,
        lambda: db.session.scalar(select(func.count()).select_from(Post).where(Post.public())) or 0,
        scope=STRUCTURE,
        maxsize=2,
    )


@dataclass(frozen=True)
class PostExtras:
    """What a post page shows besides the post: its notes and its language versions."""

    notes: list[Note]
    versions: list[Version]  # empty, or every public version, this one included


NO_EXTRAS = PostExtras([], [])


def has_extras(post_id_column):
    """A column for the post page's own query: whether the post has notes or is linked
    with translations, so a post with neither costs no query more."""
    return or_(
        exists().where(Correction.post_id == post_id_column),
        exists().where(PostTranslation.post_id == post_id_column),
    ).label("has_extras")


def reaction_counts(post_id_column):
    """Two columns for the post page's own query: the likes and the boosts the post
    received from the fediverse, so showing them costs no query more."""

    def count(kind: str):
        return (
            select(func.count())
            .select_from(Reaction)
            .where(Reaction.post_id == post_id_column, Reaction.kind == kind)
            .scalar_subquery()
        )

    return count(ReactionKind.LIKE).label("likes"), count(ReactionKind.ANNOUNCE).label("boosts")


def post_extras(post_id: int) -> PostExtras:
    """A post's notes (each version of each) and its public translations, in one query;
    kept once per content version in each worker."""
    return remembered("post_extras", post_id, lambda: _build_extras(post_id), scope=SITE)


def _build_extras(post_id: int) -> PostExtras:
    notes = (
        select(
            literal_column("'note'").label("kind"),
            Correction.id,
            Correction.kind,
            Correction.body_html,
            Correction.noted_at,
            Correction.updated_at,
            CorrectionVersion.body_html,
            CorrectionVersion.created_at,
            CorrectionVersion.id,
        )
        .join(CorrectionVersion, CorrectionVersion.correction_id == Correction.id)
        .where(Correction.post_id == post_id)
    )
    mine = aliased(PostTranslation)
    versions = (
        select(
            literal_column("'version'"),
            Post.id,
            Post.language,
            Post.title,
            Post.published_at,
            Post.published_at,
            Post.slug,
            Post.published_at,
            Post.id,
        )
        .join(PostTranslation, PostTranslation.post_id == Post.id)
        .join(mine, mine.group_id == PostTranslation.group_id)
        .where(mine.post_id == post_id, Post.public())
    )
    rows = db.session.execute(union_all(notes, versions)).all()
    note_rows = sorted((r for r in rows if r[0] == "note"), key=lambda r: (r[4], r[1], r[8]))
    version_rows = sorted((r for r in rows if r[0] == "version"), key=lambda r: (r[2], r[1]))
    return PostExtras(
        notes=build_notes(
            NoteRow(r[1], post_id, r[2], r[3], r[4], r[5], r[6], r[7]) for r in note_rows
        ),
        versions=versions_of([Version(r[1], r[3], r[6], r[4], r[2]) for r in version_rows]),
    )
