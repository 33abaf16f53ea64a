"""Accounts of the people who write and run the blog, and how they log in:
roles, per-login sessions, two-factor secrets, recovery codes and passkeys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from blogapp.extensions import db
from blogapp.models.base import NEVER_REUSED, UTCDateTime, utcnow


# Roles, in increasing power, as WordPress names them. Contributors write drafts an
# editor publishes; authors publish their own posts; editors run posts, categories and
# comments; admins also users.
class Role(StrEnum):
    CONTRIBUTOR = "contributor"
    AUTHOR = "author"
    EDITOR = "editor"
    ADMIN = "admin"


# The older names, so ``ROLE_ADMIN`` and ``ROLES`` read as they always did.
ROLE_EDITOR = Role.EDITOR
ROLE_ADMIN = Role.ADMIN
ROLES = tuple(Role)
ROLE_CONTRIBUTOR = Role.CONTRIBUTOR
ROLE_AUTHOR = Role.AUTHOR
# Those who run the site's posts and comments (moderation mail, comment notices).
EDITOR_ROLES = (Role.EDITOR, Role.ADMIN)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(60), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    display_name: Mapped[str] = mapped_column(String(250), default="")
    role: Mapped[str] = mapped_column(String(20), default=ROLE_EDITOR)
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Rotated on logout and password change; part of the session id so old cookies die.
    session_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    wp_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # The admin's and this account's mails' language; None: the site's (SITE_LANGUAGE).
    interface_language: Mapped[str | None] = mapped_column(String(10))

    @property
    def public_name(self) -> str:
        """What a byline shows: the display name, else the login."""
        return self.display_name.strip() or self.login

    @property
    def is_active(self) -> bool:  # flask-login
        return self.is_active_account

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN

    # The key of this login's LoginSession row (blogapp.auth.sessions), not stored.
    login_key = ""

    def get_id(self) -> str:  # flask-login: the session holds id, token and login together
        base = f"{self.id}:{self.session_token}"
        return f"{base}:{self.login_key}" if self.login_key else base


class LoginSession(db.Model):
    """One login on one device ("where you're logged in"). Its ``key`` is part of the
    flask-login session id, so deleting the row ends that session and its remember-me
    cookie; ``last_seen_at`` is written at most once a minute. (blogapp.auth.sessions)"""

    __tablename__ = "login_sessions"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(120), default="")
    address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when the session is revoked or ends; the row stays, so the device stays known.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TwoFactor(db.Model):
    """A user's TOTP secret. ``confirmed_at`` is empty while enrolment waits
    for its first code; ``last_step`` is the newest 30-second step a code was accepted
    for, so a code seen once (shoulder-surfed, phished and replayed) is refused."""

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(db.Model):
    """One single-use recovery code, stored as a salted SHA-256 (the code itself has
    60 random bits: a slow hash would only slow down the owner); ``used_at`` is set
    by a conditional UPDATE, so two requests cannot both spend it."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(db.Model):
    """A passkey (WebAuthn credential) a writer registered as a second factor: its
    id and public key (base64url), and the authenticator's signature counter, moved
    forward by a conditional UPDATE so a cloned authenticator's replay is refused."""

    __tablename__ = "passkeys"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(400), unique=True)
    public_key: Mapped[str] = mapped_column(Text)
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
