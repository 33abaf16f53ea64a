"""Extension objects, created here and bound to the app in ``create_app``.

Flask-Migrate is the exception: it is bound only for the command line (see
``register_extensions``)."""

from flask_limiter import Limiter
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from blogapp.onion import client_key


class Base(DeclarativeBase):
    # Named constraints make Alembic migrations portable between SQLite and PostgreSQL.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
# The client address (real only because ProxyFix is sized by PROXY_FIX_COUNT), or an
# onion visitor's Tor circuit (blogapp.onion).
limiter = Limiter(key_func=client_key, default_limits=[])
# Limits on costly pages (blogapp/search/limits.py) send no X-RateLimit-* headers: the
# pages they guard are cached and shared by every reader. Their 429 has Retry-After. If
# their storage (Redis) fails, they let pages through (and log it) rather than fail them:
# each worker's search cap and time budget still hold.
costly_limiter = Limiter(
    key_func=client_key, default_limits=[], headers_enabled=False, swallow_errors=True
)
