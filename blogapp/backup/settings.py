"""The instance's settings in a backup, without its secrets: every setting of
``DefaultConfig`` that the operator changed (in ``instance/config.py`` or as
``BLOGAPP_<NAME>`` in the environment, read again here, so values the app derives at
start, such as cookie flags from ``SITE_URL``, are not frozen into the copy), except
those that hold or can hold a secret (keys, passwords, tokens, URLs with
credentials) or name a place on the old server (the database, the uploads folder). A
restore writes them into a new ``config.py`` with a list of the secrets the operator
must give again."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from flask import Config, Flask
from sqlalchemy.engine import make_url

from blogapp.config import DefaultConfig

# _DSN: an error-report DSN carries the key that lets anyone post events to that project.
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|PRIVATE|CREDENTIAL|_KEY$|DKIM|_DSN$")
PLACES = frozenset({"SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS", "UPLOAD_FOLDER"})
URL_WITH_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]*:[^/@\s]*@", re.IGNORECASE)


def _is_secret(name: str, value: Any) -> bool:
    return bool(SECRET_NAME.search(name)) or (
        isinstance(value, str) and bool(URL_WITH_CREDENTIALS.match(value))
    )


def settings_without_secrets(app: Flask) -> tuple[dict[str, Any], list[str]]:
    """The settings to keep, and the names of the secrets left out."""
    given = Config(app.instance_path)
    given.from_pyfile("config.py", silent=True)
    given.from_prefixed_env("BLOGAPP")
    kept: dict[str, Any] = {}
    left_out: list[str] = []
    for name in sorted(vars(DefaultConfig)):
        if not name.isupper() or name in PLACES or name not in given:
            continue
        value = given[name]
        if value == getattr(DefaultConfig, name):
            continue
        if _is_secret(name, value):
            left_out.append(name)
            continue
        try:
            json.dumps(value)
        except TypeError:
            continue
        kept[name] = value
    return kept, left_out


def config_py(settings: dict[str, Any], left_out: list[str], source: str) -> str:
    """The text of a ``config.py`` holding ``settings``."""
    lines = [f"# Settings restored from the backup {source} (no secrets were in it)."]
    if left_out:
        lines.append("# Give these again (here or in the environment, as BLOGAPP_<NAME>):")
        lines += [f"#   {name}" for name in left_out]
    lines += [f"{name} = {value!r}" for name, value in sorted(settings.items())]
    return "\n".join(lines) + "\n"


def redacted_database(uri: str) -> str:
    return make_url(uri).render_as_string(hide_password=True)


def write_config(folder: Path, settings_file: Path, source: str) -> Path:
    data = json.loads(settings_file.read_text())
    target = folder / "config.py"
    target.write_text(config_py(data["settings"], data["left_out"], source))
    return target
