"""The settings table of the manual (docs/operators/settings.md), made from
blogapp/config.py each time the manual is built, so it always lists every setting
``DefaultConfig`` has, with its real default, and nothing it no longer has.

mkdocs.yml names this file under ``hooks:``; ``on_page_markdown`` replaces the
placeholder ``<!-- settings-table -->`` with the table. tests/test_docs.py calls the
same functions. The file is read with ``ast`` and ``tokenize`` rather than imported,
so building the manual needs no application and runs no code of it."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
CONFIG_PATH = ROOT / "blogapp" / "config.py"
PLACEHOLDER = "<!-- settings-table -->"
SETTINGS_PAGE = "operators/settings.md"

# Settings ``create_app`` (blogapp/__init__.py, ``load_config``) reads from an environment
# variable of their own name; every other one is read as BLOGAPP_<NAME>.
OWN_ENVIRONMENT = {
    "SECRET_KEY": "SECRET_KEY",
    "REDIS_URL": "REDIS_URL",
    "SQLALCHEMY_DATABASE_URI": "DATABASE_URL",
}

# What each setting means, for operators. A setting missing here is described by its
# comment in config.py (trailing, or the lines right above it); tests/test_docs.py
# fails for a setting with neither, and for a name here that config.py no longer has.
MEANINGS = {
    "SECRET_KEY": (
        "signs sessions, CSRF and form tokens; at least 16 characters. There is no default: "
        "the `flask` command makes one per checkout in `instance/secret_key` (mode 0600) on "
        "first use; anything else (gunicorn, `wsgi:app`) refuses to start without it"
    ),
    "SQLALCHEMY_DATABASE_URI": (
        "the database: `sqlite:///…` or `postgresql://…` / `postgres://…` (psycopg 3); "
        "empty: `instance/blogapp.sqlite`"
    ),
    "SQLALCHEMY_ENGINE_OPTIONS": "extra SQLAlchemy engine options (pool size and so on)",
    "REDIS_URL": "Redis for rate limits and the cache, shared by all workers and hosts",
    "PRODUCTION": (
        "the `flask` command, too, needs `SECRET_KEY` (no `instance/secret_key`); "
        "`true` under gunicorn (gunicorn.conf.py and the sample env file set it)"
    ),
    "SITE_NAME": "the blog's name",
    "SITE_DESCRIPTION": "shown under the name and in meta descriptions",
    "SITE_URL": (
        "the public address; all absolute URLs (feeds, canonical links, sitemaps, e-mails, "
        "the fediverse) come from it; `https://` makes cookies Secure"
    ),
    "SITE_LANGUAGE": (
        "the site's language (`<html lang>`), and the `x-default` of linked translations"
    ),
    "TIMEZONE": "dates are stored in UTC and shown (and put in URLs) in this zone",
    "POSTS_PER_PAGE": "posts per listing page",
    "EXCERPT_LENGTH": "characters (grapheme clusters) in an automatic excerpt",
    "FEED_FULL_CONTENT": (
        "feeds carry whole posts (`content:encoded` / Atom `content`) plus the excerpt; "
        "`false`: the excerpt only"
    ),
    "FEED_ITEMS": "items per feed",
    "SEARCH_RESULTS_PER_PAGE": "search results per page",
    "SEARCH_RATE_LIMIT": (
        "searches per client address (rendered ones; cached answers do not count); over it: 429"
    ),
    "DEEP_PAGES_FROM": (
        "listing pages (`/page/N/`) and comment pages (`?cpage=N`) from this number on "
        "are rate-limited"
    ),
    "DEEP_PAGE_RATE_LIMIT": (
        "deep pages per client address, all listings and threads together; over it: 429"
    ),
    "SEARCH_MAX_CONCURRENT": "searches at once per worker; the next gets 503 at once (0: no cap)",
    "SEARCH_BUSY_RETRY_AFTER": "seconds, the `Retry-After` of that 503",
    "SEARCH_TIME_BUDGET_MS": (
        "a search query running longer is stopped and the reader told to try more words "
        "(0: no budget)"
    ),
    "SEARCH_MAX_CANDIDATES": (
        "matching posts ranked per search: the newest, plus the newest with every word in the title"
    ),
    "COMMENTS_THREAD_DEPTH": "deepest reply level shown",
    "COMMENTS_PER_PAGE": "top-level comments per comment page",
    "COMMENT_MAX_LENGTH": "longest comment, in characters",
    "COMMENTS_CLOSE_AFTER_DAYS": (
        'default of the admin\'s "close after days": comments close on posts older '
        "than this; 0 never"
    ),
    "COMMENT_MIN_SECONDS": (
        "a comment form sent back faster than this is treated as a bot (spam); tests use 0"
    ),
    "COMMENT_RATE_LIMIT": (
        "comment posts per client address, counted for all workers (database, or Redis "
        "with `REDIS_URL`)"
    ),
    "COMMENT_REPORT_RATE_LIMIT": (
        "readers' reports of comments per client address, counted for all workers"
    ),
    "COMMENT_NOTIFY_EMAILS": (
        "comma-separated moderator addresses told of held comments; empty: no mail"
    ),
    "SPAM_FILTER_THRESHOLD": (
        "a comment the rules would hold goes to Spam when the spam filter scores it above "
        "this (0 to 1); `1`: scores are shown, never acted on. The filter never approves "
        "(see the moderators' page on the spam filter)"
    ),
    "SPAM_FILTER_MIN_TRAINED": (
        "the spam filter scores nothing until moderators (or an import) have taught it at "
        "least this many spam and this many approved comments"
    ),
    "MAIL_SERVER": "SMTP host; empty: the blog queues no mail",
    "MAIL_PORT": "SMTP port",
    "MAIL_USE_TLS": "STARTTLS after connecting (port 587)",
    "MAIL_USE_SSL": "TLS from the first byte (port 465) instead of STARTTLS",
    "MAIL_USERNAME": "SMTP login, if any",
    "MAIL_PASSWORD": "SMTP password, if any",
    "MAIL_FROM": "sender address; its domain ends every Message-ID",
    "MAIL_TIMEOUT": "seconds for each SMTP step of the mail worker",
    "MAIL_MAX_ATTEMPTS": "tries before an outbox message is marked failed",
    "MAIL_RETRY_SECONDS": "first retry of a failed send; each next waits twice as long",
    "MAIL_RETRY_MAX_SECONDS": "longest wait between retries",
    "MAIL_LEASE_SECONDS": ("a claim older than this is a dead worker's: the message is sent again"),
    "MAIL_BATCH_SIZE": "messages a worker claims and sends over one connection at a time",
    "MAIL_POLL_SECONDS": "`flask deliver --loop`: pause when the outbox is empty",
    "MODERATION_LINK_HOURS": "life of the Approve/Spam/Trash links in held-comment mail",
    "NOTIFY_DIGEST_MINUTES": "at most one reply notification mail per address this often",
    "CONFIRM_LINK_DAYS": (
        "life of the double opt-in confirmation link (reply notifications and newsletter)"
    ),
    "CONFIRM_RESEND_HOURS": "at most one confirmation mail per address this often",
    "COMMENT_IP_RETENTION_DAYS": (
        "days a commenter's address and user agent are kept before `flask prune` erases "
        "them; 0 stores none"
    ),
    "EXTRA_FEATURES": (
        "Python packages, besides the built-in features, whose `init_app(app)` registers "
        "their outbox kinds, prune jobs, reader data and admin screens (for developers)"
    ),
    "MAIL_KEEP_DAYS": (
        "days `flask prune` keeps sent, failed and cancelled mail (counted from sending, or "
        "queueing for mail that never went); never longer than `COMMENT_IP_RETENTION_DAYS` "
        "when that is not 0, since a held-comment mail quotes the address; waiting mail stays"
    ),
    "NEWSLETTER_SIGNUP_RATE_LIMIT": (
        "newsletter sign-ups per client address, and per e-mail address"
    ),
    "SUBMISSIONS_RECIPIENTS": (
        "the editors' age public keys (`age1…`, comma-separated) the op-ed form seals a "
        "writer's contact details to; empty: the form refuses and stores nothing"
    ),
    "SUBMISSIONS_RATE_LIMIT": "op-ed submissions per client address",
    "NEWSLETTER_FULL_TEXT": "newsletter mails hold the whole post, not its excerpt",
    "NEWSLETTER_RATE_PER_MINUTE": (
        "a post's newsletter mails fall due this many a minute (for an SMTP server with a "
        "sending limit); `0`: all at once"
    ),
    "REVISIONS_KEPT": (
        "saved revisions kept per post or page (autosaves, one per editor, not counted)"
    ),
    "AUTOSAVE_SECONDS": "how often the editor's script autosaves",
    "COMMENT_EDIT_MINUTES": ("how long a reader may fix their own comment, from the same browser"),
    "FEDIVERSE_ENABLED": (
        "WebFinger, actors, inboxes, and posts sent to followers; off: every fediverse URL is a 404"
    ),
    "FEDIVERSE_APPROVE_FOLLOWERS": (
        "hold each new follower until an admin presses **Accept** on `/admin/followers` "
        "(or runs `flask fediverse accept ID`; `flask fediverse followers` lists them)"
    ),
    "FEDIVERSE_TIMEOUT": (
        "seconds a request to another server may take in all: name lookup, connection, TLS, "
        "sending, the whole answer and every redirect hop (a delivery's deadline)"
    ),
    "FEDIVERSE_MAX_RESPONSE_BYTES": "a longer answer from another server is refused",
    "FEDIVERSE_MAX_REDIRECTS": "redirects a fetch follows (a delivery follows none)",
    "FEDIVERSE_SIGNATURE_MAX_AGE": "seconds a signed request's `Date` may be off",
    "FEDIVERSE_KEY_REFETCH_SECONDS": (
        "a key that fails to verify is fetched again at most this often"
    ),
    "FEDIVERSE_ALLOW_LOOPBACK": "tests only: lets the client reach 127.0.0.1",
    "FEDIVERSE_INBOX_MAX_BYTES": (
        "a larger activity gets 413 (keep nginx's `client_max_body_size` above it)"
    ),
    "FEDIVERSE_KEY_FETCH_TIMEOUT": (
        "seconds the inbox may spend in all fetching an unknown signer's key (its actor "
        "document, then the owner of a key document)"
    ),
    "FEDIVERSE_KEY_FETCHES_PER_WORKER": (
        "key fetches one web worker makes at once (never two from one host); a POST that "
        "finds no room gets 503 with `Retry-After: 60` at once"
    ),
    "FEDIVERSE_INBOX_ACTOR_RATE_LIMIT": (
        "activities the inbox takes from one remote account, for all workers; over it: 429 "
        "with `Retry-After`"
    ),
    "FEDIVERSE_INBOX_HOST_RATE_LIMIT": (
        "activities the inbox takes from all accounts of one server; over it: 429"
    ),
    "LOGIN_RATE_LIMIT": (
        "failed logins from one client address at one account (that address is kept out, "
        "nobody else), and two-factor codes per account and per address, for all workers "
        "(`;` joins several: `3 per minute; 10 per day`)"
    ),
    "LOGIN_ADDRESS_RATE_LIMIT": "failed logins from one client address at any accounts",
    "LOGIN_ACCOUNT_RATE_LIMIT": (
        "failed logins at one account from all addresses together; a writer with a second "
        "factor still gets in with the right password and a code"
    ),
    "REMEMBER_COOKIE_DAYS": 'how long "Remember me" lasts (capped at 30)',
    "PASSWORD_MIN_LENGTH": "shortest password accepted (create-admin, the Users screen)",
    "REQUIRE_2FA": ("editors and admins must enrol in two-factor login before any `/admin/` page"),
    "PASSWORD_RESET_RATE_LIMIT": '"Forgot password" requests per client address',
    "PASSWORD_RESET_ACCOUNT_RATE_LIMIT": (
        '"Forgot password" requests per address asked for (higher: others asking cannot '
        "keep a writer from a link, and a mailbox is not flooded)"
    ),
    "PASSWORD_RESET_LINK_MINUTES": "life of the single-use password-reset link",
    "NEW_DEVICE_MAIL": (
        "mail the account's owner when it logs in from a device it never used before"
    ),
    "READER_DATA_RATE_LIMIT": (
        '"Your comments and data" requests (export or erase) per address asked for and per '
        "client address"
    ),
    "READER_DATA_LINK_HOURS": "life of the single-use link that exports or erases a reader's data",
    "MAX_CONTENT_LENGTH": (
        "largest request body in bytes (uploads); bigger gets 413 (match nginx's "
        "`client_max_body_size`)"
    ),
    "UPLOAD_MAX_PIXELS": "largest image (width × height) accepted for upload",
    "UPLOAD_FOLDER": "where uploaded images are stored; empty: `instance/uploads`",
    "BACKUP_RECIPIENTS": (
        "the public keys every backup is encrypted to: age keys (`age1…`) or SSH keys "
        "(`ssh-ed25519 …`), a list or one string, comma-separated; the private keys stay off "
        "the server ([Backups](backups.md))"
    ),
    "BACKUP_FOLDER": (
        "where `flask upgrade` writes the archive it takes first; empty: `instance/backups`"
    ),
    "BACKUP_KEEP_DAILY": (
        "`flask backup --prune` keeps the newest archive of each of this many last days"
    ),
    "BACKUP_KEEP_WEEKLY": "… and of each of this many last weeks",
    "BACKUP_KEEP_MONTHLY": "… and of each of this many last months",
    "PREFERRED_URL_SCHEME": "scheme for URLs built outside a request",
    "SESSION_COOKIE_HTTPONLY": "session cookie hidden from scripts",
    "SESSION_COOKIE_SAMESITE": "session cookie SameSite",
    "SESSION_COOKIE_SECURE": ("session cookie only over HTTPS; unset: when `SITE_URL` is https"),
    "REMEMBER_COOKIE_HTTPONLY": "remember-me cookie hidden from scripts",
    "REMEMBER_COOKIE_SAMESITE": "remember-me cookie SameSite",
    "REMEMBER_COOKIE_SECURE": (
        "remember-me cookie only over HTTPS; unset: when `SITE_URL` is https"
    ),
    "PROXY_FIX_COUNT": ("reverse proxies to trust for the client address and https; 0 trusts none"),
    "TRUSTED_HOSTS": (
        "host names answered (JSON list or comma-separated); others get 400; unset: any"
    ),
    "ONION_ADDRESS": (
        "the site's onion service (`abc…xyz.onion`): clearnet pages send `Onion-Location`; "
        "a trusted host, answered only on the onion listener; empty: no onion"
    ),
    "ONION_PROXY_SECRET": (
        "the value nginx's onion listener sends in `X-Onion-Secret`; only such requests are "
        "onion visitors, throttled per Tor circuit (`X-Onion-Circuit`); empty: none"
    ),
    "MIRRORS": (
        "the site's other addresses (JSON list or comma-separated), on `/mirrors/`, in the "
        "footers of pages and mails and in the feeds; `flask mirrors set` overrides it"
    ),
    "OUTGOING_PROXY": (
        "an HTTP CONNECT proxy (`http://[user:password@]host:port`) for every request to "
        "other servers, so they never see the origin's address; empty: direct"
    ),
    "ERROR_REPORT_DSN": (
        "the DSN of your own Sentry-compatible server (GlitchTip) for unhandled errors, "
        "scrubbed of readers' data; empty: no reports, and the SDK is never loaded "
        "(docs/operators/health.md)"
    ),
    "ERROR_REPORT_ENVIRONMENT": "the environment name error reports carry (`production`)",
    "TELEGRAM_BOT_TOKEN": (
        "the Telegram bot's token from @BotFather (a secret: environment or "
        "`instance/config.py`); empty: nothing goes to Telegram"
    ),
    "HSTS_SECONDS": "`Strict-Transport-Security` max-age over HTTPS; 0 turns HSTS off",
    "CONTENT_SECURITY_POLICY": (
        "the `Content-Security-Policy` header: nothing from another origin, self-only "
        "scripts and styles, `frame-ancestors 'none'`; frames from youtube-nocookie.com "
        "only (a video loads once the reader presses play)"
    ),
    "REFERRER_POLICY": "the `Referrer-Policy` header",
    "MAX_QUERY_STRING_LENGTH": "longest query string; longer gets 414",
    "REQUEST_LOG": (
        "one JSON line per request on the `blogapp.request` logger, with its request id "
        "(docs/operators/logs.md); gunicorn's own access log is off unless "
        "`BLOGAPP_ACCESS_LOG=true`"
    ),
    "REQUEST_LOG_BUFFER_BYTES": (
        "request-log lines a worker holds and writes together (as nginx's `access_log "
        "… buffer=`), at once with a server error's line; 0 writes each at once. "
        "gunicorn.conf.py sets 16384"
    ),
    "REQUEST_LOG_FLUSH_SECONDS": "the longest the first held request-log line waits",
    "DKIM_SELECTOR": (
        "the DKIM selector: the record is published at `<selector>._domainkey.<domain of "
        "MAIL_FROM>` (a new key under a new selector lets the old record stay while mail "
        "in flight is checked)"
    ),
    "DKIM_KEY_FILE": (
        "the DKIM private key `flask mail dkim-key` writes (mode 0600); empty: "
        "`instance/dkim.key`. Mail is signed once it exists"
    ),
    "MAIL_HEARTBEAT_FILE": (
        "where `flask deliver` writes the time of each pass, read by `flask doctor` and "
        "`/metrics`; empty: `instance/mail-worker.heartbeat`. A worker on another host "
        "needs a path both see"
    ),
    "HEALTH_HEARTBEAT_MAX_SECONDS": (
        "`flask doctor` fails the mail worker when its last heartbeat is older than this"
    ),
    "HEALTH_OUTBOX_MAX_SECONDS": (
        "`flask doctor` fails the outbox when a message has been due and unsent this long"
    ),
    "HEALTH_BACKUP_MAX_HOURS": "`flask doctor` fails when the last backup is older than this",
    "HEALTH_VERIFY_MAX_DAYS": (
        "`flask doctor` warns when no backup was verified (restored and compared) this recently"
    ),
    "HEALTH_CERT_WARN_DAYS": (
        "`flask doctor` warns when the TLS certificate of `SITE_URL` expires sooner "
        "(and fails under 3 days)"
    ),
    "HEALTH_NAMESERVERS": (
        "DNS servers `flask doctor` asks for SPF, DKIM and DMARC, as `host` or `host:port`; "
        "empty: the system's (`/etc/resolv.conf`)"
    ),
    "HEALTH_TIMEOUT": "seconds each network check of `flask doctor` may take (TLS, DNS)",
    "BACKUP_STATUS_FILE": (
        "the record `flask backup` keeps of the last backup and verify, read by `flask "
        "doctor`; empty: `instance/backup-status.json`"
    ),
    "AUDIT_STATUS_FILE": (
        "the record `scripts/audit` keeps of its last result, read by `flask doctor`; "
        "empty: `instance/audit-status.json`"
    ),
    "METRICS_TOKEN_SHA256": (
        "the SHA-256 (hex) of the bearer token Prometheus sends to `/metrics`; empty: "
        "`/metrics` answers 404 and nothing is counted (docs/operators/metrics.md)"
    ),
    "HTTP_CACHE_S_MAXAGE": (
        "seconds nginx or a CDN may serve a public page without asking the app (`s-maxage`)"
    ),
    "HTTP_CACHE_STALE_WHILE_REVALIDATE": (
        "seconds after that a shared cache may serve it stale while it fetches a new copy"
    ),
    "HTTP_CACHE_STALE_IF_ERROR": (
        "seconds a shared cache may serve it stale while the app is down or failing"
    ),
    "PAGE_CACHE_BYTES": (
        "bytes of rendered public pages each worker keeps for readers without a session "
        "(with `REDIS_URL`: kept in Redis, shared by every host); 0 keeps none"
    ),
    "PAGE_CACHE_SECONDS": (
        "the longest a kept page lives, whatever the content version (the comment form's "
        'signed "served at" stamp is at most this old)'
    ),
    "SITEMAP_URLS_PER_FILE": (
        "the most URLs in one sitemap file; a larger site's `/sitemap.xml` is an index of "
        "`/sitemap-pages.xml` and `/sitemap-posts-N.xml` files of at most this many "
        "(50,000 at most)"
    ),
    "PAGE_RENDER_WAIT_SECONDS": (
        "how long a reader waits for the render of a page another thread of the worker is "
        "making, before rendering it too (0: never wait)"
    ),
    "KEEP_RENDERED": (
        "keep the sidebar, comment threads and post neighbours per content version in each worker"
    ),
    "TEMPLATE_BYTECODE_CACHE": (
        "keep Jinja's compiled templates in a private folder of the user's in the temporary "
        "directory (`_jinja2-cache-<uid>`, mode 0700), so a new worker loads them instead of "
        "compiling each (a faster first page, about 0.5 MB less per worker)"
    ),
    "SUMMARY_CACHE_BYTES": (
        "bytes of listings' post summaries each worker keeps per content version (a post "
        "shown on the front page, its categories', tags', author's and date archives' pages "
        "is rendered once); `flask export-static` raises it to hold every post's"
    ),
    "CONTENT_VERSION_CACHE_SECONDS": (
        "how long a worker trusts the content version it read before reading it again "
        "(one primary-key query); a change made on another worker or host reaches this one "
        "within this time"
    ),
    "WTF_CSRF_TIME_LIMIT": "CSRF tokens' lifetime in seconds; unset: as long as the session",
    "RATELIMIT_ENABLED": (
        "rate limits and the counting of failed logins and comments on (`false` for load "
        "tests and benchmarks)"
    ),
    "RATELIMIT_HEADERS_ENABLED": "send `X-RateLimit-*` headers",
    "CACHE_DEFAULT_TIMEOUT": "seconds a cached value lives by default",
    "SEND_FILE_MAX_AGE_DEFAULT": "cache time of static files without a fingerprint",
    "STATS_ROBOT_PAGES": (
        "reading counts (`flask stats ingest`): a reader (a hash of address and browser, "
        "for the day) who asks for more pages than this in a day is counted as a robot, and "
        "all their views that day are left out; so is one who asks for `/robots.txt`"
    ),
}

# Settings the code reads with a default of its own instead of one in DefaultConfig.
# Each is listed in the same table; tests/test_docs.py fails once config.py gains it,
# so it is then described from there.
READ_ELSEWHERE = {
    "WXR_IMPORT_WORKERS": (
        "one per core",
        "processes that render and sanitize a large WordPress import; `0` renders "
        "in-process (`blogapp/wordpress/render_pool.py`)",
    ),
    "WXR_IMPORT_POOL_MIN_BYTES": (
        "`2000000`",
        "smaller WXR files are rendered in-process, since starting workers would cost more "
        "(`blogapp/wordpress/render_pool.py`)",
    ),
}


class Setting(NamedTuple):
    name: str
    environment: str
    default: str
    meaning: str


def _comments_by_line(source: str) -> dict[int, str]:
    comments = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    return comments


def _comment_for(statement: ast.stmt, lines: list[str], comments: dict[int, str]) -> str:
    """The comment at the end of the statement, else the comment lines right above it
    when they describe it (a block that follows a blank line heads a group instead)."""
    trailing = comments.get(statement.end_lineno or statement.lineno)
    if trailing and lines[statement.lineno - 1].lstrip()[:1] != "#":
        return trailing
    block = []
    number = statement.lineno - 1
    while number >= 1 and lines[number - 1].lstrip().startswith("#"):
        block.insert(0, comments[number])
        number -= 1
    if block and number >= 1 and lines[number - 1].strip():
        return " ".join(block)
    return ""


def _show_default(node: ast.expr, source: str) -> str:
    value = eval(compile(ast.Expression(node), str(CONFIG_PATH), "eval"), {"__builtins__": {}})
    if value is None:
        shown = "unset"
    elif isinstance(value, bool):
        shown = f"`{str(value).lower()}`"
    elif value == "":
        shown = "empty"
    elif isinstance(value, str):
        shown = f"`{value}`"
    else:
        shown = f"`{value!r}`"
    written = ast.get_source_segment(source, node) or ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if written.replace("_", "") != repr(value):
            shown += f" ({written})"
    return shown


def read_settings(path: Path = CONFIG_PATH) -> list[Setting]:
    """Every setting of ``DefaultConfig``, in the order config.py lists them, then the
    settings read elsewhere."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    comments = _comments_by_line(source)
    tree = ast.parse(source)
    (config,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "DefaultConfig"]
    settings = []
    for statement in config.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target = statement.target
        else:
            continue
        if not isinstance(target, ast.Name) or not target.id.isupper():
            continue
        name = target.id
        settings.append(
            Setting(
                name=name,
                environment=OWN_ENVIRONMENT.get(name, f"BLOGAPP_{name}"),
                default=_show_default(statement.value, source),
                meaning=MEANINGS.get(name) or _comment_for(statement, lines, comments),
            )
        )
    for name, (default, meaning) in READ_ELSEWHERE.items():
        settings.append(Setting(name, f"BLOGAPP_{name}", default, meaning))
    return settings


def settings_table(settings: list[Setting] | None = None) -> str:
    rows = [
        "| setting | environment variable | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for s in settings if settings is not None else read_settings():
        meaning = s.meaning.replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{s.name}` | `{s.environment}` | {s.default} | {meaning} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != SETTINGS_PAGE:
        return markdown
    if PLACEHOLDER not in markdown:
        raise ValueError(f"{SETTINGS_PAGE} lost its {PLACEHOLDER} placeholder")
    return markdown.replace(PLACEHOLDER, settings_table())
