"""Fingerprinted static URLs: ``/static/css/site.css?v=<hash>``.

A URL that carries the file's hash can be cached for a year as immutable: when
the file changes, so does its URL."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, request, url_for

YEAR = 365 * 24 * 3600


def register_assets(app: Flask) -> None:
    hashes: dict[str, str] = {}
    static_root = Path(app.static_folder or "")

    def fingerprint(filename: str) -> str:
        digest = hashes.get(filename)
        if digest is None:
            path = (static_root / filename).resolve()
            if not path.is_relative_to(static_root.resolve()) or not path.is_file():
                raise FileNotFoundError(filename)
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
            if not app.debug:
                hashes[filename] = digest
        return digest

    @app.template_global()
    def static_url(filename: str) -> str:
        return url_for("static", filename=filename, v=fingerprint(filename))

    @app.after_request
    def cache_fingerprinted(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            if request.args.get("v"):
                response.cache_control.public = True
                response.cache_control.max_age = YEAR
                response.cache_control.immutable = True
        return response
