"""DKIM: `flask mail dkim-key` makes a key only its owner reads and prints the record;
mail the worker sends is signed, and dkimpy's own verifier accepts it against that
record, served by a DNS stub on loopback."""

from __future__ import annotations

import os
import re
import stat

import dkim
import pytest

from blogapp.doctor import dns_records
from blogapp.mail.outbox import enqueue
from tests.dns_stub import DNSStub
from tests.helpers_mail import deliver, raw_header

RECORD = re.compile(r'^(\S+)\. IN TXT "(.+)"$', re.M)


@pytest.fixture
def dns_stub():
    with DNSStub() as stub:
        yield stub


@pytest.fixture
def app_config(dns_stub):
    return {
        "MAIL_FROM": "Op-Ed Notes <news@example.org>",
        "DKIM_SELECTOR": "mail2026",
        "HEALTH_NAMESERVERS": [dns_stub.address],
    }


def test_a_signed_mail_passes_dkimpys_verifier_against_the_printed_record(
    app, ctx, runner, inbox, dns_stub
):
    result = runner.invoke(args=["mail", "dkim-key"])
    assert result.exit_code == 0, result.output
    name, value = RECORD.search(result.output).groups()
    assert name == "mail2026._domainkey.example.org"
    assert value.startswith("v=DKIM1; k=rsa; p=")
    assert stat.S_IMODE(os.stat(app.config["DKIM_KEY_FILE"]).st_mode) == 0o600
    dns_stub.txt[name] = [value]

    enqueue(
        key="signed-1",
        kind="newsletter",
        recipient="reader@example.org",
        subject="ការបោះឆ្នោត: a long subject line that the mail library folds " * 2,
        text="សួស្តី. A body with Khmer text and a line.\n" * 40,
        html="<p>សួស្តី</p>",
        headers={
            "List-Unsubscribe": "<https://example.org/newsletter/unsubscribe/" + "x" * 150 + ">",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    deliver()

    [raw] = inbox.raw
    assert raw.startswith(b"DKIM-Signature:") or b"\r\nDKIM-Signature:" in raw
    assert dkim.verify(raw, dnsfunc=dns_records.dkim_dnsfunc)
    assert name in dns_stub.questions
    covered = dns_records.tags(raw_header(raw, "DKIM-Signature"))["h"].lower().split(":")
    assert {"from", "to", "subject", "message-id", "list-unsubscribe"} <= set(covered)

    tampered = raw.replace(b"A body with", b"A body without")
    assert not dkim.verify(tampered, dnsfunc=dns_records.dkim_dnsfunc)

    again = runner.invoke(args=["mail", "dkim-key"])  # keeps the key, prints its record
    assert "A key exists already" in again.output and value in again.output


def test_without_a_key_mail_goes_out_unsigned(app, ctx, inbox):
    enqueue(
        key="plain-1",
        kind="newsletter",
        recipient="reader@example.org",
        subject="Hi",
        text="Hello.",
    )
    deliver()
    assert b"DKIM-Signature" not in inbox.raw[0]


def test_no_key_without_a_domain(app, runner):
    app.config["MAIL_FROM"] = "nobody"
    result = runner.invoke(args=["mail", "dkim-key"])
    assert result.exit_code == 1 and "has no domain" in result.output
