"""The frame's pieces that are the same on every page of a language (the masthead, search
form, navigation, footer: ``{% kept %}`` in base.html, blogapp/templating.py) are
rendered once per worker: a page written with them kept must be the bytes of one
rendered whole, in either language, for a reader or an account, and the navigation
must follow a category's new name."""

from __future__ import annotations

import re

import pytest

from blogapp.extensions import db
from tests.factories import make_category, make_post, make_user

PAGES = (
    "/",
    "/?lang=km",
    "/?s=river",
    "/?s=river&lang=km",
    "/category/letters/",
    "/category/letters/?lang=en",
    "/privacy/",
)


@pytest.fixture
def app_config() -> dict:
    return {"PAGE_CACHE_BYTES": 0}  # every GET renders its page


def _pages(client, urls) -> dict[str, str]:
    # The comment form's stamp is the one part of a page that changes with the time.
    stamp = re.compile(r'name="form_token" type="hidden" value="[^"]*"')
    return {url: stamp.sub("", client.get(url).get_data(as_text=True)) for url in urls}


def test_pages_with_kept_frame_pieces_are_the_pages_rendered_whole(app, client, ctx, login_as):
    letters = make_category("Letters")
    english = make_post("The river", "Words.", categories=[letters])
    khmer = make_post("ទន្លេ", "អត្ថបទ។", language="km", categories=[letters])
    with app.test_request_context():
        from blogapp.permalinks import post_url

        posts = (post_url(english), post_url(khmer), post_url(english) + "?lang=km")
    urls = PAGES + posts
    _pages(client, urls)  # the first ones render the pieces the later ones are written with
    kept = _pages(client, urls)
    app.config["KEEP_RENDERED"] = False
    whole = _pages(client, urls)
    for url in urls:
        assert kept[url] == whole[url], url
    assert 'class="site-nav"' in kept["/"] and ">Letters</a>" in kept["/"]
    assert 'name="lang" value="km"' in kept["/?lang=km"]
    assert 'value="river"' in kept["/?s=river"]
    assert 'lang="km"' in kept[posts[1]]

    # An account's footer links to the dashboard, a reader's to the login.
    app.config["KEEP_RENDERED"] = True
    assert "/login" in kept["/"]
    login_as(make_user(role="admin"))
    mine = client.get("/").get_data(as_text=True)
    app.config["KEEP_RENDERED"] = False
    assert mine == client.get("/").get_data(as_text=True)
    assert "/admin/" in mine


def test_the_kept_navigation_follows_a_renamed_category(app, client, ctx):
    letters = make_category("Letters")
    make_post("The river", "Words.", categories=[letters])
    assert ">Letters</a>" in client.get("/").get_data(as_text=True)
    letters.name = "Readers' letters"
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index('class="site-nav"') : page.index("</nav>")]
    assert "Readers&#39; letters" in nav and ">Letters<" not in nav


def test_a_post_pages_kept_newsletter_form_follows_the_mail_setting(app, client, ctx):
    from blogapp.permalinks import post_url

    english = make_post("The river", "Words.")
    khmer = make_post("ទន្លេ", "អត្ថបទ។", language="km")
    with app.test_request_context():
        urls = (post_url(english), post_url(khmer))
    app.config["MAIL_SERVER"] = "127.0.0.1"
    _pages(client, urls)
    kept = _pages(client, urls)
    app.config["KEEP_RENDERED"] = False
    assert kept == _pages(client, urls)
    assert all("post-newsletter-email" in page for page in kept.values())
    app.config["KEEP_RENDERED"] = True
    app.config["MAIL_SERVER"] = ""
    assert all("post-newsletter-email" not in page for page in _pages(client, urls).values())
