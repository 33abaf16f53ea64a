"""The published test vectors of draft-cavage-http-signatures-12 (Appendix C),
written out from the spec: its test key, its request, and the signatures of the
"basic" and "all headers" tests. Our verifier accepts them, and our signer, given
the same key and request, makes the very same signatures (RSA PKCS#1 v1.5 is
deterministic)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization

from blogapp.fediverse import signatures

# Appendix C: the RSA key "Test".
PUBLIC_KEY = """-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----
"""
PRIVATE_KEY = """-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----
"""

# Appendix C's request: POST /foo?param=value&pet=dog with this body.
METHOD, PATH = "POST", "/foo?param=value&pet=dog"
BODY = b'{"hello": "world"}'
HEADERS = {
    "Host": "example.com",
    "Date": "Sun, 05 Jan 2014 21:31:40 GMT",
    "Content-Type": "application/json",
    "Digest": "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
    "Content-Length": "18",
}
SENT_AT = datetime(2014, 1, 5, 21, 31, 40, tzinfo=UTC)

# C.2 "Basic Test" and C.3 "All Headers Test".
BASIC = (
    "(request-target) host date",
    "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2i"
    "icw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr"
    "2Os0=",
)
ALL_HEADERS = (
    "(request-target) host date content-type digest content-length",
    "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEK"
    "BIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zk"
    "ly4zKH7s1dE=",
)


def header(names: str, signature: str) -> str:
    """The Signature header as the spec writes it (with its spaces after commas)."""
    return f'keyId="Test", algorithm="rsa-sha256", headers="{names}", signature="{signature}"'


def test_the_test_key_pair_belongs_together():
    private = serialization.load_pem_private_key(PRIVATE_KEY.encode(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public.decode() == PUBLIC_KEY


def test_the_digest_of_the_body_is_the_spec_one():
    assert signatures.digest(BODY) == HEADERS["Digest"]


@pytest.mark.parametrize(("names", "signature"), [BASIC, ALL_HEADERS])
def test_our_verifier_accepts_the_published_signatures(names, signature):
    parsed = signatures.parse(header(names, signature))
    assert parsed.key_id == "Test" and parsed.headers == tuple(names.split())
    assert signatures.verify(parsed, PUBLIC_KEY, METHOD, PATH, HEADERS)
    if "digest" in names:  # at the time it was made it passes the date and digest checks
        signatures.check_headers(parsed, METHOD, HEADERS, BODY, SENT_AT, max_age=300)
    # A changed header, path or method breaks it.
    assert not signatures.verify(
        parsed, PUBLIC_KEY, METHOD, PATH, {**HEADERS, "Host": "example.org"}
    )
    assert not signatures.verify(parsed, PUBLIC_KEY, METHOD, "/foo", HEADERS)
    assert not signatures.verify(parsed, PUBLIC_KEY, "GET", PATH, HEADERS)


@pytest.mark.parametrize(("names", "signature"), [BASIC, ALL_HEADERS])
def test_our_signer_makes_the_published_signatures(names, signature):
    made = signatures.sign(PRIVATE_KEY, "Test", METHOD, PATH, HEADERS, tuple(names.split()))
    assert made == (
        f'keyId="Test",algorithm="rsa-sha256",headers="{names}",signature="{signature}"'
    )


def test_a_stale_date_and_a_wrong_digest_are_refused():
    parsed = signatures.parse(header("(request-target) host date digest", "AAAA"))
    later = datetime(2014, 1, 5, 23, 31, 40, tzinfo=UTC)
    with pytest.raises(signatures.SignatureError, match="Date"):
        signatures.check_headers(parsed, METHOD, HEADERS, BODY, later, max_age=3600)
    with pytest.raises(signatures.SignatureError, match="Digest"):
        signatures.check_headers(parsed, METHOD, HEADERS, b'{"hello": "moon"}', SENT_AT, 300)
    basic = signatures.parse(header(*BASIC))  # signs no digest: not enough for a POST
    with pytest.raises(signatures.SignatureError, match="digest"):
        signatures.check_headers(basic, METHOD, HEADERS, BODY, SENT_AT, 300)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        'keyId="Test"',
        'keyId="a",signature="%%%"',
        'keyId="a",algorithm="hmac-sha256",signature="AAAA"',
    ],
)
def test_unreadable_signature_headers_are_refused(bad):
    with pytest.raises(signatures.SignatureError):
        signatures.parse(bad)
