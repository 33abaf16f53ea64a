"""The session's signing serializer is built once per set of keys (blogapp.cookie_session),
and rotating the key still works: a cookie signed with the old key is read while that
key is in SECRET_KEY_FALLBACKS, and not once it is gone."""

from __future__ import annotations

from tests.factories import make_user


def test_one_serializer_per_set_of_keys(app, ctx):
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    app.secret_key = "another-key"
    assert interface.get_signing_serializer(app) is not first


def test_rotating_the_key_keeps_sessions_signed_with_the_fallback(app, client, login_as, ctx):
    user = make_user(login="rotating", role="editor")
    login_as(user)
    assert client.get("/admin/").status_code == 200
    old = app.secret_key
    app.secret_key = "the-new-key"
    app.config["SECRET_KEY"] = "the-new-key"
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert client.get("/admin/").status_code == 200  # the old cookie still reads
    app.config["SECRET_KEY_FALLBACKS"] = []
    answer = client.get("/admin/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
