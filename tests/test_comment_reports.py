"""Readers report a comment (issue 33): a reason, rate-limited per address, into the
moderators' queue and mail; hidden after reports from N distinct readers, which the
moderation log records; the reporter's trace is a keyed hash, blanked with the
addresses."""

from __future__ import annotations

from sqlalchemy import select

from blogapp.comments import reports
from blogapp.comments.settings import CommentSettings, save_settings
from blogapp.extensions import db
from blogapp.models import (
    Comment,
    CommentReport,
    CommentStatus,
    ModerationEvent,
    OutboxMessage,
    Post,
)
from tests.factories import make_comment, make_post, make_user
from tests.helpers import BROWSER_POST, csrf_token_from, url_of


def send_report(client, comment_id: int, reason: str = "threat", address: str = "198.51.100.7"):
    return client.post(
        f"/comments/report/{comment_id}",
        data={"reason": reason},
        headers=BROWSER_POST,
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_reader_reports_a_comment_and_moderators_see_and_get_mail(app, client, login_as, ctx):
    app.config.update(COMMENT_NOTIFY_EMAILS="mod@example.org", MAIL_SERVER="127.0.0.1")
    post = make_post()
    comment = make_comment(post, "Her address is 12 Street 271.")
    page = client.get(url_of(post)).get_data(as_text=True)
    assert f'href="/comments/report/{comment.id}"' in page
    form = client.get(f"/comments/report/{comment.id}")
    assert form.status_code == 200 and "It reveals personal information" in form.get_data(
        as_text=True
    )

    answer = send_report(client, comment.id, "personal")
    assert answer.status_code == 200
    assert "Moderators will look at this comment." in answer.get_data(as_text=True)
    [stored] = db.session.scalars(select(CommentReport)).all()
    assert stored.reason == "personal" and stored.reporter_digest
    assert "198.51.100.7" not in stored.reporter_digest
    [mail] = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == reports.KIND)
    ).all()
    assert mail.recipient == "mod@example.org"
    assert "as: personal information" in mail.body_text and "198.51.100.7" not in mail.body_text

    login_as(make_user("mod", role="editor"))
    queue = client.get("/admin/comments?status=reported").get_data(as_text=True)
    assert "Reported by 1 reader(s):" in queue and "personal information" in queue
    assert "Her address is 12 Street 271." in queue
    # Keeping it settles the report.
    client.post(
        f"/admin/comments/{comment.id}/dismiss-reports",
        headers=BROWSER_POST,
        data={"csrf_token": csrf_token_from(queue)},
    )
    assert "Her address" not in client.get("/admin/comments?status=reported").get_data(as_text=True)


def test_reports_from_n_distinct_readers_hide_the_comment(app, client, ctx):
    save_settings(CommentSettings(reports_to_hide=2))
    post = make_post()
    comment = make_comment(post, "A threat.")
    for _ in range(3):  # one reader, three times: counted once
        send_report(client, comment.id, address="198.51.100.7")
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == CommentStatus.APPROVED

    send_report(client, comment.id, address="203.0.113.9")
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == CommentStatus.PENDING
    assert db.session.get(Post, post.id).comment_count == 0
    assert "A threat." not in client.get(url_of(post)).get_data(as_text=True)
    event = db.session.scalars(
        select(ModerationEvent).where(ModerationEvent.action == "hidden after reports")
    ).one()
    assert event.actor_id is None and "reported by 2 readers" in event.comment_summary
    # A hidden comment is no longer reportable.
    assert client.get(f"/comments/report/{comment.id}").status_code == 404


def test_reports_are_rate_limited_and_checked(app, client, ctx):
    app.config["COMMENT_REPORT_RATE_LIMIT"] = "2 per hour"
    post = make_post()
    comments = [make_comment(post, f"Comment {n}.") for n in range(3)]
    assert send_report(client, comments[0].id, "nonsense").status_code == 400
    assert send_report(client, comments[1].id).status_code == 200
    assert send_report(client, comments[2].id).status_code == 429
    held = make_comment(post, "Held.", status=CommentStatus.PENDING)
    assert client.get(f"/comments/report/{held.id}").status_code == 404
    cross = client.post(
        f"/comments/report/{comments[0].id}",
        data={"reason": "spam"},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert cross.status_code == 403


def test_the_reporters_hashes_are_blanked_with_the_addresses(app, client, clock, ctx):
    post = make_post()
    comment = make_comment(post)
    send_report(client, comment.id)
    clock.advance(days=app.config["COMMENT_IP_RETENTION_DAYS"] + 1)
    assert reports.forget_reporters() == 1
    assert db.session.scalar(select(CommentReport.reporter_digest)) is None


def test_the_report_page_speaks_the_posts_language(app, client, ctx):
    comment = make_comment(make_post("ប្រជាធិបតេយ្យ", language="km"), "មតិ")
    html = client.get(f"/comments/report/{comment.id}").get_data(as_text=True)
    assert '<html lang="km"' in html
