"""The checks of site health. Each returns a ``Check``: OK, warning or failing, what
was found, and the fix in one sentence. ``run_checks()`` runs them all, in order; a
check that raises is reported as failing, so one broken check never hides the rest.

Each check reads what the site already keeps (the database, the instance folder, the
small records ``flask deliver``, ``flask backup`` and ``scripts/audit`` write) or asks
the network once (a TLS handshake, DNS queries), within ``HEALTH_TIMEOUT``."""

from __future__ import annotations

import json
import shutil
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError

from blogapp.clock import now
from blogapp.doctor import dns_records, tls
from blogapp.extensions import db
from blogapp.mail import heartbeat, signing
from blogapp.models import OutboxMessage, OutboxStatus, Passkey, TwoFactor, User
from blogapp.models.users import ROLES


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILING = "failing"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DISK_WARN_FREE = 0.10  # share of the disk still free
DISK_FAIL_FREE = 0.03
CERT_FAIL_DAYS = 3
AUDIT_MAX_DAYS = 8


def _age(moment: datetime) -> str:
    seconds = max(0, int((now() - moment).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172_800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def check_database() -> Check:
    name = "Database"
    try:
        db.session.execute(text("SELECT 1"))
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
        current_heads = set(current)
    except SQLAlchemyError as error:
        db.session.rollback()
        if "alembic_version" in str(error):
            return Check(
                name,
                Status.FAILING,
                "The database has no migration record.",
                "Run `flask db upgrade` (or `flask db stamp head` for a database "
                "made by `flask init-db`).",
            )
        return Check(
            name,
            Status.FAILING,
            f"The database does not answer: {error.orig}",
            "Start the database server and check DATABASE_URL.",
        )
    heads = set(migration_heads())
    if current_heads != heads:
        return Check(
            name,
            Status.FAILING,
            f"Migrations at {', '.join(sorted(current_heads)) or 'none'}, "
            f"the code expects {', '.join(sorted(heads))}.",
            "Run `flask db upgrade` (take a backup first).",
        )
    return Check(name, Status.OK, "Reachable, migrations at head.")


def migration_heads() -> list[str]:
    from alembic.config import Config  # the command line's import, not every worker's
    from alembic.script import ScriptDirectory

    from blogapp import PROJECT_ROOT

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return list(ScriptDirectory.from_config(config).get_heads())


def _mail_on() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def check_mail_worker() -> Check:
    name = "Mail worker"
    if not _mail_on():
        return Check(name, Status.OK, "Mail is off (no MAIL_SERVER): nothing to send.")
    beats = heartbeat.last_beats()
    if not beats:
        return Check(
            name,
            Status.FAILING,
            "The mail worker has never run on this host.",
            "Start it: `systemctl enable --now blogapp-deliver` (deploy/).",
        )
    latest = max(beats.values())
    limit = timedelta(seconds=float(current_app.config["HEALTH_HEARTBEAT_MAX_SECONDS"]))
    if now() - latest > limit:
        return Check(
            name,
            Status.FAILING,
            f"The mail worker's last heartbeat is {_age(latest)} old: it is stopped or stuck.",
            "Restart it (`systemctl restart blogapp-deliver`) and read its log "
            "(`journalctl -u blogapp-deliver`).",
        )
    return Check(name, Status.OK, f"Last heartbeat {_age(latest)} ago.")


def oldest_due_unsent() -> datetime | None:
    """When the oldest message that is due and unsent became due (queued and past its
    time, or claimed by a worker whose lease ran out)."""
    moment = now()
    lease = timedelta(seconds=float(current_app.config["MAIL_LEASE_SECONDS"]))
    return db.session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            or_(
                (OutboxMessage.status == OutboxStatus.QUEUED)
                & (OutboxMessage.next_attempt_at <= moment),
                (OutboxMessage.status == OutboxStatus.SENDING)
                & (OutboxMessage.claimed_at < moment - lease),
            )
        )
    )


def check_outbox() -> Check:
    name = "Outbox"
    oldest = oldest_due_unsent()
    unsent = db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING)))
    )
    if oldest is None:
        return Check(name, Status.OK, f"Nothing overdue ({unsent} waiting for their time).")
    limit = timedelta(seconds=float(current_app.config["HEALTH_OUTBOX_MAX_SECONDS"]))
    detail = f"{unsent} unsent; the oldest due one has waited {_age(oldest)}."
    if now() - oldest > limit:
        return Check(
            name,
            Status.FAILING,
            detail,
            "Check the mail worker and the mail server (the Outbox screen shows "
            "each message's last error).",
        )
    return Check(name, Status.OK, detail)


def _record(setting: str, default_name: str) -> dict | None:
    configured = current_app.config.get(setting)
    path = Path(configured) if configured else Path(current_app.instance_path) / default_name
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _time(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


def check_backup() -> Check:
    """Reads ``instance/backup-status.json`` (``BACKUP_STATUS_FILE``), which ``flask
    backup`` and ``flask backup --verify`` keep (``blogapp.backup.status``):
    ``{"backup": {"at", "sha256", …}, "verify": {"at", "ok", …}, "verified": [sha256 …]}``."""
    name = "Backups"
    record = _record("BACKUP_STATUS_FILE", "backup-status.json") or {}
    backup, verify = record.get("backup") or {}, record.get("verify") or {}
    backed_up = _time(backup.get("at"))
    if backed_up is None:
        return Check(
            name,
            Status.WARNING,
            "Unknown: no record of a backup on this host.",
            "Run `flask backup` nightly (the timer in deploy/).",
        )
    config = current_app.config
    if now() - backed_up > timedelta(hours=float(config["HEALTH_BACKUP_MAX_HOURS"])):
        return Check(
            name,
            Status.FAILING,
            f"The last backup is {_age(backed_up)} old.",
            "Check the backup timer (`systemctl status blogapp-backup.timer`) and its log.",
        )
    detail = f"Last backup {_age(backed_up)} ago"
    if verify.get("ok") is False:
        return Check(
            name,
            Status.FAILING,
            detail + "; the last verify FAILED.",
            "Run `flask backup --verify` on the newest archive and read why.",
        )
    verified = _time(verify.get("at"))
    this_one = bool(backup.get("sha256")) and backup["sha256"] in (record.get("verified") or [])
    recent = verified is not None and now() - verified <= timedelta(
        days=float(config["HEALTH_VERIFY_MAX_DAYS"])
    )
    if not (this_one or recent):
        return Check(
            name,
            Status.WARNING,
            detail + "; no recent verified restore.",
            "Run `flask backup --verify` weekly (the timer in deploy/).",
        )
    return Check(
        name,
        Status.OK,
        detail
        + ("; this archive was verified." if this_one else f", verified {_age(verified)} ago."),
    )


def _database_folder() -> Path | None:
    url = db.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).resolve().parent
    return None  # a database server's disk is its own host's to watch


def check_disk() -> list[Check]:
    folders = {"Disk (uploads)": Path(current_app.config["UPLOAD_FOLDER"])}
    database = _database_folder()
    if database is not None:
        folders["Disk (database)"] = database
    found = []
    for name, folder in folders.items():
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        usage = shutil.disk_usage(existing)
        free = usage.free / usage.total if usage.total else 0.0
        detail = f"{usage.free // 2**20} MB free ({free:.0%}) at {folder}."
        fix = "Free space or grow the disk: delete old backups and logs first."
        if free < DISK_FAIL_FREE:
            found.append(Check(name, Status.FAILING, detail, fix))
        elif free < DISK_WARN_FREE:
            found.append(Check(name, Status.WARNING, detail, fix))
        else:
            found.append(Check(name, Status.OK, detail))
    return found


def check_certificate(cafile: str | None = None) -> Check:
    name = "TLS certificate"
    config = current_app.config
    site = urlsplit(config["SITE_URL"])
    host = site.hostname or ""
    if site.scheme != "https":
        status = Status.OK if host in LOCAL_HOSTS else Status.WARNING
        return Check(
            name,
            status,
            f"SITE_URL is {site.scheme}://, not https://.",
            ""
            if status is Status.OK
            else "Get a certificate (certbot) and set SITE_URL to https://.",
        )
    try:
        found = tls.fetch_certificate(
            host, site.port or 443, float(config["HEALTH_TIMEOUT"]), cafile
        )
    except (OSError, ssl.SSLError) as error:
        return Check(
            name,
            Status.FAILING,
            f"No TLS answer from {host}: {error}",
            "Check that nginx runs and listens on port 443.",
        )
    days = (found.not_after - now()).total_seconds() / 86400
    expiry = f"expires {found.not_after:%Y-%m-%d} (in {days:.0f} days)"
    renew = "Renew it (`certbot renew`) and check the renewal timer."
    if not found.trusted:
        return Check(
            name,
            Status.FAILING,
            f"Not trusted ({found.problem}); {expiry}.",
            "Install a certificate from a public CA for this host (certbot).",
        )
    if days < CERT_FAIL_DAYS:
        return Check(name, Status.FAILING, expiry.capitalize() + ".", renew)
    if days < float(config["HEALTH_CERT_WARN_DAYS"]):
        return Check(name, Status.WARNING, expiry.capitalize() + ".", renew)
    return Check(name, Status.OK, expiry.capitalize() + ".")


def check_mail_dns() -> list[Check]:
    """SPF, DKIM and DMARC of MAIL_FROM's domain, each with the record to publish."""
    if not _mail_on():
        return [Check("SPF, DKIM, DMARC", Status.OK, "Mail is off: nothing to check.")]
    domain = signing.sender_domain()
    if not domain or domain == "localhost":
        return [
            Check(
                "SPF, DKIM, DMARC",
                Status.WARNING,
                f"MAIL_FROM ({current_app.config['MAIL_FROM']}) has no real domain.",
                "Set MAIL_FROM to an address at the site's own domain.",
            )
        ]
    return [
        _guarded("SPF", lambda: _spf(domain)),
        _guarded("DKIM", lambda: _dkim(domain)),
        _guarded("DMARC", lambda: _dmarc(domain)),
    ]


def _guarded(name: str, run: Callable[[], Check]) -> Check:
    try:
        return run()
    except dns_records.LookupFailed as error:
        return Check(
            name,
            Status.WARNING,
            f"Could not ask the DNS: {error}",
            "Run `flask doctor` again; check this host's resolver if it persists.",
        )


def _spf(domain: str) -> Check:
    found = [r for r in dns_records.txt_records(domain) if r.lower().startswith("v=spf1")]
    publish = (
        f'Publish: {domain}. IN TXT "v=spf1 mx a ~all" (list your mail server\'s '
        "addresses if it is not the domain's MX)."
    )
    if not found:
        return Check("SPF", Status.WARNING, f"{domain} has no SPF record.", publish)
    if len(found) > 1:
        return Check(
            "SPF",
            Status.FAILING,
            f"{domain} has {len(found)} SPF records; receivers then ignore them all.",
            "Merge them into one record.",
        )
    if found[0].split()[-1] in ("+all", "all"):
        return Check(
            "SPF",
            Status.FAILING,
            f"{found[0]!r} lets anyone send as {domain}.",
            "End the record with ~all or -all.",
        )
    return Check("SPF", Status.OK, found[0])


def _dkim(domain: str) -> Check:
    pem = signing.read_key()
    name = signing.record_name()
    if pem is None:
        return Check(
            "DKIM",
            Status.WARNING,
            "Mail goes out unsigned: no DKIM key.",
            "Run `flask mail dkim-key` and publish the record it prints.",
        )
    expected = signing.public_key_base64(pem)
    published = dns_records.txt_records(name)
    publish = f'Publish: {name}. IN TXT "{signing.record_value(pem)}"'
    if not published:
        return Check(
            "DKIM",
            Status.FAILING,
            f"No DKIM record at {name}: receivers cannot check the signature.",
            publish,
        )
    if not any(dns_records.tags(r).get("p") == expected for r in published):
        return Check(
            "DKIM", Status.FAILING, f"The record at {name} is not this site's key.", publish
        )
    return Check("DKIM", Status.OK, f"The record at {name} matches the signing key.")


def _dmarc(domain: str) -> Check:
    name = f"_dmarc.{domain}"
    found = [r for r in dns_records.txt_records(name) if r.upper().startswith("V=DMARC1")]
    publish = f'Publish: {name}. IN TXT "v=DMARC1; p=quarantine; rua=mailto:postmaster@{domain}"'
    if not found:
        return Check("DMARC", Status.WARNING, f"{domain} has no DMARC record.", publish)
    policy = dns_records.tags(found[0]).get("p", "")
    if policy == "none":
        return Check(
            "DMARC",
            Status.WARNING,
            f"{found[0]!r} asks receivers to do nothing.",
            "Once reports show your mail passes, raise p= to quarantine.",
        )
    return Check("DMARC", Status.OK, found[0])


def check_second_factors() -> Check:
    name = "Second factor"
    enrolled = exists().where(TwoFactor.user_id == User.id, TwoFactor.confirmed_at.is_not(None))
    passkey = exists().where(Passkey.user_id == User.id)
    logins = db.session.scalars(
        select(User.login)
        .where(User.role.in_(ROLES), User.is_active_account, ~enrolled, ~passkey)
        .order_by(User.login)
    ).all()
    if logins:
        return Check(
            name,
            Status.FAILING,
            f"Editor accounts without a second factor: {', '.join(logins)}.",
            "Each of them enrols under Account, two-factor login (or set "
            "REQUIRE_2FA to make them).",
        )
    return Check(name, Status.OK, "Every editor and admin has a second factor.")


def check_secrets() -> list[Check]:
    config = current_app.config
    found = []
    key = config.get("SECRET_KEY") or ""
    if len(key) < 32:
        found.append(
            Check(
                "Secret key",
                Status.WARNING,
                f"SECRET_KEY is {len(key)} characters long.",
                "Set a random one of 32 characters or more (`python -c 'import "
                "secrets; print(secrets.token_urlsafe(48))'`).",
            )
        )
    else:
        found.append(Check("Secret key", Status.OK, "Set, and long enough."))
    https = config["SITE_URL"].startswith("https://")
    problems = []
    if https and not config.get("SESSION_COOKIE_SECURE"):
        problems.append("SESSION_COOKIE_SECURE is off on an https site")
    if https and not config.get("REMEMBER_COOKIE_SECURE"):
        problems.append("REMEMBER_COOKIE_SECURE is off on an https site")
    if not config.get("SESSION_COOKIE_HTTPONLY"):
        problems.append("SESSION_COOKIE_HTTPONLY is off")
    if (config.get("SESSION_COOKIE_SAMESITE") or "").lower() not in ("lax", "strict"):
        problems.append("SESSION_COOKIE_SAMESITE is not Lax or Strict")
    if problems:
        found.append(
            Check(
                "Session cookie",
                Status.FAILING,
                "; ".join(problems) + ".",
                "Remove these settings from the environment or instance/config.py; "
                "the defaults are safe.",
            )
        )
    else:
        found.append(
            Check(
                "Session cookie",
                Status.OK,
                "HttpOnly, SameSite="
                + str(config.get("SESSION_COOKIE_SAMESITE"))
                + (", Secure." if https else "."),
            )
        )
    return found


def check_audit() -> Check:
    """Reads ``instance/audit-status.json`` (``AUDIT_STATUS_FILE``), which scripts/audit
    writes: ``{"at": ISO time, "ok": bool, "summary": text}``."""
    name = "Dependency audit"
    record = _record("AUDIT_STATUS_FILE", "audit-status.json")
    at = _time((record or {}).get("at"))
    if at is None:
        return Check(
            name,
            Status.WARNING,
            "Unknown: scripts/audit has not run here.",
            "Run `scripts/audit` weekly (it records its result).",
        )
    summary = str(record.get("summary") or "")[:300]
    if record.get("ok") is not True:
        return Check(
            name,
            Status.FAILING,
            f"The audit of {at:%Y-%m-%d} found: {summary}",
            "Upgrade the named packages (`make lock UPGRADE=…`) and deploy.",
        )
    if now() - at > timedelta(days=AUDIT_MAX_DAYS):
        return Check(
            name,
            Status.WARNING,
            f"The last audit is {_age(at)} old.",
            "Run `scripts/audit` weekly (a timer or cron).",
        )
    return Check(name, Status.OK, f"No known vulnerability ({_age(at)} ago).")


def run_checks() -> list[Check]:
    found: list[Check] = []
    for check in (
        check_database,
        check_mail_worker,
        check_outbox,
        check_backup,
        check_disk,
        check_certificate,
        check_mail_dns,
        check_second_factors,
        check_secrets,
        check_audit,
    ):
        try:
            result = check()
        except Exception as error:  # noqa: BLE001 (a broken check is reported, not raised)
            db.session.rollback()
            current_app.logger.exception("health check %s failed", check.__name__)
            first_line = (str(error).splitlines() or [type(error).__name__])[0][:200]
            result = Check(
                check.__name__.removeprefix("check_").replace("_", " ").capitalize(),
                Status.FAILING,
                f"The check itself failed: {first_line}",
                "Read the traceback in the log.",
            )
        found.extend(result if isinstance(result, list) else [result])
    return found


def worst(checks: list[Check]) -> Status:
    for status in (Status.FAILING, Status.WARNING):
        if any(check.status is status for check in checks):
            return status
    return Status.OK
