"""Moving a WordPress blog in: `flask import-wxr` on WXR files written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from blogapp.extensions import db
from blogapp.models import (
    Category,
    Comment,
    Media,
    ModerationEvent,
    Page,
    Post,
    Redirect,
    Tag,
    User,
    post_categories,
    post_tags,
)
from blogapp.wordpress import wxr_import
from blogapp.wordpress.wxr_reader import WxrError, WxrItem, read_wxr
from tests.factories import make_post

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"
KHMER_SLUG = "ប្រជាធិបតេយ្យ-និង-ការបោះឆ្នោត"
TABLES = (User, Category, Tag, Post, Page, Comment, Media, Redirect, ModerationEvent)


def run_import(runner, name: str, *extra: str):
    return runner.invoke(args=["import-wxr", str(FIXTURES / name), *extra])


def row_counts() -> dict:
    counts = {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in TABLES
    }
    for table in (post_categories, post_tags):
        counts[table.name] = db.session.scalar(select(func.count()).select_from(table))
    return counts


def post_by_wp(wp_id: int) -> Post:
    return db.session.scalar(select(Post).where(Post.wp_id == wp_id))


def test_import_brings_every_status_author_and_term(runner, ctx):
    result = run_import(runner, "full.xml")

    assert result.exit_code == 0, result.output
    assert (
        "posts:      6 (draft 1, pending 1, private 1, published 2, scheduled 1)" in result.output
    )
    assert "comments:   6 (approved 3, pending 1, spam 1, trash 1)" in result.output
    assert "authors:    2" in result.output and "pages:      1" in result.output
    assert "media:      1" in result.output
    assert "posts in the trash or auto-drafts 1" in result.output
    assert "pingbacks and trackbacks 1" in result.output
    assert "unknown shortcode [gallery] kept as text" in result.output
    statuses = dict(db.session.execute(select(Post.wp_id, Post.status)).all())
    assert statuses == {
        101: "published",
        102: "draft",
        103: "published",
        104: "private",
        105: "pending",
        107: "published",
    }
    assert post_by_wp(103).is_scheduled and post_by_wp(103).published_at.year == 2099
    # A draft without a GMT date falls back to its local date (the site zone is UTC here).
    assert post_by_wp(102).published_at == datetime(2025, 4, 1, 8, 15, tzinfo=UTC)
    assert post_by_wp(102).slug == "a-draft-in-progress"
    guest = db.session.scalar(select(User).where(User.login == "guestwriter"))
    assert guest.display_name == "" and guest.public_name == "guestwriter" and guest.wp_id == 3
    courts = post_by_wp(107)
    assert courts.sticky and courts.comment_mode == "closed"
    assert courts.excerpt == "Why courts need trust." and courts.author_id == guest.id
    assert courts.guid == "http://old.example.org/?p=107"


def test_categories_keep_slugs_and_nesting_and_old_links_answer(runner, client, ctx):
    run_import(runner, "full.xml")

    cats = {c.slug: c for c in db.session.scalars(select(Category))}
    assert cats["cambodia"].parent_id == cats["asia"].id
    assert cats["asia"].parent_id == cats["politics"].id
    assert cats["politics"].description == "Power and its uses"
    assert "សង្គម" in cats  # a percent-encoded Khmer category slug, decoded
    page = client.get("/category/politics/asia/cambodia/").get_data(as_text=True)
    assert "ប្រជាធិបតេយ្យ និង ការបោះឆ្នោត" in page
    assert client.get("/category/សង្គម/").status_code == 200
    assert "Courts and confidence" in client.get("/tag/rule-of-law/").get_data(as_text=True)
    moved = client.get("/?p=107")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/2024/12/31/courts-and-confidence/")
    assert client.get("/about/").status_code == 200
    assert client.get("/?page_id=301").headers["Location"].endswith("/about/")


def test_khmer_slug_is_decoded_and_resolves_at_its_old_permalink(runner, client, ctx):
    run_import(runner, "full.xml")

    post = post_by_wp(101)
    assert post.slug == KHMER_SLUG
    response = client.get(f"/2025/03/07/{KHMER_SLUG}/")
    assert response.status_code == 200
    assert "ការបោះឆ្នោតគឺជាសំឡេងរបស់ប្រជាជន" in response.get_data(as_text=True)
    # The old link as WordPress wrote it, percent-encoded, reaches the same page.
    encoded = "/2025/03/07/%E1%9E%94%E1%9F%92%E1%9E%9A%E1%9E%87%E1%9E%B6%E1%9E%92%E1%9E%B7%E1%9E%94%E1%9E%8F%E1%9F%81%E1%9E%99%E1%9F%92%E1%9E%99-%E1%9E%93%E1%9E%B7%E1%9E%84-%E1%9E%80%E1%9E%B6%E1%9E%9A%E1%9E%94%E1%9F%84%E1%9F%87%E1%9E%86%E1%9F%92%E1%9E%93%E1%9F%84%E1%9E%8F/"  # noqa: E501
    assert client.get(encoded).status_code == 200


@pytest.mark.parametrize("app_config", [{"TIMEZONE": "Asia/Phnom_Penh"}])
def test_url_date_is_the_old_sites_local_date_in_the_site_zone(runner, client, tmp_path, ctx):
    """WordPress put post_date (local time) in the URL; 23:30 GMT is the next day in Phnom Penh."""
    text = (FIXTURES / "wxr11.xml").read_text()
    text = text.replace("<wp:post_date>2012-06-01 12:00:00", "<wp:post_date>2012-06-02 06:30:00")
    text = text.replace(
        "<wp:post_date_gmt>2012-06-01 12:00:00", "<wp:post_date_gmt>2012-06-01 23:30:00"
    )
    path = tmp_path / "phnom-penh.xml"
    path.write_text(text)

    result = runner.invoke(args=["import-wxr", str(path)])

    assert result.exit_code == 0, result.output
    assert "fall on another day" not in result.output
    assert client.get("/2012/06/02/looking-back/").status_code == 200


def test_content_is_converted_like_wordpress_shows_it(runner, ctx):
    run_import(runner, "full.xml")

    html = post_by_wp(101).body_html
    assert "<p>ការបោះឆ្នោតគឺជាសំឡេងរបស់ប្រជាជន។<br>\nបន្ទាត់ទីពីរ។</p>" in html
    assert "<p>A second paragraph after the fold.</p>" in html
    assert (
        '<figure class="wp-caption alignright"><img src="http://old.example.org/wp-content/'
        'uploads/2020/05/river-300x200.jpg" alt="The river at dawn"'
    ) in html
    assert "<figcaption>Boats on the Mekong at dawn</figcaption></figure>" in html
    assert "<ul>\n<li>First point</li>\n<li>Second point</li>\n</ul>" in html  # no <br> or <p>
    assert "<pre>line one\n\nline two</pre>" in html  # untouched inside pre
    assert "<td>cell</td>" in html and "<p><table" not in html
    assert '<p>[gallery ids="401,402"]</p>' in html  # unknown shortcode kept as text
    assert "[sic]" in html
    post = post_by_wp(101)
    assert post.has_more and "after the fold" not in post.excerpt_html
    assert "ការបោះឆ្នោត" in post.excerpt_html
    assert "<!--more-->" in post.body and "<!--" not in html
    assert post.language == "km"
    about = db.session.scalar(select(Page).where(Page.slug == "about"))
    assert about.body_html == "<p>We write about the Mekong.<br>\nFrom Phnom Penh.</p>"


def test_comments_keep_threading_statuses_and_are_sanitized(runner, client, ctx):
    run_import(runner, "full.xml")

    comments = {c.wp_id: c for c in db.session.scalars(select(Comment))}
    assert set(comments) == {201, 202, 203, 204, 205, 206}
    assert [comments[n].status for n in (201, 204, 205, 206)] == [
        "approved",
        "pending",
        "spam",
        "trash",
    ]
    assert comments[202].parent_id == comments[201].id and comments[202].depth == 1
    assert comments[203].parent_id == comments[202].id and comments[203].depth == 2
    assert comments[201].author_ip == "203.0.113.7"
    assert comments[201].created_at == datetime(2025, 3, 7, 11, 0, tzinfo=UTC)
    hostile = comments[202].body_html
    # Tags a comment may not use are shown as text, never run; the allowed ones are cleaned.
    assert "<script" not in hostile and "<img" not in hostile and "onclick" not in hostile
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in hostile
    assert "javascript:" not in hostile and "<strong>strongly</strong>" in hostile
    assert not comments[201].author_url.startswith("javascript:")
    assert comments[203].author_url == "https://vanna.example.net/"
    assert post_by_wp(101).comment_count == 3  # approved only

    page = client.get(f"/2025/03/07/{KHMER_SLUG}/").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>Mallory</b>" not in page


def test_reimport_adds_nothing_and_reports_what_it_skipped(runner, ctx):
    run_import(runner, "full.xml")
    before = row_counts()

    result = run_import(runner, "full.xml")

    assert result.exit_code == 0, result.output
    assert row_counts() == before
    assert "posts:      0" in result.output
    for words in (
        "posts already imported 6",
        "comments already imported 6",
        "authors already here 2",
        "categories already here 4",
        "pages already imported 1",
        "media already imported 1",
    ):
        assert words in result.output


def test_reimport_adds_only_new_comments_to_an_imported_post(runner, tmp_path, ctx):
    run_import(runner, "wxr11.xml")
    newer = (
        (FIXTURES / "wxr11.xml")
        .read_text()
        .replace(
            "</wp:comment>",
            """</wp:comment>
		<wp:comment><wp:comment_id>32</wp:comment_id>
		<wp:comment_author>Late Reply</wp:comment_author>
		<wp:comment_date_gmt>2012-06-03 08:00:00</wp:comment_date_gmt>
		<wp:comment_content>Agreed.</wp:comment_content><wp:comment_approved>1</wp:comment_approved>
		<wp:comment_parent>31</wp:comment_parent></wp:comment>""",
        )
    )
    path = tmp_path / "newer.xml"
    path.write_text(newer)

    result = runner.invoke(args=["import-wxr", str(path)])

    assert "comments:   1 (approved 1)" in result.output
    reply = db.session.scalar(select(Comment).where(Comment.wp_id == 32))
    parent = db.session.scalar(select(Comment).where(Comment.wp_id == 31))
    assert reply.parent_id == parent.id and reply.depth == 1
    assert post_by_wp(9).comment_count == 2


def test_wxr_1_1_namespace_is_read(runner, client, ctx):
    result = run_import(runner, "wxr11.xml")

    assert result.exit_code == 0, result.output
    assert "Imported WXR 1.1" in result.output
    post = post_by_wp(9)
    assert post.excerpt == "A decade in review." and post.comment_count == 1
    assert "Time flies." in client.get("/2012/06/01/looking-back/").get_data(as_text=True)


def test_taken_slug_gets_a_new_one_and_the_old_permalink_redirects(runner, client, ctx):
    make_post(
        "Courts and confidence",
        slug="courts-and-confidence",
        published_at=datetime(2020, 1, 1, 9, 0, tzinfo=UTC),
    )

    result = run_import(runner, "full.xml")

    assert "slug 'courts-and-confidence' is taken" in result.output
    imported = post_by_wp(107)
    assert imported.slug == "courts-and-confidence-2"
    moved = client.get("/2024/12/31/courts-and-confidence/")
    assert moved.status_code == 301
    assert moved.headers["Location"].endswith("/2024/12/31/courts-and-confidence-2/")
    assert client.get("/2024/12/31/courts-and-confidence-2/").status_code == 200
    assert client.get("/2020/01/01/courts-and-confidence/").status_code == 200


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        # Our words and the line; what libxml2 adds after the colon is its own.
        ("malformed.xml", "line 9: the file is not well-formed XML: "),
        ("not_wxr.xml", "not a WordPress export (WXR): the document is <urlset>"),
        ("plain_rss.xml", "an RSS file without the WordPress export namespace"),
        ("bomb.xml", "refused: the file declares a DTD"),
        ("external_entity.xml", "refused: the file declares a DTD"),
    ],
)
def test_bad_files_fail_with_one_clear_line_and_change_nothing(runner, fixture, message, ctx):
    make_post("Already here")
    before = row_counts()

    result = run_import(runner, fixture)

    assert result.exit_code == 1
    assert message in result.output
    assert result.output.startswith(f"Error: {fixture}: ")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output
    assert row_counts() == before


def test_external_entity_is_never_read(runner, ctx):
    result = run_import(runner, "external_entity.xml")

    assert "root:" not in result.output
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0


def test_file_that_breaks_halfway_rolls_everything_back(runner, monkeypatch, ctx):
    make_post("Already here")
    before = row_counts()
    monkeypatch.setattr(wxr_import, "BATCH_ITEMS", 2)  # so rows are written before the break

    result = run_import(runner, "halfway.xml")

    assert result.exit_code == 1
    assert "line 75: the file is not well-formed XML" in result.output
    assert "Nothing was imported." in result.output
    assert row_counts() == before


def test_bad_data_halfway_names_the_line_and_rolls_back(runner, tmp_path, monkeypatch, ctx):
    monkeypatch.setattr(wxr_import, "BATCH_ITEMS", 1)
    text = (FIXTURES / "halfway.xml").read_text()
    text = text.split("\t<item>\n\t\t<title>Cut off")[0] + "</channel></rss>"
    text = text.replace("2013-01-03 10:00:00", "2013-13-45 10:00:00")
    path = tmp_path / "bad-date.xml"
    path.write_text(text)
    line = text[: text.index("2013-13-45")].count("\n") - 4

    result = runner.invoke(args=["import-wxr", str(path)])

    assert result.exit_code == 1
    assert "invalid date '2013-13-45 10:00:00'" in result.output
    assert f"line {line}:" in result.output
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_missing_file_is_a_usage_error(runner, ctx):
    result = runner.invoke(args=["import-wxr", "/nowhere/export.xml"])

    assert result.exit_code == 2
    assert "does not exist" in result.output


def _write_jpeg(path: Path, size=(640, 480)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (30, 90, 160)).save(path, "JPEG")


def test_uploads_folder_turns_attachments_and_images_into_local_media(
    runner, client, app, tmp_path, ctx
):
    uploads = tmp_path / "wp-uploads"
    _write_jpeg(uploads / "2020" / "05" / "river.jpg")

    result = run_import(runner, "full.xml", "--uploads", str(uploads))

    assert result.exit_code == 0, result.output
    media = db.session.scalars(select(Media)).all()
    assert len(media) == 1  # the resized variant in the post maps to the same original
    river = media[0]
    assert river.wp_id == 401 and river.caption == "Boats on the Mekong at dawn"
    assert river.alt == "The river at dawn" and river.mime_type == "image/jpeg"
    assert (Path(app.config["UPLOAD_FOLDER"]) / river.filename).is_file()
    html = post_by_wp(101).body_html
    assert f'src="/uploads/{river.filename}"' in html and "old.example.org" not in html
    with client.get(f"/uploads/{river.filename}") as response:
        assert response.status_code == 200


def test_failed_import_removes_the_images_it_stored(runner, app, tmp_path, ctx):
    uploads = tmp_path / "wp-uploads"
    _write_jpeg(uploads / "2020" / "05" / "river.jpg")
    text = (FIXTURES / "full.xml").read_text().replace("</channel>", "<item><title>x</item>")
    path = tmp_path / "broken.xml"
    path.write_text(text)

    result = runner.invoke(args=["import-wxr", str(path), "--uploads", str(uploads)])

    assert result.exit_code == 1
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert not folder.exists() or not any(folder.iterdir())
    assert db.session.scalar(select(func.count()).select_from(Media)) == 0


def test_without_uploads_attachments_are_kept_with_their_old_address(runner, ctx):
    run_import(runner, "full.xml")

    river = db.session.scalar(select(Media))
    assert river.source_url == "http://old.example.org/wp-content/uploads/2020/05/river.jpg"
    assert river.caption == "Boats on the Mekong at dawn" and river.wp_id == 401
    assert "http://old.example.org/wp-content/uploads/2020/05/river-300x200.jpg" in (
        post_by_wp(101).body_html
    )


class Trickle:
    """A file that gives back at most ``step`` bytes a read, as a slow upload would."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.at = data, step, 0

    def read(self, size: int = -1) -> bytes:
        size = self.step if size < 0 else min(size, self.step)
        chunk = self.data[self.at : self.at + size]
        self.at += len(chunk)
        return chunk


DTD_PROLOGS = [
    '<?xml version="1.0"?>\n<!-- exported -->\n<!DOCTYPE rss [<!ENTITY a "x">]>\n<rss/>',
    '<?xml version="1.0"?><?xml-stylesheet href="a.xsl"?>\n\n<!DOCTYPE rss SYSTEM "f.dtd">',
    "\ufeff<!DOCTYPE rss>\n<rss/>",
]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("prolog", DTD_PROLOGS)
@pytest.mark.parametrize("step", [1, 4096])
def test_a_dtd_is_refused_in_the_prolog_before_lxml_parses(prolog, encoding, step):
    # Our words, whatever libxml2 release would have said about the entities.
    # ("utf-16" writes its own byte-order mark; in UTF-8 the prolog's is kept.)
    data = (prolog.lstrip("\ufeff") if encoding == "utf-16" else prolog).encode(encoding)
    line = prolog.count("\n", 0, prolog.index("<!D")) + 1

    with pytest.raises(WxrError) as refused:
        list(read_wxr(Trickle(data, step)))

    assert str(refused.value).startswith(f"line {line}: refused: the file declares a DTD")


@pytest.mark.parametrize("step", [1, 7, 1 << 20])
def test_a_plain_prolog_reads_whole_whatever_the_read_size(step):
    data = (FIXTURES / "wxr11.xml").read_bytes()

    records = list(read_wxr(Trickle(data, step)))

    assert records == list(read_wxr(Trickle(data, 1 << 20)))
    assert any(isinstance(record, WxrItem) for record in records)


def _wxr_item(wp_id: int, slug: str, kind: str = "post", guid: str = "") -> str:
    guid = guid or f"http://copies.example.org/?p={wp_id}"
    return f"""<item><title>Item {wp_id}</title><dc:creator>writer</dc:creator>
<guid isPermaLink="false">{guid}</guid>
<content:encoded><![CDATA[Body of {wp_id}.]]></content:encoded>
<wp:post_id>{wp_id}</wp:post_id><wp:post_date>2020-01-0{1 + wp_id % 9} 12:00:00</wp:post_date>
<wp:post_date_gmt>2020-01-0{1 + wp_id % 9} 12:00:00</wp:post_date_gmt>
<wp:post_name>{slug}</wp:post_name><wp:status>publish</wp:status>
<wp:post_type>{kind}</wp:post_type></item>
"""


@pytest.mark.parametrize("batch", [1, 2, 200])
def test_copies_in_one_file_are_skipped_however_far_apart(
    runner, tmp_path, monkeypatch, batch, ctx
):
    """The import asks the database about each batch's posts and pages instead of
    keeping every one it has seen: a second copy of a post (same WordPress id, or same
    GUID) or of a page is still skipped, and a slug is still given once, whether the
    copy is in the same batch, the next one, or one stored long before."""
    monkeypatch.setattr(wxr_import, "BATCH_ITEMS", batch)
    items = [
        _wxr_item(1, "first"),
        _wxr_item(2, "same"),
        _wxr_item(3, "same"),
        _wxr_item(4, "about", kind="page"),
        _wxr_item(5, "fifth"),
        _wxr_item(6, "sixth"),
        _wxr_item(1, "first-again"),
        _wxr_item(7, "other", guid="http://copies.example.org/?p=2"),
        _wxr_item(4, "about", kind="page"),
        _wxr_item(8, "same"),
        _wxr_item(9, "about", kind="page"),
    ]
    path = tmp_path / "copies.xml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Copies</title>'
        "<wp:wxr_version>1.2</wp:wxr_version>"
        "<wp:base_site_url>http://copies.example.org</wp:base_site_url>"
        "<wp:author><wp:author_id>1</wp:author_id><wp:author_login>writer</wp:author_login>"
        "</wp:author>\n" + "".join(items) + "</channel></rss>\n"
    )

    result = runner.invoke(args=["import-wxr", str(path)])

    assert result.exit_code == 0, result.output
    assert "posts:      6 (published 6)" in result.output
    assert "duplicate posts in the file 2" in result.output
    assert "pages already imported 1" in result.output
    slugs = dict(db.session.execute(select(Post.wp_id, Post.slug)).all())
    assert slugs == {1: "first", 2: "same", 3: "same-2", 5: "fifth", 6: "sixth", 8: "same-3"}
    pages = dict(db.session.execute(select(Page.wp_id, Page.slug)).all())
    assert pages == {4: "about", 9: "about-2"}
    before = row_counts()

    again = runner.invoke(args=["import-wxr", str(path)])

    assert again.exit_code == 0, again.output
    assert row_counts() == before
    assert "posts already imported 8" in again.output
    assert "pages already imported 3" in again.output
