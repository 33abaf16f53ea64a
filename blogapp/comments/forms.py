"""The reader's comment form, the moderators' forms, and the signed timestamp
that tells a person (who reads before writing) from a bot (which posts at once)."""

from __future__ import annotations

from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from blogapp import clock
from blogapp.sanitize import strip_invisible

TOKEN_SALT = "blogapp.comment-form"


def _serializer() -> URLSafeTimedSerializer:
    return _serializer_for(current_app.secret_key)


class _AppClockSigner(TimestampSigner):
    """Stamps by the app's CLOCK, which tests move instead of sleeping."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


@lru_cache(maxsize=4)
def _serializer_for(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=TOKEN_SALT, signer=_AppClockSigner)


def form_token_for(post_id: int) -> str:
    """Signs the post id together with the time the form was served."""
    return _serializer().dumps(post_id)


def seconds_since_served(token: str, post_id: int) -> float | None:
    """Age of a genuine token for this post; None for a missing or forged one."""
    if not token:
        return None
    try:
        signed_post, served_at = _serializer().loads(token, return_timestamp=True)
    except BadSignature:
        return None
    if signed_post != post_id:
        return None
    return clock.now().timestamp() - served_at.timestamp()


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CommentForm(FlaskForm):
    author_name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Please enter your name.")),
            Length(max=250, message=_l("Your name can be at most 250 characters.")),
        ],
    )
    author_email = EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            InputRequired(_l("Please enter your email address.")),
            Email(_l("Please enter a valid email address, like name@example.org.")),
            Length(max=254, message=_l("That email address is too long.")),
        ],
    )
    author_url = URLField(
        _l("Website"),
        filters=[_strip],
        validators=[Optional(), Length(max=500, message=_l("That web address is too long."))],
    )
    body = TextAreaField(_l("Comment"))
    parent_id = HiddenField()
    form_token = HiddenField()
    # The honeypot: hidden from people by CSS, filled in by bots that fill every field.
    homepage = StringField(_l("Leave this field empty"))
    # Reply notifications (blogapp.comments.subscriptions); both start unchecked.
    notify_replies = BooleanField(_l("E-mail me when someone replies to this comment"))
    notify_post = BooleanField(_l("E-mail me new comments on this post"))
    # A commenter key for this browser (blogapp.comments.keys), mailed once approved.
    remember_browser = BooleanField(
        _l(
            "Recognise me on this browser: once a moderator approves this comment, "
            "mail me a link that lets my next comments from here skip the queue"
        )
    )

    def allow_no_email(self) -> None:
        """The site's setting: the address may be left out (``CommentSettings``)."""
        self.author_email.validators = [
            Optional(),
            Email(_l("Please enter a valid email address, like name@example.org.")),
            Length(max=254, message=_l("That email address is too long.")),
        ]
        self.author_email.flags.required = False

    def validate_author_name(self, field) -> None:
        if not strip_invisible(field.data or "").strip():
            raise ValidationError(_l("Please enter your name."))

    def validate_body(self, field) -> None:
        # Invisible characters are removed when stored, so they do not count as text.
        text = strip_invisible(field.data or "").strip()
        if not text:
            raise ValidationError(_l("Please type a comment."))
        limit = current_app.config["COMMENT_MAX_LENGTH"]
        if len(text) > limit:
            raise ValidationError(
                _l(
                    "Your comment is %(length)s characters long; the limit is %(limit)s.",
                    length=f"{len(text):,}",
                    limit=f"{limit:,}",
                )
            )

    def validate_parent_id(self, field) -> None:
        value = (field.data or "").strip()
        if value and not (value.isdigit() and len(value) < 12):
            raise ValidationError(_l("The comment you are replying to does not exist."))

    @property
    def parent(self) -> int | None:
        value = (self.parent_id.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 12 else None


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Reply"), filters=[_strip], validators=[InputRequired("Please type a reply.")]
    )


class EditForm(FlaskForm):
    author_name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[InputRequired("A name is required."), Length(max=250)],
    )
    author_email = EmailField(
        _l("Email"), filters=[_strip], validators=[Optional(), Email(), Length(max=254)]
    )
    author_url = URLField(_l("Website"), filters=[_strip], validators=[Optional(), Length(max=500)])
    body = TextAreaField(
        _l("Comment"), filters=[_strip], validators=[InputRequired("The comment cannot be empty.")]
    )


class SettingsForm(FlaskForm):
    auto_approve_known = BooleanField(
        _l(
            "Approve a comment automatically when it comes from a browser its author had "
            "recognised by confirming their address (a typed name and email are not enough)"
        )
    )
    blocklist_words = TextAreaField(_l("Blocklist: send to spam (one word or phrase a line)"))
    moderation_words = TextAreaField(_l("Moderation list: hold for a moderator (one a line)"))
    link_limit = IntegerField(
        _l("Hold a comment with more than this many links"),
        validators=[InputRequired("Give a number."), NumberRange(min=0, max=1000)],
    )
    close_after_days = IntegerField(
        _l("Close comments on posts older than this many days (0: never)"),
        validators=[InputRequired("Give a number."), NumberRange(min=0, max=100_000)],
    )
    email_optional = BooleanField(
        _l("E-mail address optional (a comment without one is always held)")
    )
    reports_to_hide = IntegerField(
        _l(
            "Hide an approved comment reported by this many readers until a moderator looks "
            "(0: never)"
        ),
        validators=[Optional(), NumberRange(min=0, max=1000)],
    )
