"""The framework's ceiling on this machine: a bare Flask app that answers with
pages already in memory (the very bytes the blog served for each benchmarked
page), and a bare "hello" page. Served by gunicorn with the blog's own
``gunicorn.conf.py``, so the ratio blog / ceiling measures what the blog adds.

``gunicorn -c gunicorn.conf.py benchmarks.ceiling:app`` with
``BENCH_CEILING_PAGES`` naming a folder of ``<name>.html`` files."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response, abort


def create_ceiling_app(pages_dir: str | None) -> Flask:
    app = Flask(__name__)
    pages = {}
    if pages_dir:
        pages = {path.stem: path.read_bytes() for path in Path(pages_dir).glob("*.html")}

    @app.get("/hello")
    def hello() -> str:
        return "Hello, World!"

    @app.get("/page/<name>")
    def page(name: str) -> Response:
        body = pages.get(name)
        if body is None:
            abort(404)
        return Response(body, mimetype="text/html")

    return app


app = create_ceiling_app(os.environ.get("BENCH_CEILING_PAGES"))
