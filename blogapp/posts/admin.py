"""Posts: the list with filters, the editor (save and preview) and deleting."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from blogapp import clock
from blogapp.admin.blueprint import bp
from blogapp.admin.forms import POST_STATUS_CHOICES, EmptyForm, PostForm, as_choices
from blogapp.auth.permissions import may_publish, runs_all_posts, writer_required
from blogapp.authors.services import (
    MAX_BYLINES,
    byline_ids,
    own_profile_id,
    own_profile_ids,
    profile_choices,
)
from blogapp.categories.services import category_choices
from blogapp.content import slugify
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors, show_errors
from blogapp.models import (
    AuthorProfile,
    Category,
    Media,
    Post,
    PostStatus,
    Tag,
    User,
    post_bylines,
    post_categories,
)
from blogapp.permalinks import post_url
from blogapp.posts.editing import (
    fill_post_form,
    local_input_value,
    post_data,
    save_from_editor,
)
from blogapp.posts.services import PostData, apply_post, check_post, delete_post, save_post
from blogapp.revisions.admin import editor_opened

POSTS_PER_ADMIN_PAGE = 20


def _own_posts(user: User):
    """The SQL condition for the posts a contributor or an author may open: those they
    wrote or whose byline names one of their profiles."""
    mine = select(post_bylines.c.post_id).where(
        post_bylines.c.author_id.in_(own_profile_ids(user) or {0})
    )
    return (Post.author_id == user.id) | Post.id.in_(mine)


def _check_may_open(post: Post) -> None:
    """403 for another's post; a contributor's post, once published, is the editors'."""
    user = current_user._get_current_object()
    if runs_all_posts(user):
        return
    own = post.author_id == user.id or bool(set(byline_ids(post)) & own_profile_ids(user))
    if not own or (not may_publish(user) and post.status not in WRITER_STATUSES):
        abort(403)


# What a contributor may set: an editor publishes.
WRITER_STATUSES = (PostStatus.DRAFT, PostStatus.PENDING)


@bp.route("/posts/")
@writer_required
def posts():
    status = request.args.get("status", "")
    category_id = request.args.get("category", type=int)
    author_id = request.args.get("author", type=int)
    search = request.args.get("q", "").strip()[:200]
    now = clock.now()

    stmt = select(Post).options(
        joinedload(Post.author), selectinload(Post.bylines), selectinload(Post.categories)
    )
    if not runs_all_posts(current_user):
        stmt = stmt.where(_own_posts(current_user))
    if status == "scheduled":
        stmt = stmt.where(Post.status == PostStatus.PUBLISHED, Post.published_at > now)
    elif status == PostStatus.PUBLISHED:
        stmt = stmt.where(Post.public(now))
    elif status in dict(POST_STATUS_CHOICES):
        stmt = stmt.where(Post.status == status)
    if category_id:
        stmt = stmt.where(
            Post.id.in_(
                select(post_categories.c.post_id).where(
                    post_categories.c.category_id == category_id
                )
            )
        )
    if author_id:
        stmt = stmt.where(Post.author_id == author_id)
    if search:
        stmt = stmt.where(
            Post.title.ilike(f"%{search}%", escape="\\")
            if "\\" not in search
            else Post.title.contains(search, autoescape=True)
        )
    stmt = stmt.order_by(Post.updated_at.desc(), Post.id.desc())
    pagination = db.paginate(stmt, per_page=POSTS_PER_ADMIN_PAGE, max_per_page=POSTS_PER_ADMIN_PAGE)
    filters = {
        k: v
        for k, v in (
            ("status", status),
            ("category", category_id),
            ("author", author_id),
            ("q", search),
        )
        if v
    }
    return render_template(
        "admin/posts.html",
        pagination=pagination,
        filters=filters,
        statuses=POST_STATUS_CHOICES,
        categories=category_choices(),
        authors=db.session.execute(
            select(User.id, User.login, User.display_name).order_by(User.login)
        ).all(),
        delete_form=EmptyForm(),
    )


def _load_post(post_id: int) -> Post:
    return db.one_or_404(
        select(Post)
        .options(
            joinedload(Post.author),
            selectinload(Post.bylines),
            selectinload(Post.categories),
            selectinload(Post.tags),
        )
        .where(Post.id == post_id)
    )


@bp.route("/posts/new", methods=["GET", "POST"])
@writer_required
def new_post():
    return _editor(None)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@writer_required
def edit_post(post_id: int):
    post = _load_post(post_id)
    _check_may_open(post)
    return _editor(post)


def _byline_choices(post: Post | None) -> list[tuple[int, str]]:
    """Editors name anyone; contributors and authors their own profiles (and whoever
    the post already names)."""
    user = current_user._get_current_object()
    choices = profile_choices()
    if runs_all_posts(user):
        return choices
    # A writer with no profile yet gets their own when the post is saved (save_post).
    allowed = own_profile_ids(user) | set(byline_ids(post) if post else ())
    return [(pid, label) for pid, label in choices if pid in allowed]


def _chosen_bylines(post: Post | None, choices) -> list[int]:
    if request.method == "POST":
        allowed = {pid for pid, _label in choices}
        return [int(v) for v in request.form.getlist("byline") if v.isdigit() and int(v) in allowed]
    if post is not None:
        return byline_ids(post)
    # A new post: its writer's own profile, when they have one (GET changes nothing).
    own = own_profile_id(current_user._get_current_object())
    return [own] if own is not None else []


def _editor(post: Post | None):
    form = PostForm()
    form.categories.choices = as_choices(category_choices())
    user = current_user._get_current_object()
    if not may_publish(user):
        form.status.choices = as_choices(
            [(value, label) for value, label in POST_STATUS_CHOICES if value in WRITER_STATUSES]
        )
    bylines = _byline_choices(post)
    chosen = _chosen_bylines(post, bylines)
    form.featured_media.choices = as_choices(_featured_choices(post))
    if request.method == "GET" and post is not None:
        fill_post_form(form, post)
    editor_opened(form, post)
    conflict = None
    action = request.form.get("action", "save")
    if request.method == "POST" and form.validate():
        data = post_data(form)
        data.byline_ids = chosen
        if (
            post is not None
            and post.status == PostStatus.PUBLISHED
            and (form.publish_at.data == local_input_value(post))
        ):
            data.publish_at = None  # the date shown was not touched: keep it to the second
        if action == "preview":
            errors = check_post(data, post)
            if not errors:
                return _preview(post, data, form)
            show_errors(form, FieldErrors(errors))
        elif action == "save":
            saved, conflict = save_from_editor(
                form, lambda based_on: save_post(post, data, author=user, based_on=based_on)
            )
            if saved is not None:
                flash(_saved_message(saved), "success")
                return redirect(url_for("admin.edit_post", post_id=saved.id))
    return render_template(
        "admin/post_edit.html",
        form=form,
        post=post,
        conflict=conflict,
        recent_media=db.session.scalars(
            select(Media).order_by(Media.created_at.desc(), Media.id.desc()).limit(6)
        ).all(),
        delete_form=EmptyForm(),
        byline_choices=bylines,
        chosen_bylines=chosen,
        byline_slots=max(MAX_BYLINES // 2, len(chosen) + 1),
    ), 409 if conflict else 200


FEATURED_CHOICES = 100


def _featured_choices(post: Post | None) -> list[tuple[int, str]]:
    """The newest images (and the post's own featured one) to choose from: one query."""
    stmt = (
        select(Media.id, Media.original_name, Media.filename)
        .order_by(Media.created_at.desc(), Media.id.desc())
        .limit(FEATURED_CHOICES)
    )
    rows = list(db.session.execute(stmt))
    if (
        post is not None
        and post.featured_media_id
        and all(r.id != post.featured_media_id for r in rows)
    ):
        rows += db.session.execute(
            select(Media.id, Media.original_name, Media.filename).where(
                Media.id == post.featured_media_id
            )
        ).all()
    return [(0, "None"), *((r.id, r.original_name or r.filename) for r in rows)]


def _saved_message(post: Post) -> str:
    if post.is_scheduled:
        return "Post scheduled. Readers will see it at the time you set."
    if post.is_public:
        return "Post published."
    return f"Post saved ({post.status})."


def _preview(post: Post | None, data: PostData, form: PostForm):
    """The post as readers would see it, from the form, without storing anything: a
    transient Post that never joins the session."""
    shown = Post(
        id=post.id if post else None,
        slug=post.slug if post else "preview",
        status=post.status if post else None,
        published_at=post.published_at if post else clock.now(),
        comment_count=0,
        author=post.author if post else current_user._get_current_object(),
    )
    apply_post(shown, data)
    found = {
        p.id: p
        for p in db.session.scalars(
            select(AuthorProfile).where(AuthorProfile.id.in_(data.byline_ids or ()))
        )
    }
    shown.bylines = [found[pid] for pid in data.byline_ids or () if pid in found]
    if data.category_ids:
        shown.categories = list(
            db.session.scalars(select(Category).where(Category.id.in_(data.category_ids)))
        )
    shown.tags = [Tag(name=name, slug=slugify(name)) for name in data.tag_names]
    return render_template(
        "admin/preview.html", preview_of="post", post=shown, form=form, action=request.path
    )


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@writer_required
def delete_post_view(post_id: int):
    post = _load_post(post_id)
    _check_may_open(post)
    name = post.title or f"#{post.id}"
    delete_post(post)
    flash(_("Post “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("admin.posts"))


@bp.app_template_global()
def public_post_url(post: Post) -> str | None:
    """Where readers find a post, or None while they cannot see it."""
    return post_url(post) if post.is_public else None
