"""Mail speaks its reader's language (real SMTP): a Khmer-list subscriber's confirmation
mail, confirmation page and issues are Khmer, an English one's English; a notice of a
reply on a Khmer post is Khmer."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from blogapp.comments import services
from blogapp.extensions import db
from blogapp.models import Comment, utcnow
from tests.factories import make_post, make_user
from tests.helpers import BROWSER_POST
from tests.helpers_mail import Inbox, SMTPServer, deliver, links_in, path_of, send_comment, text_of

KHMER = re.compile(r"[\u1780-\u17ff]")


@pytest.fixture
def inbox(app, clock, ctx):
    handler = Inbox()
    with SMTPServer(handler) as server:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port)
        yield handler


def subject_of(mail) -> str:
    return str(make_header(decode_header(mail["Subject"])))


def sign_up_and_confirm(client, inbox, email: str, lists: str) -> tuple:
    """The confirmation mail and the page its link opens, then confirmed."""
    answer = client.post(
        "/newsletter/subscribe", headers=BROWSER_POST, data={"email": email, "lists": lists}
    )
    assert answer.status_code == 200
    deliver()
    [mail] = inbox.to(email)
    [confirm] = [path_of(u) for u in links_in(mail) if "/newsletter/confirm/" in u]
    page = client.get(confirm).get_data(as_text=True)
    assert client.post(confirm).status_code == 200
    return mail, page


def test_a_khmer_list_subscriber_gets_khmer_mail_and_an_english_one_english(
    client, inbox, clock, ctx
):
    km_mail, km_page = sign_up_and_confirm(client, inbox, "km@example.org", "km")
    en_mail, en_page = sign_up_and_confirm(client, inbox, "en@example.org", "en")

    assert subject_of(km_mail).endswith("សូមបញ្ជាក់ថាអ្នកចង់ទទួលអត្ថបទថ្មីតាមអ៊ីមែល")
    assert "សូមបើកតំណនេះ" in text_of(km_mail) and "Someone" not in text_of(km_mail)
    assert '<html lang="km">' in km_page and "បញ្ជាក់អាសយដ្ឋានរបស់ខ្ញុំ" in km_page
    assert subject_of(en_mail).endswith("Confirm that you want new posts by e-mail")
    assert not KHMER.search(subject_of(en_mail) + text_of(en_mail))
    assert '<html lang="en">' in en_page and "Confirm my address" in en_page

    clock.advance(minutes=1)
    make_post("Roads and rain", "The rain came early.", published_at=utcnow())
    make_post("ផ្លូវ", "ភ្លៀង", language="km", published_at=utcnow())
    deliver()
    [km_issue] = [m for m in inbox.to("km@example.org") if subject_of(m) == "ផ្លូវ"]
    [en_issue] = [m for m in inbox.to("en@example.org") if subject_of(m) == "Roads and rain"]
    assert "ឈប់ជាវ: http" in text_of(km_issue) and "Unsubscribe" not in text_of(km_issue)
    assert "Unsubscribe: http" in text_of(en_issue) and not KHMER.search(text_of(en_issue))


def test_a_reply_notification_speaks_the_language_of_the_post(app, client, inbox, ctx):
    moderator = make_user("mod", display_name="Moderator Sok", email="mod@example.org")
    post = make_post("តុលាការ", "អត្ថបទ។", language="km")
    send_comment(client, post, "មតិដំបូង។", email="dara@example.org", replies=True)
    first = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
    assert services.approve(first, moderator)
    deliver()
    [ask] = inbox.to("dara@example.org")
    [confirm] = [path_of(u) for u in links_in(ask) if "/mail/confirm/" in u]
    assert client.post(confirm).status_code == 200
    inbox.messages.clear(), inbox.recipients.clear()

    send_comment(client, post, "ខ្ញុំមិនយល់ស្របទេ។", name="វិបុល", email="vibol@example.org", parent=first)
    reply = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
    assert services.approve(reply, moderator)
    deliver()
    [mail] = inbox.to("dara@example.org")
    assert subject_of(mail) == "[Op-Ed Notes] មតិថ្មីលើ «តុលាការ»"
    text = text_of(mail)
    assert "វិបុល លើ «តុលាការ»៖\nខ្ញុំមិនយល់ស្របទេ។" in text
    assert "ការជាវរបស់អ្នក: http://localhost/mail/subscriptions/" in text
    words = re.sub(r"\S*/\S*", " ", text).replace("Op-Ed Notes", " ")  # links, the site's name
    assert not re.search(r"[A-Za-z]", words), words


def test_a_data_request_from_a_khmer_page_is_answered_in_khmer(client, inbox, ctx):
    post = make_post("តុលាការ", "អត្ថបទ។", language="km")
    send_comment(client, post, "មតិមួយ។", email="dara@example.org")
    page = client.get("/your-data/?lang=km").get_data(as_text=True)
    assert 'action="/your-data/?lang=km"' in page
    answer = client.post(
        "/your-data/?lang=km",
        headers=BROWSER_POST,
        data={"email": "dara@example.org", "what": "export"},
    )
    assert '<html lang="km">' in answer.get_data(as_text=True)
    deliver()
    [mail] = inbox.to("dara@example.org")
    assert subject_of(mail) == "ទិន្នន័យរបស់អ្នកពីគេហទំព័រនេះ"
    assert "សូមបញ្ជាក់នៅលើទំព័រនេះ" in text_of(mail)
    [link] = [path_of(u) for u in links_in(mail) if "/your-data/confirm/" in u]
    assert link.endswith("?lang=km")
    shown = client.get(link).get_data(as_text=True)
    assert '<html lang="km">' in shown and "ទាញយកទិន្នន័យរបស់ខ្ញុំ" in shown
