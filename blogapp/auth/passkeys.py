"""Passkeys (WebAuthn) as a second factor, with the ``webauthn`` package.

A writer adds a passkey on /account/ (the current password first, as for TOTP). At
login, after the right password, an account with a passkey or TOTP is asked for the
second step: the /login/code page offers "Use a passkey" next to the code. Each
ceremony's challenge is kept in the signed session cookie, used once; the relying
party is ``SITE_URL``'s host and origin. The signature counter only moves forward
(a conditional UPDATE), so a replayed or cloned assertion is refused. Passkeys
replace no password: "instead of a password" is not built."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from flask import current_app, session
from sqlalchemy import func, select, update

from blogapp import clock
from blogapp.extensions import db
from blogapp.mail import links
from blogapp.models import Passkey, User

CHALLENGE_KEY = "passkey_challenge"
MAX_PASSKEYS = 10


def _webauthn():
    """Imported by the requests that use it, not by every worker."""
    import webauthn

    return webauthn


def _relying_party() -> tuple[str, str]:
    parts = urlsplit(current_app.config["SITE_URL"])
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def passkeys_of(user: User) -> list[Passkey]:
    return list(
        db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id))
    )


def has_passkeys(user: User) -> bool:
    found = db.session.scalar(select(Passkey.id).where(Passkey.user_id == user.id).limit(1))
    return found is not None


def _keep_challenge(purpose: str, challenge: bytes, user_id: int) -> None:
    from webauthn.helpers import bytes_to_base64url

    session[CHALLENGE_KEY] = {"p": purpose, "c": bytes_to_base64url(challenge), "u": user_id}


def _take_challenge(purpose: str, user_id: int) -> bytes | None:
    """The kept challenge, once: the session is a signed cookie a replay could send
    again, so the challenge is also recorded as used (``UsedToken``)."""
    from webauthn.helpers import base64url_to_bytes

    kept = session.pop(CHALLENGE_KEY, None)
    if not isinstance(kept, dict) or kept.get("p") != purpose or kept.get("u") != user_id:
        return None
    challenge = str(kept.get("c", ""))
    if not challenge or not links.consume(challenge[:64], f"passkey-{purpose}"):
        return None
    return base64url_to_bytes(challenge)


def registration_options(user: User) -> str:
    """The JSON ``navigator.credentials.create()`` needs; its challenge is kept."""
    webauthn = _webauthn()
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
    )

    rp_id, _ = _relying_party()
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name=current_app.config["SITE_NAME"],
        user_name=user.login,
        user_id=str(user.id).encode(),
        user_display_name=user.public_name,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in passkeys_of(user)
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED
        ),
    )
    _keep_challenge("register", options.challenge, user.id)
    return webauthn.options_to_json(options)


def register(user: User, credential: str, name: str) -> str | None:
    """Store the new passkey when ``credential`` answers the kept challenge; else the
    reason it was refused. In the open transaction."""
    webauthn = _webauthn()
    from webauthn.helpers import bytes_to_base64url
    from webauthn.helpers.exceptions import WebAuthnException

    challenge = _take_challenge("register", user.id)
    if challenge is None:
        return "The passkey request expired; try again."
    count = db.session.scalar(select(func.count()).where(Passkey.user_id == user.id))
    if count >= MAX_PASSKEYS:
        return f"An account may have {MAX_PASSKEYS} passkeys."
    rp_id, origin = _relying_party()
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return "The browser's answer could not be verified; try again."
    credential_id = bytes_to_base64url(verified.credential_id)
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        return "That passkey is already registered."
    db.session.add(
        Passkey(
            user_id=user.id,
            credential_id=credential_id,
            name=(name or "Passkey").strip()[:100],
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
        )
    )
    return None


def authentication_options(user: User) -> str:
    webauthn = _webauthn()
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

    rp_id, _ = _relying_party()
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.credential_id))
            for p in passkeys_of(user)
        ],
    )
    _keep_challenge("login", options.challenge, user.id)
    return webauthn.options_to_json(options)


def authenticate(user: User, credential: str) -> bool:
    """True once for an assertion of one of ``user``'s passkeys answering the kept
    challenge, with a signature counter that moved forward (or stays 0, for
    authenticators that keep none)."""
    webauthn = _webauthn()
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.exceptions import WebAuthnException

    challenge = _take_challenge("login", user.id)
    if challenge is None:
        return False
    try:
        credential_id = str(json.loads(credential).get("id", ""))
    except (ValueError, AttributeError):
        return False
    row = db.session.scalar(
        select(Passkey).where(Passkey.user_id == user.id, Passkey.credential_id == credential_id)
    )
    if row is None:
        return False
    rp_id, origin = _relying_party()
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(row.public_key),
            credential_current_sign_count=row.sign_count,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return False
    moved = db.session.execute(
        update(Passkey)
        .where(
            Passkey.id == row.id,
            (Passkey.sign_count < verified.new_sign_count) | (Passkey.sign_count == 0),
        )
        .values(sign_count=verified.new_sign_count, last_used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def remove(user: User, passkey_id: int) -> bool:
    row = db.session.scalar(
        select(Passkey).where(Passkey.id == passkey_id, Passkey.user_id == user.id)
    )
    if row is None:
        return False
    db.session.delete(row)
    return True
