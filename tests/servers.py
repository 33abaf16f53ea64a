"""Real servers for the tests that need them: gunicorn with the committed
``gunicorn.conf.py`` and Debian's nginx with the shipped cache recipe
(``deploy/nginx-loopback.conf``), each on a free loopback port, stopped after use."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from blogapp.auth.passwords import set_password
from blogapp.extensions import db
from blogapp.models import ROLE_EDITOR, CommentStatus
from tests.factories import make_comment, make_post, make_user

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEPLOY = PROJECT_ROOT / "deploy"
SECRET = "servers-test-secret-key-0123456789abcdef"
PASSWORD = "a long editor passphrase"
ORIGIN = {"Origin": "http://localhost"}  # what a browser sends with a form of the site
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def require(what: str, present: bool, install: str) -> None:
    """Skip with one line naming what to install, except in CI, where nothing may skip."""
    if present:
        return
    message = f"{what} is not installed here: {install}"
    if os.environ.get("BLOGAPP_TEST_REQUIRE_ALL"):
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def fetch(
    port: int,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 30,
) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        conn.close()


def wait_for(port: int, path: str, process: subprocess.Popen, log: Path, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if fetch(port, path, timeout=5).status < 500:
                return
        except OSError:
            pass
        time.sleep(0.1)  # polling a starting server, not waiting for time to pass
    pytest.fail(f"server did not answer on {port}:\n{log.read_text()[-3000:]}")


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(
                f"server exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}"
            )

    def worker_pids(self) -> list[int]:
        """The master's children (gunicorn's workers), as the kernel lists them."""
        pid = self.process.pid
        return sorted(
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        )

    def wait_for_workers(self, count: int, timeout: float = 30, exclude=()) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            pids = [pid for pid in self.worker_pids() if pid not in exclude]
            if len(pids) >= count:
                return pids
            time.sleep(0.05)  # polling the master's children, not waiting for time to pass
        pytest.fail(f"gunicorn did not reach {count} workers:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def gunicorn_env(database_url: str, instance: Path, port: int, **settings: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BLOGAPP_") and k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
    }
    env.update(
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        BLOGAPP_INSTANCE_PATH=str(instance),
        BLOGAPP_BIND=f"127.0.0.1:{port}",
        BLOGAPP_WORKERS="2",
        BLOGAPP_SITE_URL="http://localhost",
        BLOGAPP_COMMENT_MIN_SECONDS="0",
    )
    env.update(settings)
    return env


def start_gunicorn(
    database_url: str, instance: Path, port: int | None = None, **settings: str
) -> Server:
    port = port or free_port()
    env = gunicorn_env(database_url, instance, port, **settings)
    instance.mkdir(parents=True, exist_ok=True)
    log = instance / "gunicorn.log"
    with log.open("w") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log, env)
    wait_for(port, "/healthz", process, log)
    return server


def onion_server(folder: Path, port: int, secret: str) -> str:
    """The shipped onion listener (deploy/nginx-blogapp-onion.conf) on ``port``, its
    secret in a file of its own as the recipe says."""
    secret_file = folder / "blogapp-onion-secret.conf"
    secret_file.write_text(f'proxy_set_header X-Onion-Secret "{secret}";\n')
    conf = (DEPLOY / "nginx-blogapp-onion.conf").read_text()
    for name, value in (
        ("/srv/blogapp/app/deploy", str(DEPLOY)),
        ("/etc/nginx/blogapp-onion-secret.conf", str(secret_file)),
        ("127.0.0.1:8081", f"127.0.0.1:{port}"),
    ):
        assert name in conf, name
        conf = conf.replace(name, value)
    return conf


def start_nginx(
    folder: Path,
    upstream_ports: list[int],
    onion: tuple[int, str] | None = None,
) -> Server:
    """nginx with the shipped recipe in front of ``upstream_ports``; with ``onion``
    (port, secret), the shipped onion listener too."""
    require("nginx", NGINX is not None, "apt-get install nginx-light")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "static_copy").mkdir(exist_ok=True)
    port = free_port()
    while onion is not None and port == onion[0]:
        # The onion's port was only asked for, not yet bound: the system may hand it out
        # again. Two server blocks on one port make nginx hash their names, and the
        # onion's name is longer than the hash's default bucket (it refuses to start).
        port = free_port()
    upstreams = "\n        ".join(f"server 127.0.0.1:{p} max_fails=0;" for p in upstream_ports)
    conf = (DEPLOY / "nginx-loopback.conf").read_text()
    for name, value in (
        ("@PREFIX@", str(folder)),
        ("@DEPLOY@", str(DEPLOY)),
        ("@PORT@", str(port)),
        ("@UPSTREAMS@", upstreams),
    ):
        conf = conf.replace(name, value)
    if onion is not None:
        conf = conf.rstrip().removesuffix("}") + onion_server(folder, *onion) + "}\n"
    (folder / "nginx.conf").write_text(conf)
    log = folder / "error.log"
    log.touch()
    with log.open("a") as out:
        process = subprocess.Popen(
            [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    wait_for(port, "/healthz", process, log)
    return server


def make_small_blog() -> dict:
    """An editor (password ``PASSWORD``), a post and a comment held for moderation."""
    editor = make_user("editor", role=ROLE_EDITOR)
    set_password(editor, PASSWORD)
    post = make_post("The river and the dam", "Who decides where the water goes?")
    held = make_comment(post, "A reader's question, held.", status=CommentStatus.PENDING)
    found = {
        "post_id": post.id,
        "path": f"/{post.published_at:%Y/%m/%d}/{post.slug}/",
        "held_id": held.id,
    }
    db.session.remove()  # outside a request a transaction takes SQLite's write lock: end it
    return found


def cookie_of(answer) -> str:
    jar = SimpleCookie(answer.headers.get("Set-Cookie", ""))
    return "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def log_in(port: int) -> str:
    page = fetch(port, "/login")
    cookie = cookie_of(page)
    form = urlencode(
        {"csrf_token": csrf_of(page.text), "username": "editor", "password": PASSWORD, "next": ""}
    )
    answer = fetch(
        port,
        "/login",
        "POST",
        body=form.encode(),
        headers={"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded", **ORIGIN},
    )
    assert answer.status == 302, answer.text[:500]
    return cookie_of(answer) or cookie
