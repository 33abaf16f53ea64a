"""The interface speaks the page's language: a post's own, a listing's ``?lang=``, else
the site's; never the reader's Accept-Language or a cookie. Kept pages in two languages
sit side by side in the page cache without mixing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import request

from blogapp.content_version import versions
from blogapp.extensions import db
from blogapp.models import utcnow
from blogapp.page_cache import _page_key
from blogapp.translations.services import link
from tests.factories import make_post
from tests.helpers import url_of


def html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)">', html).group(1)


def header_switch(html: str) -> tuple[str, str]:
    found = re.search(r'<p class="language-toggle"><a href="([^"]+)" lang="([^"]+)"', html)
    return found.group(1), found.group(2)


@pytest.fixture
def posts(app, ctx):
    now = utcnow()
    en = make_post("Courts and the press", "Words.", published_at=now - timedelta(days=3))
    km = make_post(
        "តុលាការ និងសារព័ត៌មាន", "អត្ថបទ។", language="km", published_at=now - timedelta(days=2)
    )
    alone = make_post("A post with no translation", "Words.", published_at=now - timedelta(days=1))
    link(en, km)
    db.session.commit()
    return {"en": url_of(en), "km": url_of(km), "alone": url_of(alone)}


def test_a_post_speaks_its_own_language_whatever_the_reader_asks(client, posts):
    for headers in ({}, {"Accept-Language": "en"}, {"Accept-Language": "km"}):
        html = client.get(posts["km"], headers=headers).get_data(as_text=True)
        assert html_lang(html) == "km"
    client.set_cookie("lang", "en")
    assert html_lang(client.get(posts["km"] + "?lang=en").get_data(as_text=True)) == "km"
    assert (
        html_lang(client.get(posts["en"], headers={"Accept-Language": "km"}).get_data(as_text=True))
        == "en"
    )


def test_a_listing_speaks_its_lang_parameter_else_the_sites(app, client, posts):
    assert (
        html_lang(client.get("/", headers={"Accept-Language": "km"}).get_data(as_text=True)) == "en"
    )
    assert html_lang(client.get("/?lang=km").get_data(as_text=True)) == "km"
    assert html_lang(client.get("/?lang=xx").get_data(as_text=True)) == "en"
    assert html_lang(client.get("/no/such/page/?lang=km").get_data(as_text=True)) == "km"
    response = client.get("/?lang=km")
    assert "Accept-Language" not in response.headers.get("Vary", "")
    assert "Content-Language" not in response.headers


def test_a_khmer_first_site_speaks_khmer_by_default(app, client, posts):
    app.config["SITE_LANGUAGE"] = "km"
    assert html_lang(client.get("/").get_data(as_text=True)) == "km"
    assert html_lang(client.get("/?lang=en").get_data(as_text=True)) == "en"


def test_the_header_switch_leads_to_the_translation_or_the_same_listing(client, posts):
    assert header_switch(client.get(posts["en"]).get_data(as_text=True)) == (posts["km"], "km")
    assert header_switch(client.get(posts["km"]).get_data(as_text=True)) == (posts["en"], "en")
    # No translation: the front page in the other language.
    assert header_switch(client.get(posts["alone"]).get_data(as_text=True)) == ("/?lang=km", "km")
    assert header_switch(client.get("/?lang=km").get_data(as_text=True)) == ("/?lang=en", "en")
    year = posts["en"].split("/")[1]
    html = client.get(f"/{year}/?utm_source=x").get_data(as_text=True)
    assert header_switch(html) == (f"/{year}/?lang=km", "km")  # no junk carried over


def test_other_language_titles_are_marked_in_the_sidebar(client, posts):
    html = client.get("/?lang=km").get_data(as_text=True)
    sidebar = html.split('<aside class="sidebar"')[1]
    assert re.search(r'<a href="[^"]+" lang="en">Courts and the press</a>', sidebar)
    assert re.search(r'<a href="[^"]+" lang="km">តុលាការ និងសារព័ត៌មាន</a>', sidebar)


def test_kept_pages_in_two_languages_never_mix(app, client, posts):
    """The page cache is on: each language is kept under its own key, junk parameters
    and unknown languages share the plain page's, and each stays itself on a hit."""
    first = {q: client.get("/" + q) for q in ("", "?lang=km")}
    assert all(r.status_code == 200 for r in first.values())
    again = {
        "": client.get("/?utm_source=feed&lang=xx"),
        "?lang=km": client.get("/?fbclid=1&lang=km&lang=en"),
    }
    for query, response in again.items():
        assert response.get_data() == first[query].get_data(), query
        assert response.headers["ETag"] == first[query].headers["ETag"]
    assert first[""].headers["ETag"] != first["?lang=km"].headers["ETag"]
    assert html_lang(again["?lang=km"].get_data(as_text=True)) == "km"
    assert html_lang(again[""].get_data(as_text=True)) == "en"
    with app.test_request_context("/?lang=km&utm_medium=x"):
        km_key = _page_key(request, versions())
    with app.test_request_context("/?lang=bogus&utm_medium=x"):
        plain_key = _page_key(request, versions())
    assert km_key.endswith("/?lang=km") and plain_key.endswith("/?")
