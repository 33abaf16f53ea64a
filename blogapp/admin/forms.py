"""Forms of the admin screens. Choices that come from the database (categories,
authors) are filled in by the views."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from blogapp.config import LANGUAGES
from blogapp.dates import local_to_utc
from blogapp.interface_language import N_
from blogapp.models import (
    COMMENTS_CLOSED,
    COMMENTS_MODERATED,
    COMMENTS_OPEN,
    FORMAT_HTML,
    FORMAT_MARKDOWN,
    PostStatus,
)

FORMAT_CHOICES = [(FORMAT_MARKDOWN, "Markdown"), (FORMAT_HTML, "HTML")]
LANGUAGE_CHOICES = [
    (
        language.code,
        language.endonym
        if language.name == language.endonym
        else f"{language.name} ({language.endonym})",
    )
    for language in LANGUAGES
]
POST_STATUS_CHOICES = [
    (PostStatus.DRAFT, _l("Draft")),
    (PostStatus.PENDING, _l("Pending review")),
    (PostStatus.PUBLISHED, _l("Published")),
    ("scheduled", _l("Scheduled")),
    (PostStatus.PRIVATE, _l("Private")),
]
PAGE_STATUS_CHOICES = [
    (PostStatus.DRAFT, _l("Draft")),
    (PostStatus.PUBLISHED, _l("Published")),
    (PostStatus.PRIVATE, _l("Private")),
]
COMMENT_MODE_CHOICES = [
    (COMMENTS_OPEN, _l("Open")),
    (COMMENTS_MODERATED, _l("Moderated: every comment waits for approval")),
    (COMMENTS_CLOSED, _l("Closed")),
]
DATE_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def as_choices(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs as WTForms options."""
    return [SelectChoice(value, label) for value, label in pairs]


def parse_local_datetime(text: str) -> datetime:
    """``2026-03-01T09:30`` (what a datetime-local input sends) or ``2026-03-01 09:30``."""
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(text)


class LocalDateTimeText(StringField):
    """A date and time typed in the site's zone. ``.data`` keeps the author's text (so an
    error shows it unchanged); ``.utc`` is the parsed value in UTC, or None when empty."""

    utc: datetime | None = None

    def pre_validate(self, form) -> None:
        self.utc = None
        if not (self.data or "").strip():
            return
        try:
            local = parse_local_datetime(self.data)
        except ValueError:
            raise ValidationError(
                _("Write the date and time as YYYY-MM-DD HH:MM, for example 2026-03-01 09:30.")
            ) from None
        if not 1900 <= local.year <= 9000:
            raise ValidationError(_("Choose a year between 1900 and 9000."))
        self.utc = local_to_utc(local)


class PostForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=500)])
    slug = StringField(
        _l("Slug"),
        validators=[Length(max=180)],
        description=_l("The last part of the address. Leave empty to make it from the title."),
    )
    body = TextAreaField(_l("Content"))
    content_format = SelectField(
        _l("Format"), choices=as_choices(FORMAT_CHOICES), default=FORMAT_MARKDOWN
    )
    excerpt = TextAreaField(
        _l("Excerpt (optional)"),
        validators=[Length(max=5000)],
        description=_l("What listings show. Otherwise the text before <!--more-->, or the start."),
    )
    categories = SelectMultipleField(_l("Categories"), coerce=int, validate_choice=True)
    tags = StringField(
        _l("Tags"),
        validators=[Length(max=2000)],
        description=_l("Separate tags with commas; new ones are created."),
    )
    language = SelectField(_l("Language"), choices=as_choices(LANGUAGE_CHOICES), default="en")
    source_line = StringField(
        _l("Source line"),
        validators=[Length(max=500)],
        description=_l("For example: First published in The Diplomat."),
    )
    status = SelectField(
        _l("Status"), choices=as_choices(POST_STATUS_CHOICES), default=PostStatus.DRAFT
    )
    publish_at = LocalDateTimeText("Publish date and time", render_kw={"type": "datetime-local"})
    comment_mode = SelectField(
        _l("Comments"), choices=as_choices(COMMENT_MODE_CHOICES), default=COMMENTS_OPEN
    )
    based_on = HiddenField()  # the revision the editor opened (blogapp.revisions)
    # The featured image: choices (Media items) are filled in by the view.
    featured_media = SelectField(_l("Featured image"), coerce=int, default=0, validate_choice=True)
    featured_alt = StringField(
        _l("Featured image: alternative text"),
        validators=[Length(max=500)],
        description=_l("Empty: the image's own alternative text."),
    )
    featured_caption = StringField(_l("Featured image: caption"), validators=[Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.publish_at.description = _(
            "In the site's time zone (%(zone)s). Needed for Scheduled; for Published, "
            "empty means now (or keeps the date already set).",
            zone=current_app.config["TIMEZONE"],
        )


class PageForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=500)])
    slug = StringField(
        _l("Slug"),
        validators=[Length(max=180)],
        description=_l("The page's address: /slug/. Empty: made from the title."),
    )
    body = TextAreaField(_l("Content"))
    content_format = SelectField(
        _l("Format"), choices=as_choices(FORMAT_CHOICES), default=FORMAT_MARKDOWN
    )
    language = SelectField(_l("Language"), choices=as_choices(LANGUAGE_CHOICES), default="en")
    status = SelectField(
        _l("Status"), choices=as_choices(PAGE_STATUS_CHOICES), default=PostStatus.DRAFT
    )
    menu_order = IntegerField(
        _l("Order"), default=0, validators=[Optional(), NumberRange(-10_000, 10_000)]
    )
    based_on = HiddenField()  # the revision the editor opened (blogapp.revisions)


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    slug = StringField(
        _l("Slug"),
        validators=[Length(max=180)],
        description=_l("Used in /category/…/. Empty: made from the name."),
    )
    parent_id = SelectField(_l("Parent"), coerce=int, validate_choice=True)
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])


class DeleteCategoryForm(FlaskForm):
    move_to = SelectField(_l("Move its posts to"), coerce=int, validate_choice=False)


class TagForm(FlaskForm):
    name = StringField(_l("Name"), validators=[InputRequired(), Length(max=200)])
    slug = StringField(_l("Slug"), validators=[Length(max=180)])


class UploadForm(FlaskForm):
    file = FileField(
        _l("Image"),
        validators=[FileRequired("Choose an image to upload.")],
        description=_l("JPEG, PNG, GIF or WebP."),
    )
    alt = StringField(
        _l("Alternative text"),
        validators=[Length(max=500)],
        description=_l("What the image shows, for people who cannot see it."),
    )
    caption = TextAreaField(_l("Caption"), validators=[Length(max=2000)])
    credit = StringField(
        _l("Credit"), validators=[Length(max=500)], description=_l("Shown as “Image Credit: …”.")
    )


class EmptyForm(FlaskForm):
    """Only the CSRF token: for delete buttons and similar POSTs."""


# What the admin lists show for a post's status and an account's role (capitalized and
# translated in the templates: ``post.display_status|capitalize|translated``).
SHOWN_NAMES = (
    N_("Draft"),
    N_("Pending"),
    N_("Published"),
    N_("Scheduled"),
    N_("Private"),
    N_("Contributor"),
    N_("Author"),
    N_("Editor"),
    N_("Admin"),
)
