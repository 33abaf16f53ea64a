"""The editor's desk in the admin: the history of a post or page, comparing two
revisions, restoring one, autosave, and making or revoking share-preview links.
(Routes of the ``admin`` blueprint: ``private, no-store`` like every admin page.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from blogapp import clock
from blogapp.admin.blueprint import bp
from blogapp.auth.permissions import editor_required
from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.field_errors import FieldErrors
from blogapp.models import REVISION_AUTOSAVE, Page, Post, Revision
from blogapp.revisions import services
from blogapp.revisions.preview import can_share, preview_link, revoke, share

KINDS = {"posts": Post, "pages": Page}


def _load(kind: str, item_id: int) -> Post | Page:
    """The post or page of an address ``/admin/<kind>/<id>/…`` (kind: posts or pages)."""
    model = KINDS.get(kind)
    if model is None:
        abort(404)
    stmt = select(model).where(model.id == item_id)
    if model is Post:
        stmt = stmt.options(
            joinedload(Post.author),
            selectinload(Post.bylines),
            selectinload(Post.categories),
            selectinload(Post.tags),
        )
    return db.one_or_404(stmt)


def _edit_url(item: Post | Page, **args) -> str:
    if isinstance(item, Post):
        return url_for("admin.edit_post", post_id=item.id, **args)
    return url_for("admin.edit_page", page_id=item.id, **args)


def _kind(item: Post | Page) -> str:
    return "posts" if isinstance(item, Post) else "pages"


def editor_opened(form, item: Post | Page | None) -> None:
    """When the editor is opened (GET): note the version it shows, and with
    ``?autosave=ID`` put that autosave's text in the form (nothing is saved until Save)."""
    if request.method != "GET" or item is None:
        return
    latest = services.latest_saved(item)
    form.based_on.data = str(latest.id if latest else 0)
    wanted = request.args.get("autosave", type=int)
    autosave = services.revision_of(item, wanted) if wanted else None
    if autosave is not None and autosave.kind == REVISION_AUTOSAVE:
        form.title.data, form.body.data = autosave.title, autosave.body
        form.content_format.data = autosave.content_format
        if hasattr(form, "excerpt"):
            form.excerpt.data = autosave.excerpt
        flash(
            _(
                "The autosaved text is in the editor. Save to keep it; leave without saving "
                "to keep the last saved version."
            ),
            "success",
        )


# -- what the editor's includes ask for (admin pages only) ----------------------------


@bp.app_template_global()
def revision_history(item: Post | Page | None) -> list[Revision]:
    return services.history(item) if item is not None and item.id else []


@bp.app_template_global()
def autosave_offer(item: Post | Page | None) -> Revision | None:
    return services.newer_autosave(item) if item is not None and item.id else None


@bp.app_template_global()
def revision_diff(old, new):
    return services.compare(old, new)


@bp.app_template_global()
def autosave_url(item: Post | Page | None, kind: str = "posts") -> str:
    """Where the editor's script sends its autosaves: for a post not saved yet, the
    address whose first autosave stores it as a draft (pages need a title first)."""
    if item is None or not item.id:
        return url_for("admin.autosave_new_post") if kind == "posts" else ""
    return url_for("admin.autosave", kind=_kind(item), item_id=item.id)


@bp.app_template_global()
def share_preview_state(item: Post | Page | None) -> dict | None:
    """For the editor's box: whether the post may be shared, and its link if made."""
    if not isinstance(item, Post) or not item.id:
        return None
    return {"allowed": can_share(item), "link": preview_link(item) if can_share(item) else None}


# -- routes -----------------------------------------------------------------------------


@bp.route("/<kind>/<int:item_id>/revisions/compare")
@editor_required
def compare_revisions(kind: str, item_id: int):
    """Two revisions side by side as a diff (``?a=ID&b=ID``; b empty: the current text)."""
    item = _load(kind, item_id)
    old = services.revision_of(item, request.args.get("a", type=int) or 0)
    new_id = request.args.get("b", type=int)
    new = services.revision_of(item, new_id) if new_id else item
    if old is None or new is None:
        abort(404)
    if isinstance(new, Revision) and new.id < old.id:
        old, new = new, old
    return render_template(
        "admin/revision_compare.html",
        item=item,
        old=old,
        new=new,
        kind=kind,
        diff=services.compare(old, new),
        edit_url=_edit_url(item),
    )


@dataclass(frozen=True)
class Savers:
    """How a post or page is saved again: ``restore(item, revision, author=…)`` saves
    ``item`` with a revision's text; ``new_draft(draft, author=…)`` stores the first
    autosave of a post never saved, as a draft. The posts feature registers them
    (``blogapp.posts.init_app``): saving runs the posts' rules, which record the
    revision, so this package never imports them."""

    restore: Callable[..., Post | Page]
    new_draft: Callable[..., Post]


def use_savers(app, savers: Savers) -> None:
    app.extensions["blogapp.revisions.savers"] = savers


def _savers() -> Savers:
    return current_app.extensions["blogapp.revisions.savers"]


@bp.route("/<kind>/<int:item_id>/revisions/<int:revision_id>/restore", methods=["POST"])
@editor_required
def restore_revision(kind: str, item_id: int, revision_id: int):
    item = _load(kind, item_id)
    revision = services.revision_of(item, revision_id)
    if revision is None:
        abort(404)
    try:
        _savers().restore(item, revision, author=current_user._get_current_object())
    except FieldErrors as error:
        db.session.rollback()
        flash(
            _("That revision cannot be restored as it is: ") + "; ".join(error.errors.values()),
            "error",
        )
    else:
        when = to_local(revision.created_at).strftime("%d %b %Y %H:%M")
        flash(
            f"Restored the revision of {when}. What it replaced is kept in the history.", "success"
        )
    return redirect(_edit_url(item))


@bp.route("/<kind>/<int:item_id>/autosave", methods=["POST"])
@editor_required
def autosave(kind: str, item_id: int):
    """The editor's script sends the text here every AUTOSAVE_SECONDS and when the page
    is left (with the form's CSRF token; without it Flask-WTF answers 400)."""
    item = _load(kind, item_id)
    revision = services.autosave(
        item, services.Draft.from_form(request.form), author=current_user._get_current_object()
    )
    return jsonify(
        saved=True, id=revision.id, at=to_local(revision.created_at).strftime("%H:%M:%S")
    )


@bp.route("/posts/autosave", methods=["POST"])
@editor_required
def autosave_new_post():
    """The first autosave of a post never saved: store it as a draft (so the text is on
    the server even if the tab closes now) and tell the script where it lives."""
    draft = services.Draft.from_form(request.form)
    if not (draft.title.strip() or draft.body.strip()):
        return jsonify(saved=False)
    post = _savers().new_draft(draft, author=current_user._get_current_object())
    latest = services.latest_saved(post)
    return jsonify(
        saved=True,
        id=latest.id if latest else None,
        at=to_local(clock.now()).strftime("%H:%M:%S"),
        edit_url=_edit_url(post),
        autosave_url=url_for("admin.autosave", kind="posts", item_id=post.id),
        based_on=str(latest.id if latest else 0),
        message=_l("Saved as a draft, so nothing is lost if this tab closes."),
    )


@bp.route("/posts/<int:post_id>/share-preview", methods=["POST"])
@editor_required
def share_preview(post_id: int):
    post = _load("posts", post_id)
    if not can_share(post):
        flash(
            _(
                "Only a draft, pending or scheduled post has a share-preview link; a "
                "published post has its own address."
            ),
            "error",
        )
    else:
        share(post, by=current_user._get_current_object())
        flash(
            _("Share-preview link made: anyone with it can read this post until you revoke it."),
            "success",
        )
    return redirect(_edit_url(post) + "#share-preview")


@bp.route("/posts/<int:post_id>/share-preview/revoke", methods=["POST"])
@editor_required
def revoke_share_preview(post_id: int):
    post = _load("posts", post_id)
    revoke(post)
    flash(_("Share-preview link revoked: it no longer opens the post."), "success")
    return redirect(_edit_url(post) + "#share-preview")


@bp.app_template_global()
def autosave_seconds() -> int:
    return int(current_app.config["AUTOSAVE_SECONDS"])
