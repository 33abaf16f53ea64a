"""An editor corrects a published op-ed in the open: a dated note at the top of the
post, a newer feed item and JSON-LD ``dateModified``, the site's ``/corrections/``
page and feed, and a note that is never rewritten without trace."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import ROLE_EDITOR, Correction, CorrectionVersion, PostStatus
from tests.factories import make_post, make_user
from tests.helpers import FakeClock, csrf_token_from, url_of

DAY = 24 * 3600


@pytest.fixture
def clock(app, ctx):
    clock = FakeClock()
    app.config["CLOCK"] = clock
    return clock


@pytest.fixture
def editor(client, login_as, ctx):
    return login_as(make_user("desk", role=ROLE_EDITOR))


def add_note(client, post, body, kind="correction"):
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    token = csrf_token_from(page)
    return client.post(
        f"/admin/posts/{post.id}/corrections",
        data={"csrf_token": token, "kind": kind, "body": body},
    )


def change(client, post, note_id, body, kind="correction"):
    token = csrf_token_from(client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True))
    return client.post(
        f"/admin/posts/{post.id}/corrections/{note_id}",
        data={"csrf_token": token, "kind": kind, "body": body},
    )


def json_ld(html: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html)
    return json.loads(found.group(1))


def test_notes_show_at_the_top_in_order_and_move_the_feed_and_json_ld(
    app, client, clock, editor, ctx
):
    post = make_post("Courts and confidence", "The court ruled **twice**.")
    published = post.published_at
    clock.advance(DAY)
    assert add_note(client, post, "An earlier version gave the wrong year.").status_code == 303
    clock.advance(DAY)
    add_note(client, post, "The ministry has since replied.", kind="update")
    noted = datetime.fromtimestamp(clock(), UTC)

    reader = app.test_client()
    html = reader.get(url_of(post)).get_data(as_text=True)
    notes_at = html.index('class="entry-notes"')
    assert html.index("entry-title") < notes_at < html.index('class="entry-content"')
    first, second = html.index("gave the wrong year"), html.index("has since replied")
    assert first < second
    assert re.search(r"<strong>Correction, <time [^>]+>[^<]+</time>:</strong>", html)
    assert re.search(r"<strong>Update, <time [^>]+>[^<]+</time>:</strong>", html)

    modified = datetime.fromisoformat(json_ld(html)["dateModified"])
    assert modified == noted.replace(microsecond=0) > published
    assert f'article:modified_time" content="{json_ld(html)["dateModified"]}"' in html

    feed = feedparser.parse(reader.get("/feed/atom/").data)
    entry = next(e for e in feed.entries if e.title == "Courts and confidence")
    assert datetime(*entry.updated_parsed[:6], tzinfo=UTC) == noted.replace(microsecond=0)
    rss = feedparser.parse(reader.get("/feed/").data)
    assert datetime(*rss.feed.updated_parsed[:6], tzinfo=UTC) == noted.replace(microsecond=0)


def test_corrections_page_and_feed_list_every_note_newest_first(app, client, clock, editor, ctx):
    first = make_post("Budget lines", "Numbers.")
    second = make_post("ការបោះឆ្នោត", "អត្ថបទ។", language="km")
    add_note(client, first, "The total was 4.2 billion riel, not 4.2 million.")
    clock.advance(60)
    add_note(client, second, "កែតម្រូវ៖ កាលបរិច្ឆេទ។")

    reader = app.test_client()
    page = reader.get("/corrections/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"].startswith("public")
    html = page.get_data(as_text=True)
    assert html.index("កែតម្រូវ") < html.index("4.2 billion riel")
    assert f'href="{url_of(first)}#correction-' in html
    assert 'href="http://localhost/corrections/feed/"' in html  # the page's own feed link

    feed = feedparser.parse(reader.get("/corrections/feed/").data)
    assert feed.bozo == 0
    assert [e.title.split(" to ")[0] for e in feed.entries] == ["Correction", "Correction"]
    assert "“Budget lines”" in feed.entries[1].title
    assert feed.entries[1].link.startswith(f"http://localhost{url_of(first)}#correction-")
    assert "4.2 billion riel" in feed.entries[1].summary
    assert reader.get("/corrections/page/2/").status_code == 404


def test_changing_a_note_keeps_what_it_said_before(app, client, clock, editor, ctx):
    post = make_post("Water rights", "Text.")
    add_note(client, post, "The river is the Sekong.")
    note = db.session.scalar(select(Correction))
    clock.advance(3600)
    response = change(client, post, note.id, "The river is the Sesan, not the Sekong.")
    assert response.status_code == 303

    db.session.expire_all()
    versions = db.session.scalars(select(CorrectionVersion.body).order_by(CorrectionVersion.id))
    assert list(versions) == ["The river is the Sekong.", "The river is the Sesan, not the Sekong."]
    html = app.test_client().get(url_of(post)).get_data(as_text=True)
    shown = html.split('class="entry-notes"')[1].split("</section>")[0]
    assert "The river is the Sesan, not the Sekong." in shown
    assert "what this note said before" in shown and "The river is the Sekong.</p>" in shown
    # The same text again changes nothing and stores no version.
    change(client, post, note.id, "The river is the Sesan, not the Sekong.")
    assert db.session.scalar(select(db.func.count()).select_from(CorrectionVersion)) == 2


def test_refused_notes_store_nothing(app, client, editor, ctx):
    draft = make_post("Not out yet", status=PostStatus.DRAFT)
    post = make_post("Out", "Text.")
    add_note(client, draft, "Too early.")
    page = add_note(client, post, "   ")
    assert page.status_code == 303
    followed = client.get(page.headers["Location"]).get_data(as_text=True)
    assert "This field is required." in followed or "Write what was wrong" in followed
    no_token = client.post(f"/admin/posts/{post.id}/corrections", data={"body": "x"})
    assert no_token.status_code in (303, 400)
    assert change(client, post, 999, "No such note.").status_code == 404
    assert db.session.scalar(select(db.func.count()).select_from(Correction)) == 0
    draft_page = client.get(f"/admin/posts/{draft.id}/edit").get_data(as_text=True)
    assert "Notes can be added once the post is published." in draft_page


def test_readers_cannot_add_notes(app, client, ctx):
    post = make_post("Out", "Text.")
    response = client.post(f"/admin/posts/{post.id}/corrections", data={"body": "x"})
    assert response.status_code in (302, 400)
    assert db.session.scalar(select(db.func.count()).select_from(Correction)) == 0


def test_post_with_notes_is_the_same_bytes_for_every_reader(app, client, editor, ctx):
    post = make_post("Cached", "Text.")
    add_note(client, post, "A fix.")
    one, two = app.test_client().get(url_of(post)), app.test_client().get(url_of(post))
    assert one.data == two.data and one.headers["ETag"] == two.headers["ETag"]
    assert one.headers["Cache-Control"].startswith("public")


def test_notes_are_dated_in_the_site_time_zone(app, client, clock, editor, ctx):
    clock.now = datetime(2026, 12, 2, 23, 30, tzinfo=UTC).timestamp()
    post = make_post("Late", "Text.", published_at=datetime(2026, 12, 1, tzinfo=UTC))
    clock.advance(timedelta(hours=2).total_seconds())
    add_note(client, post, "A late fix.")
    html = app.test_client().get(url_of(post)).get_data(as_text=True)
    assert re.search(r"Correction, <time datetime=\"2026-12-0[34]T", html)


def test_the_sitemap_dates_a_corrected_post_by_its_newest_note(app, client, clock, editor, ctx):
    post = make_post("Mapped", "Text.")
    clock.advance(2 * DAY)
    add_note(client, post, "A fix.")
    noted = datetime.fromtimestamp(clock(), UTC).replace(microsecond=0)
    sitemap = app.test_client().get("/sitemap.xml").get_data(as_text=True)
    entry = sitemap.split(f"<loc>http://localhost{url_of(post)}</loc>")[1].split("</url>")[0]
    lastmod = re.search(r"<lastmod>([^<]+)</lastmod>", entry).group(1)
    assert datetime.fromisoformat(lastmod) == noted
