"""Two-factor login with TOTP: the secret, its first code, the recovery codes.

A writer's account is worth stealing (a forged op-ed under their name), so a password
alone may not be enough. Enrolment stores a pending secret, shows it as a QR code drawn
as inline SVG (no image from elsewhere, no script: it fits the CSP) and becomes active
with the first right code; ten single-use recovery codes are shown once and stored
salted and hashed. A code is accepted for the step it belongs to (30 seconds, one step
of drift either way) only if that step is newer than the last accepted one, so a code
cannot be used twice. Every check is counted by ``blogapp.throttle`` in the views."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from flask import current_app
from markupsafe import Markup
from sqlalchemy import delete, select, update

from blogapp import clock
from blogapp.auth.passkeys import has_passkeys
from blogapp.extensions import db
from blogapp.models import ROLES, Passkey, RecoveryCode, TwoFactor, User

STEP_SECONDS = 30
DRIFT_STEPS = 1  # a phone clock a little behind or ahead still works
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # 32 signs, no l/1 or o/0 to confuse
RECOVERY_LENGTH = 12  # 60 random bits
_TOTP_SHAPE = re.compile(r"^\d{6}$")


def two_factor_of(user: User) -> TwoFactor | None:
    return db.session.get(TwoFactor, user.id)


def is_enrolled(user: User) -> bool:
    row = two_factor_of(user)
    return row is not None and row.confirmed_at is not None


def must_enrol(user: User) -> bool:
    """True when ``REQUIRE_2FA`` is on and this editor or admin has not enrolled yet."""
    return (
        bool(current_app.config.get("REQUIRE_2FA"))
        and user.role in ROLES
        and not is_enrolled(user)
        and not has_passkeys(user)  # a passkey is a second factor too
    )


def start_enrolment(user: User) -> TwoFactor:
    """A new pending secret (replacing any earlier pending one); committed by the caller."""
    row = two_factor_of(user)
    if row is None:
        row = TwoFactor(user_id=user.id)
        db.session.add(row)
    row.secret = _pyotp().random_base32()
    row.confirmed_at = None
    row.last_step = 0
    return row


def _pyotp():
    """pyotp, imported by the requests that check or make a code, not by every worker."""
    import pyotp

    return pyotp


def provisioning_uri(user: User, secret: str) -> str:
    return (
        _pyotp()
        .TOTP(secret)
        .provisioning_uri(name=user.login, issuer_name=current_app.config["SITE_NAME"])
    )


def qr_svg(uri: str) -> Markup:
    """The QR code as an inline ``<svg>`` element: segno writes only paths, no script."""
    import segno  # only the enrolment page draws a code

    svg = segno.make(uri, error="m").svg_inline(scale=5, border=4, light="#fff")
    return Markup(svg)


def _now() -> float:
    return clock.now().timestamp()


def _matching_step(secret: str, code: str) -> int | None:
    code = normalize_code(code)
    if not _TOTP_SHAPE.match(code):
        return None
    totp = _pyotp().TOTP(secret)
    current = int(_now()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def check_totp(row: TwoFactor, code: str) -> bool:
    """True once per step: a conditional UPDATE moves ``last_step`` forward, so the same
    code (or an older one) sent again, even by two requests at once, is refused."""
    step = _matching_step(row.secret, code)
    if step is None:
        return False
    moved = db.session.execute(
        update(TwoFactor)
        .where(TwoFactor.user_id == row.user_id, TwoFactor.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def confirm_enrolment(user: User, code: str) -> list[str] | None:
    """Activate the pending secret when ``code`` is right; the new recovery codes, or None."""
    row = two_factor_of(user)
    if row is None or row.confirmed_at is not None or not check_totp(row, code):
        return None
    db.session.execute(
        update(TwoFactor)
        .where(TwoFactor.user_id == user.id)
        .values(confirmed_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return new_recovery_codes(user)


def disable(user: User) -> None:
    """Every second factor goes: TOTP, recovery codes and passkeys."""
    db.session.execute(delete(Passkey).where(Passkey.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))


def normalize_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _hash_code(salt: str, code: str) -> str:
    return hashlib.sha256(f"{salt}:{normalize_code(code)}".encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh codes (the old ones stop working), to show once; stored only hashed."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        salt = secrets.token_hex(16)
        db.session.add(RecoveryCode(user_id=user.id, salt=salt, code_hash=_hash_code(salt, code)))
        codes.append(f"{code[:4]}-{code[4:8]}-{code[8:]}")
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one recovery code: True once, then never again for the same code."""
    if len(normalize_code(code)) != RECOVERY_LENGTH:
        return False
    rows = db.session.execute(
        select(RecoveryCode.id, RecoveryCode.salt, RecoveryCode.code_hash).where(
            RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
        )
    ).all()
    for row in rows:
        if hmac.compare_digest(_hash_code(row.salt, code), row.code_hash):
            spent = db.session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=clock.now())
                .execution_options(synchronize_session=False)
            )
            return spent.rowcount == 1
    return False


def recovery_codes_left(user: User) -> int:
    return len(
        db.session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def check_second_factor(user: User, code: str) -> bool:
    """A TOTP code (six digits) or a recovery code."""
    row = two_factor_of(user)
    if row is None or row.confirmed_at is None:
        return False
    if _TOTP_SHAPE.match(normalize_code(code)):
        return check_totp(row, code)
    return use_recovery_code(user, code)
