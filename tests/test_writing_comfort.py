"""Writing comfort (issue 16): Markdown footnotes, cleaned like the rest of a post;
images from the media library served with ``srcset`` from the smaller copy the store
already made; the image picker's snippet, which stays usable without JavaScript."""

from __future__ import annotations

import io
import re

from PIL import Image

from blogapp.content import render_body
from blogapp.extensions import db
from blogapp.media import store_image
from blogapp.media.admin import figure_snippet
from blogapp.models import ROLE_EDITOR
from tests.factories import make_post, make_user


def jpeg(size) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def test_footnotes_render_with_their_links_and_ids(app, ctx):
    html = render_body(
        "A claim.[^1] Another.[^note]\n\n[^1]: The source.\n[^note]: More.\n", "markdown"
    )
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>' in html
    assert '<li id="fn1" class="footnote-item"><p>The source. <a href="#fnref1" ' in html
    assert '<section class="footnotes">' in html and '<hr class="footnotes-sep">' in html
    assert 'id="fn2"' in html  # named notes are numbered


def test_footnotes_are_sanitized_like_the_rest(app, ctx):
    html = render_body(
        'Text.[^1]\n\n[^1]: <a href="javascript:alert(1)">click</a> <img src=x onerror=alert(1)>'
        ' <span id="content" class="footnote-ref">x</span> <a id="fn9" class="evil">y</a>\n'
        '\n<li id="comments" class="footnote-item">z</li>\n<section onclick="x()">s</section>',
        "markdown",
    )
    assert "javascript:" not in html and "onerror" not in html and "onclick" not in html
    assert 'id="content"' not in html and 'id="comments"' not in html
    assert 'class="evil"' not in html
    # A footnote class on a tag that never carries it is dropped too.
    assert '<span class="footnote-ref"' not in html
    assert '<a id="fn9">y</a>' not in html  # an <a> without href is no link: text only


def test_a_large_upload_gets_srcset_and_sizes_from_its_smaller_copy(app, client, ctx):
    media = store_image(
        io.BytesIO(jpeg((1600, 900))),
        "harbour.jpg",
        alt="The harbour",
        caption="Morning",
        credit="Dara",
    )
    db.session.commit()
    with app.test_request_context():
        snippet = figure_snippet(media)
    post = make_post("Photo essay", f"Intro.\n\n{snippet}\n")
    stem = media.filename.removesuffix(".jpg")
    img = re.search(r"<img [^>]+>", post.body_html).group(0)
    assert f'srcset="/uploads/{stem}-thumb.jpg 400w, /uploads/{stem}.jpg 1600w"' in img
    assert 'sizes="(max-width: 44rem) 100vw, 42rem"' in img
    assert f'src="/uploads/{stem}.jpg"' in img  # browsers without srcset get the original
    # Each candidate is a real file of the stated width.
    for path, width in ((f"/uploads/{stem}-thumb.jpg", 400), (f"/uploads/{stem}.jpg", 1600)):
        with client.get(path) as served:
            assert served.status_code == 200
            assert Image.open(io.BytesIO(served.data)).width == width
    assert "Morning — Image Credit: Dara" in post.body_html
    # A feed reader has no page to resolve the candidates against: they are absolute.
    feed = client.get("/feed/").get_data(as_text=True)
    assert f"http://localhost/uploads/{stem}-thumb.jpg 400w, http://localhost/uploads/" in feed


def test_srcset_is_ours_only(app, ctx):
    small = store_image(io.BytesIO(jpeg((300, 200))), "small.jpg")
    db.session.commit()
    with app.test_request_context():
        snippet = figure_snippet(small)
    html = render_body(snippet, "markdown")
    assert "srcset" not in html  # no smaller copy exists
    forged = render_body(
        '<img src="https://example.org/a.jpg" srcset="javascript:x 1w, '
        '/admin/ 2w" sizes="100vw" width="2000" height="1000">',
        "html",
    )
    assert "srcset" not in forged and "sizes" not in forged


def test_the_editor_offers_snippets_and_a_picker_that_needs_no_inline_script(
    app, client, login_as, ctx
):
    login_as(make_user("desk", role=ROLE_EDITOR))
    store_image(
        io.BytesIO(jpeg((1200, 800))), "street.jpg", alt="A street", caption="Noon", credit="Sokha"
    )
    db.session.commit()
    page = client.get("/admin/posts/new").get_data(as_text=True)
    snippet = re.search(r'<textarea id="snippet-\d+"[^>]*readonly>([^<]+)</textarea>', page)
    assert snippet and "Image Credit: Sokha" in snippet.group(1)  # copy-and-paste still works
    assert re.search(
        r'<button type="button" class="insert-image secondary" '
        r'data-snippet-for="snippet-\d+" hidden>Insert at cursor</button>',
        page,
    )
    script = re.search(r'<script src="(/static/js/image-picker[^"]+)" defer></script>', page)
    assert script, "the picker is our own file, allowed by script-src 'self'"
    with client.get(script.group(1)) as served:
        assert served.status_code == 200
    assert "<script>" not in page  # nothing inline for the CSP to refuse
