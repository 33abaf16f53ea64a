"""blogapp: a server-rendered blog for op-eds with moderated reader comments."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from blogapp.config import DefaultConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then ``instance/config.py``, then the environment
    (``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL``, ``BLOGAPP_*``), then ``config``."""
    instance_path = os.environ.get("BLOGAPP_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    load_config(app, config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    register_extensions(app)
    register_blueprints(app)
    register_templating(app)
    register_errors(app)
    register_commands(app)
    return app


def load_config(app: Flask, config: Mapping[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
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


def register_extensions(app: Flask) -> None:
    from blogapp.database import configure_engine
    from blogapp.extensions import cache, csrf, db, limiter, login_manager, migrate

    configure_engine(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    redis_url = app.config.get("REDIS_URL")
    if redis_url:
        app.config.setdefault("CACHE_TYPE", "RedisCache")
        app.config.setdefault("CACHE_REDIS_URL", redis_url)
        app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url)
    else:
        app.config.setdefault("CACHE_TYPE", "SimpleCache")
        app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    cache.init_app(app)
    limiter.init_app(app)


def register_blueprints(app: Flask) -> None:
    from blogapp import auth, categories, posts

    app.register_blueprint(auth.bp)
    app.register_blueprint(posts.bp)
    app.register_blueprint(categories.bp)


def register_templating(app: Flask) -> None:
    from blogapp.templating import register_template_helpers

    register_template_helpers(app)


def register_errors(app: Flask) -> None:
    from blogapp.errors import register_error_pages

    register_error_pages(app)


def register_commands(app: Flask) -> None:
    from blogapp.commands import register_cli

    register_cli(app)
