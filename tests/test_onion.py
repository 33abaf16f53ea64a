"""The onion service through real nginx (the shipped deploy/nginx-blogapp-onion.conf
beside the clearnet listener) and gunicorn: each connection starts with the PROXY
v1 line Tor writes with ``HiddenServiceExportCircuitID haproxy`` (the circuit id in
the low 32 bits of an fc00:dead:beef:4dad:: source address), two circuits have
limits of their own, the circuit header sent to the clearnet listener is ignored,
and ``Onion-Location`` is sent on clearnet pages only."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlencode

import pytest

from tests.servers import (
    Answer,
    cookie_of,
    csrf_of,
    fetch,
    free_port,
    make_small_blog,
    start_gunicorn,
    start_nginx,
)

pytestmark = pytest.mark.slow
ONION = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"
SECRET = "onion-listener-secret-0123456789abcdef"


class _TorConnection(http.client.HTTPConnection):
    """What Tor does for a stream to the onion: a PROXY line, then the reader's bytes."""

    def __init__(self, port: int, circuit: int) -> None:
        super().__init__("127.0.0.1", port, timeout=30)
        self.circuit = circuit

    def connect(self) -> None:
        super().connect()
        high, low = self.circuit >> 16, self.circuit & 0xFFFF
        self.sock.sendall(
            f"PROXY TCP6 fc00:dead:beef:4dad::{high:x}:{low:x} ::1 65535 80\r\n".encode()
        )


def via_tor(
    port: int,
    circuit: int,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    conn = _TorConnection(port, circuit)
    try:
        conn.request(method, path, body=body, headers={"Host": ONION, **(headers or {})})
        response = conn.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        conn.close()


@pytest.fixture
def blog(app, ctx):
    return make_small_blog()


@pytest.fixture
def servers(app, database_url, tmp_path, blog, ctx):
    gunicorn = start_gunicorn(
        database_url,
        tmp_path / "instance",
        BLOGAPP_PROXY_FIX_COUNT="1",
        BLOGAPP_ONION_ADDRESS=ONION,
        BLOGAPP_ONION_PROXY_SECRET=SECRET,
        BLOGAPP_LOGIN_RATE_LIMIT="3 per hour",
        BLOGAPP_LOGIN_ADDRESS_RATE_LIMIT="3 per hour",
        BLOGAPP_COMMENT_RATE_LIMIT="2 per hour",
    )
    onion_port = free_port()
    try:
        nginx = start_nginx(tmp_path / "nginx", [gunicorn.port], onion=(onion_port, SECRET))
    except BaseException:
        gunicorn.stop()
        raise
    yield nginx.port, onion_port
    nginx.stop()
    gunicorn.stop()


def failed_login(send) -> int:
    """One wrong password (GET the form, POST it); the POST's status."""
    page = send("/login", "GET", {}, None)
    form = urlencode(
        {
            "csrf_token": csrf_of(page.text),
            "username": "editor",
            "password": "not the password",
            "next": "",
        }
    )
    return send(
        "/login",
        "POST",
        {"Cookie": cookie_of(page), "Content-Type": "application/x-www-form-urlencoded"},
        form.encode(),
    ).status


def comment(send, blog, number: int) -> int:
    page = send(blog["path"], "GET", {}, None)
    token = re.search(r'name="form_token"[^>]*value="([^"]+)"', page.text).group(1)
    form = urlencode(
        {
            "author_name": "Dara",
            "author_email": "dara@example.org",
            "author_url": "",
            "body": f"Comment number {number}.",
            "parent_id": "",
            "form_token": token,
            "homepage": "",
        }
    )
    return send(
        f"/comments/post/{blog['post_id']}",
        "POST",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form.encode(),
    ).status


def tor(port: int, circuit: int):
    origin = {"Origin": f"http://{ONION}"}
    return lambda path, method, headers, body: via_tor(
        port, circuit, path, method, {**origin, **headers}, body
    )


def clearnet(port: int, circuit_header: str | None):
    sent = {"Origin": "http://localhost"}
    if circuit_header is not None:  # what a client might send to pass for a Tor circuit
        sent.update({"X-Onion-Circuit": circuit_header, "X-Onion-Secret": "a guess"})
    return lambda path, method, headers, body: fetch(port, path, method, {**sent, **headers}, body)


def test_onion_location_on_clearnet_pages_only(servers, blog):
    clear_port, onion_port = servers
    page = fetch(clear_port, blog["path"])
    assert page.status == 200
    assert page.headers["Onion-Location"] == f"http://{ONION}{blog['path']}"
    for _ in range(2):  # the second from the caches
        onion_page = via_tor(onion_port, 7, blog["path"])
        assert onion_page.status == 200, onion_page.text[:300]
        assert "Onion-Location" not in onion_page.headers
    assert "Onion-Location" in fetch(clear_port, blog["path"]).headers
    # Links on the onion page stay on the onion; the canonical stays the clearnet URL.
    text = onion_page.text
    assert not re.findall(r'<a [^>]*href="http://localhost', text)
    feeds = re.findall(
        r'<link rel="alternate" type="application/(?:rss|atom)\+xml"[^>]*'
        r'href="([^"]+)"',
        text,
    )
    assert feeds and all(href.startswith(f"http://{ONION}/") for href in feeds), feeds
    assert f'<link rel="canonical" href="http://localhost{blog["path"]}"' in text
    clear_feeds = re.findall(
        r'<link rel="alternate" type="application/(?:rss|atom)\+xml"[^>]*'
        r'href="([^"]+)"',
        page.text,
    )
    assert clear_feeds and all(h.startswith("http://localhost/") for h in clear_feeds)
    # Each listener answers for its own host only.
    assert fetch(clear_port, "/", headers={"Host": ONION}).status == 400
    assert via_tor(onion_port, 7, "/", headers={"Host": "localhost"}).status == 400


def test_two_circuits_have_separate_login_limits(servers, blog):
    _, onion_port = servers
    first, second = tor(onion_port, 0x0001_0001), tor(onion_port, 0x0002_0002)
    assert [failed_login(first) for _ in range(3)] == [200, 200, 200]
    assert failed_login(first) == 429
    assert failed_login(second) == 200  # another Tor user is not locked out


def test_two_circuits_have_separate_comment_limits(servers, blog):
    _, onion_port = servers
    first, second = tor(onion_port, 0x0A0B_0C0D), tor(onion_port, 0x0102_0304)
    assert [comment(first, blog, n) for n in range(2)] == [302, 302]
    assert comment(first, blog, 3) == 429
    assert comment(second, blog, 4) == 302


def test_a_circuit_header_sent_to_the_clearnet_listener_is_ignored(servers, blog):
    clear_port, _ = servers
    # A client that changes its "circuit" on every request still has one address.
    statuses = [
        failed_login(clearnet(clear_port, f"fc00:dead:beef:4dad::{n}:{n}")) for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    assert comment(clearnet(clear_port, "fc00:dead:beef:4dad::9:9"), blog, 1) == 302
    assert comment(clearnet(clear_port, "fc00:dead:beef:4dad::8:8"), blog, 2) == 302
    assert comment(clearnet(clear_port, None), blog, 3) == 429
