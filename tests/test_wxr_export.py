"""`flask export-wxr`: everything out as WXR 1.2, and back in unchanged (the round trip)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from lxml import etree
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from blogapp.content import MORE_MARKER
from blogapp.dates import to_local
from blogapp.extensions import db
from blogapp.models import Comment, Post
from tests.factories import make_category, make_comment, make_post, make_tag, make_user

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"
WP = "{http://wordpress.org/export/1.2/}"


def snapshot_posts() -> dict:
    posts = db.session.scalars(
        select(Post).options(selectinload(Post.categories), selectinload(Post.tags))
    ).all()
    return {
        p.slug: (
            p.title,
            p.status,
            p.published_at,
            p.body_html,
            p.excerpt_html,
            p.sticky,
            p.comment_mode,
            p.language,
            p.source_line,
            p.content_format,
            p.comment_count,
            sorted(c.slug for c in p.categories),
            sorted(t.slug for t in p.tags),
        )
        for p in posts
    }


def snapshot_comments() -> list:
    slugs = dict(db.session.execute(select(Post.id, Post.slug)).all())
    comments = db.session.scalars(select(Comment).order_by(Comment.created_at)).all()
    by_id = {c.id: c for c in comments}
    return [
        (
            slugs[c.post_id],
            c.author_name,
            c.author_email,
            c.status,
            c.depth,
            c.body_html,
            c.created_at,
            by_id[c.parent_id].author_name if c.parent_id else None,
        )
        for c in comments
    ]


def public_urls() -> list[str]:
    urls = []
    for post in db.session.scalars(select(Post).where(Post.public())):
        local = to_local(post.published_at)
        urls.append(f"/{local:%Y/%m/%d}/{post.slug}/")
    return urls + [
        "/category/politics/asia/cambodia/",
        "/tag/rule-of-law/",
        "/about/",
        "/?p=107",
        "/author/guestwriter/",
    ]


def empty_database() -> None:
    for table in reversed(db.metadata.sorted_tables):
        if table.name != "audit_log":  # append-only: it outlives the content (issue 19)
            db.session.execute(delete(table))
    db.session.commit()


def test_round_trip_gives_the_same_posts_comments_and_urls(runner, client, tmp_path, ctx):
    assert runner.invoke(args=["import-wxr", str(FIXTURES / "full.xml")]).exit_code == 0
    # Content written here too: Markdown, a nested category, a thread, a source line.
    author = make_user("native", display_name="Native Writer")
    cambodia = make_category("Mekong", parent=make_category("Rivers"))
    native = make_post(
        "Written here",
        "Some *Markdown*\nwith a soft break.\n\n<!--more-->\n\nRest.",
        author=author,
        categories=[cambodia],
        tags=[make_tag("water")],
        source_line="Op-Ed: River Times",
        published_at=datetime(2025, 6, 1, 10, 0, tzinfo=UTC),
    )
    first = make_comment(native, "First!", created_at=datetime(2025, 6, 1, 11, tzinfo=UTC))
    make_comment(
        native,
        "A reply.",
        parent=first,
        status="pending",
        created_at=datetime(2025, 6, 1, 12, tzinfo=UTC),
    )
    posts, comments = snapshot_posts(), snapshot_comments()
    urls = public_urls() + ["/2025/06/01/written-here/", "/category/rivers/mekong/"]
    assert all(client.get(u).status_code in (200, 301) for u in urls)
    path = tmp_path / "export.xml"

    exported = runner.invoke(args=["export-wxr", str(path)])

    assert exported.exit_code == 0, exported.output
    assert "7 posts" in exported.output and "8 comments" in exported.output
    empty_database()
    imported = runner.invoke(args=["import-wxr", str(path)])
    assert imported.exit_code == 0, imported.output
    assert snapshot_posts() == posts
    assert snapshot_comments() == comments
    for url in urls:
        response = client.get(url)
        assert response.status_code == (301 if "?" in url else 200), url
    again = runner.invoke(args=["import-wxr", str(path)])
    assert "posts:      0" in again.output and "comments:   0" in again.output


def test_export_is_wxr_1_2_that_wordpress_reads(runner, tmp_path, ctx):
    runner.invoke(args=["import-wxr", str(FIXTURES / "full.xml")])
    path = tmp_path / "export.xml"

    runner.invoke(args=["export-wxr", str(path)])

    raw = path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8" ?>')  # as WordPress writes it
    assert b"<![CDATA[" in raw and b"<!DOCTYPE" not in raw
    root = etree.fromstring(raw)
    channel = root.find("channel")
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    nicenames = [c.findtext(f"{WP}category_nicename") for c in channel.iter(f"{WP}category")]
    assert nicenames.index("politics") < nicenames.index("asia") < nicenames.index("cambodia")
    items = {i.findtext(f"{WP}post_id"): i for i in channel.iter("item")}
    khmer = items["101"]
    assert khmer.findtext(f"{WP}post_name").startswith("%e1%9e%94")  # encoded as WordPress does
    assert khmer.findtext(f"{WP}status") == "publish"
    assert items["103"].findtext(f"{WP}status") == "future"
    assert MORE_MARKER.search(khmer.findtext("{http://purl.org/rss/1.0/modules/content/}encoded"))
    threads = {
        c.findtext(f"{WP}comment_id"): (
            c.findtext(f"{WP}comment_parent"),
            c.findtext(f"{WP}comment_approved"),
        )
        for c in khmer.iter(f"{WP}comment")
    }
    assert threads == {
        "201": ("0", "1"),
        "202": ("201", "1"),
        "203": ("202", "1"),
        "204": ("0", "0"),
        "205": ("0", "spam"),
        "206": ("0", "trash"),
    }
    assert items["401"].findtext(f"{WP}post_type") == "attachment"
    assert items["301"].findtext(f"{WP}post_type") == "page"


def test_native_ids_that_clash_with_wordpress_ids_get_fresh_ones(runner, tmp_path, ctx):
    runner.invoke(args=["import-wxr", str(FIXTURES / "wxr11.xml")])  # post wp_id 9
    for n in range(10):
        make_post(f"Native {n}")  # ids 2..11: one of them is 9
    path = tmp_path / "export.xml"

    runner.invoke(args=["export-wxr", str(path)])

    ids = [i.findtext(f"{WP}post_id") for i in etree.parse(str(path)).iter("item")]
    assert len(ids) == len(set(ids)) == 11


def test_export_to_a_folder_that_does_not_exist_fails_cleanly(runner, tmp_path, ctx):
    result = runner.invoke(args=["export-wxr", str(tmp_path / "missing" / "export.xml")])

    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "Traceback" not in result.output
