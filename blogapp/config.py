"""Default settings. Secrets and per-site values come from the environment
(``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL``, ``BLOGAPP_<NAME>``) or from
``instance/config.py``; nothing here is a secret. There is no default
``SECRET_KEY``: the ``flask`` command makes one per checkout (instance/secret_key),
and anything else refuses to start without one (``blogapp.security.check_secret_key``)."""

from __future__ import annotations

from typing import NamedTuple


class Language(NamedTuple):
    """A language the site is written in: its code (``posts.language``, ``?lang=``), its
    English name, its name in itself (what language switches show) and its OpenGraph
    locale. A third language is one more entry here, plus its catalog."""

    code: str
    name: str
    endonym: str
    og_locale: str


LANGUAGES = (
    Language("en", "English", "English", "en_US"),
    Language("km", "Khmer", "ខ្មែរ", "km_KH"),
)


class DefaultConfig:
    # Core
    SECRET_KEY: str | None = None  # from the environment; see check_secret_key
    SQLALCHEMY_DATABASE_URI: str | None = None  # set in create_app: instance/blogapp.sqlite
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    REDIS_URL: str | None = None
    PRODUCTION = False  # true: even the flask command needs SECRET_KEY (no instance key)

    # Site
    SITE_NAME = "Op-Ed Notes"
    SITE_DESCRIPTION = "Op-eds on politics and society, in English and Khmer."
    # The tagline per interface language, e.g. {"km": "…"}; a language without one shows
    # SITE_DESCRIPTION, translated when it is the default above.
    SITE_DESCRIPTIONS: dict = {}
    SITE_URL = "http://127.0.0.1:5000"  # absolute URLs (feeds, canonical links) come from here
    # The interface's default language ("en" or "km"): listings without ?lang= and pages
    # that are not a post speak it (blogapp/interface_language.py).
    SITE_LANGUAGE = "en"
    # Khmer pages write dates and counts with Khmer digits (០១២…); False: Latin digits.
    KHMER_DIGITS = True
    TIMEZONE = "UTC"  # dates are stored in UTC and shown in this zone
    POSTS_PER_PAGE = 10
    EXCERPT_LENGTH = 280  # characters (grapheme clusters) in an automatic excerpt
    FEED_FULL_CONTENT = True
    FEED_ITEMS = 20
    SEARCH_RESULTS_PER_PAGE = 10
    # Costly pages (blogapp/search/limits.py): per client address, checked only
    # when the page is rendered (answers from a cache do not count).
    SEARCH_RATE_LIMIT = "30 per minute"
    DEEP_PAGES_FROM = 6  # listing pages /page/N/ and comment pages ?cpage=N from here on
    DEEP_PAGE_RATE_LIMIT = "60 per minute"  # one budget for all deep pages of an address
    SEARCH_MAX_CONCURRENT = 2  # searches at once per worker (0: no cap); the next gets 503
    SEARCH_BUSY_RETRY_AFTER = 5  # seconds, the Retry-After of that 503
    SEARCH_TIME_BUDGET_MS = 1000  # a longer search is stopped (0: no budget)
    SEARCH_MAX_CANDIDATES = 500  # matches ranked per search: the newest, plus title matches

    # Comments
    COMMENTS_THREAD_DEPTH = 5
    COMMENTS_PER_PAGE = 50  # top-level comments per page
    COMMENT_MAX_LENGTH = 5000
    COMMENTS_CLOSE_AFTER_DAYS = 0  # 0: never close automatically
    COMMENT_MIN_SECONDS = 3  # a form sent back faster than this is a bot
    COMMENT_RATE_LIMIT = "5 per minute"
    COMMENT_REPORT_RATE_LIMIT = "10 per hour"  # readers' reports of comments, per client address
    COMMENT_NOTIFY_EMAILS = ""  # comma-separated moderator addresses; empty: no mail
    SPAM_FILTER_THRESHOLD = 0.99  # a held comment scoring above this goes to Spam
    SPAM_FILTER_MIN_TRAINED = 10  # spam and approved comments learned before it scores

    # Mail: every message goes through the outbox table; `flask deliver` sends it.
    MAIL_SERVER = ""  # SMTP host; empty: the blog queues no mail
    MAIL_PORT = 25
    MAIL_USE_TLS = False  # STARTTLS after connecting
    MAIL_USE_SSL = False  # TLS from the first byte (usually port 465)
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "blogapp@localhost"
    MAIL_TIMEOUT = 30  # seconds for each SMTP step
    MAIL_MAX_ATTEMPTS = 8  # tries before a message is marked failed
    MAIL_RETRY_SECONDS = 60  # first retry after this; each next one waits twice as long
    MAIL_RETRY_MAX_SECONDS = 6 * 3600
    MAIL_LEASE_SECONDS = 300  # a claim older than this is a dead worker's: send it again
    MAIL_BATCH_SIZE = 50  # messages claimed, and sent over one connection, at a time
    MAIL_POLL_SECONDS = 5.0  # `flask deliver --loop`: pause when the outbox is empty
    # DKIM (blogapp/mail/signing.py): `flask mail dkim-key` writes the key; once it exists
    # mail is signed, and the record is published at <selector>._domainkey.<domain>.
    DKIM_SELECTOR = "blogapp"
    DKIM_KEY_FILE = ""  # empty: instance/dkim.key
    # `flask deliver` writes the time of each pass here; `flask doctor` and /metrics read it.
    MAIL_HEARTBEAT_FILE = ""  # empty: instance/mail-worker.heartbeat
    MODERATION_LINK_HOURS = 48  # Approve/Spam/Trash links in the held-comment mail
    NOTIFY_DIGEST_MINUTES = 15  # at most one reply notification per address this often
    CONFIRM_LINK_DAYS = 7  # the double opt-in link
    CONFIRM_RESEND_HOURS = 24  # a new confirmation mail to one address at most this often
    # A browser stays recognised as a commenter this long after it confirmed, then must
    # confirm again: a lost or seized laptop does not vouch for its reader for ever.
    COMMENTER_KEY_DAYS = 365
    COMMENT_IP_RETENTION_DAYS = 30  # `flask prune` erases older addresses; 0 stores none
    # Reading counts (blogapp.stats): a reader asking for more pages than this in a day
    # is counted as a robot, and their views are left out of the day's counts.
    STATS_ROBOT_PAGES = 150
    # Packages besides the built-in ones whose init_app(app) registers what they bring
    # (blogapp.registry): outbox kinds, prune jobs, reader data, admin screens.
    EXTRA_FEATURES: tuple[str, ...] = ()
    # Sent, failed and cancelled mail is kept this long (never longer than the addresses
    # above: a held-comment mail quotes one), then `flask prune` deletes it.
    MAIL_KEEP_DAYS = 7
    # Newsletter (blogapp/newsletter): sign-ups per client address and per
    # e-mail address; posts mailed whole, or their excerpt with a link.
    NEWSLETTER_SIGNUP_RATE_LIMIT = "5 per hour"
    NEWSLETTER_FULL_TEXT = False
    NEWSLETTER_RATE_PER_MINUTE = 0  # newsletter mails due per minute; 0: all at once
    # Op-eds submitted through /submit/ (blogapp/submissions): off unless enabled; the
    # writer's contact details are sealed with age to these public keys (age1…,
    # comma-separated), and the form refuses while there is none.
    SUBMISSIONS_ENABLED = False
    SUBMISSIONS_RECIPIENTS = ""
    SUBMISSIONS_RATE_LIMIT = "3 per hour"
    SUBMISSIONS_MIN_SECONDS = 10  # a form sent back faster is a bot; tests use 0
    # The editor's desk (blogapp/revisions): saved revisions kept per post or page
    # (autosaves, one per item and user, are not counted), and how often the editor
    # autosaves, in seconds.
    REVISIONS_KEPT = 25
    AUTOSAVE_SECONDS = 30
    COMMENT_EDIT_MINUTES = 10  # a reader may fix their comment this long, from the same browser

    # The fediverse (blogapp/fediverse): the blog as an ActivityPub actor.
    FEDIVERSE_ENABLED = False  # WebFinger, actors, the inbox, and posts sent to followers
    FEDIVERSE_APPROVE_FOLLOWERS = False  # true: a follow waits for `flask fediverse accept`
    # Seconds a request to another server may take in all: name lookup, connection,
    # sending, the whole answer and any redirects (a delivery's deadline).
    FEDIVERSE_TIMEOUT = 10
    FEDIVERSE_MAX_RESPONSE_BYTES = 1024 * 1024  # a longer answer is refused
    FEDIVERSE_MAX_REDIRECTS = 3
    FEDIVERSE_SIGNATURE_MAX_AGE = 3600  # seconds a signed request's Date may be off by
    FEDIVERSE_KEY_REFETCH_SECONDS = 60  # a failing key is fetched again at most this often
    # The inbox fetches an unknown signer's key inside the request: within this many
    # seconds in all, and at most this many at once per web worker (one per host);
    # a request that finds no room is told 503, to try again later.
    FEDIVERSE_KEY_FETCH_TIMEOUT = 5
    FEDIVERSE_KEY_FETCHES_PER_WORKER = 1
    FEDIVERSE_ALLOW_LOOPBACK = False  # tests only: lets the client reach 127.0.0.1
    FEDIVERSE_INBOX_MAX_BYTES = 256 * 1024  # a larger activity is refused (413)
    # Activities the inbox takes from one account, and from all accounts of one server,
    # counted for every worker (blogapp.throttle); over them the sender is told 429.
    FEDIVERSE_INBOX_ACTOR_RATE_LIMIT = "10 per minute; 200 per day"
    FEDIVERSE_INBOX_HOST_RATE_LIMIT = "120 per minute"

    # Accounts
    # Failed logins: from one address at one account (that address is kept out), from
    # one address at any account, and from everywhere at one account (much higher, and
    # a writer with a second factor still gets in: see blogapp.auth.views).
    LOGIN_RATE_LIMIT = "5 per 15 minutes"
    LOGIN_ADDRESS_RATE_LIMIT = "20 per 15 minutes"
    LOGIN_ACCOUNT_RATE_LIMIT = "50 per hour"
    REMEMBER_COOKIE_DAYS = 14
    PASSWORD_MIN_LENGTH = 10
    REQUIRE_2FA = False  # true: editors and admins must enrol in two-factor login for /admin/
    # "Forgot password" and readers' own data (both answer by mail only)
    PASSWORD_RESET_RATE_LIMIT = "3 per hour"  # per client address
    # Per address asked for: higher, so others asking cannot keep a writer from a link.
    PASSWORD_RESET_ACCOUNT_RATE_LIMIT = "10 per hour"
    PASSWORD_RESET_LINK_MINUTES = 60
    NEW_DEVICE_MAIL = True  # mail the account's owner when it logs in from a new device
    READER_DATA_RATE_LIMIT = "3 per hour"
    READER_DATA_LINK_HOURS = 24

    # HTTP
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    UPLOAD_MAX_PIXELS = 40_000_000
    UPLOAD_FOLDER: str | None = None  # set in create_app: <instance>/uploads
    # Backups (blogapp/backup/): the age public keys (age1… or ssh-ed25519 …) every archive
    # is encrypted to, a list or one string; the private keys stay off the server.
    BACKUP_RECIPIENTS: list[str] | str = []
    BACKUP_FOLDER: str | None = None  # `flask upgrade` backs up here; None: <instance>/backups
    # `flask backup --prune` keeps the newest archive of each of the last days, weeks, months
    BACKUP_KEEP_DAILY = 7
    BACKUP_KEEP_WEEKLY = 5
    BACKUP_KEEP_MONTHLY = 12
    PREFERRED_URL_SCHEME = "http"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None  # None: Secure when SITE_URL is https://
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE: bool | None = None  # None: Secure when SITE_URL is https://
    PROXY_FIX_COUNT = 0  # trusted reverse proxies in front of the app; 0 trusts none
    TRUSTED_HOSTS: list[str] | None = None
    # The onion service (blogapp/onion.py; deploy/torrc-blogapp, nginx-blogapp-onion.conf).
    # ONION_ADDRESS: abc…xyz.onion. Clearnet pages send Onion-Location to it, and it
    # is a trusted host, answered only on the onion listener.
    ONION_ADDRESS = ""
    # What nginx's onion listener sends in X-Onion-Secret (a long random value, also
    # in the nginx file): only requests carrying it are onion visitors, whose Tor
    # circuit (X-Onion-Circuit) the throttles count instead of the address. Empty: none.
    ONION_PROXY_SECRET = ""
    # The site's other addresses (static copies, other domains), shown on /mirrors/,
    # in the footers of pages and mails and in the feeds; the onion is added first.
    # `flask mirrors set` stores a list in the database instead, in force at once.
    MIRRORS: list[str] = []
    # Every request to another server (fediverse fetches and deliveries) goes through
    # this HTTP CONNECT proxy, http://[user:password@]host:port, so nobody learns the
    # origin's address by making it fetch their URL. Empty: direct connections.
    OUTGOING_PROXY = ""
    # Unhandled errors, scrubbed of readers' data, to the operator's own Sentry-compatible
    # server (GlitchTip): its DSN, https://KEY@glitchtip.example.org/1. Empty: none sent.
    ERROR_REPORT_DSN = ""
    ERROR_REPORT_ENVIRONMENT = "production"  # the environment name the reports carry
    # Link cards and video stills (blogapp/link_previews) are fetched once by `flask deliver`
    # through the same client and proxy, at most FEDIVERSE_MAX_RESPONSE_BYTES each.
    LINK_PREVIEW_TIMEOUT = 10  # seconds a card's page, or its picture, may take in all
    # Where a YouTube video's still is asked for: <base>/vi/<id>/hqdefault.jpg.
    LINK_PREVIEW_STILL_BASE = "https://i.ytimg.com"
    # The Telegram channel (blogapp/telegram): each post published is sent there by
    # `flask deliver`. The bot's token is a secret: set it in the environment
    # (BLOGAPP_TELEGRAM_BOT_TOKEN) or instance/config.py. Empty: nothing is sent.
    TELEGRAM_BOT_TOKEN = ""
    TELEGRAM_CHANNEL = ""  # @name or numeric id of the channel for every language
    TELEGRAM_CHANNELS: dict = {}  # per language, e.g. {"km": "@opeds_km"}; others: the above
    TELEGRAM_API_URL = "https://api.telegram.org"  # or a relay speaking the Bot API
    TELEGRAM_NEW_POST_DAYS = 2  # a post published longer ago (an import) is not sent
    HSTS_SECONDS = 31_536_000  # sent over HTTPS (or with secure cookies); 0 turns HSTS off
    CONTENT_SECURITY_POLICY = (
        # Nothing from another origin, which would see readers' visits: an imported
        # post's images left on the old host are not loaded, and the Posts screen flags it.
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; media-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'; "
        # A video loads from youtube-nocookie.com only as a frame, only once the reader
        # presses play (blogapp/embeds.py, static/js/embeds.js).
        "frame-src 'self' https://www.youtube-nocookie.com"
    )
    REFERRER_POLICY = "strict-origin-when-cross-origin"
    MAX_QUERY_STRING_LENGTH = 4096  # longer query strings get 414
    # One JSON line per request on the blogapp.request logger (blogapp/request_log.py), with
    # a request id; the client address only when COMMENT_IP_RETENTION_DAYS keeps any.
    REQUEST_LOG = True
    # Request-log lines a worker holds and writes together (0: each at once;
    # gunicorn.conf.py sets 16 KiB), and the longest the first of them waits.
    REQUEST_LOG_BUFFER_BYTES = 0
    REQUEST_LOG_FLUSH_SECONDS = 1.0
    # Caching (see blogapp/page_cache.py): what nginx or a CDN may do with public pages,
    # and what each worker keeps. PAGE_CACHE_BYTES 0 keeps no pages.
    HTTP_CACHE_S_MAXAGE = 5  # seconds a shared cache serves a public page without asking
    HTTP_CACHE_STALE_WHILE_REVALIDATE = 30  # then serves it stale while fetching a new one
    HTTP_CACHE_STALE_IF_ERROR = 86_400  # and serves it stale while the app is down
    PAGE_CACHE_BYTES = 4 * 1024 * 1024  # per worker (with REDIS_URL: kept in Redis instead)
    PAGE_CACHE_SECONDS = 60  # longest a kept page lives (the comment form's stamp ages)
    # Readers who ask for a page another thread of the worker is rendering wait this
    # long for that render instead of rendering it again (0: never wait).
    PAGE_RENDER_WAIT_SECONDS = 5.0
    # /sitemap.xml becomes an index of sitemaps of at most this many URLs past it.
    SITEMAP_URLS_PER_FILE = 10_000
    KEEP_RENDERED = True  # sidebar, threads and neighbours kept per content version
    # Jinja's compiled templates kept in the temporary directory (checked against each
    # template's source), so a new worker loads them instead of compiling each again.
    TEMPLATE_BYTECODE_CACHE = True
    # Listings' post summaries each worker keeps (about 1.5 kB each; the static export
    # raises it to hold every post's, blogapp/static_export).
    SUMMARY_CACHE_BYTES = 2 * 1024 * 1024
    CONTENT_VERSION_CACHE_SECONDS = 1.0  # how long a worker trusts the content version it read

    # Site health (`flask doctor`, /admin/health; blogapp/doctor) and metrics (blogapp/metrics)
    HEALTH_HEARTBEAT_MAX_SECONDS = 300  # an older mail-worker heartbeat: the worker is down
    HEALTH_OUTBOX_MAX_SECONDS = 900  # a mail due longer than this and unsent: failing
    HEALTH_BACKUP_MAX_HOURS = 26  # the last backup older than this: failing
    HEALTH_VERIFY_MAX_DAYS = 8  # the last verified restore older than this: a warning
    HEALTH_CERT_WARN_DAYS = 14  # the TLS certificate expires sooner: a warning (3 days: failing)
    # `host` or `host:port` of the DNS servers the doctor asks (empty: the system's).
    HEALTH_NAMESERVERS: list[str] = []
    HEALTH_TIMEOUT = 5.0  # seconds for each network check (TLS handshake, DNS query)
    # The small JSON records the doctor reads: of `flask backup` (blogapp/backup) and of
    # scripts/audit. Empty: instance/backup-status.json and instance/audit-status.json.
    BACKUP_STATUS_FILE = ""
    AUDIT_STATUS_FILE = ""
    # /metrics (Prometheus): the SHA-256 (hex) of the bearer token a scraper sends.
    # Empty: /metrics answers 404 and nothing is counted (docs/operators/metrics.md).
    METRICS_TOKEN_SHA256 = ""

    # Extensions
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session
    # WTForms' own messages are not looked up in its catalogs: it ships none in Khmer, every
    # reader form gives its own messages (translated in ours), and the lookup would parse a
    # catalog on every request that shows a form.
    WTF_I18N_ENABLED = False
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    CACHE_DEFAULT_TIMEOUT = 60
    SEND_FILE_MAX_AGE_DEFAULT = 3600
