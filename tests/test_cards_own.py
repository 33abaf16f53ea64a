"""A writer's own share card (issue 31): an upload on the post's edit screen replaces
the drawn card, checked as every upload is; "Use the drawn card again" brings it back."""

from __future__ import annotations

import io

from flask import current_app
from PIL import Image

from blogapp.cards.names import HEIGHT, WIDTH, card_folder
from blogapp.extensions import db
from blogapp.models import Post, PostStatus
from blogapp.permalinks import post_url
from blogapp.posts.services import PostData, save_post
from tests.factories import make_user
from tests.helpers import BROWSER_POST, csrf_token_from


def publish(writer) -> Post:
    data = PostData(title="Judges and the press", body="Some words.", status=PostStatus.PUBLISHED)
    with current_app.test_request_context("/admin/", method="POST"):
        return save_post(None, data, author=writer)


def png(width: int, height: int, colour=(20, 90, 160)) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    out.seek(0)
    return out


def send(client, post, path: str, **files):
    page = client.get(f"/admin/posts/{post.id}/edit")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token_from(page.get_data(as_text=True)), **files}
    answer = client.post(path, data=data, headers=BROWSER_POST, follow_redirects=True)
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_an_uploaded_card_replaces_the_drawn_one_until_the_writer_takes_it_back(
    app, client, ctx, login_as
):
    writer = login_as(make_user("dara"))
    post = publish(writer)
    drawn = post.share_card

    page = send(client, post, f"/admin/posts/{post.id}/card", card=(png(1600, 1000), "mine.png"))

    assert "The post&#39;s share card is now your picture." in page
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert post.card_media_id is not None and post.share_card not in ("", drawn)
    card = Image.open(card_folder() / post.share_card).convert("RGB")
    assert card.size == (WIDTH, HEIGHT)
    assert card.getpixel((10, 10)) == card.getpixel((WIDTH - 10, HEIGHT - 10)) == (20, 90, 160)
    with app.test_request_context():
        path = post_url(post)
    assert f"/uploads/cards/{post.share_card}" in client.get(path).get_data(as_text=True)

    page = send(client, post, f"/admin/posts/{post.id}/card/drawn")
    assert "drawn one again" in page
    db.session.expire_all()
    assert db.session.get(Post, post.id).share_card == drawn


def test_a_card_upload_that_is_no_picture_or_too_small_changes_nothing(app, client, ctx, login_as):
    writer = login_as(make_user("dara"))
    post = publish(writer)
    drawn = post.share_card

    page = send(
        client,
        post,
        f"/admin/posts/{post.id}/card",
        card=(io.BytesIO(b"not a picture"), "card.png"),
    )
    assert "The share card was not changed:" in page
    page = send(client, post, f"/admin/posts/{post.id}/card", card=(png(300, 200), "tiny.png"))
    assert "300 × 200 pixels; a card needs at least 600 × 315" in page
    page = send(client, post, f"/admin/posts/{post.id}/card")
    assert "Choose a picture to upload as the share card." in page

    db.session.expire_all()
    post = db.session.get(Post, post.id)
    assert (post.card_media_id, post.share_card) == (None, drawn)
    uploads = [p for p in card_folder().parent.iterdir() if p.is_file()]
    assert uploads == []  # the refused pictures left no file behind
