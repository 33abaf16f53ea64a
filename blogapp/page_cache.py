"""Rendered public pages for readers without cookies, kept in each worker.

A page is stored under its ETag, which already holds the content version, the
full URL and the reader's (empty) state: any change readers could see makes new
keys, so nothing stale is served, and old entries fall out as the least recently
used. Pages that give the reader a cookie (a form's CSRF token, a flashed
message) are never stored; neither are logged-in readers' pages."""

from __future__ import annotations

import threading
from collections import OrderedDict

# Larger pages (a long feed) are rendered each time rather than crowd out the rest.
LARGEST_SHARE = 8


class PageCache:
    """A byte-bounded LRU of (body, mimetype), safe across a worker's threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, tuple[bytes, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, body: bytes, mimetype: str) -> None:
        size = len(body)
        if size > self.max_bytes // LARGEST_SHARE:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old[0])
            self._entries[key] = (body, mimetype)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (evicted, _) = self._entries.popitem(last=False)
                self._bytes -= len(evicted)

    def __len__(self) -> int:
        return len(self._entries)
