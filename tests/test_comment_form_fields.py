"""A fresh comment form's visible fields are rendered once per worker for each language
and setting (``_kept_fields``, blogapp/comments/section.py): the static export and a
post's first readers render many post pages, each with the same empty form. A page
with the kept fields must be the bytes of one rendered whole."""

from __future__ import annotations

import pytest

from blogapp.comments.settings import CommentSettings, save_settings
from tests.factories import make_comment, make_post
from tests.helpers import FakeClock, url_of


@pytest.fixture
def app_config() -> dict:
    # No kept pages: every GET renders its page, so the kept fields are what is compared.
    return {"PAGE_CACHE_BYTES": 0}


def test_a_post_page_with_kept_form_fields_is_the_page_rendered_whole(app, client, ctx):
    # Held still: the form's signed stamp is the same in the pages compared.
    app.config["CLOCK"] = FakeClock()
    english = make_post("Open to replies")
    khmer = make_post("ការពិភាក្សា", "អត្ថបទ។", language="km")
    answered = make_comment(english, "Answer me.")
    urls = [url_of(english), url_of(khmer), url_of(english, replytocom=answered.id)]

    def pages() -> list[str]:
        return [client.get(url).get_data(as_text=True) for url in urls]

    seen = []
    for settings, mail_server in (
        (CommentSettings(), ""),
        (CommentSettings(email_optional=True), ""),
        (CommentSettings(), "localhost"),
    ):
        save_settings(settings)
        app.config["MAIL_SERVER"] = mail_server
        pages()  # the first keep the fields the later ones show
        kept = pages()
        app.config["KEEP_RENDERED"] = False
        whole = pages()
        app.config["KEEP_RENDERED"] = True
        assert kept == whole
        seen.append(kept)
    english_page, khmer_page, replying_page = seen[0]
    assert 'name="author_email" required' in english_page
    assert 'name="author_email" required' not in seen[1][0]
    assert 'name="notify_replies"' in seen[2][0] and 'name="notify_replies"' not in english_page
    assert khmer_page.count('class="field comment-form-') == 4
    # Each in its page's language: "Name", "ឈ្មោះ".
    assert '<label for="author_name">Name</label>' in english_page
    assert '<label for="author_name">ឈ្មោះ</label>' in khmer_page
    assert f'name="parent_id" type="hidden" value="{answered.id}"' in replying_page
