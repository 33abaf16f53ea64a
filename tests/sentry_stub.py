"""A tiny Sentry-compatible server on loopback for the error-report tests: it accepts
the SDK's envelope POSTs (``/api/<project>/envelope/``), as Sentry's documentation
describes the protocol, and keeps each one parsed, with its raw (decompressed) bytes.
Also a plain HTTP proxy: a request whose target is a whole URL is kept, not forwarded.

Envelope: a header line of JSON, then items, each a header line of JSON (``type``, and
``length`` in bytes when the payload may hold newlines) and its payload, then a
newline."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Envelope:
    path: str  # as the request line gave it: a path, or a whole URL through a proxy
    headers: dict[str, str]
    raw: bytes
    header: dict
    items: list[tuple[dict, bytes]] = field(default_factory=list)

    def events(self) -> list[dict]:
        return [json.loads(payload) for header, payload in self.items if header["type"] == "event"]


def parse_envelope(raw: bytes) -> tuple[dict, list[tuple[dict, bytes]]]:
    first, _, rest = raw.partition(b"\n")
    items = []
    while rest.strip():
        line, _, rest = rest.partition(b"\n")
        item_header = json.loads(line)
        if "length" in item_header:
            length = item_header["length"]
            payload, rest = rest[:length], rest[length:]
            assert len(payload) == length, "envelope item shorter than its length"
            rest = rest.removeprefix(b"\n")
        else:
            payload, _, rest = rest.partition(b"\n")
        items.append((item_header, payload))
    return json.loads(first), items


def decompress(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli  # the SDK compresses with brotli only when it is installed

        return brotli.decompress(body)
    assert encoding in ("", "identity"), encoding
    return body


class SentryStub:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                raw = decompress(body, self.headers.get("Content-Encoding", ""))
                header, items = parse_envelope(raw)
                stub.envelopes.append(Envelope(self.path, dict(self.headers), raw, header, items))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def dsn(self, project: int = 42, host: str | None = None) -> str:
        return f"http://public-key@{host or f'127.0.0.1:{self.port}'}/{project}"

    def __enter__(self) -> SentryStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
