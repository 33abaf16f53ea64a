"""Flask's signed-cookie session, with its signing serializer built once per key.

Flask builds a new itsdangerous serializer each time a session is opened and
again when it is saved; a reader's kept post page (``http_cache.FastAnswers``)
does both, and building them was a tenth of its cost. The serializer holds only
the keys and settings, so one per set of keys serves every request and thread."""

from __future__ import annotations

import threading

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}
        self._lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Keyed by the keys themselves: a test or a reload that changes them gets a new one.
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        found = self._serializers.get(keys)
        if found is None:
            found = super().get_signing_serializer(app)
            with self._lock:
                self._serializers = {**self._serializers, keys: found}
        return found
