"""Headers as a mail provider reads them: the raw bytes the real SMTP server
(aiosmtpd) received, not the mail as Python's parser decodes it again."""

from __future__ import annotations

from blogapp.mail.outbox import enqueue
from tests.helpers_mail import deliver, raw_header

# As long as the real ones: a signed token of a subscriber and its subscriptions.
UNSUBSCRIBE = (
    "http://localhost/mail/unsubscribe/eyJzIjoxMiwiZSI6InNva2hhQGV4YW1wbGUub3JnIiwiaSI6"
    "WzEsMiwzXX0.ZjQ3YzM2NTFhYzQ5YjNhZjI4ZGY3YzE1ZjE0YjBlOTk4YWY0ZGUxMQ"
)


def test_list_unsubscribe_goes_out_plain(app, inbox, ctx):
    """One-click unsubscribe (RFC 8058) needs the URL as plain ASCII: providers do
    not decode RFC 2047 encoded-words in List-Unsubscribe, so a long URL folded
    into them is lost. Folded, if at all, only at whitespace."""
    enqueue(
        key="headers.1",
        kind="test",
        recipient="sokha@example.org",
        subject="ព័ត៌មាន: a Khmer subject that is long enough to be folded somewhere",
        text="Hello.",
        headers={
            "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    deliver()

    [raw] = inbox.raw
    assert raw_header(raw, "List-Unsubscribe") == f"<{UNSUBSCRIBE}>"
    assert raw_header(raw, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"
    # The Khmer subject is still encoded, as it must be, and reads back whole.
    assert raw_header(raw, "Subject").startswith("=?utf-8?")
    [mail] = inbox.messages
    assert mail["Subject"].startswith("ព័ត៌មាន: a Khmer subject")


def test_two_unsubscribe_addresses_fold_between_them(app, inbox, ctx):
    both = f"<mailto:unsubscribe@example.org?subject=stop>, <{UNSUBSCRIBE}>"
    enqueue(
        key="headers.2",
        kind="test",
        recipient="sokha@example.org",
        subject="Hello",
        text="Hello.",
        headers={"List-Unsubscribe": both},
    )
    deliver()

    [raw] = inbox.raw
    assert b"stop>,\r\n <http://localhost/mail/unsubscribe/" in raw
    assert raw_header(raw, "List-Unsubscribe") == both
