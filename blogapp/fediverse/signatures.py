"""HTTP Signatures as Mastodon speaks them (draft-cavage-http-signatures-12):
``rsa-sha256`` over ``(request-target) host date digest``, with a SHA-256 ``Digest``
of the body. Pure functions over header mappings, so the published test vectors
(tests/test_fediverse_signatures.py) run through exactly what requests do.

Verifying needs the signer's public key: the caller looks it up by ``key_id``
(``parse`` gives it) and passes the PEM."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

# cryptography (about 6 MB) is imported where a key is used: a web worker that only
# serves readers never signs or verifies anything.

SIGNED_ON_POST = ("(request-target)", "host", "date", "digest")
SIGNED_ON_GET = ("(request-target)", "host", "date")
_PARAM = re.compile(r'\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


class SignatureError(ValueError):
    """Why a request's signature is refused (the inbox answers 401 with it)."""


@dataclass(frozen=True)
class Parsed:
    key_id: str
    algorithm: str
    headers: tuple[str, ...]
    signature: bytes


def digest(body: bytes) -> str:
    return "SHA-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()


def http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def signing_string(
    method: str, path: str, headers: Mapping[str, str], names: tuple[str, ...]
) -> str:
    """The lines that are signed: ``name: value``, ``(request-target)`` being the
    lower-case method and the path with its query."""
    lower = {k.lower(): v for k, v in headers.items()}
    lines = []
    for name in names:
        if name == "(request-target)":
            lines.append(f"(request-target): {method.lower()} {path}")
        elif name in lower:
            lines.append(f"{name}: {lower[name].strip()}")
        else:
            raise SignatureError(f"the signed header {name!r} is missing")
    return "\n".join(lines)


@lru_cache(maxsize=4)
def _private_key(pem: str) -> rsa.RSAPrivateKey:
    """Loaded once per worker: loading checks the key, which costs ~300 ms, far more
    than a signature (a few ms)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("an RSA key is needed for rsa-sha256")
    return key


@lru_cache(maxsize=256)
def _public_key(pem: str):
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    return load_pem_public_key(pem.encode())


def sign(
    private_pem: str,
    key_id: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    names: tuple[str, ...],
) -> str:
    """The ``Signature`` header's value for a request with ``headers``."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = _private_key(private_pem)
    message = signing_string(method, path, headers, names).encode()
    value = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return (
        f'keyId="{key_id}",algorithm="rsa-sha256",headers="{" ".join(names)}",signature="{value}"'
    )


def signed_headers(
    private_pem: str,
    key_id: str,
    method: str,
    url_host: str,
    path: str,
    moment: datetime,
    body: bytes | None = None,
) -> dict[str, str]:
    """Host, Date, (for a body) Digest, and the Signature over them."""
    headers = {"Host": url_host, "Date": http_date(moment)}
    names = SIGNED_ON_GET
    if body is not None:
        headers["Digest"] = digest(body)
        names = SIGNED_ON_POST
    headers["Signature"] = sign(private_pem, key_id, method, path, headers, names)
    return headers


def parse(header: str | None) -> Parsed:
    if not header:
        raise SignatureError("the request is not signed")
    params = {k.lower(): v for k, v in _PARAM.findall(header)}
    try:
        key_id, value = params["keyid"], params["signature"]
    except KeyError:
        raise SignatureError("the Signature header has no keyId or signature") from None
    algorithm = params.get("algorithm", "hs2019").lower()
    if algorithm not in ("rsa-sha256", "hs2019"):  # hs2019: "look at the key", RSA here
        raise SignatureError(f"the algorithm {algorithm!r} is not supported")
    try:
        signature = base64.b64decode(value, validate=True)
    except ValueError:
        raise SignatureError("the signature is not base64") from None
    names = tuple(params.get("headers", "date").lower().split())
    return Parsed(key_id, algorithm, names, signature)


def check_headers(
    parsed: Parsed,
    method: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    max_age: float,
) -> None:
    """What must be signed, and whether the date and the digest are right."""
    required = SIGNED_ON_POST if method.upper() == "POST" else SIGNED_ON_GET
    missing = [name for name in required if name not in parsed.headers]
    if missing:
        raise SignatureError(f"the signature does not cover {', '.join(missing)}")
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        sent = parsedate_to_datetime(lower.get("date", ""))
    except (TypeError, ValueError):
        raise SignatureError("the Date header is missing or unreadable") from None
    if sent.tzinfo is None or abs((now - sent).total_seconds()) > max_age:
        raise SignatureError("the Date header is too far from now")
    if method.upper() == "POST":
        given = lower.get("digest", "")
        algorithm, _, _ = given.partition("=")
        if algorithm.upper() != "SHA-256" or "SHA-256" + given[7:] != digest(body):
            raise SignatureError("the Digest does not match the body")


def verify(
    parsed: Parsed, public_pem: str, method: str, path: str, headers: Mapping[str, str]
) -> bool:
    """Whether ``parsed.signature`` is the key's signature of this request."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    try:
        key = _public_key(public_pem)
    except ValueError:
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        message = signing_string(method, path, headers, parsed.headers).encode()
        key.verify(parsed.signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, SignatureError):
        return False
    return True
