"""Rendering imported posts and cleaning their comments in worker processes.

Sanitizing HTML (bleach) is most of what a large import costs, and it needs
nothing but the text and a few settings, so batches of it go to a process pool
while the importer's own process reads the file and writes the database: one
transaction, as before. Each worker runs the same ``render_post`` and
``clean_comment`` (many at a time) as the rest of the app, under a bare Flask app that holds the
settings they read; none of them touches the database.

A small import is rendered in the importer's process (``InlineRenderer``): for a
few posts, starting processes costs more than it saves."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from blogapp.content import render_post
from blogapp.models import Post
from blogapp.sanitize import clean_comments

# The settings render_post and clean_comment read through current_app.
WORKER_SETTINGS = ("SITE_URL", "EXCERPT_LENGTH", "SITE_LANGUAGE")
DEFAULT_MIN_BYTES = 2_000_000  # smaller files are rendered in-process


@dataclass(frozen=True)
class PostSource:
    title: str
    body: str
    content_format: str
    excerpt: str


@dataclass(frozen=True)
class Rendered:
    """The columns ``render_post`` derives from a post's source."""

    body_html: str
    excerpt_html: str
    search_text: str
    first_image_url: str
    has_more: bool

    def apply(self, post: Post) -> None:
        post.body_html = self.body_html
        post.excerpt_html = self.excerpt_html
        post.search_text = self.search_text
        post.first_image_url = self.first_image_url
        post.has_more = self.has_more


def render_batch(posts: Sequence[PostSource], comments: Sequence[str]):
    """The derived columns of ``posts`` and the cleaned HTML of ``comments``."""
    rendered = []
    for source in posts:
        post = Post(
            title=source.title,
            body=source.body,
            content_format=source.content_format,
            excerpt=source.excerpt,
        )
        render_post(post)
        rendered.append(
            Rendered(
                post.body_html,
                str(post.excerpt_html),
                post.search_text,
                post.first_image_url,
                bool(post.has_more),
            )
        )
    return rendered, clean_comments(comments)


class InlineRenderer:
    """Renders in this process; ``submit`` returns a finished future."""

    def submit(self, posts: Sequence[PostSource], comments: Sequence[str]) -> Future:
        future: Future = Future()
        future.set_result(render_batch(posts, comments))
        return future

    def close(self) -> None:
        pass


_worker_app: Flask | None = None


def _start_worker(settings: dict[str, Any]) -> None:
    global _worker_app
    _worker_app = Flask("blogapp.import_worker")
    _worker_app.config.update(settings)
    _worker_app.app_context().push()  # for the life of the worker process


class PoolRenderer:
    """A pool of ``workers`` processes (spawned: the importer's process holds an
    open database connection that a forked child must not share)."""

    def __init__(self, workers: int) -> None:
        settings = {name: current_app.config[name] for name in WORKER_SETTINGS}
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(settings,),
        )

    def submit(self, posts: Sequence[PostSource], comments: Sequence[str]) -> Future:
        return self.executor.submit(render_batch, list(posts), list(comments))

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def renderer_for(size: int) -> InlineRenderer | PoolRenderer:
    """A pool for a file of ``size`` bytes at least WXR_IMPORT_POOL_MIN_BYTES long,
    with WXR_IMPORT_WORKERS processes (default: one per core; 0 renders in-process)."""
    config = current_app.config
    workers = config.get("WXR_IMPORT_WORKERS")
    if workers is None:
        usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        workers = len(usable) if usable else os.cpu_count() or 1
    workers = int(workers)
    if workers < 1 or size < int(config.get("WXR_IMPORT_POOL_MIN_BYTES", DEFAULT_MIN_BYTES)):
        return InlineRenderer()
    return PoolRenderer(workers)
