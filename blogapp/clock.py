"""The one wall-clock time of the blog: ``now()``, aware UTC.

It reads the app's ``CLOCK`` setting (``time.time`` unless a test swaps it), so
tests move time with their ``clock`` fixture instead of sleeping; outside an app
it is the machine's time. Durations measured inside one process (timeouts,
benchmarks) use ``time.monotonic`` instead: a clock that jumps is no ruler."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, current_app, has_app_context


def now(*, app: Flask | None = None) -> datetime:
    """Now in UTC, by ``app``'s (or the current app's) ``CLOCK``."""
    if app is None and not has_app_context():
        return datetime.now(UTC)
    return datetime.fromtimestamp((app or current_app).config["CLOCK"](), UTC)
