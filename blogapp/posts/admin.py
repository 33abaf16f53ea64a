"""Posts: the list with filters, the editor (save and preview) and deleting."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from blogapp import clock
from blogapp.admin.blueprint import bp
from blogapp.admin.forms import POST_STATUS_CHOICES, EmptyForm, PostForm, as_choices
from blogapp.auth.permissions import editor_required
from blogapp.categories.services import category_choices
from blogapp.content import slugify
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors, show_errors
from blogapp.models import Category, Media, Post, PostStatus, Tag, User, post_categories
from blogapp.permalinks import post_url
from blogapp.posts.editing import fill_post_form, local_input_value, post_data
from blogapp.posts.services import PostData, apply_post, check_post, delete_post, save_post
from blogapp.revisions.admin import editor_opened
from blogapp.revisions.services import StaleSave, parse_based_on

POSTS_PER_ADMIN_PAGE = 20


@bp.route("/posts/")
@editor_required
def posts():
    status = request.args.get("status", "")
    category_id = request.args.get("category", type=int)
    author_id = request.args.get("author", type=int)
    search = request.args.get("q", "").strip()[:200]
    now = clock.now()

    stmt = select(Post).options(joinedload(Post.author), selectinload(Post.categories))
    if status == "scheduled":
        stmt = stmt.where(Post.status == PostStatus.PUBLISHED, Post.published_at > now)
    elif status == PostStatus.PUBLISHED:
        stmt = stmt.where(Post.public(now))
    elif status in dict(POST_STATUS_CHOICES):
        stmt = stmt.where(Post.status == status)
    if category_id:
        stmt = stmt.where(Post.id.in_(
            select(post_categories.c.post_id).where(post_categories.c.category_id == category_id)
        ))  # fmt: skip
    if author_id:
        stmt = stmt.where(Post.author_id == author_id)
    if search:
        stmt = stmt.where(Post.title.ilike(f"%{search}%", escape="\\") if "\\" not in search
                          else Post.title.contains(search, autoescape=True))
    stmt = stmt.order_by(Post.updated_at.desc(), Post.id.desc())
    pagination = db.paginate(stmt, per_page=POSTS_PER_ADMIN_PAGE, max_per_page=POSTS_PER_ADMIN_PAGE)
    filters = {k: v for k, v in (("status", status), ("category", category_id),
                                 ("author", author_id), ("q", search)) if v}
    return render_template(
        "admin/posts.html", pagination=pagination, filters=filters,
        statuses=POST_STATUS_CHOICES, categories=category_choices(),
        authors=db.session.execute(select(User.id, User.login, User.display_name)
                                   .order_by(User.login)).all(),
        delete_form=EmptyForm(),
    )  # fmt: skip


def _load_post(post_id: int) -> Post:
    return db.one_or_404(
        select(Post)
        .options(joinedload(Post.author), selectinload(Post.categories), selectinload(Post.tags))
        .where(Post.id == post_id)
    )


@bp.route("/posts/new", methods=["GET", "POST"])
@editor_required
def new_post():
    return _editor(None)


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@editor_required
def edit_post(post_id: int):
    return _editor(_load_post(post_id))


def _editor(post: Post | None):
    form = PostForm()
    form.categories.choices = as_choices(category_choices())
    form.featured_media.choices = as_choices(_featured_choices(post))
    if request.method == "GET" and post is not None:
        fill_post_form(form, post)
    editor_opened(form, post)
    conflict = None
    action = request.form.get("action", "save")
    if request.method == "POST" and form.validate():
        data = post_data(form)
        if post is not None and post.status == PostStatus.PUBLISHED and (
            form.publish_at.data == local_input_value(post)
        ):
            data.publish_at = None  # the date shown was not touched: keep it to the second
        if action == "preview":
            errors = check_post(data, post)
            if not errors:
                return _preview(post, data, form)
            show_errors(form, FieldErrors(errors))
        elif action == "save":
            try:
                saved = save_post(post, data, author=current_user._get_current_object(),
                                  based_on=parse_based_on(form.based_on.data))
            except StaleSave as stale:
                conflict = stale
                form.based_on.data = str(stale.latest.id)
            except FieldErrors as error:
                show_errors(form, error)
            else:
                flash(_saved_message(saved), "success")
                return redirect(url_for("admin.edit_post", post_id=saved.id))
    return render_template(
        "admin/post_edit.html", form=form, post=post, conflict=conflict,
        recent_media=db.session.scalars(
            select(Media).order_by(Media.created_at.desc(), Media.id.desc()).limit(6)
        ).all(),
        delete_form=EmptyForm(),
    ), 409 if conflict else 200  # fmt: skip


FEATURED_CHOICES = 100


def _featured_choices(post: Post | None) -> list[tuple[int, str]]:
    """The newest images (and the post's own featured one) to choose from: one query."""
    stmt = select(Media.id, Media.original_name, Media.filename).order_by(
        Media.created_at.desc(), Media.id.desc()).limit(FEATURED_CHOICES)
    rows = list(db.session.execute(stmt))
    if post is not None and post.featured_media_id and all(
            r.id != post.featured_media_id for r in rows):
        rows += db.session.execute(select(Media.id, Media.original_name, Media.filename)
                                   .where(Media.id == post.featured_media_id)).all()
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
        id=post.id if post else None, slug=post.slug if post else "preview",
        status=post.status if post else None,
        published_at=post.published_at if post else clock.now(), comment_count=0,
        author=post.author if post else current_user._get_current_object(),
    )  # fmt: skip
    apply_post(shown, data)
    if data.category_ids:
        shown.categories = list(
            db.session.scalars(select(Category).where(Category.id.in_(data.category_ids)))
        )
    shown.tags = [Tag(name=name, slug=slugify(name)) for name in data.tag_names]
    return render_template("admin/preview.html", preview_of="post", post=shown, form=form,
                           action=request.path)


@bp.route("/posts/<int:post_id>/delete", methods=["POST"])
@editor_required
def delete_post_view(post_id: int):
    post = _load_post(post_id)
    name = post.title or f"#{post.id}"
    delete_post(post)
    flash(f"Post “{name}” deleted.", "success")
    return redirect(url_for("admin.posts"))


@bp.app_template_global()
def public_post_url(post: Post) -> str | None:
    """Where readers find a post, or None while they cannot see it."""
    return post_url(post) if post.is_public else None
