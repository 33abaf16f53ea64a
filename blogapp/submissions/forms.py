"""The submission form and the editors' unlock form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length

from blogapp.sanitize import strip_invisible


def _clean(value):
    return strip_invisible(value).strip() if isinstance(value, str) else value


class SubmissionForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[_clean],
        validators=[InputRequired(_l("Please give your op-ed a title.")), Length(max=500)],
    )
    body = TextAreaField(
        _l("Text (Markdown)"),
        filters=[_clean],
        validators=[InputRequired(_l("Please write your op-ed.")), Length(max=100_000)],
    )
    language = SelectField(
        _l("Language of the op-ed"),
        choices=[SelectChoice("en", "English"), SelectChoice("km", "ខ្មែរ")],
        default="en",
    )
    name = StringField(
        _l("Your name, as the byline should show it"),
        filters=[_clean],
        validators=[InputRequired(_l("Please give your name.")), Length(max=250)],
    )
    contact = TextAreaField(
        _l("How the editors can reach you (e-mail, Signal, …)"),
        filters=[_clean],
        validators=[InputRequired(_l("Please say how to reach you.")), Length(max=2000)],
    )
    # Left empty by people (hidden by the stylesheet); bots fill every field.
    website = StringField()
    served = HiddenField()


class UnlockForm(FlaskForm):
    identity = PasswordField(
        _l("Your age identity (AGE-SECRET-KEY-1…)"), validators=[InputRequired(), Length(max=200)]
    )
