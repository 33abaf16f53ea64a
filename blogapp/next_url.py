"""Where a ``next`` parameter may send someone: only a path on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, fallback: str) -> str:
    """``target`` when it is a path on this site; otherwise ``fallback``.

    Browsers read ``\\`` as ``/`` and drop tabs and newlines, so ``/\\evil.com`` or
    ``/\\t/evil.com`` would leave the site: any backslash or control character is refused."""
    if not target or len(target) > 2000:
        return fallback
    if "\\" in target or any(ord(c) <= 32 or ord(c) == 127 for c in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
