"""Uploading images: only real JPEG/PNG/GIF/WebP survive, re-encoded, under names we
make up, served so that a browser can only ever treat them as images."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.media import ImageRejected, store_image
from blogapp.models import Media
from tests.factories import make_user
from tests.helpers import csrf_token_from


@pytest.fixture
def editor(login_as, ctx):
    return login_as(make_user())


def image_bytes(fmt="JPEG", size=(800, 600), color=(180, 40, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def upload(client, data: bytes, name: str, **fields):
    token = csrf_token_from(client.get("/admin/media/").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "file": (io.BytesIO(data), name),
        "alt": "",
        "caption": "",
        "credit": "",
        **fields,
    }
    return client.post("/admin/media/", data=form, content_type="multipart/form-data")


def stored_files(app) -> list[str]:
    folder = Path(app.config["UPLOAD_FOLDER"])
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_real_photo_is_re_encoded_stored_and_served_safely(app, client, editor, ctx):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # camera make
    photo = image_bytes(exif=exif.tobytes()) + b"<script>alert(1)</script>"  # trailing payload

    response = upload(
        client,
        photo,
        "../../evil name.jpg",
        alt="A red square",
        caption="Parliament at dusk",
        credit="Sokha Chan",
    )

    assert response.status_code == 302
    media = db.session.scalar(select(Media))
    assert media.original_name == "../../evil name.jpg"
    assert media.filename != media.original_name
    assert media.filename.endswith(".jpg") and "/" not in media.filename
    assert (media.mime_type, media.width, media.height) == ("image/jpeg", 800, 600)
    assert media.uploaded_by_id == editor.id
    assert sorted([media.filename, media.thumb_filename]) == stored_files(app)
    kept = (Path(app.config["UPLOAD_FOLDER"]) / media.filename).read_bytes()
    assert b"<script>" not in kept and b"SecretCam" not in kept
    assert kept.endswith(b"\xff\xd9")  # the file ends where the JPEG ends
    with Image.open(Path(app.config["UPLOAD_FOLDER"]) / media.thumb_filename) as thumb:
        assert max(thumb.size) <= 400

    with client.get(f"/uploads/{media.filename}") as served:
        assert served.status_code == 200
        assert served.mimetype == "image/jpeg"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert "max-age=31536000" in served.headers["Cache-Control"]
        assert served.data == kept

    html = client.get("/admin/media/").get_data(as_text=True)
    assert (
        f"&lt;figure&gt;&lt;img src=&#34;/uploads/{media.filename}&#34; alt=&#34;A red square"
        in html
    )
    assert "Parliament at dusk — Image Credit: Sokha Chan&lt;/figcaption&gt;" in html


@pytest.mark.parametrize("fmt", ["PNG", "GIF", "WEBP"])
def test_png_gif_and_webp_are_accepted(client, editor, fmt, ctx):
    response = upload(client, image_bytes(fmt, size=(50, 40)), f"small.{fmt.lower()}")

    assert response.status_code == 302
    media = db.session.scalar(select(Media))
    assert media.mime_type == f"image/{fmt.lower()}"
    assert media.thumb_filename == media.filename  # small enough already


def test_a_text_file_renamed_png_is_refused(app, client, editor, ctx):
    response = upload(client, b"I am not an image, just text.\n" * 10, "photo.png")

    assert response.status_code == 400
    assert "not a JPEG, PNG, GIF or WebP image" in response.get_data(as_text=True)
    assert db.session.scalar(select(Media)) is None
    assert stored_files(app) == []


def test_an_svg_with_a_script_is_refused(app, client, editor, ctx):
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
    )

    response = upload(client, svg, "logo.svg")

    assert response.status_code == 400
    assert "SVG and other formats are refused" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_a_truncated_image_is_refused(client, editor, ctx):
    response = upload(client, image_bytes("PNG")[:200], "cut.png")

    assert response.status_code == 400
    assert "damaged or incomplete" in response.get_data(as_text=True)


def test_an_oversized_upload_gets_the_413_page(app, client, editor, ctx):
    app.config["MAX_CONTENT_LENGTH"] = 100_000

    response = upload(client, image_bytes("PNG", size=(10, 10)) + b"\0" * 200_000, "big.png")

    assert response.status_code == 413
    assert "larger than this site accepts" in response.get_data(as_text=True)
    assert db.session.scalar(select(Media)) is None


@pytest.mark.parametrize("size", [(200, 200), (120, 100)])  # past twice the limit; just past it
def test_decompression_bombs_are_refused(app, client, editor, size, ctx):
    app.config["UPLOAD_MAX_PIXELS"] = 10_000
    bomb = image_bytes("PNG", size=size)  # compresses to almost nothing

    response = upload(client, bomb, "bomb.png")

    assert response.status_code == 400
    assert "The image is too large: at most 10,000 pixels" in response.get_data(as_text=True)
    assert stored_files(app) == []


def test_store_image_for_importers(app, ctx):
    media = store_image(
        io.BytesIO(image_bytes("PNG", size=(600, 450))),
        "old.png",
        caption="From the archive",
        source_url="https://old.example/a.png",
    )
    db.session.commit()

    assert media.id and media.source_url == "https://old.example/a.png"
    assert media.thumb_filename.endswith("-thumb.png")
    with pytest.raises(ImageRejected, match="not a JPEG"):
        store_image(io.BytesIO(b"GIF89a but not really"), "fake.gif")
    with pytest.raises(ValueError, match="empty"):
        store_image(io.BytesIO(b""), "empty.jpg")


@pytest.mark.parametrize(
    "path",
    [
        "/uploads/../blogapp.sqlite",
        "/uploads/%2e%2e/blogapp.sqlite",
        "/uploads/..%2fconfig.py",
        "/uploads/..\\config.py",
        "/uploads/x/../../etc/passwd",
        "/uploads/ABCDEF.jpg",
        "/uploads/0123456789abcdef01234567.svg",
        "/uploads/0123456789abcdef01234567.jpg",
    ],
)
def test_path_tricks_and_unknown_names_get_404(client, path, ctx):
    with client.get(path) as response:
        assert response.status_code == 404
