"""The links of every mailing list (blogapp.mail.subscriptions): they name their row by id
and by a fingerprint of its address, never by the address itself, and the newsletter's
links mailed when they carried the address in clear still work, for that address only."""

from __future__ import annotations

import base64
import json

from sqlalchemy import select

from blogapp.extensions import db
from blogapp.mail import links
from blogapp.models import NewsletterStatus, NewsletterSubscriber
from tests.helpers import BROWSER_POST
from tests.helpers_mail import deliver, links_in, path_of

ANN, CHAN = "ann@example.org", "chan@example.org"


def signed_data(path: str) -> dict:
    """What a link's token says, read as anyone holding the link can (unverified)."""
    payload = path.rsplit("/", 1)[1].split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def newsletter_row(email: str) -> NewsletterSubscriber:
    row = db.session.scalars(
        select(NewsletterSubscriber).where(NewsletterSubscriber.email == email)
    ).one()
    db.session.commit()
    return row


def confirmation_link(client, inbox, email: str) -> str:
    client.post("/newsletter/subscribe", data={"email": email, "lists": "en"}, headers=BROWSER_POST)
    deliver()
    [url] = [u for u in links_in(inbox.to(email)[-1]) if "/newsletter/confirm/" in u]
    return path_of(url)


def test_a_newsletter_link_does_not_carry_the_address(app, client, inbox, ctx):
    path = confirmation_link(client, inbox, ANN)
    data = signed_data(path)
    assert ANN not in json.dumps(data)
    assert data["s"] == newsletter_row(ANN).id
    assert client.post(path).status_code == 200
    assert newsletter_row(ANN).status == NewsletterStatus.CONFIRMED


def test_an_old_newsletter_link_with_the_address_works_for_that_address_only(
    app, client, inbox, ctx
):
    client.post(confirmation_link(client, inbox, ANN))
    ann = newsletter_row(ANN)
    with app.test_request_context():
        anns_old = "/newsletter/unsubscribe/" + links.make(
            "newsletter-unsubscribe", {"s": ann.id, "e": ANN}
        )
        forged_for_ann = "/newsletter/unsubscribe/" + links.make(
            "newsletter-unsubscribe", {"s": ann.id, "e": CHAN}
        )
    assert client.post(forged_for_ann).status_code == 400
    assert newsletter_row(ANN).status == NewsletterStatus.CONFIRMED

    done = client.post(anns_old, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and done.get_data(as_text=True) == "Unsubscribed.\n"
    assert newsletter_row(ANN).status == NewsletterStatus.UNSUBSCRIBED
