"""A local Bot API server (a real HTTP server on 127.0.0.1) answering as Telegram
documents it (https://core.telegram.org/bots/api#making-requests): ``{"ok": true,
"result": …}``, or ``{"ok": false, "error_code": …, "description": …,
"parameters": {"retry_after": …}}``."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "123456:test-token"
CHANNEL = "@opeds"


@dataclass
class Call:
    method: str
    fields: dict[str, str]
    photo: bytes = b""
    token: str = ""


@dataclass
class BotAPI:
    """``calls`` holds each request as received; ``answers`` a list of (status,
    body) given to the next requests instead of success; ``delay`` makes it wait
    before answering (``waiting`` is set meanwhile), so a worker can be killed then."""

    calls: list[Call] = field(default_factory=list)
    answers: list[tuple[int, dict]] = field(default_factory=list)
    delay: float = 0.0
    waiting: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_message_id: int = 100

    def __enter__(self) -> BotAPI:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def methods(self) -> list[str]:
        with self.lock:
            return [call.method for call in self.calls]

    def refuse_next(self, status: int, description: str, retry_after: int | None = None) -> None:
        body: dict = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.answers.append((status, body))

    def _result(self, call: Call) -> object:
        if call.method == "deleteMessage":
            return True
        message_id = int(call.fields.get("message_id") or 0)
        if not message_id:
            self.next_message_id += 1
            message_id = self.next_message_id
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {
                "id": -1001234567890,
                "type": "channel",
                "title": "Op-eds",
                "username": call.fields.get("chat_id", "").lstrip("@"),
            },
        }
        if call.method in ("sendPhoto", "editMessageCaption"):
            message["photo"] = [
                {"file_id": "AgAD", "file_unique_id": "AQAD", "width": 1200, "height": 630}
            ]
            message["caption"] = call.fields.get("caption", "")
        else:
            message["text"] = call.fields.get("text", "")
        return message

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token, _, method = self.path.removeprefix("/bot").partition("/")
                call = Call(method, {}, token=token)
                kind = self.headers.get("Content-Type", "")
                if kind.startswith("multipart/form-data"):
                    parsed = BytesParser(policy=HTTP).parsebytes(
                        f"Content-Type: {kind}\r\n\r\n".encode() + body
                    )
                    for part in parsed.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        if name == "photo":
                            call.photo = part.get_payload(decode=True)
                        else:
                            call.fields[name] = part.get_payload(decode=True).decode()
                else:
                    call.fields = {k: str(v) for k, v in json.loads(body or b"{}").items()}
                if api.delay:
                    api.waiting.set()
                    time.sleep(api.delay)
                with api.lock:
                    api.calls.append(call)
                    if token != TOKEN:
                        status, answer = (
                            401,
                            {"ok": False, "error_code": 401, "description": "Unauthorized"},
                        )
                    elif api.answers:
                        status, answer = api.answers.pop(0)
                    else:
                        status, answer = 200, {"ok": True, "result": api._result(call)}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
