"""What each worker keeps in memory between requests, keyed so it is never stale.

Rendered public pages for readers without cookies are stored under their ETag,
which already holds the content version, the full URL and the reader's (empty)
state: any change readers could see makes new keys, so nothing stale is served,
and old entries fall out as the least recently used. Pages that give the reader
a cookie (a form's CSRF token, a flashed message) are never stored; neither are
logged-in readers' pages. Other per-version values (a post's neighbours, a
rendered comment thread) use the same store."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

# A value larger than this share of the store is computed each time instead of
# crowding out the rest (a long feed, say).
LARGEST_SHARE = 8


class KeptValues:
    """A least-recently-used store bounded by the total size of its values, safe
    across a worker's threads."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._entries: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: str, value: Any, size: int = 1) -> None:
        if size > self.max_size // LARGEST_SHARE:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (value, size)
            self._size += size
            while self._size > self.max_size:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._size -= evicted

    def __len__(self) -> int:
        return len(self._entries)


class PageCache(KeptValues):
    """Rendered bodies with their mimetype, bounded by bytes. A post page is kept
    with its post id, as the parts of its body around the holes for the comment
    form's per-reader tokens (``blogapp.posts.post_pages``); other pages are
    complete bodies (post id ``None``)."""

    def get(self, key: str) -> tuple[Any, str, int | None] | None:
        return super().get(key)

    def put(  # type: ignore[override]
        self, key: str, body: Any, mimetype: str, post_id: int | None = None,
        size: int | None = None,
    ) -> None:
        super().put(key, (body, mimetype, post_id), len(body) if size is None else size)


class RenderOnce:
    """One render of a page at a time in a worker: when a new content version makes
    every kept page stale, the worker's threads asking for the same URL wait for
    the first to render and store it, instead of each rendering (and holding in
    memory) a copy of their own."""

    def __init__(self, wait_seconds: float = 10.0) -> None:
        self.wait_seconds = wait_seconds
        self._guard = threading.Lock()
        self._locks: dict[str, list] = {}  # key -> [lock, threads holding or waiting]

    def acquire(self, key: str) -> bool:
        """Wait for this key's render; False (render anyway) after ``wait_seconds``."""
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        if entry[0].acquire(timeout=self.wait_seconds):
            return True
        self._leave(key, entry)
        return False

    def release(self, key: str) -> None:
        with self._guard:
            entry = self._locks[key]
            entry[0].release()
        self._leave(key, entry)

    def _leave(self, key: str, entry: list) -> None:
        with self._guard:
            entry[1] -= 1
            if entry[1] == 0:
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)
