"""Real nginx with the shipped cache recipe in front of real gunicorn: an English and a
Khmer page, asked for in turn, each come from nginx's cache as themselves, whatever
language the reader's browser asks for."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from blogapp.extensions import db
from blogapp.translations.services import link
from tests.factories import make_post
from tests.servers import fetch, start_gunicorn, start_nginx

pytestmark = pytest.mark.slow


@pytest.fixture
def posts(app, ctx):
    en = make_post("The river and the dam", "Who decides where the water goes?")
    km = make_post("ទន្លេ និងទំនប់", "តើនរណាជាអ្នកសម្រេចថាទឹកហូរទៅណា?", language="km")
    link(en, km)
    db.session.commit()
    paths = {p.language: quote(f"/{p.published_at:%Y/%m/%d}/{p.slug}/") for p in (en, km)}
    db.session.remove()  # outside a request a transaction takes SQLite's write lock: end it
    return paths


@pytest.fixture
def nginx(app, database_url, tmp_path, posts, ctx):
    gunicorn = start_gunicorn(database_url, tmp_path / "instance")
    try:
        server = start_nginx(tmp_path / "nginx", [gunicorn.port])
    except BaseException:
        gunicorn.stop()
        raise
    yield server
    server.stop()
    gunicorn.stop()


def html_lang(body: bytes) -> str:
    return re.search(rb'<html lang="([^"]+)">', body).group(1).decode()


def test_english_and_khmer_pages_side_by_side_through_nginx(nginx, posts):
    pages = {"en": ["/", posts["en"]], "km": ["/?lang=km", posts["km"]]}
    first = {path: fetch(nginx.port, path) for paths in pages.values() for path in paths}
    for _ in range(3):
        for language, paths in pages.items():
            for path in paths:
                for accept in ("en", "km"):  # the reader's browser changes nothing
                    answer = fetch(nginx.port, path, headers={"Accept-Language": accept})
                    assert answer.status == 200
                    assert answer.headers["X-Cache-Status"] == "HIT", path
                    assert answer.body == first[path].body
                    assert html_lang(answer.body) == language, path
    assert "ផ្សាយនៅ៖".encode() in first[posts["km"]].body
    assert b"Posted on:" in first[posts["en"]].body and "ផ្សាយនៅ៖".encode() not in first["/"].body
    assert "Accept-Language" not in first["/"].headers.get("Vary", "")
