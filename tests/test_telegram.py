"""The Telegram channel, against a local Bot API server: publishing a post sends its
card once, an edit or a correction edits the caption, unpublishing deletes the
message, a 429 is retried after its ``retry_after``, and a refusal is given up with
a note an operator can act on."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blogapp.corrections.services import add_note
from blogapp.extensions import db
from blogapp.mail.worker import deliver_once
from blogapp.models import OutboxMessage, OutboxStatus, Post, PostStatus, TelegramMessage
from blogapp.posts.services import PostData, save_post
from blogapp.telegram import LANE
from tests.factories import make_user
from tests.helpers_telegram import CHANNEL, TOKEN, BotAPI


@pytest.fixture
def bot():
    with BotAPI() as api:
        yield api


@pytest.fixture
def app_config(bot):
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_CHANNEL": CHANNEL,
        "TELEGRAM_API_URL": bot.url,
        "FEDIVERSE_ALLOW_LOOPBACK": True,
    }


def deliver():
    db.session.commit()
    return deliver_once(lane=LANE)


def publish(title="Why the river matters", excerpt="Dams change the Mekong.", **changes):
    author = make_user(display_name="Sokha Chan")
    fields = dict(
        title=title, body="The body.\n\nMore of it.", excerpt=excerpt, status=PostStatus.PUBLISHED
    )
    data = PostData(**{**fields, **changes})
    with current_app.test_request_context():  # an editor's save, as the admin makes it
        return save_post(None, data, author=author)


def edit(post, **changes):
    post = db.session.scalar(
        select(Post)
        .where(Post.id == post.id)
        .options(selectinload(Post.categories), selectinload(Post.tags))
    )
    fields = dict(
        title=post.title,
        slug=post.slug,
        body=post.body,
        excerpt=post.excerpt,
        status=post.status,
        language=post.language,
    )
    fields.update(changes)
    with current_app.test_request_context():
        return save_post(post, PostData(**fields), author=None)


def test_publishing_sends_the_card_once_with_title_excerpt_and_link(app, ctx, bot):
    post = publish()
    queued = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "telegram"))
    assert [row.ref for row in queued] == [f"post:{post.id}"]  # queued with the publish

    report = deliver()

    assert (report.sent, report.errors) == (1, [])  # the card's own commit: nothing more
    [call] = bot.calls
    assert call.method == "sendPhoto"
    assert call.fields["chat_id"] == CHANNEL
    assert call.photo.startswith(b"\x89PNG")  # the share card
    caption = call.fields["caption"]
    assert "<b>Why the river matters</b>" in caption
    assert "Dams change the Mekong." in caption
    assert f"{app.config['SITE_URL']}/" in caption and post.slug in caption
    stored = db.session.get(TelegramMessage, post.id)
    assert (stored.chat_id, stored.message_id, stored.is_photo) == (CHANNEL, 101, True)

    assert deliver().claimed == 0  # nothing more to send
    assert bot.methods() == ["sendPhoto"]


def test_an_edit_of_the_excerpt_edits_the_caption_and_other_edits_send_nothing(app, ctx, bot):
    post = publish()
    deliver()
    edit(post, body="A new body the caption does not show.\n\nStill.")
    report = deliver()
    assert report.sent == 0 and bot.methods() == ["sendPhoto"]

    edit(post, excerpt="Dams upstream change the Mekong.")
    deliver()

    assert bot.methods() == ["sendPhoto", "editMessageCaption"]
    call = bot.calls[-1]
    assert call.fields["message_id"] == "101"
    assert "Dams upstream change the Mekong." in call.fields["caption"]


def test_a_new_title_sends_the_new_card_with_the_caption(app, ctx, bot):
    post = publish()
    deliver()
    first_card = bot.calls[0].photo
    edit(post, title="Why the Mekong matters")
    deliver()

    assert bot.methods() == ["sendPhoto", "editMessageMedia"]
    call = bot.calls[-1]
    media = json.loads(call.fields["media"])
    assert media["type"] == "photo" and media["media"] == "attach://photo"
    assert "<b>Why the Mekong matters</b>" in media["caption"]
    assert call.photo.startswith(b"\x89PNG") and call.photo != first_card


def test_a_correction_edits_the_caption(app, ctx, bot):
    post = publish()
    deliver()
    add_note(post, "correction", "The dam is 30 km upstream, not 3.", None)
    db.session.commit()
    deliver()
    assert bot.methods() == ["sendPhoto", "editMessageCaption"]
    assert "30 km upstream" in bot.calls[-1].fields["caption"]


def test_unpublishing_deletes_the_message(app, ctx, bot):
    post = publish()
    deliver()
    edit(post, status=PostStatus.DRAFT)
    deliver()
    assert bot.methods() == ["sendPhoto", "deleteMessage"]
    assert bot.calls[-1].fields == {"chat_id": CHANNEL, "message_id": "101"}
    assert db.session.get(TelegramMessage, post.id) is None


def test_each_language_goes_to_its_own_channel_when_set(app, ctx, bot):
    app.config["TELEGRAM_CHANNELS"] = {"km": "@opeds_km"}
    publish(title="ទន្លេមេគង្គ", excerpt="", language="km")
    publish(title="The river", excerpt="")
    deliver()
    assert sorted(call.fields["chat_id"] for call in bot.calls) == [CHANNEL, "@opeds_km"]


def test_a_429_is_tried_again_after_its_retry_after(app, ctx, bot, clock):
    publish()
    bot.refuse_next(429, "Too Many Requests: retry after 120", retry_after=120)
    report = deliver()
    assert report.retrying == 1
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "telegram"))
    assert row.status == OutboxStatus.QUEUED and "429" in row.last_error
    db.session.commit()

    clock.advance(seconds=119)
    assert deliver().claimed == 0  # MAIL_RETRY_SECONDS would have retried by now
    clock.advance(seconds=1)
    assert deliver().sent == 1
    assert bot.methods() == ["sendPhoto", "sendPhoto"]
    assert db.session.get(TelegramMessage, row.payload["post_id"]) is not None


def test_a_5xx_is_retried_with_backoff(app, ctx, bot, clock):
    publish()
    bot.refuse_next(502, "Bad Gateway")
    assert deliver().retrying == 1
    clock.advance(seconds=app.config["MAIL_RETRY_SECONDS"])
    assert deliver().sent == 1


def test_a_refusal_is_given_up_with_a_note_on_the_outbox_screen(app, ctx, bot, client, login_as):
    publish()
    bot.refuse_next(403, "Forbidden: bot is not a member of the channel chat")
    report = deliver()
    assert report.failed == 1
    login_as(make_user("admin", role="admin"))
    page = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "bot is not a member of the channel chat" in page
    assert "make the bot an administrator of the channel" in page
    assert TOKEN not in page  # the token is in the address, never in a note


def test_a_scheduled_post_is_sent_when_its_time_comes(app, ctx, bot, clock):
    from blogapp import clock as app_clock

    publish(status="scheduled", publish_at=app_clock.now() + timedelta(hours=2))
    assert deliver().claimed == 0
    clock.advance(hours=2, seconds=1)
    assert deliver().sent == 1
    assert bot.methods() == ["sendPhoto"]


def test_nothing_is_queued_without_a_bot_token(app, ctx, bot):
    app.config["TELEGRAM_BOT_TOKEN"] = ""
    publish()
    assert (
        db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "telegram")) is None
    )


def test_the_bot_api_on_a_private_address_is_refused_outside_tests(app, ctx, bot):
    app.config["FEDIVERSE_ALLOW_LOOPBACK"] = False  # as in production
    publish()
    report = deliver()
    assert report.failed == 1 and bot.calls == []
    row = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "telegram")).one()
    assert "non-public address" in row.last_error


def test_flask_deliver_runs_the_telegram_lane_alone_with_no_mail_server(app, ctx, bot, runner):
    app.config["MAIL_SERVER"] = ""
    publish()
    db.session.commit()
    result = runner.invoke(args=["deliver", "--only", "telegram"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output and bot.methods() == ["sendPhoto"]
