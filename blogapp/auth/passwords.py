"""Password hashing: argon2id at OWASP's recommended parameters.

OWASP's Password Storage Cheat Sheet lists argon2id with 19 MiB of memory, two
iterations and one degree of parallelism as its baseline; one hash costs about
50 ms here, which is what slows down anyone guessing offline."""

from __future__ import annotations

import secrets
from functools import cache
from typing import TYPE_CHECKING

from blogapp.auth.sessions import end_login_sessions
from blogapp.models import User

# argon2 (and cffi) is imported inside the functions below, when a password is
# first hashed or checked: web workers that never log anyone in never load it.
if TYPE_CHECKING:
    from argon2 import PasswordHasher

MEMORY_KIB = 19_456  # 19 MiB
TIME_COST = 2
PARALLELISM = 1


@cache
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(
        time_cost=TIME_COST,
        memory_cost=MEMORY_KIB,
        parallelism=PARALLELISM,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


@cache
def _dummy_hash() -> str:
    """Checked when the username is unknown, so that answer takes as long as a wrong password."""
    return _hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; an empty or malformed hash still costs a full check."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    if not password_hash:
        _burn_time(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except VerifyMismatchError:
        return False
    except (InvalidHashError, VerificationError):
        _burn_time(password)
        return False


def _burn_time(password: str) -> None:
    from argon2.exceptions import VerificationError

    try:
        _hasher().verify(_dummy_hash(), password)
    except VerificationError:
        pass


def check_user_password(user: User | None, password: str) -> bool:
    """The login check: an unknown user costs one argon2 verification, as a known one does."""
    if user is None:
        _burn_time(password)
        return False
    return verify_password(user.password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters (upgrade it at the next login)."""
    from argon2.exceptions import InvalidHashError

    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def set_password(user: User, password: str, *, keep: str = "") -> None:
    """Store a new hash and end every older session and remember-me cookie of ``user``
    (but the login whose key is ``keep``)."""
    user.password_hash = hash_password(password)
    rotate_session_token(user, keep=keep)


def rotate_session_token(user: User, *, keep: str = "") -> None:
    """A new token: sessions carrying the old one no longer load the user. Their rows
    in "where you're logged in" end too, all but the login whose key is ``keep``."""
    user.session_token = secrets.token_hex(16)
    if user.id is not None:
        end_login_sessions(user.id, keep=keep)
