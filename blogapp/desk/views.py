"""The writer's desk's helpers for the post editor's script (static/js/desk.js):
clipboard HTML to Markdown, the live preview with its word count, and images
dropped or pasted into the text. Each is a POST with the form's CSRF token and
answers JSON that no cache keeps; the editor works without them."""

from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user

from blogapp.admin.blueprint import bp
from blogapp.admin.forms import UploadForm
from blogapp.auth.permissions import editor_required
from blogapp.content import html_to_text, render_body, site_host
from blogapp.desk.checklist import Draft, check_post_draft
from blogapp.desk.counting import count_text
from blogapp.extensions import db
from blogapp.media.admin import figure_snippet
from blogapp.media.storage import ImageRejected, store_image
from blogapp.models import FORMAT_MARKDOWN
from blogapp.posts.services import PostData, save_post

MAX_PREVIEW_CHARS = 1_000_000


def _private(response, status: int = 200):
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/desk/paste", methods=["POST"])
@editor_required
def desk_paste():
    """The clipboard's HTML as Markdown, for the script to put at the cursor."""
    # Here, not at the top: lxml loads in the worker a writer uses, never a reader's.
    from blogapp.desk.paste import PasteRejected, html_to_markdown

    try:
        markdown = html_to_markdown(request.form.get("html", ""))
    except PasteRejected as error:
        return _private(jsonify(error=str(error)), 400)
    return _private(jsonify(markdown=markdown))


@bp.route("/desk/preview", methods=["POST"])
@editor_required
def desk_preview():
    """The body as readers will see it: the same rendering and sanitizer as saving."""
    body = request.form.get("body", "")
    if len(body) > MAX_PREVIEW_CHARS:
        return _private(jsonify(error=gettext("The text is too long to preview.")), 400)
    content_format = request.form.get("content_format") or FORMAT_MARKDOWN
    body_html = render_body(body, content_format)
    counted = count_text(html_to_text(body_html))
    checklist = (
        check_post_draft(
            Draft(
                title=request.form.get("title", ""),
                body=body,
                body_html=body_html,
                excerpt=request.form.get("excerpt", ""),
                language=request.form.get("language", "en"),
                category_count=len(request.form.getlist("categories")),
                has_featured_image=request.form.get("featured_media", "0") not in ("", "0"),
            ),
            site_host(),
        )
        if request.form.get("checklist")
        else []
    )  # the post editor asks; pages not
    return _private(
        jsonify(
            html=body_html,
            words=counted.words,
            khmer_clusters=counted.khmer_clusters,
            minutes=counted.minutes,
            summary=count_summary(counted),
            checklist=checklist,
        )
    )


def count_summary(counted) -> str:
    parts = [ngettext("%(num)d word", "%(num)d words", counted.words)]
    if counted.khmer_clusters:
        parts.append(
            ngettext("%(num)d Khmer character", "%(num)d Khmer characters", counted.khmer_clusters)
        )
    parts.append(
        ngettext("about %(num)d minute to read", "about %(num)d minutes to read", counted.minutes)
    )
    return " · ".join(parts)


@bp.route("/desk/images", methods=["POST"])
@editor_required
def desk_image():
    """An image dropped or pasted into the text: stored through the Media screen's
    own form and checks, answered with the figure to put at the cursor."""
    form = UploadForm()
    if not form.validate():
        message = next(iter(form.errors.values()))[0] if form.errors else ""
        return _private(jsonify(error=str(message) or gettext("The image was not sent.")), 400)
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
        return _private(jsonify(error=str(error)), 400)
    db.session.commit()
    return _private(
        jsonify(
            id=stored.id,
            snippet=figure_snippet(stored),
            alt=stored.alt,
            name=stored.original_name or stored.filename,
        ),
        201,
    )


@bp.route("/desk/docx", methods=["POST"])
@editor_required
def desk_docx():
    """A .docx uploaded on the new-post screen becomes a draft, opened in the editor."""
    from blogapp.desk.docx import DocxRejected, read_docx  # lxml, as in desk_paste

    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(gettext("Choose a .docx file to import."), "error")
        return redirect(url_for("admin.new_post"))
    author = current_user._get_current_object()
    try:
        document = read_docx(upload.read(), upload.filename, uploaded_by=author)
    except DocxRejected as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("admin.new_post"))
    post = save_post(None, PostData(title=document.title, body=document.markdown), author=author)
    message = gettext(
        "Imported “%(name)s” as a draft, with %(num)d image(s) added to Media.",
        name=upload.filename,
        num=document.images,
    )
    if document.images_refused:
        message += " " + gettext(
            "%(num)d image(s) could not be kept (not JPEG, PNG, GIF or WebP).",
            num=document.images_refused,
        )
    flash(message, "success")
    return redirect(url_for("admin.edit_post", post_id=post.id))
