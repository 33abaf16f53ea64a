"""Forms for logging in and managing accounts."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import (
    AnyOf,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from blogapp.interface_language import ENDONYMS, INTERFACE_LANGUAGES
from blogapp.models import ROLES

LOGIN_PATTERN = r"^[A-Za-z0-9_.@-]+$"


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[InputRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[InputRequired(), Length(max=1024)])
    remember = BooleanField(_l("Remember me"))


def _strong_enough(form, field) -> None:
    if field.data and len(field.data) < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise ValidationError(
            f"Use at least {current_app.config['PASSWORD_MIN_LENGTH']} characters."
        )


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"), validators=[InputRequired(), Length(max=1024), _strong_enough]
    )


class UserForm(FlaskForm):
    """An admin edits an account (the login cannot change: it is in author URLs)."""

    email = StringField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    display_name = StringField(_l("Display name"), validators=[Length(max=250)])
    role = SelectField(_l("Role"), choices=[SelectChoice(r, _l(r.capitalize())) for r in ROLES])
    is_active_account = BooleanField(_l("Active (may log in)"))


class NewUserForm(UserForm):
    login = StringField(
        _l("Username"),
        validators=[
            InputRequired(),
            Length(max=60),
            Regexp(LOGIN_PATTERN, message=_l("Use letters, digits and . _ - @ only.")),
        ],
    )
    password = PasswordField(
        _l("Password"), validators=[InputRequired(), Length(max=1024), _strong_enough]
    )


class CodeForm(FlaskForm):
    """The second step of a login, and the first code that confirms enrolment."""

    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40)])


class CurrentPasswordForm(FlaskForm):
    """Asked before anything that weakens or changes how the account logs in."""

    current_password = PasswordField(
        _l("Current password"), validators=[InputRequired(), Length(max=1024)]
    )


class ChangePasswordForm(CurrentPasswordForm):
    password = PasswordField(
        _l("New password"), validators=[InputRequired(), Length(max=1024), _strong_enough]
    )


class LanguageForm(FlaskForm):
    """The language of this account's admin screens and of the mails it receives."""

    language = SelectField(
        _l("Language of the admin and of your mails"),
        validators=[AnyOf(("", *INTERFACE_LANGUAGES))],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Each language in its own script, as the language switches show them.
        self.language.choices = [
            ("", _l("The site's language")),
            *((code, ENDONYMS[code]) for code in INTERFACE_LANGUAGES),
        ]
