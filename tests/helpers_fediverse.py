"""A "remote server" on 127.0.0.1 for the fediverse tests: a real HTTP server (a
thread of http.server) with its own actor, alice, and her own RSA key, whose HTTP
Signatures are made and checked by the ``bovine`` package (an independent,
maintained ActivityPub implementation), never by blogapp's code. It keeps every
activity its inboxes received with who bovine says signed it.

Also the blog itself served over real HTTP (werkzeug, threaded) so the remote
server can fetch our actor and key as Mastodon would."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from bovine.crypto import generate_rsa_public_private_key
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.http_signature import build_signature
from bovine.crypto.signature_checker import SignatureChecker
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from werkzeug.serving import make_server

from tests.helpers_mail import free_port

AS = "application/activity+json"
IMPERSONATED = "https://victim.example/users/bob"


def fetch_json(url: str) -> dict:
    request = urllib.request.Request(url, headers={"Accept": AS})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


async def _retrieve_key(key_id: str) -> CryptographicIdentifier | None:
    """bovine's key retriever: the signer's actor, fetched over HTTP."""
    document = await asyncio.to_thread(fetch_json, key_id.split("#", 1)[0])
    key = document.get("publicKey", document)
    if key.get("id") != key_id:
        return None
    return CryptographicIdentifier.from_pem(key["publicKeyPem"], key["owner"])


def bovine_verify(method: str, url: str, headers: dict, body: bytes) -> str | None:
    """The owner of the key that signed this request, as bovine checks it, or None."""
    checker = SignatureChecker(_retrieve_key)

    async def get_body() -> bytes:
        return body

    lower = {k.lower(): v for k, v in headers.items()}
    return asyncio.run(checker.validate_signature(method.lower(), url, lower, get_body))


class Remote:
    """alice's server. ``received`` holds (path, activity, signer) per inbox POST,
    ``processed`` each activity id once, as a receiving server deduplicates;
    ``inbox_delay`` makes an inbox wait before reading a request (so a sender can
    be killed while it waits); ``inbox_status`` is what inboxes answer."""

    def __init__(self) -> None:
        self.public_pem, self.private_pem = generate_rsa_public_private_key()
        self.received: list[tuple[str, dict, str | None]] = []
        self.processed: list[str] = []  # activity ids, each once (a receiver's dedup)
        self.key_fetches: list[str | None] = []  # who signed each GET of alice
        self.inbox_delay = 0.0
        self.inbox_status = 202
        self.waiting = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.actor = f"{self.base}/users/alice"
        self.key_id = f"{self.actor}#main-key"
        # bob: a second account on the same server (same key pair, a key id of his own).
        self.second_actor = f"{self.base}/users/bob"
        self.second_key_id = f"{self.second_actor}#main-key"
        # /users/impostor: a document claiming to be ``impostor_of`` (an account on
        # another server), with this server's key under ``impostor_key_id``.
        self.impostor_of = IMPERSONATED
        self.impostor_key_id = f"{self.base}/users/impostor#main-key"

    def __enter__(self) -> Remote:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def actor_document(self, name: str = "alice") -> dict:
        actor = f"{self.base}/users/{name}"
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Person",
            "preferredUsername": name,
            "name": f"{name.title()} Remote",
            "url": f"{self.base}/@{name}",
            "inbox": f"{actor}/inbox",
            "outbox": f"{actor}/outbox",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {
                "id": f"{actor}#main-key",
                "owner": actor,
                "publicKeyPem": self.public_pem,
            },
        }

    def activities(self, kind: str | None = None) -> list[dict]:
        with self.lock:
            return [a for _, a, _ in self.received if kind is None or a.get("type") == kind]

    def _handler(self):
        remote = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _answer(self, status: int, document: dict | None = None) -> None:
                body = json.dumps(document or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", AS)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                if self.path.startswith("/redirect/"):  # /redirect/N: N hops to alice
                    hops = int(self.path.rsplit("/", 1)[1])
                    return self._redirect(f"/redirect/{hops - 1}" if hops > 1 else "/users/alice")
                if self.path.startswith("/redirect-to?url="):
                    return self._redirect(self.path.split("=", 1)[1])
                if self.path == "/users/impostor":  # claims to be someone elsewhere
                    document = remote.actor_document()
                    document["id"] = document["publicKey"]["owner"] = remote.impostor_of
                    document["publicKey"]["id"] = remote.impostor_key_id
                    return self._answer(200, document)
                if self.path == "/users/bob":
                    return self._answer(200, remote.actor_document("bob"))
                if self.path != "/users/alice":
                    return self._answer(404)
                signer = None
                if "Signature" in self.headers:
                    signer = bovine_verify("get", remote.base + self.path, dict(self.headers), b"")
                remote.key_fetches.append(signer)
                self._answer(200, remote.actor_document())

            def do_POST(self) -> None:  # noqa: N802
                if remote.inbox_delay:
                    remote.waiting.set()
                    time.sleep(remote.inbox_delay)
                    remote.waiting.clear()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) != length or self.path not in ("/inbox", "/users/alice/inbox"):
                    return self._answer(400)
                signer = bovine_verify("post", remote.base + self.path, dict(self.headers), body)
                if signer is None:
                    return self._answer(401)
                activity = json.loads(body)
                with remote.lock:
                    remote.received.append((self.path, activity, signer))
                    if activity.get("id") not in remote.processed:  # as Mastodon dedups
                        remote.processed.append(activity.get("id"))
                self._answer(remote.inbox_status)

        return Handler

    def signed_post(
        self,
        url: str,
        activity: dict | bytes,
        *,
        date: str | None = None,
        body_sent: bytes | None = None,
        key_pem: str | None = None,
        key_id: str | None = None,
    ) -> tuple[int, dict]:
        """POST ``activity`` to ``url``, signed by bovine with alice's key (or
        ``key_pem``); ``body_sent`` replaces the body after signing (a wrong digest)."""
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        parts = urlsplit(url)
        date = date or formatdate(usegmt=True)
        digest = content_digest_sha256(body, prefix="SHA-256")
        secret = CryptographicSecret.from_pem(key_id or self.key_id, key_pem or self.private_pem)
        signature = (
            build_signature(parts.netloc, "post", parts.path)
            .with_field("date", date)
            .with_field("digest", digest)
            .sign_for_http_draft(secret)
        )
        headers = {
            "Host": parts.netloc,
            "Date": date,
            "Digest": digest,
            "Signature": signature,
            "Content-Type": AS,
        }
        return post(url, body_sent if body_sent is not None else body, headers)


def post(url: str, body: bytes, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, _json_or_nothing(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, _json_or_nothing(error.read())


def _json_or_nothing(body: bytes) -> dict:
    try:
        return json.loads(body)
    except ValueError:  # an HTML error page
        return {}


class Trickle:
    """A server on 127.0.0.1 that answers every request, GET or POST, one byte every
    ``interval`` seconds (``length`` bytes of body: by default, for hours): what a
    hostile or broken server does to hold a client that only limits each read.
    ``connections`` counts the requests it is trickling to; ``headers_first`` sends
    the status line and headers at once and trickles the body, else it trickles the
    status line itself."""

    def __init__(
        self, interval: float = 0.2, headers_first: bool = True, length: int = 100_000
    ) -> None:
        self.interval = interval
        self.headers_first = headers_first
        self.length = length
        self.connections = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Trickle:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()  # every trickle ends, closing its connection
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        trickle = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _trickle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                with trickle.lock:
                    trickle.connections += 1
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: {AS}\r\n"
                    f"Content-Length: {trickle.length}\r\n\r\n"
                ).encode()
                try:
                    if trickle.headers_first:
                        self.wfile.write(head)
                        self.wfile.flush()
                        head = b""
                    for byte in head + b" " * trickle.length:
                        if trickle.stopping.wait(trickle.interval):
                            return
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                except OSError:  # the client gave up
                    return

            do_GET = do_POST = _trickle  # noqa: N815 (http.server's names)

        return Handler


class Site:
    """The app served on 127.0.0.1:``port`` (its SITE_URL) by werkzeug, threaded."""

    def __init__(self, app, port: int) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> Site:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def fediverse_site_config() -> dict:
    """Settings for a test whose site answers on a port of its own (``Site``): the
    fediverse on, and peers on this machine allowed."""
    port = free_port()
    return {
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SITE_PORT": port,
        "FEDIVERSE_ENABLED": True,
        "FEDIVERSE_ALLOW_LOOPBACK": True,
    }
