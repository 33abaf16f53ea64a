"""What an author writes becomes safe, stored HTML once, when it is saved."""

from __future__ import annotations

import regex

from blogapp.content import html_to_text, slugify, truncate_graphemes
from blogapp.extensions import db
from blogapp.models import FORMAT_HTML, Post
from blogapp.sanitize import clean_post_html, is_safe_url
from tests.factories import make_post


def test_markdown_is_rendered_and_sanitized_when_saved(app, ctx):
    post = make_post(
        "Lists and quotes",
        "1. one\n2. two\n\n- a\n- b\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        '<script>alert(1)</script><img src="x.png" onerror="alert(1)" alt="chart">\n\n'
        "[bad](javascript:alert(1)) [ok](https://example.org/x)",
    )
    stored = db.session.get(Post, post.id).body_html

    assert "<ol>" in stored and "<ul>" in stored and "<blockquote>" in stored
    assert "<table>" in stored
    assert "<script" not in stored and "onerror" not in stored
    assert 'href="javascript' not in stored
    assert '<img src="x.png" alt="chart" loading="lazy">' in stored
    assert '<a href="https://example.org/x" rel="noopener nofollow">ok</a>' in stored


def test_html_posts_keep_figures_and_lose_active_content(app, ctx):
    body = (
        '<figure><img src="/static/img/demo/river-at-dusk.jpg" alt="River" width="800" '
        'height="450" style="border:9px"><figcaption>Image Credit: Team</figcaption></figure>'
        '<iframe src="https://evil.example"></iframe><form action="/x"><input name="q"></form>'
        '<a href="data:text/html;base64,PHNjcmlwdD4=">data</a>'
        '<a href=" java\tscript:alert(1)">tab</a><a href="javascript:123">port</a>'
        '<img src="data:image/png;base64,AAAA"><svg><script>alert(1)</script></svg>'
        '<p onclick="x()">para</p>'
    )
    post = make_post("Figures", body, content_format=FORMAT_HTML)

    html = post.body_html
    assert "<figure>" in html and "<figcaption>Image Credit: Team</figcaption>" in html
    assert 'width="800" height="450"' in html
    for bad in (
        "style=",
        "<iframe",
        "<form",
        "<input",
        "data:",
        "javascript",
        "script",
        "onclick",
        "<svg",
    ):
        assert bad not in html, bad
    assert post.first_image_url == "/static/img/demo/river-at-dusk.jpg"


def test_is_safe_url_rejects_schemes_bleach_lets_through():
    for url in (
        "javascript:123",
        "JaVaScRiPt:alert(1)",
        "java\nscript:x",
        "&#106;avascript:x",
        "vbscript:x",
        "data:text/html,x",
        "\\\\evil",
        " javascript:x",
    ):
        assert not is_safe_url(url), url
    for url in (
        "https://example.org",
        "http://x.y/z?a=1",
        "mailto:a@b.c",
        "/local/path",
        "relative/page",
        "#frag",
        "?q=1",
    ):
        assert is_safe_url(url), url


def test_more_marker_and_manual_excerpt(app, ctx):
    with_marker = make_post("Marked", "Lead paragraph.\n\n<!--more-->\n\nBody goes on.")
    manual = make_post("Manual", "Long body here.", excerpt="Short <b>summary</b>.")
    short = make_post("Short", "Just this.")

    assert with_marker.excerpt_html == "<p>Lead paragraph.</p>"
    assert with_marker.has_more
    assert manual.excerpt_html == "<p>Short &lt;b&gt;summary&lt;/b&gt;.</p>"
    assert manual.has_more
    assert short.excerpt_html == "<p>Just this.</p>"
    assert not short.has_more


def test_automatic_excerpt_cuts_english_at_a_word(app, ctx):
    app.config["EXCERPT_LENGTH"] = 40
    post = make_post("Long", "word " * 40)

    assert post.has_more
    text = html_to_text(post.excerpt_html)
    assert text.endswith("word …")
    assert len(text) <= 42


def test_automatic_excerpt_never_splits_a_khmer_syllable(app, ctx):
    # "ស្ត" is one syllable spelled with a coeng (U+17D2): a cut after the coeng
    # would leave a dangling subscript mark.
    khmer = "ប្រជាធិបតេយ្យ" * 30
    for limit in range(1, 40):
        cut, truncated = truncate_graphemes(khmer, limit)
        assert truncated
        assert not cut.endswith("\u17d2"), limit
        assert regex.fullmatch(r"\X+", cut)
        assert khmer.startswith(cut)

    app.config["EXCERPT_LENGTH"] = 25
    post = make_post("ខ្មែរ", khmer, language="km")
    excerpt = html_to_text(post.excerpt_html)
    assert post.has_more
    assert "\u17d2 " not in excerpt and not excerpt.rstrip(" …").endswith("\u17d2")
    assert "<" not in excerpt


def test_excerpt_never_cuts_inside_a_tag(app, ctx):
    app.config["EXCERPT_LENGTH"] = 30
    post = make_post("Tags", "Some **bold words** and [a link](https://example.org) " * 10)

    assert post.excerpt_html.startswith("<p>") and post.excerpt_html.endswith("</p>")
    assert "<strong" not in post.excerpt_html and "<a " not in post.excerpt_html


def test_slugify_keeps_unicode_letters():
    assert slugify("Why Local Elections Matter!") == "why-local-elections-matter"
    assert slugify("ប្រជាធិបតេយ្យ និង\u200bសង្គម") == "ប្រជាធិបតេយ្យ-និង-សង្គម"
    assert slugify("  ---  ") == ""
    assert slugify("Ünïcode Café") == "ünïcode-café"


def test_unique_slugs_for_same_title(app, ctx):
    first = make_post("Same title")
    second = make_post("Same title")

    assert (first.slug, second.slug) == ("same-title", "same-title-2")


def test_clean_post_html_keeps_headings_code_and_lang():
    html = clean_post_html('<h2 lang="km">ខ្មែរ</h2><pre><code>x &lt; 1</code></pre>')
    assert html == '<h2 lang="km">ខ្មែរ</h2><pre><code>x &lt; 1</code></pre>'


def test_safe_website_keeps_only_http_urls():
    from blogapp.sanitize import safe_website

    assert safe_website("example.org/me") == "http://example.org/me"
    assert safe_website("https://example.org") == "https://example.org"
    for hostile in (
        "javascript:alert(1)",
        "javascript:123",
        "data:text/html,x",
        "java\tscript:alert(1)",
        "ftp://example.org",
        "http://[bad",
        "",
    ):
        assert safe_website(hostile) == "", hostile
