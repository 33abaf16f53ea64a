"""The cookie session's signing serializer is kept per set of keys, so rotating
SECRET_KEY (with or without the old key as a fallback) still works as Flask's."""

from __future__ import annotations

from tests.factories import make_post


def _session_holds_token(client, permalink) -> bool:
    with client.session_transaction() as session:
        return "csrf_token" in session


def test_sessions_follow_secret_key_rotation(app, client):
    post = make_post("Rotation")
    permalink = f"/{post.published_at:%Y/%m/%d}/{post.slug}/"
    assert client.get(permalink).status_code == 200  # the comment form's token: a session
    assert _session_holds_token(client, permalink)

    app.config["SECRET_KEY_FALLBACKS"] = [app.secret_key]
    app.secret_key = "a-new-key-after-rotation"
    assert _session_holds_token(client, permalink)  # signed with the old key: still read

    app.config["SECRET_KEY_FALLBACKS"] = []
    assert not _session_holds_token(client, permalink)  # old key retired: cookie ignored
