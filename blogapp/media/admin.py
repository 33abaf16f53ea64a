"""The media screen: upload an image with its caption and credit, list uploads, and
copy a ready-made figure snippet into a post (no JavaScript needed)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import select

from blogapp.admin.blueprint import bp
from blogapp.admin.forms import UploadForm
from blogapp.auth.permissions import editor_required
from blogapp.extensions import db
from blogapp.media.storage import ImageRejected, store_image
from blogapp.models import Media

MEDIA_PER_PAGE = 30


@bp.app_template_global()
def figure_snippet(media: Media) -> str:
    """The HTML an author pastes into a post (Markdown keeps raw HTML as it is)."""
    src = url_for("media.uploaded", filename=media.filename)
    img = Markup('<img src="{}" alt="{}" width="{}" height="{}">').format(
        src, media.alt, media.width, media.height
    )
    parts = [escape(media.caption.strip())] if media.caption.strip() else []
    if media.credit.strip():
        parts.append(Markup("Image Credit: {}").format(media.credit.strip()))
    caption = Markup(" — ").join(parts)
    if caption:
        return str(Markup("<figure>{}<figcaption>{}</figcaption></figure>").format(img, caption))
    return str(Markup("<figure>{}</figure>").format(img))


@bp.route("/media/", methods=["GET", "POST"])
@editor_required
def media():
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            stored = store_image(
                upload.stream,
                upload.filename or "",
                alt=form.alt.data or "",
                caption=form.caption.data or "",
                credit=form.credit.data or "",
                uploaded_by=current_user._get_current_object(),
            )
        except ImageRejected as error:
            db.session.rollback()
            form.file.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("Uploaded %(name)s.", name=stored.original_name or stored.filename), "success")
            return redirect(url_for("admin.media"))
    items = db.paginate(
        select(Media).order_by(Media.created_at.desc(), Media.id.desc()),
        per_page=MEDIA_PER_PAGE,
        max_per_page=MEDIA_PER_PAGE,
    )
    status = 400 if form.errors else 200
    return render_template("admin/media.html", form=form, items=items), status
