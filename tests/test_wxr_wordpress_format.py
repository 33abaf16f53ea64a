"""`flask export-wxr` writes what WordPress's own exporter writes (issue 13): its
prefixes declared once on <rss>, its element order, CDATA where it uses CDATA, and
a layout that readers going by element names and lines (wordpress-importer's
XMLParser and regex parsers) can read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from tests.factories import make_comment, make_post

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"
PREFIXES = {
    "http://wordpress.org/export/1.2/": "wp",
    "http://wordpress.org/export/1.2/excerpt/": "excerpt",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://wellformedweb.org/CommentAPI/": "wfw",
}
# WordPress's order of an item's fields (wp-admin/includes/export.php).
ITEM_ORDER = [
    "title",
    "link",
    "pubDate",
    "dc:creator",
    "guid",
    "description",
    "content:encoded",
    "excerpt:encoded",
    "wp:post_id",
    "wp:post_date",
    "wp:post_date_gmt",
    "wp:post_modified",
    "wp:post_modified_gmt",
    "wp:comment_status",
    "wp:ping_status",
    "wp:post_name",
    "wp:status",
    "wp:post_parent",
    "wp:menu_order",
    "wp:post_type",
    "wp:post_password",
    "wp:is_sticky",
    "wp:attachment_url",
    "category",
    "wp:postmeta",
    "wp:comment",
]
COMMENT_ORDER = [
    "wp:comment_id",
    "wp:comment_author",
    "wp:comment_author_email",
    "wp:comment_author_url",
    "wp:comment_author_IP",
    "wp:comment_date",
    "wp:comment_date_gmt",
    "wp:comment_content",
    "wp:comment_approved",
    "wp:comment_type",
    "wp:comment_parent",
    "wp:comment_user_id",
]
CHANNEL_HEAD = [
    "title",
    "link",
    "description",
    "pubDate",
    "language",
    "wp:wxr_version",
    "wp:base_site_url",
    "wp:base_blog_url",
]
# Fields WordPress writes as CDATA, and fields it writes as plain text.
CDATA = [
    "title",
    "dc:creator",
    "content:encoded",
    "excerpt:encoded",
    "wp:post_date",
    "wp:post_name",
    "wp:status",
    "wp:post_type",
    "wp:comment_status",
    "wp:author_login",
    "wp:category_nicename",
    "wp:cat_name",
    "wp:tag_slug",
    "wp:tag_name",
    "wp:meta_key",
    "wp:meta_value",
    "wp:comment_author",
    "wp:comment_content",
    "wp:comment_approved",
    "wp:comment_type",
    "wp:attachment_url",
]
PLAIN = [
    "wp:post_id",
    "wp:post_parent",
    "wp:menu_order",
    "wp:is_sticky",
    "wp:comment_id",
    "wp:comment_parent",
    "wp:comment_user_id",
    "wp:author_id",
    "wp:term_id",
    "guid",
    "link",
    "wp:wxr_version",
    "wp:base_site_url",
]


@pytest.fixture
def export(runner, tmp_path, ctx) -> bytes:
    assert runner.invoke(args=["import-wxr", str(FIXTURES / "full.xml")]).exit_code == 0
    native = make_post("Written ]]> here", "Text with ]]> in it.")
    make_comment(native, "Spam, kept as spam.", status="spam")
    path = tmp_path / "export.xml"
    assert runner.invoke(args=["export-wxr", str(path)]).exit_code == 0
    return path.read_bytes()


def qualified(element) -> str:
    namespace = etree.QName(element).namespace
    local = etree.QName(element).localname
    return f"{PREFIXES[namespace]}:{local}" if namespace else local


def test_every_element_has_its_conventional_prefix_declared_once_on_rss(export):
    root = etree.fromstring(export)
    assert root.tag == "rss" and root.nsmap == {v: k for k, v in PREFIXES.items()}
    for element in root.iter(etree.Element):
        namespace = etree.QName(element).namespace
        assert element.prefix == (PREFIXES[namespace] if namespace else None), element.tag
    text = export.decode()
    rss_tag = text[text.index("<rss") : text.index(">", text.index("<rss")) + 1]
    assert text.count("xmlns") == rss_tag.count("xmlns") == 5
    assert not re.search(r"<ns\d+:", text)


def test_the_file_starts_and_is_laid_out_as_wordpress_writes_it(export):
    text = export.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n')
    assert "<!DOCTYPE" not in text
    channel = etree.fromstring(export).find("channel")
    assert [qualified(e) for e in channel][: len(CHANNEL_HEAD)] == CHANNEL_HEAD
    kinds = [qualified(e) for e in channel]
    blocks = ["wp:author", "wp:category", "wp:tag", "generator", "item"]
    positions = [[i for i, k in enumerate(kinds) if k == b] for b in blocks]
    assert all(positions)
    assert all(max(a) < min(b) for a, b in zip(positions, positions[1:], strict=False))
    # A reader going line by line finds each author on one line, and <item> alone.
    assert all("</wp:author>" in line for line in text.splitlines() if "<wp:author>" in line)
    assert text.count("\t<item>\n") == len(channel.findall("item"))


def test_items_and_comments_keep_wordpress_element_order(export):
    items = etree.fromstring(export).find("channel").findall("item")
    assert len(items) > 5
    for item in items:
        fields = [qualified(e) for e in item]
        assert fields == sorted(fields, key=ITEM_ORDER.index), fields
        for comment in item.findall("{http://wordpress.org/export/1.2/}comment"):
            inner = [qualified(e) for e in comment]
            assert inner == COMMENT_ORDER


@pytest.mark.parametrize("field", CDATA)
def test_cdata_where_wordpress_uses_cdata(export, field):
    text = export.decode()
    text = text[text.index("<wp:author>") :]  # the channel's own title and link are plain text
    values = re.findall(rf"<{field}(?: [^>]*)?>(.*?)</{field}>", text, re.S)
    assert values, field
    assert all(v.startswith("<![CDATA[") and v.endswith("]]>") for v in values), field


@pytest.mark.parametrize("field", PLAIN)
def test_plain_text_where_wordpress_writes_plain_text(export, field):
    values = re.findall(rf"<{field}(?: [^>]*)?>(.*?)</{field}>", export.decode(), re.S)
    assert values and not any("CDATA" in v for v in values), field


def test_text_holding_the_cdata_end_is_split_across_sections(export):
    root = etree.fromstring(export)
    titles = [t.text for t in root.iter("title")]
    assert "Written ]]> here" in titles
    assert "<![CDATA[Written ]]]]><![CDATA[> here]]>" in export.decode()


def test_every_comment_status_is_kept_spam_included(export):
    statuses = re.findall(r"<wp:comment_approved><!\[CDATA\[(.*?)\]\]>", export.decode())
    assert sorted(set(statuses)) == ["0", "1", "spam", "trash"]


def test_a_reader_by_element_names_finds_what_our_importer_finds(export):
    """The way wordpress-importer's regex parser reads a file: line by line, tags by
    their literal names, CDATA stripped by hand."""
    text = export.decode()
    assert re.search(r"<wp:wxr_version>(\d+\.\d+)</wp:wxr_version>", text)
    items = re.findall(r"<item>(.*?)</item>", text, re.S)

    def tag(chunk: str, name: str) -> str:
        found = re.search(rf"<{name}.*?>(.*?)</{name}>", chunk, re.S)
        value = found.group(1) if found else ""
        return "".join(re.findall(r"<!\[CDATA\[(.*?)\]\]>", value, re.S)) or value

    by_id = {tag(i, "wp:post_id"): (tag(i, "wp:post_type"), tag(i, "wp:status")) for i in items}
    assert by_id["101"] == ("post", "publish") and by_id["301"] == ("page", "publish")
    assert by_id["401"][0] == "attachment"
    terms = re.findall(r'<category domain="([^"]+?)" nicename="([^"]+?)">(.+?)</category>', text)
    assert ("category", "cambodia", "<![CDATA[Cambodia]]>") in terms
    comments = re.findall(r"<wp:comment>(.+?)</wp:comment>", items[0], re.S)
    assert sorted(tag(c, "wp:comment_id") for c in comments) == [
        "201",
        "202",
        "203",
        "204",
        "205",
        "206",
    ]
    assert sorted(tag(c, "wp:comment_approved") for c in comments) == [
        "0",
        "1",
        "1",
        "1",
        "spam",
        "trash",
    ]
