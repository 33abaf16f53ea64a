"""The Authors screen's form (the admin speaks English, as its other screens)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

NO_ACCOUNT = 0


class ProfileForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[InputRequired(), Length(max=250)],
        description=_l("As the byline shows it, in the site's language."),
    )
    slug = StringField(
        _l("Slug"),
        validators=[Length(max=180)],
        description=_l("Used in /author/…/. Empty: made from the name."),
    )
    bio = TextAreaField(_l("Short biography"), validators=[Length(max=1000)])
    affiliation = StringField(_l("Affiliation"), validators=[Length(max=250)])
    disclosure = StringField(
        _l("Disclosure"),
        validators=[Length(max=500)],
        description=_l("E.g. “The author is a member of …”."),
    )
    same_as = TextAreaField(
        _l("Links"),
        validators=[Length(max=3000)],
        description=_l(
            "The author's own pages elsewhere, one https:// address a line (schema.org sameAs)."
        ),
    )
    photo_id = IntegerField(
        _l("Photo"),
        validators=[Optional(), NumberRange(min=1)],
        description=_l("The number of an image in Media."),
    )
    user_id = SelectField(
        _l("Account"),
        coerce=int,
        validate_choice=True,
        description=_l("Admin only: never shown to readers."),
    )
    is_pen_name = BooleanField(
        _l("Pen name"),
        description=_l("Admin only: readers see the name, never this mark nor the account."),
    )
