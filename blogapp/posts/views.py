"""What readers browse: the front page, posts, date, author and tag archives, and
static pages, at WordPress's URLs so a blog that moves in keeps its links."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import bindparam, literal_column, or_, select
from sqlalchemy.orm import joinedload

from blogapp import clock
from blogapp.arguments import whole_number
from blogapp.authors.services import old_author_slug, profile_posts
from blogapp.comments.section import comment_section
from blogapp.dates import format_day, format_month, local_to_utc, to_local
from blogapp.digits import page_digits
from blogapp.extensions import db
from blogapp.interface_language import current_language
from blogapp.models import AuthorProfile, Page, Post, PostStatus, Redirect, post_tags
from blogapp.permalinks import post_url
from blogapp.post_queries import (
    NO_EXTRAS,
    has_extras,
    post_extras,
    post_terms,
    public_posts,
    reaction_counts,
    tag_by_slug,
)
from blogapp.search import search_results
from blogapp.seo.related import post_neighbours

bp = Blueprint("posts", __name__)


@bp.route("/")
@bp.route("/page/<int:page>/")
def index(page: int = 1):
    if "s" in request.args:
        return search_results(page)
    if request.view_args.get("page") == 1:
        return redirect(url_for("posts.index"), 301)
    if (post_id := request.args.get("p", type=whole_number)) is not None:
        return _redirect_to_post(post_id)
    if (page_id := request.args.get("page_id", type=whole_number)) is not None:
        found = db.first_or_404(
            select(Page)
            .where(or_(Page.wp_id == page_id, Page.id == page_id))
            .where(Page.status == PostStatus.PUBLISHED)
            .order_by(Page.wp_id == page_id)
            .limit(1)
        )
        return redirect(url_for("posts.page", slug=found.slug), 301)
    posts, has_next = public_posts(page=page)
    return render_template(
        "posts/index.html",
        posts=posts,
        page=page,
        has_next=has_next,
        endpoint="posts.index",
        endpoint_args={},
    )


def _redirect_to_post(post_id: int):
    """``/?p=ID``: a WordPress id of an imported post first, then our own id."""
    candidates = db.session.scalars(
        select(Post).where(or_(Post.wp_id == post_id, Post.id == post_id)).where(Post.public())
    ).all()
    if not candidates:
        abort(404)
    chosen = next((p for p in candidates if p.wp_id == post_id), candidates[0])
    return redirect(post_url(chosen), 301)


# The post page's own query, built once: a request binds only its slug and the time, so
# SQLAlchemy neither builds the statement again nor computes its cache key again. The
# bylines joined: a post page costs no query more for them.
_POST_PAGE = (
    select(Post, has_extras(Post.id), *reaction_counts(Post.id))
    .options(joinedload(Post.bylines))
    .where(
        Post.slug == bindparam("slug"),
        Post.public(bindparam("now", type_=Post.published_at.type)),
    )
)


@bp.route("/<int:year>/<int(fixed_digits=2):month>/<int(fixed_digits=2):day>/<slug>/")
def detail(year: int, month: int, day: int, slug: str):
    found = db.session.execute(_POST_PAGE, {"slug": slug, "now": clock.now()}).unique().first()
    if found is None:
        return _moved_or_404()
    post, extras_exist, likes, boosts = found
    local = to_local(post.published_at)
    if (year, month, day) != (local.year, local.month, local.day):
        # Another post owns the slug; an imported one whose slug had to change left a
        # redirect from its old permalink, which wins over the date fix-up.
        moved = db.session.scalar(
            select(Redirect.new_path).where(Redirect.old_path == request.path)
        )
        return redirect(moved or post_url(post), 301)
    cpage = request.args.get("cpage", type=whole_number) if "cpage" in request.args else 1
    comments = comment_section(  # one query for the whole thread
        post, cpage=cpage, replying_to=request.args.get("replytocom", type=whole_number)
    )
    if comments is None:
        abort(404)
    terms = post_terms(post.id)
    extras = post_extras(post.id) if extras_exist else NO_EXTRAS
    return render_template(
        "posts/detail.html",
        post=post,
        terms=terms,
        neighbours=post_neighbours(post, terms),
        notes=extras.notes,
        versions=extras.versions,
        reactions=(likes, boosts),
        **comments,
    )


def _moved_or_404():
    """An old path recorded in ``redirects`` (a changed slug, an import) moves; else 404."""
    target = db.one_or_404(select(Redirect.new_path).where(Redirect.old_path == request.path))
    return redirect(target, 301)


def _month_range(year: int, month: int | None, day: int | None) -> tuple[datetime, datetime]:
    try:
        start = datetime(year, month or 1, day or 1)
    except ValueError:
        abort(404)
    if day:
        end = start + timedelta(days=1)
    elif month:
        end = datetime(year + (month == 12), month % 12 + 1, 1)
    else:
        end = datetime(year + 1, 1, 1)
    return local_to_utc(start), local_to_utc(end)


@bp.route("/<int:year>/")
@bp.route("/<int:year>/page/<int:page>/")
@bp.route("/<int:year>/<int(fixed_digits=2):month>/")
@bp.route("/<int:year>/<int(fixed_digits=2):month>/page/<int:page>/")
@bp.route("/<int:year>/<int(fixed_digits=2):month>/<int(fixed_digits=2):day>/")
@bp.route("/<int:year>/<int(fixed_digits=2):month>/<int(fixed_digits=2):day>/page/<int:page>/")
def archive(year: int, month: int | None = None, day: int | None = None, page: int = 1):
    if not 1000 <= year <= 9998:
        abort(404)
    start, end = _month_range(year, month, day)
    posts, has_next = public_posts(
        where=(Post.published_at >= start, Post.published_at < end), page=page
    )
    if not posts:
        abort(404)
    if day:
        heading = format_day(year, month, day)
    elif month:
        heading = format_month(year, month)
    else:
        heading = page_digits(str(year))
    args = {k: v for k, v in (("year", year), ("month", month), ("day", day)) if v}
    return render_template(
        "posts/index.html",
        posts=posts,
        page=page,
        has_next=has_next,
        browsing=("date", heading),
        endpoint="posts.archive",
        endpoint_args=args,
    )


_PROFILE_PAGE = (
    select(AuthorProfile)
    .options(joinedload(AuthorProfile.photo))
    .where(AuthorProfile.slug == bindparam("slug"))
)


@bp.route("/author/<slug>/")
@bp.route("/author/<slug>/page/<int:page>/")
def author(slug: str, page: int = 1):
    """An author's profile and archive (blogapp.authors). An old ``/author/<login>/``
    of an account moves to its profile; a pen name is never reached that way."""
    profile = db.session.scalar(_PROFILE_PAGE, {"slug": slug})
    if profile is None:
        moved = old_author_slug(slug)
        if moved is None:
            abort(404)
        args = {"page": page} if page > 1 else {}
        return redirect(url_for("posts.author", slug=moved, **args), 301)
    posts, has_next = public_posts(where=(profile_posts(profile.id),), page=page)
    if not posts:
        abort(404)  # a profile with nothing public yet is not shown
    return render_template(
        "posts/index.html",
        posts=posts,
        page=page,
        has_next=has_next,
        profile=profile,
        browsing=("author", profile.name_in(current_language())),
        endpoint="posts.author",
        endpoint_args={"slug": slug},
    )


@bp.route("/tag/<slug>/")
@bp.route("/tag/<slug>/page/<int:page>/")
def tag(slug: str, page: int = 1):
    found = tag_by_slug(slug)
    tagged = select(post_tags.c.post_id).where(post_tags.c.tag_id == found.id)
    # "+posts.id": walk the date index, not every tagged post's row (see public_posts).
    posts, has_next = public_posts(where=(literal_column("+posts.id").in_(tagged),), page=page)
    return render_template(
        "posts/index.html",
        posts=posts,
        page=page,
        has_next=has_next,
        tag=found,
        browsing=("tag", found.name),
        endpoint="posts.tag",
        endpoint_args={"slug": slug},
    )


@bp.route("/<slug>/")
def page(slug: str):
    found = db.session.scalar(
        select(Page).where(Page.slug == slug, Page.status == PostStatus.PUBLISHED)
    )
    if found is None:
        return _moved_or_404()
    return render_template("posts/page.html", page_obj=found)
