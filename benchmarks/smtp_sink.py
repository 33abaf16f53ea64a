"""The benchmarks' own SMTP server on loopback (aiosmtpd): it counts what arrives
and keeps each Message-ID, so a run can say how fast mail left and whether any went
twice. The mail tests have a fuller one (parsed messages, a slow MAIL FROM) in
``tests/helpers_mail.py``; benchmarks never import tests."""

from __future__ import annotations

import re
import socket
import threading

from aiosmtpd.controller import Controller

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class CountingSink:
    """aiosmtpd's handler and its server: ``with CountingSink() as sink:`` listens on
    ``sink.port``; ``sink.received`` counts accepted messages."""

    def __init__(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.ids: list[str] = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        found = _MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.ids.append(found.group(1).decode() if found else "")
        return "250 Message accepted for delivery"

    @property
    def received(self) -> int:
        return len(self.ids)

    def message_ids(self) -> list[str]:
        with self.lock:
            return list(self.ids)

    def __enter__(self) -> CountingSink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
