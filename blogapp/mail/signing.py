"""DKIM: the mail the blog sends is signed with the site's key (dkimpy), so receivers
can tell it really comes from ``MAIL_FROM``'s domain.

``flask mail dkim-key`` makes the key (RSA 2048, ``DKIM_KEY_FILE``, by default
``instance/dkim.key``, mode 0600) and prints the TXT record to publish at
``<DKIM_SELECTOR>._domainkey.<domain>``. Once the file exists every mail the worker
sends over SMTP is signed; without it, mail goes out unsigned as before.
``flask doctor`` compares the published record with the key.

dkimpy (which brings dnspython, aiodns and pycares) and cryptography are imported where
a key is made or a mail signed: the web workers import this module (through the
outbox's screens) but never sign, and those libraries add megabytes to each."""

from __future__ import annotations

import base64
import os
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

from flask import Flask, current_app

# What the signature covers: the headers a forger would change. From is required.
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
)
KEY_BITS = 2048


def key_path(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = app.config.get("DKIM_KEY_FILE")
    return Path(configured) if configured else Path(app.instance_path) / "dkim.key"


def sender_domain(app: Flask | None = None) -> str:
    """The domain of ``MAIL_FROM`` (lower case), or "" when it has none."""
    address = parseaddr((app or current_app).config.get("MAIL_FROM") or "")[1]
    local, at, domain = address.rpartition("@")
    return domain.strip().lower().rstrip(".") if local and at else ""


def record_name(app: Flask | None = None) -> str:
    app = app or current_app
    return f"{app.config['DKIM_SELECTOR']}._domainkey.{sender_domain(app)}"


def generate_key(path: Path) -> bytes:
    """Write a new private key to ``path``, readable by its owner only; returns the PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return pem


def public_key_base64(pem: bytes) -> str:
    """The ``p=`` of the DNS record: the public key's SubjectPublicKeyInfo, base64."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pem, password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def record_value(pem: bytes) -> str:
    return f"v=DKIM1; k=rsa; p={public_key_base64(pem)}"


def read_key(app: Flask | None = None) -> bytes | None:
    try:
        return key_path(app).read_bytes()
    except FileNotFoundError:
        return None


def signed(message: EmailMessage) -> EmailMessage:
    """``message`` with a DKIM-Signature header, when the site has a key and
    ``MAIL_FROM`` a domain; else as it was."""
    pem = read_key()
    domain = sender_domain()
    if pem is None or not domain:
        return message
    import dkim  # with dnspython and cryptography: the mail worker's, not a web worker's

    # Signed as smtplib will send it: CRLF line ends (its send_message flattens so).
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    present = [name for name in SIGNED_HEADERS if name.decode() in message]
    header = dkim.sign(
        raw,
        current_app.config["DKIM_SELECTOR"].encode(),
        domain.encode(),
        pem,
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=present,
    )
    name, _colon, value = header.decode().partition(":")
    # Kept as dkimpy folded it; relaxed canonicalisation ignores the folding anyway.
    message.set_raw(name, value.strip().replace("\r\n", "\n"))
    return message
