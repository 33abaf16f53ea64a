"""No shared development key (issue 13): ``wsgi:app`` refuses to start without a
real SECRET_KEY whatever loads it, and the ``flask`` command makes one random key
per checkout in instance/secret_key."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from blogapp import create_app
from blogapp.security import SECRET_KEY_FILE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
A_REAL_KEY = "a-real-secret-key-for-production-use-0123456789"


def keyless_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh checkout: no key, its own instance folder and database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BLOGAPP_") and k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
    }
    env.update(
        BLOGAPP_INSTANCE_PATH=str(tmp_path / "instance"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'app.sqlite'}",
        **extra,
    )
    return env


def run(command: list[str], env: dict[str, str], stdin: str | None = None):
    return subprocess.run(
        command, env=env, cwd=PROJECT_ROOT, input=stdin, capture_output=True, text=True, timeout=90
    )


@pytest.mark.parametrize("key", [None, "", "short-key", "dev-only-not-secret"])
def test_importing_wsgi_without_a_real_key_exits_and_names_secret_key(tmp_path, key):
    env = keyless_env(tmp_path) if key is None else keyless_env(tmp_path, SECRET_KEY=key)
    refused = run([sys.executable, "-c", "import wsgi"], env)
    assert refused.returncode != 0
    assert "SECRET_KEY" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "instance" / SECRET_KEY_FILE).exists()  # no key made behind its back


def test_importing_wsgi_with_a_real_key_builds_the_app(tmp_path):
    started = run(
        [sys.executable, "-c", "import wsgi; print(wsgi.app.name)"],
        keyless_env(tmp_path, SECRET_KEY=A_REAL_KEY),
    )
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "blogapp"


def test_an_app_built_in_process_without_a_key_refuses(tmp_path, monkeypatch, capsys):
    # The path any other server takes: ``blogapp:create_app()`` outside the flask command.
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("BLOGAPP_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(SystemExit) as stopped:
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert stopped.value.code == 3
    assert capsys.readouterr().err.startswith("blogapp: error: SECRET_KEY is missing")


def test_the_flask_command_makes_one_private_key_per_checkout_and_keeps_it(tmp_path):
    env = keyless_env(tmp_path)
    show_key = "print('key=' + app.secret_key)\n"
    first = run([sys.executable, "-m", "flask", "--app", "blogapp", "shell"], env, show_key)
    assert first.returncode == 0, first.stderr
    key_file = tmp_path / "instance" / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 32 and f"key={key}" in first.stdout

    again = run([sys.executable, "-m", "flask", "--app", "blogapp", "shell"], env, show_key)
    assert f"key={key}" in again.stdout  # the same key: sessions survive a restart
    assert sorted(p.name for p in key_file.parent.iterdir()) == [SECRET_KEY_FILE]

    other = tmp_path / "other"
    elsewhere = run(
        [sys.executable, "-m", "flask", "--app", "blogapp", "shell"], keyless_env(other), show_key
    )
    assert f"key={key}" not in elsewhere.stdout  # every checkout has its own


def test_a_key_from_the_environment_wins_and_no_file_is_made(tmp_path):
    env = keyless_env(tmp_path, SECRET_KEY=A_REAL_KEY)
    shown = run(
        [sys.executable, "-m", "flask", "--app", "blogapp", "shell"],
        env,
        "print('key=' + app.secret_key)\n",
    )
    assert f"key={A_REAL_KEY}" in shown.stdout
    assert not (tmp_path / "instance" / SECRET_KEY_FILE).exists()


def test_the_key_file_is_ignored_by_git():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", f"instance/{SECRET_KEY_FILE}"], cwd=PROJECT_ROOT
    )
    assert ignored.returncode == 0
