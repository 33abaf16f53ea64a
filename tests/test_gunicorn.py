"""The committed gunicorn.conf.py, run for real: several workers on one SQLite file
take 200 concurrent comment posts and store every one exactly once, with no 5xx."""

from __future__ import annotations

import os
import re
import runpy
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from blogapp import create_app
from blogapp.extensions import db
from blogapp.models import Comment
from tests.factories import make_post
from tests.servers import fetch, free_port, wait_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET = "gunicorn-test-secret-key-0123456789abcdef"
COMMENTS = 200
_INPUT_VALUE = (
    r'<input[^>]*name="{name}"[^>]*value="([^"]*)"|<input[^>]*value="([^"]*)"[^>]*name="{name}"'
)


def base_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BLOGAPP_") and k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite'}",
        BLOGAPP_INSTANCE_PATH=str(tmp_path / "instance"),
        BLOGAPP_BIND=f"127.0.0.1:{port}",
        BLOGAPP_WORKERS="4",
        BLOGAPP_SITE_URL=f"http://127.0.0.1:{port}",
    )
    return env


def input_value(html: str, name: str) -> str:
    match = re.search(_INPUT_VALUE.format(name=name), html)
    assert match, f"no {name} field in the page"
    return match.group(1) or match.group(2)


def test_gunicorn_conf_reads_its_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("BLOGAPP_BIND", "127.0.0.1:9123")
    monkeypatch.setenv("BLOGAPP_WORKERS", "3")
    # The file sets these two in os.environ; setenv first so monkeypatch undoes that after.
    for name in (
        "BLOGAPP_PRODUCTION",
        "BLOGAPP_REQUEST_LOG",
        "PORT",
        "PROMETHEUS_MULTIPROC_DIR",
        "BLOGAPP_ACCESS_LOG",
    ):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    conf = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert conf["bind"] == "127.0.0.1:9123"
    assert conf["workers"] == 3
    assert conf["worker_class"] == "gthread" and conf["threads"] >= 2
    assert conf["accesslog"] is None  # the app's JSON line instead (blogapp/request_log.py)
    assert os.environ["BLOGAPP_REQUEST_LOG"] == "true"
    assert "%(s)s" in conf["access_log_format"] and "%(M)s" in conf["access_log_format"]
    assert os.environ["BLOGAPP_PRODUCTION"] == "true"
    monkeypatch.setenv("BLOGAPP_ACCESS_LOG", "true")
    assert runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))["accesslog"] == "-"

    monkeypatch.delenv("BLOGAPP_BIND")
    monkeypatch.delenv("BLOGAPP_WORKERS")
    monkeypatch.setenv("PORT", "8765")
    conf = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    assert conf["bind"] == "0.0.0.0:8765"
    assert conf["workers"] == os.cpu_count() * 2 + 1


@pytest.mark.slow
def test_gunicorn_refuses_to_start_without_a_secret_key(tmp_path):
    env = base_env(tmp_path, free_port())
    run = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    # 3 is "worker failed to boot"; gunicorn sometimes reports the halt itself with exit 1.
    assert run.returncode in (1, 3)
    assert "Worker failed to boot" in run.stderr
    assert "blogapp: error: SECRET_KEY is missing" in run.stderr
    # The app's refusal is one line, never a traceback through the app's code.
    assert "create_app" not in run.stderr and "blogapp/" not in run.stderr


@pytest.mark.slow
def test_200_concurrent_comments_on_four_workers_are_all_stored_once(tmp_path, ctx):
    port = free_port()
    env = base_env(tmp_path, port)
    env.update(
        SECRET_KEY=SECRET, BLOGAPP_RATELIMIT_ENABLED="false", BLOGAPP_COMMENT_MIN_SECONDS="0"
    )
    upgrade = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "blogapp", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert upgrade.returncode == 0, upgrade.stderr
    setup = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "SECRET_KEY": SECRET,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    with setup.app_context():
        post = make_post("Open for comments", "Tell us what you think.")
        post_id, post_path = post.id, f"/{post.published_at:%Y/%m/%d}/{post.slug}/"
        db.session.remove()
        db.engine.dispose()

    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(port, "/healthz", server, log)
        results: dict[int, int] = {}
        errors: list[str] = []
        start = threading.Barrier(COMMENTS)

        def reader(n: int) -> None:
            try:
                page = fetch(port, post_path, timeout=60)
                assert page.status == 200, page.status
                assert "Set-Cookie" not in page.headers  # the shared page sets no cookie
                form = {
                    "author_name": f"Reader {n}",
                    "author_email": f"reader{n}@example.org",
                    "author_url": "",
                    "body": f"Comment number {n} from the load test.",
                    "parent_id": "",
                    "form_token": input_value(page.text, "form_token"),
                }
                start.wait(timeout=120)  # every POST is in flight at once
                results[n] = fetch(
                    port,
                    f"/comments/post/{post_id}",
                    "POST",
                    body=urlencode(form).encode(),
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Origin": f"http://127.0.0.1:{port}",
                    },
                    timeout=60,
                ).status
            except Exception as error:  # reported below with the reader's number
                errors.append(f"{n}: {error!r}")

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(COMMENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        # Conditional GET and security headers through the real server, while we are here.
        front = fetch(port, "/")
        assert front.status == 200
        assert "frame-ancestors 'none'" in front.headers["Content-Security-Policy"]
        assert fetch(port, "/", headers={"If-None-Match": front.headers["ETag"]}).status == 304
        # Raw bytes that are not UTF-8 in the path: 400, not 500.
        with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
            raw.sendall(b"GET /\xff\xfe/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert raw.recv(64).startswith(b"HTTP/1.1 400 ")
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert errors == []
    assert sorted(results) == list(range(COMMENTS))
    assert not [s for s in results.values() if s >= 500]
    assert set(results.values()) == {302}, results
    check = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "SECRET_KEY": SECRET,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        }
    )
    with check.app_context():
        counts = dict(
            db.session.execute(
                select(Comment.body, func.count())
                .where(Comment.post_id == post_id)
                .group_by(Comment.body)
            ).all()
        )
        db.engine.dispose()
    expected = {f"Comment number {n} from the load test." for n in range(COMMENTS)}
    assert set(counts) == expected
    assert set(counts.values()) == {1}
    output = log.read_text()
    assert "Traceback" not in output and "database is locked" not in output
    assert re.search(
        rf'"method":"POST","path":"/comments/post/{post_id}",'
        r'"route":"comments.create","status":302,"ms":[\d.]+',
        output,
    )
