"""The blog's key pair: RSA 2048, made on first use and kept in the database (so
every worker and host signs with the same key, and it is never in git). Every actor
of the blog shows this public key under its own key id."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from blogapp import clock
from blogapp.database import commit_write
from blogapp.extensions import db
from blogapp.models import FediverseKey
from blogapp.upsert import insert_for

MAIN = "main"
_KEPT = "blogapp.fediverse_key"


def _generate() -> tuple[str, str]:
    # Imported here: only the first key ever made needs it (see signatures.py).
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def key_pair() -> tuple[str, str]:
    """(private PEM, public PEM), kept by each worker once read (the pair never
    changes); the first call anywhere makes them (commits then)."""
    kept = current_app.extensions.get(_KEPT)
    if kept is None:
        kept = current_app.extensions[_KEPT] = _stored_pair()
    return kept


def _stored_pair() -> tuple[str, str]:
    found = db.session.execute(
        select(FediverseKey.private_pem, FediverseKey.public_pem).where(FediverseKey.name == MAIN)
    ).first()
    if found is not None:
        return found.private_pem, found.public_pem
    private, public = _generate()

    def store() -> None:
        # Two workers may both make one: the first stored wins, the other is dropped.
        db.session.execute(
            insert_for(db.session, FediverseKey.__table__)
            .values(name=MAIN, private_pem=private, public_pem=public, created_at=clock.now())
            .on_conflict_do_nothing(index_elements=["name"])
        )

    commit_write(store)
    return _stored_pair()
