"""The import reads and edits HTML as HTML (lxml), not as text: a ``>`` inside an
attribute, a link without quotes or a caption with an unclosed tag come through whole,
and HTML the import does not change keeps its bytes."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Media, Post
from blogapp.wordpress.html_fragments import image_sources, rewrite_urls, text_of
from blogapp.wordpress.shortcodes import convert_captions

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"
OLD = "http://old.example.org/wp-content/uploads/2020/05/"


def test_a_caption_image_whose_alt_holds_a_bracket_stays_whole():
    text = '[caption align="alignleft"]<img src="a.jpg" alt="rice > gold" /> Harvest[/caption]'

    assert convert_captions(text) == (
        '<figure class="wp-caption alignleft"><img src="a.jpg" alt="rice > gold" />'
        "<figcaption>Harvest</figcaption></figure>"
    )


def test_a_linked_caption_image_is_split_from_its_caption():
    text = '[caption]<a href="big.jpg"> <img src="a.jpg"> </a>Dawn &amp; <em>dusk</em>[/caption]'

    assert convert_captions(text) == (
        '<figure class="wp-caption"><a href="big.jpg"> <img src="a.jpg"> </a>'
        "<figcaption>Dawn &amp; <em>dusk</em></figcaption></figure>"
    )


def test_an_unclosed_tag_in_a_caption_is_closed_inside_the_figcaption():
    text = '[caption caption="<em>At dawn"]<img src="a.jpg" />[/caption]<p>After</p>'

    assert convert_captions(text) == (
        '<figure class="wp-caption"><img src="a.jpg" />'
        "<figcaption><em>At dawn</em></figcaption></figure><p>After</p>"
    )


def test_html_that_is_not_rewritten_keeps_its_bytes():
    html = "<p>Rice&nbsp;prices <br />\nrose.</p>\n<!--more-->\n<p>ខ្មែរ</p>"

    assert rewrite_urls(html, lambda url: None) is html


def test_rewriting_reaches_unquoted_and_upper_case_attributes_only_where_asked():
    html = "Lead <P><IMG SRC=a.jpg> <a href='b.html'>b</a> <a href=c.html>c</a></P>"

    rewritten = rewrite_urls(html, lambda url: "/new/" + url if url != "c.html" else None)

    assert rewritten == (
        'Lead <p><img src="/new/a.jpg"> <a href="/new/b.html">b</a> <a href="c.html">c</a></p>'
    )


def test_image_sources_and_text_read_the_markup_not_look_alikes():
    html = '<p>src="fake.jpg" <img alt="x > y" src="real.jpg"><!-- <img src="note.jpg"> --></p>'

    assert image_sources(html) == ["real.jpg"]
    assert text_of("<p>ខ្មែរ<!-- wp:paragraph --> <b>text</b></p>") == "ខ្មែរ text"


def test_uploads_rewrite_an_image_whose_src_has_no_quotes(runner, tmp_path, ctx):
    text = (FIXTURES / "full.xml").read_text()
    quoted = f'<img src="{OLD}river-300x200.jpg"'
    assert quoted in text
    export = tmp_path / "export.xml"
    export.write_text(text.replace(quoted, f"<img src={OLD}river-300x200.jpg", 1))
    uploads = tmp_path / "wp-uploads"
    (uploads / "2020" / "05").mkdir(parents=True)
    Image.new("RGB", (640, 480), (30, 90, 160)).save(uploads / "2020" / "05" / "river.jpg")

    result = runner.invoke(args=["import-wxr", str(export), "--uploads", str(uploads)])

    assert result.exit_code == 0, result.output
    river = db.session.scalars(select(Media)).one()
    html = db.session.scalar(select(Post.body_html).where(Post.wp_id == 101))
    assert f'src="/uploads/{river.filename}"' in html
    assert "old.example.org" not in html
    assert "still load from" not in result.output
