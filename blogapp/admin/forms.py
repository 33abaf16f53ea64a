"""Forms of the admin screens. Choices that come from the database (categories,
authors) are filled in by the views."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
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

from blogapp.dates import local_to_utc
from blogapp.models import (
    COMMENTS_CLOSED,
    COMMENTS_MODERATED,
    COMMENTS_OPEN,
    FORMAT_HTML,
    FORMAT_MARKDOWN,
    PostStatus,
)

FORMAT_CHOICES = [(FORMAT_MARKDOWN, "Markdown"), (FORMAT_HTML, "HTML")]
LANGUAGE_CHOICES = [("en", "English"), ("km", "Khmer (ខ្មែរ)")]
POST_STATUS_CHOICES = [
    (PostStatus.DRAFT, "Draft"),
    (PostStatus.PENDING, "Pending review"),
    (PostStatus.PUBLISHED, "Published"),
    ("scheduled", "Scheduled"),
    (PostStatus.PRIVATE, "Private"),
]
PAGE_STATUS_CHOICES = [(PostStatus.DRAFT, "Draft"), (PostStatus.PUBLISHED, "Published"),
                       (PostStatus.PRIVATE, "Private")]
COMMENT_MODE_CHOICES = [
    (COMMENTS_OPEN, "Open"),
    (COMMENTS_MODERATED, "Moderated: every comment waits for approval"),
    (COMMENTS_CLOSED, "Closed"),
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
                "Write the date and time as YYYY-MM-DD HH:MM, for example 2026-03-01 09:30."
            ) from None
        if not 1900 <= local.year <= 9000:
            raise ValidationError("Choose a year between 1900 and 9000.")
        self.utc = local_to_utc(local)


class PostForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=500)])
    slug = StringField(
        "Slug", validators=[Length(max=180)],
        description="The last part of the address. Leave empty to make it from the title.",
    )  # fmt: skip
    body = TextAreaField("Content")
    content_format = SelectField("Format", choices=as_choices(FORMAT_CHOICES),
                                 default=FORMAT_MARKDOWN)
    excerpt = TextAreaField(
        "Excerpt (optional)", validators=[Length(max=5000)],
        description="What listings show. Otherwise the text before <!--more-->, or the start.",
    )  # fmt: skip
    categories = SelectMultipleField("Categories", coerce=int, validate_choice=True)
    tags = StringField("Tags", validators=[Length(max=2000)],
                       description="Separate tags with commas; new ones are created.")
    language = SelectField("Language", choices=as_choices(LANGUAGE_CHOICES), default="en")
    source_line = StringField("Source line", validators=[Length(max=500)],
                              description="For example: First published in The Diplomat.")
    status = SelectField("Status", choices=as_choices(POST_STATUS_CHOICES),
                         default=PostStatus.DRAFT)
    publish_at = LocalDateTimeText("Publish date and time", render_kw={"type": "datetime-local"})
    comment_mode = SelectField("Comments", choices=as_choices(COMMENT_MODE_CHOICES),
                               default=COMMENTS_OPEN)
    based_on = HiddenField()  # the revision the editor opened (blogapp.revisions)
    # The featured image (issue 32): choices (Media items) are filled in by the view.
    featured_media = SelectField("Featured image", coerce=int, default=0, validate_choice=True)
    featured_alt = StringField("Featured image: alternative text", validators=[Length(max=500)],
                               description="Empty: the image's own alternative text.")
    featured_caption = StringField("Featured image: caption", validators=[Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.publish_at.description = (
            f"In the site's time zone ({current_app.config['TIMEZONE']}). Needed for "
            "Scheduled; for Published, empty means now (or keeps the date already set)."
        )


class PageForm(FlaskForm):
    title = StringField("Title", validators=[InputRequired(), Length(max=500)])
    slug = StringField("Slug", validators=[Length(max=180)],
                       description="The page's address: /slug/. Empty: made from the title.")
    body = TextAreaField("Content")
    content_format = SelectField("Format", choices=as_choices(FORMAT_CHOICES),
                                 default=FORMAT_MARKDOWN)
    language = SelectField("Language", choices=as_choices(LANGUAGE_CHOICES), default="en")
    status = SelectField("Status", choices=as_choices(PAGE_STATUS_CHOICES),
                         default=PostStatus.DRAFT)
    menu_order = IntegerField("Order", default=0,
                              validators=[Optional(), NumberRange(-10_000, 10_000)])
    based_on = HiddenField()  # the revision the editor opened (blogapp.revisions)


class CategoryForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    slug = StringField("Slug", validators=[Length(max=180)],
                       description="Used in /category/…/. Empty: made from the name.")
    parent_id = SelectField("Parent", coerce=int, validate_choice=True)
    description = TextAreaField("Description", validators=[Length(max=5000)])


class DeleteCategoryForm(FlaskForm):
    move_to = SelectField("Move its posts to", coerce=int, validate_choice=False)


class TagForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=200)])
    slug = StringField("Slug", validators=[Length(max=180)])


class UploadForm(FlaskForm):
    file = FileField("Image", validators=[FileRequired("Choose an image to upload.")],
                     description="JPEG, PNG, GIF or WebP.")
    alt = StringField("Alternative text", validators=[Length(max=500)],
                      description="What the image shows, for people who cannot see it.")
    caption = TextAreaField("Caption", validators=[Length(max=2000)])
    credit = StringField("Credit", validators=[Length(max=500)],
                         description="Shown as “Image Credit: …”.")


class EmptyForm(FlaskForm):
    """Only the CSRF token: for delete buttons and similar POSTs."""
