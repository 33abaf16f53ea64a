"""Site health: `flask doctor` on a healthy test site exits 0; with the mail worker
stopped, the outbox backed up and an editor without a second factor it names all three
and exits 1. DNS answers come from a stub server on loopback, the TLS certificate from a
local TLS server with a certificate made here."""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import text

from blogapp.clock import now
from blogapp.doctor import checks
from blogapp.doctor.checks import Status
from blogapp.extensions import db
from blogapp.mail import heartbeat
from blogapp.mail.outbox import enqueue
from blogapp.models import TwoFactor
from blogapp.models.users import ROLE_ADMIN
from tests.dns_stub import DNSStub
from tests.factories import make_user

RECORD = re.compile(r'^(\S+)\. IN TXT "(.+)"$', re.M)


@pytest.fixture
def dns_stub():
    with DNSStub() as stub:
        yield stub


@pytest.fixture
def app_config(dns_stub, tmp_path):
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_FROM": "Op-Ed Notes <news@example.org>",
        "HEALTH_NAMESERVERS": [dns_stub.address],
        "HEALTH_TIMEOUT": 2.0,
        "BACKUP_STATUS_FILE": str(tmp_path / "backup-status.json"),
        "AUDIT_STATUS_FILE": str(tmp_path / "audit-status.json"),
        "SECRET_KEY": "a-test-secret-key-that-is-long-enough-0123456789",
    }


@pytest.fixture
def at_head(ctx):
    """The migration record `flask db upgrade` leaves (tests build tables with create_all)."""
    db.session.execute(
        text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    )
    db.session.execute(text("DELETE FROM alembic_version"))
    for head in checks.migration_heads():
        db.session.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(text("DROP TABLE alembic_version"))
    db.session.commit()


def publish_printed_record(runner, dns_stub) -> str:
    """`flask mail dkim-key`, and its record put in the DNS as an operator would."""
    result = runner.invoke(args=["mail", "dkim-key"])
    assert result.exit_code == 0, result.output
    name, value = RECORD.search(result.output).groups()
    dns_stub.txt[name] = [value]
    return name


@pytest.fixture
def healthy(app, ctx, runner, dns_stub, at_head):
    publish_printed_record(runner, dns_stub)
    dns_stub.txt["example.org"] = ["v=spf1 mx -all"]
    dns_stub.txt["_dmarc.example.org"] = ["v=DMARC1; p=quarantine; rua=mailto:dmarc@example.org"]
    heartbeat.beat("mail")
    moment = now().isoformat()
    with open(app.config["BACKUP_STATUS_FILE"], "w") as handle:
        json.dump(
            {
                "backup": {"at": moment, "sha256": "ab" * 32},  # blogapp.backup.status
                "verify": {"at": moment, "sha256": "ab" * 32, "ok": True},
                "verified": ["ab" * 32],
            },
            handle,
        )
    with open(app.config["AUDIT_STATUS_FILE"], "w") as handle:
        json.dump({"at": moment, "ok": True, "summary": "No known vulnerabilities found"}, handle)
    admin = make_user("root", role=ROLE_ADMIN)
    db.session.add(TwoFactor(user_id=admin.id, secret="JBSWY3DPEHPK3PXP", confirmed_at=now()))
    db.session.commit()


def lines(output: str, mark: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(mark)]


def test_a_healthy_site_exits_0(runner, healthy):
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert lines(result.output, "FAIL") == []
    for name in (
        "Database",
        "Mail worker",
        "Outbox",
        "Backups",
        "SPF",
        "DKIM",
        "DMARC",
        "Second factor",
        "Session cookie",
        "Dependency audit",
    ):
        assert any(line.startswith(f"OK   {name}:") for line in result.output.splitlines()), (
            name,
            result.output,
        )


def test_a_stopped_worker_a_backed_up_outbox_and_an_editor_without_2fa_are_named(
    runner, healthy, clock
):
    make_user("dara")  # an editor who never enrolled
    enqueue(
        key="held-1",
        kind="comment-held",
        recipient="mod@example.org",
        subject="Held",
        text="A comment waits.",
    )
    db.session.commit()
    clock.advance(minutes=30)  # the worker wrote its last heartbeat half an hour ago

    result = runner.invoke(args=["doctor"])

    assert result.exit_code == 1, result.output
    failing = lines(result.output, "FAIL")
    assert [line.split(":")[0] for line in failing] == [
        "FAIL Mail worker",
        "FAIL Outbox",
        "FAIL Second factor",
    ]
    assert "30 min old" in failing[0]
    assert "the oldest due one has waited 30 min" in failing[1]
    assert "dara" in failing[2] and "root" not in failing[2]
    assert "Fix: Restart it" in result.output
    assert result.output.rstrip().endswith("Failing: Mail worker, Outbox, Second factor.")


def test_wrong_or_missing_mail_records_say_what_to_publish(app, ctx, runner, dns_stub, at_head):
    name = publish_printed_record(runner, dns_stub)
    published = dns_stub.txt[name][0]
    dns_stub.txt[name] = ["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAold"]

    found = {check.name: check for check in checks.check_mail_dns()}

    assert found["DKIM"].status is Status.FAILING
    assert "not this site's key" in found["DKIM"].detail
    assert found["DKIM"].fix == f'Publish: {name}. IN TXT "{published}"'
    assert found["SPF"].status is Status.WARNING
    assert found["SPF"].fix.startswith('Publish: example.org. IN TXT "v=spf1')
    assert found["DMARC"].status is Status.WARNING
    assert '_dmarc.example.org. IN TXT "v=DMARC1; p=quarantine' in found["DMARC"].fix
    assert "_dmarc.example.org" in dns_stub.questions

    dns_stub.txt["example.org"] = ["v=spf1 +all"]
    assert checks._spf("example.org").status is Status.FAILING


def test_the_site_health_screen_shows_the_checks_to_admins(client, ctx, login_as, healthy):
    make_user("dara")
    login_as(make_user("boss", role=ROLE_ADMIN))
    page = client.get("/admin/health")
    assert page.status_code == 200
    assert "private" in page.headers["Cache-Control"]
    html = page.get_data(as_text=True)
    assert "Site health" in html and "Editor accounts without a second factor" in html
    assert "dara" in html

    login_as(make_user("writer"))
    assert client.get("/admin/health").status_code == 403


def self_signed(host: str, days: int, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    start = datetime.now(UTC) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days + 1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{days}.crt", tmp_path / f"{days}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


class TLSServer:
    """Accepts TLS handshakes on loopback with the given certificate, then closes."""

    def __init__(self, cert_file: str, key_file: str) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert_file, key_file)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)  # to notice the stop: closing does not wake accept
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _peer = self.sock.accept()
            except TimeoutError:
                continue
            connection.settimeout(2)
            try:
                with self.context.wrap_socket(connection, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                connection.close()

    def __enter__(self) -> TLSServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sock.close()


def test_the_certificate_of_site_url_is_read_through_a_real_handshake(app, ctx, tmp_path):
    cert_file, key_file = self_signed("localhost", 60, tmp_path)
    soon_cert, soon_key = self_signed("localhost", 5, tmp_path)
    with TLSServer(cert_file, key_file) as server, TLSServer(soon_cert, soon_key) as soon:
        app.config["SITE_URL"] = f"https://localhost:{server.port}"
        trusted = checks.check_certificate(cafile=cert_file)
        untrusted = checks.check_certificate()
        app.config["SITE_URL"] = f"https://localhost:{soon.port}"
        expiring = checks.check_certificate(cafile=soon_cert)

    assert trusted.status is Status.OK and "(in 60 days)" in trusted.detail
    assert untrusted.status is Status.FAILING and "Not trusted" in untrusted.detail
    assert expiring.status is Status.WARNING and "(in 5 days)" in expiring.detail

    app.config["SITE_URL"] = f"https://localhost:{server.port}"  # closed now
    assert checks.check_certificate().status is Status.FAILING


def test_the_backup_record_of_flask_backup_is_judged(app, ctx, clock):
    path = app.config["BACKUP_STATUS_FILE"]

    def judged(record: dict) -> checks.Check:
        with open(path, "w") as handle:
            json.dump(record, handle)
        return checks.check_backup()

    assert checks.check_backup().status is Status.WARNING  # no record: unknown
    moment = now().isoformat()
    fresh = {"backup": {"at": moment, "sha256": "cd" * 32}}
    assert judged(fresh).status is Status.WARNING  # never verified
    assert judged({**fresh, "verified": ["cd" * 32]}).status is Status.OK
    failed = judged({**fresh, "verify": {"at": moment, "ok": False}})
    assert failed.status is Status.FAILING and "verify FAILED" in failed.detail
    clock.advance(hours=30)
    old = judged({**fresh, "verified": ["cd" * 32]})
    assert old.status is Status.FAILING and "30 h old" in old.detail
