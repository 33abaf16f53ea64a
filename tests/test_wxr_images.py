"""Images that still live on the old site (issue 13): the import says how many are
left there and how to bring them in; with --uploads every brought-in file's links,
resized variants and full-size links included, point at the local media store,
also for posts a first import without --uploads brought in."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image
from sqlalchemy import func, select

from blogapp.extensions import db
from blogapp.models import Media, Post

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"
OLD = "http://old.example.org/wp-content/uploads/2020/05/"


def write_jpeg(path: Path, size=(640, 480)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (30, 90, 160)).save(path, "JPEG")


def old_site_uploads(tmp_path: Path) -> Path:
    """A copy of wp-content/uploads as WordPress leaves it: each image and its sizes."""
    uploads = tmp_path / "wp-uploads"
    write_jpeg(uploads / "2020" / "05" / "river.jpg")
    write_jpeg(uploads / "2020" / "05" / "river-300x200.jpg", (300, 200))
    write_jpeg(uploads / "2020" / "05" / "river-150x150.jpg", (150, 150))
    return uploads


def export_linking_full_size(tmp_path: Path) -> Path:
    """full.xml with the captioned thumbnail wrapped in a link to the full-size file."""
    text = (FIXTURES / "full.xml").read_text()
    thumb = f'<img src="{OLD}river-300x200.jpg"'
    assert thumb in text
    text = text.replace(thumb, f'<a href="{OLD}river.jpg">{thumb}', 1)
    text = text.replace(
        " Boats on the Mekong at dawn[/caption]", "</a> Boats on the Mekong at dawn[/caption]", 1
    )
    path = tmp_path / "export.xml"
    path.write_text(text)
    return path


def body_of(wp_id: int) -> str:
    return db.session.scalar(select(Post.body_html).where(Post.wp_id == wp_id))


def test_without_uploads_the_summary_counts_old_images_and_says_how_to_bring_in(
    runner, tmp_path, ctx
):
    result = runner.invoke(args=["import-wxr", str(export_linking_full_size(tmp_path))])

    assert result.exit_code == 0, result.output
    assert (
        "images:     1 in 1 post or page, and 1 attachment, still load from old.example.org"
    ) in result.output
    assert "--uploads" in result.output and "wp-content/uploads" in result.output


def test_uploads_bring_in_each_image_once_and_rewrite_variant_and_full_size_links(
    runner, app, client, tmp_path, ctx
):
    result = runner.invoke(
        args=[
            "import-wxr",
            str(export_linking_full_size(tmp_path)),
            "--uploads",
            str(old_site_uploads(tmp_path)),
        ]
    )

    assert result.exit_code == 0, result.output
    river = db.session.scalars(select(Media)).one()  # the original, not one row per size
    assert river.wp_id == 401 and river.original_name == "river.jpg"
    assert (river.width, river.height) == (640, 480)
    html = body_of(101)
    assert f'<a href="/uploads/{river.filename}"' in html
    assert f'src="/uploads/{river.filename}"' in html
    assert "old.example.org" not in html
    assert "still load from" not in result.output


def test_a_second_run_with_uploads_relinks_what_the_first_brought_in(runner, tmp_path, ctx):
    export = export_linking_full_size(tmp_path)
    assert runner.invoke(args=["import-wxr", str(export)]).exit_code == 0
    assert "old.example.org" in body_of(101)

    again = runner.invoke(
        args=["import-wxr", str(export), "--uploads", str(old_site_uploads(tmp_path))]
    )

    assert again.exit_code == 0, again.output
    assert "posts:      0" in again.output
    assert "relinked:   1 post or page now shows local copies" in again.output
    assert "still load from" not in again.output
    river = db.session.scalars(select(Media)).one()  # the old-address row became the file
    assert river.wp_id == 401 and not river.filename.startswith("remote-")
    assert river.caption == "Boats on the Mekong at dawn"
    html = body_of(101)
    assert "old.example.org" not in html
    assert len(re.findall(rf"/uploads/{river.filename}", html)) == 2
    assert db.session.scalar(select(func.count()).select_from(Post)) == 6
