"""Flask's signed-cookie session, with its signing serializer built once per set of keys.

Flask builds a new itsdangerous serializer each time a session is opened, for every
request, even one without a cookie: a tenth of the cost of a page a worker keeps.
The serializer holds only the keys and settings, so one per set of keys serves every
request and thread. A request with no cookie at all gets its new, empty session without
the cookie lookup. Nothing else about the session changes."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Keyed by the keys themselves: rotating SECRET_KEY (with the old one in
        # SECRET_KEY_FALLBACKS) gets a new serializer, and cookies signed with either work.
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        found = self._serializers.get(keys)
        if found is None:
            found = super().get_signing_serializer(app)
            # A new dict, not an update in place: threads reading the old one see a whole one.
            self._serializers = {**self._serializers, keys: found}
        return found

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No Cookie header at all (every anonymous reader): a new session, without
        # parsing cookies and looking one up, which raises and catches a KeyError.
        if "HTTP_COOKIE" not in request.environ and self.get_signing_serializer(app):
            return self.session_class()
        return super().open_session(app, request)
