"""OUTGOING_PROXY: every request the blog makes to another server goes through the
configured CONNECT proxy (tests/connect_proxy.py, which connects from 127.0.0.2),
nothing leaves directly, and the SSRF check still judges the target."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.fediverse import net
from blogapp.fediverse.keys import key_pair
from blogapp.fediverse.publishing import delivery
from blogapp.mail.outbox import enqueue
from blogapp.mail.worker import deliver_once
from blogapp.models import OutboxMessage, OutboxStatus
from tests.connect_proxy import ConnectProxy
from tests.servers import free_port


@pytest.fixture
def app_config():
    return {"FEDIVERSE_ENABLED": True, "FEDIVERSE_ALLOW_LOOPBACK": True}


class Peer:
    """Another server's inbox: records who connected (the client's address) and what."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []  # (client address, method, path)
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                peer.seen.append((self.client_address[0], self.command, self.path))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self._answer(202)

            def do_GET(self) -> None:  # noqa: N802
                self._answer(200)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Peer:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def queue_delivery(inbox: str) -> None:
    key_pair()
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "http://localhost/fediverse/actors/blog#accepts/1",
        "type": "Accept",
        "actor": "http://localhost/fediverse/actors/blog",
        "object": "x",
    }
    enqueue(**delivery(activity, "blog", inbox, "follower:1"))
    db.session.commit()


def test_a_delivery_goes_through_the_outgoing_proxy(app, ctx):
    with Peer() as peer, ConnectProxy() as proxy:
        app.config["OUTGOING_PROXY"] = proxy.url
        queue_delivery(f"{peer.base}/inbox")
        report = deliver_once()
        assert report.sent == 1, report
        # The proxy was asked for the checked address, and the peer saw only the proxy.
        assert proxy.targets == [f"127.0.0.1:{peer.port}"]
        assert peer.seen == [("127.0.0.2", "POST", "/inbox")]
        # A fetch (redirects included) takes the same road.
        assert net.get(f"{peer.base}/users/alice").status == 200
        assert [address for address, _, _ in peer.seen] == ["127.0.0.2", "127.0.0.2"]


def test_without_the_proxy_nothing_leaves_directly(app, ctx):
    closed = free_port()  # nothing listens there: the proxy is down
    with Peer() as peer:
        app.config["OUTGOING_PROXY"] = f"http://127.0.0.1:{closed}"
        queue_delivery(f"{peer.base}/inbox")
        report = deliver_once()
        assert report.sent == 0 and report.retrying == 1
        assert peer.seen == []  # no way around the proxy
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.status == OutboxStatus.QUEUED


def test_the_ssrf_check_still_judges_the_target(app, ctx):
    app.config["FEDIVERSE_ALLOW_LOOPBACK"] = False
    with Peer() as peer, ConnectProxy() as proxy:
        app.config["OUTGOING_PROXY"] = proxy.url
        with pytest.raises(net.RefusedAddress):
            net.request("POST", f"{peer.base}/inbox", {}, b"{}")
        assert proxy.targets == [] and peer.seen == []


def test_a_proxy_that_refuses_the_tunnel_is_an_error(app, ctx):
    with Peer() as peer, ConnectProxy(source="192.0.2.1") as proxy:  # cannot bind: 502
        app.config["OUTGOING_PROXY"] = proxy.url
        with pytest.raises(net.FetchError, match="refused"):
            net.request("GET", f"{peer.base}/users/alice")
        assert peer.seen == []
