"""The Authors screen's form (the admin speaks English, as its other screens)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

NO_ACCOUNT = 0


class ProfileForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired(), Length(max=250)],
                       description="As the byline shows it, in the site's language.")
    slug = StringField("Slug", validators=[Length(max=180)],
                       description="Used in /author/…/. Empty: made from the name.")
    bio = TextAreaField("Short biography", validators=[Length(max=1000)])
    affiliation = StringField("Affiliation", validators=[Length(max=250)])
    disclosure = StringField("Disclosure", validators=[Length(max=500)],
                             description="E.g. “The author is a member of …”.")
    same_as = TextAreaField("Links", validators=[Length(max=3000)],
                            description="The author's own pages elsewhere, one https:// "
                                        "address a line (schema.org sameAs).")
    photo_id = IntegerField("Photo", validators=[Optional(), NumberRange(min=1)],
                            description="The number of an image in Media.")
    user_id = SelectField("Account", coerce=int, validate_choice=True,
                          description="Admin only: never shown to readers.")
    is_pen_name = BooleanField("Pen name",
                               description="Admin only: readers see the name, never this "
                                           "mark nor the account.")
