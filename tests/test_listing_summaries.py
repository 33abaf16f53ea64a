"""A listing shows each post's summary from the ones the worker keeps (``post_summary``,
blogapp/templating.py): the same post is on the front page and on its category's, tag's,
author's and date archives' pages, and the static export renders all of them. A page
made of kept summaries must be the bytes of one rendered whole."""

from __future__ import annotations

import pytest

from tests.factories import make_category, make_comment, make_post, make_tag

LISTINGS = ("/", "/?lang=km", "/category/letters/", "/tag/courts/", "/page/2/")


@pytest.fixture
def app_config() -> dict:
    # No kept pages: every GET renders its page, so kept summaries are what is compared.
    return {"PAGE_CACHE_BYTES": 0, "POSTS_PER_PAGE": 3}


def test_a_listing_of_kept_summaries_is_the_page_rendered_whole(app, client, ctx):
    letters, courts = make_category("Letters"), make_tag("courts")
    for number in range(5):
        post = make_post(f"Letter {number}", "Words.\n\n<!--more-->\n\nMore.", categories=[letters])
        if number % 2:
            make_comment(post, "A reply.")
    make_post("តុលាការ", "អត្ថបទ។", language="km", categories=[letters], tags=[courts])
    make_post("On the courts", "Words.", tags=[courts])

    kept = {}
    for url in LISTINGS:  # the first fill the summaries the later ones show
        kept[url] = client.get(url).get_data(as_text=True)
    app.config["KEEP_RENDERED"] = False
    for url in LISTINGS:
        whole = client.get(url).get_data(as_text=True)
        assert kept[url] == whole, url
    assert "1 comment" in kept["/category/letters/"]
    assert kept["/?lang=km"].count('<article class="entry"') == 1  # the Khmer post alone


def test_a_kept_summary_follows_its_posts_comments(app, client, ctx):
    post = make_post("Counted", "Words.")
    assert "1 comment" not in client.get("/").get_data(as_text=True)
    make_comment(post, "The first reply.")
    assert "1 comment" in client.get("/").get_data(as_text=True)
