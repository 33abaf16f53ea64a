"""The editor's desk for a saved post: corrections and update notes, and
linked translations. Each form POSTs here (CSRF-checked) and comes back to the
editor; the rules live in ``blogapp.corrections.services`` and
``blogapp.translations.services``. The editor shows these forms through
``templates/admin/_corrections.html`` and ``templates/admin/_translations.html``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from blogapp.admin.blueprint import bp
from blogapp.admin.forms import as_choices
from blogapp.auth.permissions import editor_required
from blogapp.corrections.services import (
    KIND_LABELS,
    MAX_NOTE_LENGTH,
    NoteRefused,
    add_note,
    change_note,
)
from blogapp.extensions import db
from blogapp.models import CORRECTION, Correction, CorrectionVersion, Post
from blogapp.translations.services import (
    ENDONYMS,
    LinkRefused,
    group_members,
    link,
    unlink,
)

CANDIDATES_SHOWN = 100


class NoteForm(FlaskForm):
    kind = SelectField(
        _l("Kind"), choices=as_choices(list(KIND_LABELS.items())), default=CORRECTION
    )
    body = TextAreaField(
        _l("Note"),
        validators=[InputRequired(), Length(max=MAX_NOTE_LENGTH)],
        description=_l(
            "Markdown. Say what was wrong and what is right now; the date is added for you."
        ),
    )


class TranslationForm(FlaskForm):
    other_id = IntegerField(_l("Translation"), validators=[InputRequired()])


class UnlinkForm(FlaskForm):
    pass


@dataclass
class Desk:
    notes: list[Correction]
    history: dict[int, list[CorrectionVersion]]
    note_form: NoteForm
    members: list[Post]
    candidates: list[Post]
    link_form: TranslationForm
    unlink_form: UnlinkForm
    languages: dict[str, str]
    kinds: dict[str, str]


@bp.app_template_global()
def editorial_desk(post: Post) -> Desk:
    """What the editor's two includes show for a saved post (read once per request)."""
    found = g.get("blogapp_editorial_desk")
    if found is None or found[0] != post.id:
        found = g.blogapp_editorial_desk = (post.id, _desk(post))
    return found[1]


def _desk(post: Post) -> Desk:
    notes = list(
        db.session.scalars(
            select(Correction)
            .where(Correction.post_id == post.id)
            .order_by(Correction.noted_at, Correction.id)
        )
    )
    history: dict[int, list[CorrectionVersion]] = {}
    if notes:
        for version in db.session.scalars(
            select(CorrectionVersion)
            .where(CorrectionVersion.correction_id.in_([n.id for n in notes]))
            .order_by(CorrectionVersion.id)
        ):
            history.setdefault(version.correction_id, []).append(version)
    members = group_members(post.id)
    taken = {p.language for p in members} or {post.language}
    candidates = list(
        db.session.scalars(
            select(Post)
            .where(Post.language.not_in(taken), Post.id != post.id)
            .order_by(Post.updated_at.desc(), Post.id.desc())
            .limit(CANDIDATES_SHOWN)
        )
    )
    forms = NoteForm(formdata=None), TranslationForm(formdata=None), UnlinkForm(formdata=None)
    return Desk(
        notes, history, forms[0], members, candidates, forms[1], forms[2], ENDONYMS, KIND_LABELS
    )


def _back(post_id: int, anchor: str):
    return redirect(url_for("admin.edit_post", post_id=post_id) + anchor, 303)


def _form_problem(form: FlaskForm) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return "The form could not be read; please try again."


@bp.route("/posts/<int:post_id>/corrections", methods=["POST"])
@editor_required
def add_correction(post_id: int):
    post = db.get_or_404(Post, post_id)
    form = NoteForm()
    if not form.validate():
        flash(_form_problem(form), "error")
        return _back(post.id, "#corrections")
    try:
        add_note(post, form.kind.data, form.body.data, current_user._get_current_object())
    except NoteRefused as refused:
        flash(str(refused), "error")
        return _back(post.id, "#corrections")
    db.session.commit()
    flash(_("Note added. Readers see it at the top of the post."), "success")
    return _back(post.id, "#corrections")


@bp.route("/posts/<int:post_id>/corrections/<int:note_id>", methods=["POST"])
@editor_required
def change_correction(post_id: int, note_id: int):
    note = db.one_or_404(
        select(Correction).where(Correction.id == note_id, Correction.post_id == post_id)
    )
    form = NoteForm()
    if not form.validate():
        flash(_form_problem(form), "error")
        return _back(post_id, f"#note-{note.id}")
    try:
        changed = change_note(
            note, form.kind.data, form.body.data, current_user._get_current_object()
        )
    except NoteRefused as refused:
        flash(str(refused), "error")
        return _back(post_id, f"#note-{note.id}")
    db.session.commit()
    flash(
        _("Note changed; readers can still see what it said before.")
        if changed
        else "The note was unchanged.",
        "success",
    )
    return _back(post_id, f"#note-{note.id}")


@bp.route("/posts/<int:post_id>/translations", methods=["POST"])
@editor_required
def link_translation(post_id: int):
    post = db.get_or_404(Post, post_id)
    form = TranslationForm()
    if not form.validate():
        flash(_("Choose the post that is a translation of this one."), "error")
        return _back(post.id, "#translations")
    other = db.session.get(Post, form.other_id.data)
    if other is None:
        flash(_("That post does not exist (any more)."), "error")
        return _back(post.id, "#translations")
    try:
        link(post, other)
    except LinkRefused as refused:
        flash(str(refused), "error")
        return _back(post.id, "#translations")
    db.session.commit()
    flash(_("Linked with “%(title)s”.", title=other.title or other.slug), "success")
    return _back(post.id, "#translations")


@bp.route("/posts/<int:post_id>/translations/unlink", methods=["POST"])
@editor_required
def unlink_translation(post_id: int):
    post = db.get_or_404(Post, post_id)
    if not UnlinkForm().validate():
        flash(_("The form could not be read; please try again."), "error")
        return _back(post.id, "#translations")
    unlink(post)
    db.session.commit()
    flash(_("This post is no longer linked with its translations."), "success")
    return _back(post.id, "#translations")
