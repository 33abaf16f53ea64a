"""An op-ed in English, Khmer and a third language, linked by an editor: each version
names every other (hreflang, reciprocally, with x-default), shows a language switch
in each language's own script, the sitemap lists the alternates, and feeds and
listings can be read in one language."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from xml.etree import ElementTree as ET

import feedparser
import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import ROLE_EDITOR, PostStatus, PostTranslation, utcnow
from tests.factories import make_post, make_user
from tests.helpers import csrf_token_from, url_of

SITE = "http://localhost"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture
def editor(client, login_as, ctx):
    return login_as(make_user("desk", role=ROLE_EDITOR))


def link(client, post, other):
    token = csrf_token_from(client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True))
    return client.post(
        f"/admin/posts/{post.id}/translations",
        data={"csrf_token": token, "other_id": str(other.id)},
    )


def alternates(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


@pytest.fixture
def trio(client, editor, ctx):
    now = utcnow()
    en = make_post("Trust in the courts", "English text.", published_at=now - timedelta(days=3))
    km = make_post("ទំនុកចិត្តលើតុលាការ", "អត្ថបទ។", language="km", published_at=now - timedelta(days=2))
    fr = make_post(
        "La confiance dans les tribunaux",
        "Texte.",
        language="fr",
        published_at=now - timedelta(days=1),
    )
    assert link(client, en, km).status_code == 303
    assert link(client, fr, km).status_code == 303  # joins the group through its Khmer post
    return {"en": en, "km": km, "fr": fr}


def test_every_linked_pair_points_both_ways_with_one_x_default(app, trio, ctx):
    reader = app.test_client()
    pages = {lang: reader.get(url_of(post)).get_data(as_text=True) for lang, post in trio.items()}
    found = {lang: alternates(html) for lang, html in pages.items()}
    urls = {lang: SITE + url_of(post) for lang, post in trio.items()}
    for a, b in itertools.permutations(trio, 2):
        assert found[a][b] == urls[b], f"{a} does not name its {b} version"
        assert found[b][a] == urls[a], f"{b} does not name its {a} version"
    for lang in trio:
        assert found[lang][lang] == urls[lang]  # each names itself too, as Google asks
        assert found[lang]["x-default"] == urls["en"]  # the site's own language
        assert set(found[lang]) == {"en", "km", "fr", "x-default"}


def test_language_switch_names_each_version_in_its_own_script(app, trio, ctx):
    html = app.test_client().get(url_of(trio["en"])).get_data(as_text=True)
    switch = re.search(r'<nav class="language-switch".*?</nav>', html, re.S).group(0)
    assert '<span aria-current="true" lang="en">English</span>' in switch
    assert f'<a href="{url_of(trio["km"])}" hreflang="km" lang="km">ខ្មែរ</a>' in switch
    assert 'hreflang="fr" lang="fr">fr</a>' in switch


def test_a_draft_translation_is_named_nowhere(app, client, editor, ctx):
    en = make_post("Published", "Text.")
    km = make_post("សេចក្តីព្រាង", "អត្ថបទ។", language="km", status=PostStatus.DRAFT)
    link(client, en, km)
    html = app.test_client().get(url_of(en)).get_data(as_text=True)
    assert alternates(html) == {} and "language-switch" not in html
    assert "xhtml:link" not in app.test_client().get("/sitemap.xml").get_data(as_text=True)


def test_sitemap_lists_the_alternates_of_every_version(app, trio, ctx):
    body = app.test_client().get("/sitemap.xml").data
    root = ET.fromstring(body)
    urls = {lang: SITE + url_of(post) for lang, post in trio.items()}
    by_loc = {u.find("s:loc", NS).text: u for u in root.findall("s:url", NS)}
    for lang, url in urls.items():
        links = {x.get("hreflang"): x.get("href") for x in by_loc[url].findall("x:link", NS)}
        assert links == {**urls, "x-default": urls["en"]}, lang


def test_feeds_and_listings_in_one_language(app, trio, ctx):
    reader = app.test_client()
    make_post("Only in English", "Text.")
    km_feed = feedparser.parse(reader.get("/feed/?lang=km").data)
    assert [e.title for e in km_feed.entries] == ["ទំនុកចិត្តលើតុលាការ"]
    assert km_feed.feed.language == "km"
    assert {x.href for x in km_feed.feed.links} == {f"{SITE}/feed/?lang=km", f"{SITE}/?lang=km"}
    en_atom = feedparser.parse(reader.get("/feed/atom/?lang=en").data)
    assert {e.title for e in en_atom.entries} == {"Trust in the courts", "Only in English"}
    all_titles = {e.title for e in feedparser.parse(reader.get("/feed/").data).entries}
    assert len(all_titles) == 4
    assert len(feedparser.parse(reader.get("/feed/?lang=xx").data).entries) == 4

    listing = reader.get("/?lang=km").get_data(as_text=True)
    main = listing.split("<main")[1].split("</main>")[0]  # the sidebar lists every language
    assert "ទំនុកចិត្តលើតុលាការ" in main and "Only in English" not in main
    assert '<span aria-current="true" lang="km">ខ្មែរ</span>' in listing
    assert reader.get("/").get_data(as_text=True) != listing  # lang is in the cache key


def test_listing_pagination_keeps_the_language(app, client, ctx):
    start = utcnow() - timedelta(days=40)
    for i in range(app.config["POSTS_PER_PAGE"] + 2):
        make_post(
            f"ខ្មែរ {i}",
            "អត្ថបទ។",
            language="km",
            published_at=start + timedelta(hours=i),
            commit=False,
        )
    db.session.commit()
    html = client.get("/?lang=km").get_data(as_text=True)
    assert 'href="/page/2/?lang=km" rel="next"' in html


def test_linking_refuses_two_versions_in_one_language_and_unlinks(app, client, editor, ctx):
    a, b = make_post("One", "Text."), make_post("Two", "Text.")
    km = make_post("បី", "អត្ថបទ។", language="km")
    response = link(client, a, b)
    assert "Each language can have one version" in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(PostTranslation)) == 0
    link(client, a, km)
    editor_page = client.get(f"/admin/posts/{a.id}/edit").get_data(as_text=True)
    assert "ខ្មែរ: <a href=" in editor_page
    token = csrf_token_from(editor_page)
    client.post(f"/admin/posts/{km.id}/translations/unlink", data={"csrf_token": token})
    assert db.session.scalar(select(db.func.count()).select_from(PostTranslation)) == 0
    assert alternates(app.test_client().get(url_of(a)).get_data(as_text=True)) == {}


def test_a_linked_version_is_the_same_bytes_for_every_reader(app, trio, ctx):
    one, two = app.test_client().get(url_of(trio["km"])), app.test_client().get(url_of(trio["km"]))
    assert one.data == two.data and one.headers["ETag"] == two.headers["ETag"]
    assert one.headers["Cache-Control"].startswith("public")
    assert b"csrf_token" not in one.data
