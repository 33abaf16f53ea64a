"""Only a POST acts: every link a mail carries opens a page whose button POSTs.

Mail scanners and link previews send HEAD and GET, and Flask answers HEAD with a
route's GET view; neither may approve a comment, confirm or end a subscription,
export or erase a reader's data. The walk takes every link of every kind of mail
the blog sends (a held comment, a reply-notification confirmation, a newsletter
confirmation and issue, a reader-data request, a password reset), opens each with
HEAD and GET, and compares every table before and after. It also checks that no
route with a token in its address is missing from the walk."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from blogapp.comments import services
from blogapp.extensions import db
from blogapp.models import Comment, utcnow
from tests.factories import make_post, make_user
from tests.helpers import BROWSER_POST, csrf_token_from
from tests.helpers_mail import Inbox, SMTPServer, deliver, links_in, path_of, send_comment

READER = "dara@example.org"
# Token routes that only show (no POST); everything else with a token is a mail link.
SHOW_ONLY = {"preview.show"}


@pytest.fixture
def inbox(app, clock, ctx):
    handler = Inbox()
    with SMTPServer(handler) as server:
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=server.port,
            COMMENT_NOTIFY_EMAILS="sokha@example.org",
        )
        yield handler


def every_mail_link(client, inbox, clock) -> list[str]:
    """Make the blog send each kind of mail that carries a link; every link, once."""
    editor = make_user("sokha", display_name="Sokha Chan", email="sokha@example.org")
    post = make_post("Water rights")
    # A held comment (Approve, Spam, Trash), and one approved with a box ticked
    # (its confirmation mail: confirm, unsubscribe, your subscriptions).
    send_comment(client, post, "Dams upstream change everything.", email=READER, replies=True)
    send_comment(client, post, "A second thought.", email=READER, replies=True)
    first = db.session.scalars(select(Comment).order_by(Comment.id)).first()
    assert services.approve(first, editor)
    db.session.commit()
    # The newsletter: a confirmation, and an issue to a confirmed reader.
    for address in ("vanna@example.org", READER):
        client.post(
            "/newsletter/subscribe", data={"email": address, "lists": "en"}, headers=BROWSER_POST
        )
    deliver()
    [confirm] = [u for u in links_in(inbox.to(READER)[-1]) if "/newsletter/confirm/" in u]
    assert client.post(path_of(confirm)).status_code == 200
    clock.advance(minutes=1)
    make_post("Tomorrow", published_at=utcnow())
    # A reader's data (export and erasure), and a password reset.
    for what in ("export", "erase"):
        client.post("/your-data/", data={"email": READER, "what": what}, headers=BROWSER_POST)
    page = client.get("/login/forgot").get_data(as_text=True)
    client.post(
        "/login/forgot", data={"email": "sokha@example.org", "csrf_token": csrf_token_from(page)}
    )
    deliver()
    found = []
    for mail in inbox.messages:
        urls = links_in(mail)
        if mail["List-Unsubscribe"]:
            urls.append(mail["List-Unsubscribe"].strip("<>"))
        found += [path_of(u) for u in urls if path_of(u) not in found]
    return found


def endpoint_of(app, path: str) -> str:
    return app.url_map.bind("localhost").match(path.split("?")[0])[0]


def every_row() -> dict[str, list]:
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        rows[table.name] = sorted(
            (tuple(map(repr, row)) for row in db.session.execute(select(table))), key=repr
        )
    db.session.commit()
    return rows


def test_head_and_get_of_every_mail_link_change_nothing(app, client, inbox, clock, ctx):
    paths = every_mail_link(client, inbox, clock)
    walked = {endpoint_of(app, p) for p in paths}
    # A link is opened with GET (or HEAD): a route with a token that takes only POST (a
    # button on a page a link opens) cannot be a mail link, and answers a link 405.
    token_routes = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if "token" in r.arguments and "GET" in (r.methods or ())
    }
    assert token_routes - SHOW_ONLY <= walked, "a mail link the walk does not reach"
    before = every_row()
    assert before["comments"] and before["used_tokens"] == []

    for path in paths:
        for method in ("HEAD", "GET"):
            response = client.open(path, method=method)
            assert response.status_code < 500, (method, path)
            assert every_row() == before, f"{method} {path} changed the database"


def test_one_click_unsubscribe_still_acts_with_a_post(app, client, inbox, clock, ctx):
    paths = every_mail_link(client, inbox, clock)
    unsubscribe = [p for p in paths if endpoint_of(app, p) == "comment_mail.unsubscribe"]
    assert unsubscribe
    response = client.post(unsubscribe[0], data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and response.get_data(as_text=True) == "Unsubscribed.\n"


def test_head_on_the_form_asking_for_a_readers_data_sends_nothing(app, client, inbox, ctx):
    """The form's own page: a HEAD with the form's fields is not the form's POST."""
    send_comment(client, make_post("Dams"), "Mine.", email=READER)
    before = every_row()
    response = client.open(
        "/your-data/", method="HEAD", headers=BROWSER_POST, data={"email": READER, "what": "erase"}
    )
    assert response.status_code == 200
    assert every_row() == before
