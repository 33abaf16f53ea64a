"""blogapp: a server-rendered blog for op-eds with moderated reader comments."""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from flask import Flask

from blogapp.config import DefaultConfig
from blogapp.page_cache import BlogFlask

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The packages whose ``init_app(app)`` registers what they bring (blogapp.registry): kinds
# of outgoing work, jobs, reader data, admin screens. In this order: it is the order of
# ``flask prune``'s lines and of erasers of equal rank. ``EXTRA_FEATURES`` adds more.
FEATURES = (
    "blogapp.admin",
    "blogapp.posts",
    "blogapp.authors",
    "blogapp.categories",
    "blogapp.media",
    "blogapp.comments",
    "blogapp.newsletter",
    "blogapp.fediverse",
    "blogapp.revisions",
    "blogapp.privacy",
    "blogapp.mail",
    "blogapp.cards",
    "blogapp.telegram",
    "blogapp.doctor",
    "blogapp.metrics",
    "blogapp.stats",
    "blogapp.desk",
    "blogapp.submissions",
    "blogapp.link_previews",
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``instance/config.py``, then the environment
    (``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL``, ``BLOGAPP_*``), then ``config``."""
    instance_path = os.environ.get("BLOGAPP_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = BlogFlask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, config)
    check_production_settings(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_features(app)
    register_blueprints(app)
    register_templating(app)
    keep_compiled_templates(app)
    register_errors(app)
    register_commands(app)
    register_production(app)
    return app


def load_config(app: Flask, config: Mapping[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    # Seconds since the epoch: every "now" and every cache's age comes from here, so a
    # test moves time by passing its own clock instead of sleeping.
    app.config["CLOCK"] = time.time
    app.config.from_pyfile("config.py", silent=True)
    for name in ("SECRET_KEY", "REDIS_URL"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env("BLOGAPP")
    if config:
        app.config.update(config)

    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + str(Path(app.instance_path) / "blogapp.sqlite")
    # psycopg 3 is the PostgreSQL driver; accept the URLs operators already have.
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            uri = "postgresql+psycopg://" + uri[len(prefix) :]
    app.config["SQLALCHEMY_DATABASE_URI"] = uri
    app.config["SITE_URL"] = app.config["SITE_URL"].rstrip("/")
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")


def register_extensions(app: Flask) -> None:
    from blogapp import interface_language, throttle
    from blogapp.audit import watch_admin_writes
    from blogapp.content_version import watch_content_changes
    from blogapp.cookie_session import SessionInterface
    from blogapp.database import configure_engine
    from blogapp.extensions import csrf, db, limiter, login_manager
    from blogapp.search.schema import register_search_index

    configure_engine(app)
    db.init_app(app)
    watch_content_changes()
    # The FTS5 table or tsvector column that models cannot declare: db.create_all()
    # builds it after posts; migrations call create_search_index themselves.
    register_search_index()
    watch_admin_writes()  # every admin write's audit entry
    if click.get_current_context(silent=True) is not None:
        # Migrations are a command-line job (`flask db …`); web workers skip
        # Flask-Migrate, whose Alembic import costs every worker about 11 MB.
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(PROJECT_ROOT / "migrations"))
    app.session_interface = SessionInterface()
    csrf.init_app(app)
    login_manager.init_app(app)
    interface_language.init_app(app)  # Flask-Babel: the interface speaks the page's language
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_REDIS_URL", redis_url)
        app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url)
    else:
        app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    # Limits that protect accounts and comments: shared by every worker (blogapp/throttle.py).
    throttle.init_app(app)


def register_features(app: Flask) -> None:
    """Each feature registers what it brings; the core's own jobs and erasers last.
    Before the blueprints: a feature's admin screens join the admin blueprint."""
    from blogapp import audit, registry, throttle
    from blogapp.registry import ReaderData

    registry.init_app(app)
    for name in (*FEATURES, *app.config.get("EXTRA_FEATURES", ())):
        importlib.import_module(name).init_app(app)
    found = registry.registry(app)
    found.add_job("audit", lambda: f"Blanked {audit.prune()} audit label(s) naming a reader.")
    found.add_job("throttle", lambda: f"Deleted {throttle.prune()} spent throttle row(s).")
    found.add_reader_data(ReaderData("audit", audit.erase_reader))


def register_blueprints(app: Flask) -> None:
    from blogapp import (
        admin,
        auth,
        categories,
        comments,
        fediverse,
        media,
        mirrors,
        newsletter,
        posts,
        privacy,
    )
    from blogapp.cards import views as cards
    from blogapp.revisions import preview
    from blogapp.search.limits import register_search_limits

    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(media.bp)
    app.register_blueprint(cards.bp)  # /uploads/cards/: share cards, beside the uploads
    app.register_blueprint(posts.bp)
    app.register_blueprint(categories.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(comments.moderation_bp)
    app.register_blueprint(comments.mail_bp)
    app.register_blueprint(comments.own_edits_bp)
    app.register_blueprint(newsletter.bp)
    app.register_blueprint(preview.bp)
    app.register_blueprint(fediverse.bp)
    app.register_blueprint(privacy.bp)  # /privacy/ and readers' own data
    app.register_blueprint(mirrors.bp)  # the site's other addresses, for when it is blocked
    register_discovery_blueprints(app)
    register_search_limits(app)  # wraps views registered above: after them


def register_discovery_blueprints(app: Flask) -> None:
    """Feeds, sitemap and robots.txt. (Search is served by posts.index.)"""
    from blogapp import feeds, seo
    from blogapp.feeds import corrections

    app.register_blueprint(feeds.bp)
    app.register_blueprint(seo.bp)
    app.register_blueprint(corrections.bp)


def register_templating(app: Flask) -> None:
    from blogapp.templating import register_template_helpers

    register_template_helpers(app)


def register_errors(app: Flask) -> None:
    from blogapp.errors import register_error_pages

    register_error_pages(app)


def register_commands(app: Flask) -> None:
    from blogapp.commands import register_commands as register_all

    register_all(app)


def check_production_settings(app: Flask) -> None:
    from blogapp.onion import normalize_onion_settings
    from blogapp.security import check_secret_key, normalize_settings

    check_secret_key(app)
    normalize_settings(app)
    normalize_onion_settings(app)


def keep_compiled_templates(app: Flask) -> None:
    """Each template compiled once per release rather than once per worker: compiling
    is most of a new worker's first render, and its scratch memory (about 0.5 MB)
    stays with the worker. Jinja keeps the files in a folder of the user's own in the
    temporary directory (mode 0700, checked), matches each against its template's
    source, and writes it whole (a temporary file, then a rename), so workers share it."""
    if not app.config["TEMPLATE_BYTECODE_CACHE"]:
        return
    from jinja2 import FileSystemBytecodeCache

    app.jinja_env.bytecode_cache = FileSystemBytecodeCache()


def register_production(app: Flask) -> None:
    """Health check, security headers, the page cache, request log, proxies."""
    from blogapp import health
    from blogapp.onion import register_onion
    from blogapp.page_cache import register_page_cache
    from blogapp.request_log import register_request_log
    from blogapp.security import apply_proxy_fix, register_security

    app.register_blueprint(health.bp)
    register_security(app)
    register_page_cache(app)
    register_onion(app)  # after it: a misrouted host is refused before a kept page
    register_request_log(app)
    apply_proxy_fix(app)
