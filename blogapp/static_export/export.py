"""``export_site``: render every public page with the app itself (a GET request through
the app's WSGI callable, so each page runs the views, queries and caches the live site
runs), make it a copy
(``rewrite.py``) and write it to a folder, with a manifest of every file's SHA-256.

Same content, same bytes: nothing in a copied page depends on the time it was made
(the comment form and its signed stamp are replaced, and no page carries a nonce or
a token). A file is written only when its bytes changed. An incremental run renders
only the pages whose stamp (``inventory.py``) moved, plus the post pages whose
related posts a changed post may have joined or left; what it leaves alone is what a
full run would have written byte for byte. What the last run saw is kept in the
folder's ``.export-state.json`` (no personal data: hashes, paths, post ids)."""

from __future__ import annotations

import contextvars
import gc
import hashlib
import io
import json
import multiprocessing
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import Flask
from flask.testing import EnvironBuilder
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header
from werkzeug.urls import iri_to_uri

from blogapp.cards.names import CARD_NAME
from blogapp.extensions import costly_limiter, db, limiter
from blogapp.media.storage import upload_folder
from blogapp.media.views import UPLOAD_NAME
from blogapp.mirrors.addresses import mirror_addresses
from blogapp.page_cache import pages_not_kept
from blogapp.post_queries import HELD_LISTING, HeldListing
from blogapp.seo.related import RELATED_LIMIT, keep_neighbours
from blogapp.static_export.inventory import Inventory, Item, digest, load_inventory
from blogapp.static_export.related import Relations
from blogapp.static_export.rewrite import (
    SIDEBAR_PATH,
    CopySite,
    Fragment,
    moved_page,
    placed,
    rewrite_fragment,
    rewrite_page,
    sidebar_page,
    steady_feed,
)

STATE_FILE = ".export-state.json"
MANIFEST_FILE = "MANIFEST.txt"
STATE_FORMAT = 1
NOT_FOUND_PROBE = "/static-export-page-not-found/"
EXPORT_SUMMARY_BYTES = 64 * 1024 * 1024  # 10,000 posts' summaries take about 15 MB
# Where a listing page rendered for the export left a post's summary out
# (blogapp.templating's HELD_SUMMARY, as the rewritten page writes it).
HELD_SUMMARY = re.compile(rb'<article data-held-summary="(\d+)"></article>')


class ExportError(Exception):
    """A page the copy needs did not render (a bug or a broken row): said in one line."""


@dataclass
class ExportReport:
    rendered: int = 0  # pages rendered by the app
    skipped: int = 0  # pages whose stamp had not moved
    written: list[str] = field(default_factory=list)  # files whose bytes changed
    removed: list[str] = field(default_factory=list)  # files no longer in the copy
    refused: list[str] = field(default_factory=list)  # URLs that are no plain path
    files: int = 0
    seconds: float = 0.0


def main_site_addresses(
    app: Flask, extra: list[str] | tuple[str, ...] = (), copy_url: str | None = None
) -> list[str]:
    """Every known address of the live site, where the copy sends readers to comment
    and search: ``SITE_URL`` first, then the ones given (``--main-site``), then the
    site's list of other addresses (``blogapp.mirrors``: the onion, ``MIRRORS`` or
    ``flask mirrors set``), but never the copy's own address. Needs an app context."""
    found: list[str] = []
    own = copy_url.rstrip("/") if copy_url else None
    for address in (app.config["SITE_URL"], *extra, *mirror_addresses()):
        address = address.rstrip("/")
        if address and address != own and address not in found:
            found.append(address)
    return found


def file_of(url: str, kind: str) -> str:
    """The file that answers ``url`` on a static host: a folder's ``index.html`` (or
    ``index.xml`` for a feed, so the host sends it as XML)."""
    path = unquote(urlsplit(url).path).lstrip("/")
    if path.endswith("/") or not path:
        return path + ("index.xml" if kind == "xml" else "index.html")
    return path


def is_plain(relpath: str) -> bool:
    """A path that stays inside the copy: no empty, "." or ".." segment (a login or slug
    from an imported file may hold one, and the site's URLs keep it as it is)."""
    return "\0" not in relpath and all(p not in ("", ".", "..") for p in relpath.split("/"))


class _Writer:
    """Writes files whose bytes changed, remembers every file's hash."""

    def __init__(
        self,
        root: Path,
        old_files: dict[str, str],
        report: ExportReport,
        folders: set[str] | None = None,
    ) -> None:
        self.root, self.old_files, self.report = root, old_files, report
        self.files: dict[str, str] = {}
        # The folders this process made or found, each made once (shared by a
        # renderer's writers).
        self.folders = folders if folders is not None else set()

    def write(self, relpath: str, data: bytes) -> str:
        if not is_plain(relpath):
            raise ExportError(f"refusing to write {relpath!r}: not a plain path in the copy")
        sha = hashlib.sha256(data).hexdigest()
        self.files[relpath] = sha
        target = os.path.join(self.root, relpath)
        if self.old_files.get(relpath) != sha or not os.path.isfile(target):
            folder, name = os.path.split(target)
            if folder not in self.folders:
                os.makedirs(folder, exist_ok=True)
                self.folders.add(folder)
            partial = os.path.join(folder, f".{name}.partial")
            with open(partial, "wb") as file:
                file.write(data)
            os.replace(partial, target)
            self.report.written.append(relpath)
        return sha

    def keep(self, files: dict[str, str]) -> bool:
        """Carry files over from the last run; False when one is missing on disk."""
        if not all((self.root / path).is_file() for path in files):
            return False
        self.files.update(files)
        return True

    def copy(self, source: Path, relpath: str, known: tuple | None) -> tuple:
        """A static file or upload; its hash is read again only when it changed."""
        stat = source.stat()
        if (
            known is not None
            and known[:2] == [stat.st_size, stat.st_mtime_ns]
            and (self.root / relpath).is_file()
        ):
            self.files[relpath] = known[2]
            return tuple(known)
        sha = self.write(relpath, source.read_bytes())
        return (stat.st_size, stat.st_mtime_ns, sha)


def _load_state(root: Path) -> dict:
    try:
        state = json.loads((root / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return state if state.get("format") == STATE_FORMAT else {}


def _membership(inventory: Inventory) -> dict[str, str]:
    """post id -> what places it in listings and related lists (its date and terms)."""
    return {
        str(p.id): digest(p.published_at, sorted(inventory.terms[p.id])) for p in inventory.posts
    }


def _related_may_change(item: Item, old: dict, moved: set[int], inventory: Inventory) -> bool:
    """Whether a post page's related posts may differ from the ones it showed: one of
    them moved, or a moved post shares enough terms with it to enter the list."""
    related = old.get("related", [])
    if any(r in moved for r in related):
        return True
    mine = inventory.terms[item.post_id]
    sharing = [m for m in moved if m in inventory.terms and inventory.terms[m] & mine]
    if not sharing:
        return False
    if len(related) < RELATED_LIMIT or related[-1] not in inventory.terms:
        return True
    lowest = len(mine & inventory.terms[related[-1]])
    return any(len(mine & inventory.terms[m]) >= lowest for m in sharing)


def export_site(
    app: Flask,
    root: Path,
    *,
    base_url: str | None = None,
    main_sites: list[str] | tuple[str, ...] = (),
    full: bool = False,
    jobs: int | None = None,
) -> ExportReport:
    """Write the copy of the public site into ``root``; ``full`` renders every page.
    ``jobs`` processes render the pages (default: one per CPU this process may use)."""
    # The per-address limits on deep pages are for readers' scripts; the export asks for
    # every deep page of every listing at once, from no address at all.
    enabled = limiter.enabled, costly_limiter.enabled
    limiter.enabled = costly_limiter.enabled = False
    # Every post's summary kept: each shows on several listings (front page, category,
    # tag, author, date archives), rendered once instead of once for each.
    summaries = app.config["SUMMARY_CACHE_BYTES"]
    app.config["SUMMARY_CACHE_BYTES"] = max(summaries, EXPORT_SUMMARY_BYTES)
    try:
        with pages_not_kept(app):
            return _export(app, root, base_url, main_sites, full, jobs or usable_cpus())
    finally:
        limiter.enabled, costly_limiter.enabled = enabled
        app.config["SUMMARY_CACHE_BYTES"] = summaries


def _export(
    app: Flask,
    root: Path,
    base_url: str | None,
    main_sites: list[str] | tuple[str, ...],
    full: bool,
    jobs: int,
) -> ExportReport:
    started = time.perf_counter()
    root.mkdir(parents=True, exist_ok=True)
    report = ExportReport()
    old = _load_state(root)
    # --full renders every page, but still writes only the files that changed.
    old_items: dict[str, dict] = {} if full else old.get("items", {})
    old_files: dict[str, str] = old.get("files", {})
    writer = _Writer(root, old_files, report)
    site_url = app.config["SITE_URL"]
    base_url = base_url.rstrip("/") if base_url else None
    # The inventory makes some hundred thousand objects, most of them kept through the
    # export: the collector would walk them again and again as they are made, while the
    # command runs alone (no renderer has started). Any cycle waits for the next pass.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with app.test_request_context("/", base_url=site_url):
            addresses = main_site_addresses(app, main_sites, base_url)
            inventory = load_inventory(extra_stamp=(base_url, addresses))
            relations = Relations(inventory)
    finally:
        if collecting:
            gc.enable()
    plain = [item for item in inventory.items if is_plain(file_of(item.url, item.kind))]
    if len(plain) < len(inventory.items):
        kept_urls = {item.url for item in plain}
        report.refused = [item.url for item in inventory.items if item.url not in kept_urls]
    inventory.items = plain

    site = CopySite(
        origin_hosts=frozenset({urlsplit(site_url).netloc.lower()}),
        main_sites=addresses,
        base_url=base_url,
    )
    for item in inventory.items:
        if item.kind != "redirect":
            site.targets[urlsplit(item.url).path] = (
                "/" + file_of(item.url, item.kind)
                if item.kind == "xml"
                else urlsplit(item.url).path
            )
    site.targets[SIDEBAR_PATH] = SIDEBAR_PATH
    site.targets["/favicon.ico"] = "/favicon.ico"

    assets: dict[str, tuple] = {}
    old_assets = old.get("assets", {})
    static_root = Path(app.static_folder or "")
    sources = [
        (p, "static/" + p.relative_to(static_root).as_posix())
        for p in sorted(static_root.rglob("*"))
        if p.is_file()
    ]
    if (static_root / "favicon.ico").is_file():
        sources.append((static_root / "favicon.ico", "favicon.ico"))
    uploads = upload_folder()
    if uploads.is_dir():
        sources += [
            (p, "uploads/" + p.name)
            for p in sorted(uploads.iterdir())
            if p.is_file() and UPLOAD_NAME.match(p.name)
        ]
        cards = uploads / "cards"
        if cards.is_dir():  # the share cards pages name in og:image
            sources += [
                (p, "uploads/cards/" + p.name)
                for p in sorted(cards.iterdir())
                if p.is_file() and CARD_NAME.match(p.name)
            ]
    for source, relpath in sources:
        site.targets["/" + relpath] = "/" + relpath
        assets[relpath] = writer.copy(source, relpath, old_assets.get(relpath))

    membership = _membership(inventory)
    old_membership = old.get("membership", {})
    moved = {int(i) for i in set(membership) ^ set(old_membership)} | {
        int(i)
        for i in membership.keys() & old_membership.keys()
        if membership[i] != old_membership[i]
    }
    kept: dict[str, dict] = {}
    todo: list[Item] = []
    for item in inventory.items:
        before = old_items.get(item.url)
        unchanged = (
            not item.always
            and before is not None
            and before["stamp"] == item.stamp
            and not (
                item.post_id is not None and _related_may_change(item, before, moved, inventory)
            )
        )
        if unchanged and writer.keep(before["files"]):
            kept[item.url] = before
            report.skipped += 1
        else:
            todo.append(item)

    # Post summaries as listing pages show them, kept from the last run while their post,
    # its comment count, the site and each page their links name are the same.
    stamps = inventory.summary_stamps
    summaries: dict[int, tuple[str, Fragment]] = {}
    for key, (stamp, html, asked) in ({} if full else old.get("summaries", {})).items():
        fragment = Fragment(html, asked)
        if stamps.get(int(key)) == stamp and fragment.still_right(site):
            summaries[int(key)] = (stamp, fragment)

    renderer = _Renderer(app, site, inventory, relations, root, old_files, old_items)
    renderer.fragments = {post_id: fragment for post_id, (_, fragment) in summaries.items()}
    # The sidebar first: rendering it fills this process's per-version parts (sidebar,
    # counts), which the forked renderers then share instead of each building them.
    sidebar, rendered = renderer.sidebar()
    writer.write(SIDEBAR_PATH.lstrip("/"), sidebar)
    report.rendered += rendered
    done: dict[str, dict] = {}
    # What is made so far (the inventory, the app's parts) lives through the export:
    # the collector stops walking it after each few thousand new objects (and the
    # forked renderers stop touching its pages of memory to do so).
    gc.freeze()
    try:
        for chunk in _render_all(renderer, todo, jobs):
            done.update(chunk.entries)
            writer.files.update(chunk.files)
            report.written += chunk.written
            report.rendered += chunk.rendered
            for post_id, fragment in chunk.fragments.items():
                summaries[post_id] = (stamps[post_id], fragment)
    finally:
        gc.unfreeze()
    # The manifest and the state name every page in the inventory's order, whatever
    # order the renderers finished in.
    items = {
        item.url: done[item.url] if item.url in done else kept[item.url] for item in inventory.items
    }

    not_found, _ = rewrite_page(renderer.render(NOT_FOUND_PROBE, 404), site, None)
    writer.write("404.html", not_found)
    report.rendered += 1
    report.written.sort()

    for relpath in sorted(set(old_files) - set(writer.files)):
        (root / relpath).unlink(missing_ok=True)
        report.removed.append(relpath)
        _remove_empty_folders(root, (root / relpath).parent)
    lines = [f"{sha}  {path}\n" for path, sha in sorted(writer.files.items())]
    (root / MANIFEST_FILE).write_text("".join(lines), "utf-8")
    state = {
        "format": STATE_FORMAT,
        "items": items,
        "assets": assets,
        "membership": membership,
        "files": writer.files,
        "summaries": {
            str(post_id): [stamp, fragment.html, fragment.asked]
            for post_id, (stamp, fragment) in sorted(summaries.items())
        },
    }
    (root / STATE_FILE).write_text(json.dumps(state, sort_keys=True, default=list), "utf-8")
    report.files = len(writer.files)
    report.seconds = time.perf_counter() - started
    return report


def usable_cpus() -> int:
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    return len(usable) if usable else os.cpu_count() or 1


@dataclass
class _Chunk:
    """What one renderer did with its share of the pages."""

    entries: dict[str, dict]  # page URL -> its entry in the state
    files: dict[str, str]  # file -> hash
    written: list[str]
    rendered: int
    fragments: dict[int, Fragment]  # post id -> its summary, rewritten by this renderer


class _Renderer:
    """Renders pages with the app and writes them into the copy; one per export, shared
    by the forked processes (each renders the items it is given)."""

    def __init__(
        self,
        app: Flask,
        site: CopySite,
        inventory: Inventory,
        relations: Relations,
        root: Path,
        old_files: dict[str, str],
        old_items: dict[str, dict],
    ) -> None:
        self.app, self.site, self.inventory, self.relations = app, site, inventory, relations
        self.root, self.old_files, self.old_items = root, old_files, old_items
        self.site_url = app.config["SITE_URL"]
        # Every page is asked for as the test client would ask (one environ built by its
        # EnvironBuilder, with the client's REMOTE_ADDR and User-Agent), but handed to the
        # app's WSGI callable directly: no cookie ever goes back (an anonymous reader's
        # page), and no response object is built around what the app answers.
        client = app.test_client(use_cookies=False)
        self.wsgi = client.application  # the app itself, when ``app`` is current_app
        base = dict(client.environ_base)
        base.pop("werkzeug.debug.preserve_context", None)
        builder = EnvironBuilder(app, "/", base_url=self.site_url, environ_base=base)
        try:
            self.base_environ = builder.get_environ()
        finally:
            builder.close()
        self.rendered = 0
        self.fragments: dict[int, Fragment] = {}  # post id -> its summary for listings
        self.made: dict[int, Fragment] = {}  # the ones this process rewrote
        self.loose: set[int] = set()  # posts whose summary cannot be kept apart
        self.folders: set[str] = set()  # the copy's folders this process made or found

    def environ(self, url: str) -> dict:
        """The WSGI environ of a GET of ``url`` (a path, perhaps with a query), as
        Werkzeug's EnvironBuilder makes it."""
        environ = self.base_environ.copy()
        parts = urlsplit(url)
        raw = url.encode().decode("latin1")
        environ.update(
            PATH_INFO=unquote(iri_to_uri(parts.path)).encode().decode("latin1"),
            QUERY_STRING=parts.query.encode().decode("latin1"),
            REQUEST_URI=raw,
            RAW_URI=raw,
        )
        environ["wsgi.input"] = io.BytesIO()
        return environ

    def render(self, url: str, expect: int = 200, held: HeldListing | None = None) -> str:
        environ = self.environ(url)
        if held is not None:
            environ[HELD_LISTING] = held
        answer: list = []
        written: list[bytes] = []

        def start_response(status: str, headers: list, exc_info: tuple | None = None) -> Callable:
            if exc_info:
                raise exc_info[1].with_traceback(exc_info[2])
            answer[:] = status, headers
            return written.append

        def ask() -> bytes:
            returned = self.wsgi(environ, start_response)
            try:
                return b"".join([*written, *returned])
            finally:
                if hasattr(returned, "close"):
                    returned.close()

        # Each request in a context of its own, as a worker serves it: a fresh session
        # and ``g``, never the command's.
        body = contextvars.Context().run(ask)
        status, headers = int(answer[0].split(None, 1)[0]), answer[1]
        if status != expect:
            raise ExportError(f"{url} answered {status}, not {expect}")
        cache = next((v for k, v in headers if k.lower() == "cache-control"), None)
        control = parse_cache_control_header(cache, None, ResponseCacheControl)
        if control.private or control.no_store:
            raise ExportError(f"{url} answered a personal page: it must not be copied")
        self.rendered += 1
        return body.decode("utf-8")

    def sidebar(self) -> tuple[bytes, int]:
        """Every page shows the sidebar from this one file (see rewrite.py)."""
        before = self.rendered
        page = sidebar_page(self.render("/"), self.site)
        return page, self.rendered - before

    def run(self, items: list[Item]) -> _Chunk:
        report = ExportReport()
        writer = _Writer(self.root, self.old_files, report, self.folders)
        before = self.rendered
        entries = {}
        self.made = {}
        # One GET's request context for the share, for ``keep_neighbours``: the content
        # version it reads is kept on ``g`` (the app context's) from the first post on,
        # and read in a GET's read transaction. Each page is still asked for in a
        # context of its own (``render``).
        with self.app.app_context(), self.app.test_request_context("/", base_url=self.site_url):
            for item in items:
                if item.post_id is not None:
                    self._keep_neighbours(item)
                entries[item.url] = self._item(item, writer)
        return _Chunk(entries, writer.files, report.written, self.rendered - before, self.made)

    def _listing(self, item: Item, here: str) -> tuple[bytes, dict] | None:
        """A listing page and what the state keeps of it: its shell (the page without
        its posts' summaries) rendered by the app, rewritten, and each post's summary
        put in, rewritten once for every listing. When only the posts it shows moved
        (the usual change: a new post shifts every page of its listings by one), the
        shell is the one this page had last time, taken from its file, and the app
        renders nothing. None when one of its summaries cannot be kept apart (then
        the page is rendered whole)."""
        assert item.listing is not None
        number, ids, has_next = item.listing
        if self.loose.intersection(ids):
            return None
        # Everything the shell shows: the site, the page's address (its listing and
        # number), whether an older page follows, and how many posts it shows.
        shell = digest(self.inventory.site, item.url, has_next, len(ids))
        before = self.old_items.get(item.url)
        known = self.fragments.keys() >= set(ids)
        if before is not None and before.get("shell") == shell and known:
            if (again := self._reshelved(file_of(item.url, "html"), ids, before, here)) is not None:
                self.rendered += 1
                return again, {"shell": shell, "cut": before["cut"]}
        held = HeldListing(number, ids, has_next, frozenset(self.fragments.keys() & set(ids)))
        html = self.render(item.url, held=held)
        for post_id, summary in held.rendered.items():
            fragment = rewrite_fragment(summary, self.site)
            if fragment is None:
                self.loose.add(post_id)
                self.rendered -= 1  # rendered again whole, counted then
                return None
            self.fragments[post_id] = self.made[post_id] = fragment
        page, _ = rewrite_page(html, self.site, here, post_path=here)
        # [text, id, text, id, …, text]: the texts around and between the summaries.
        parts = HELD_SUMMARY.split(page)
        shown = tuple(int(i) for i in parts[1::2])
        if shown != ids:
            raise ExportError(f"{item.url} showed posts {list(shown)}, not {list(ids)}")
        texts = parts[0::2]
        head, tail = texts[0], texts[-1]
        between = [t.decode("utf-8") for t in texts[1:-1]]
        summaries = self._summaries(ids, between, here)
        cut = [len(head), len(head) + len(summaries), between] if ids else None
        return head + summaries + tail, {"shell": shell, "cut": cut}

    def _summaries(self, ids: tuple[int, ...], between: list[str], here: str) -> bytes:
        joined = [placed(self.fragments[ids[0]].html, here)] if ids else []
        for text, post_id in zip(between, ids[1:], strict=True):
            joined += [text, placed(self.fragments[post_id].html, here)]
        return "".join(joined).encode("utf-8")

    def _reshelved(
        self, relpath: str, ids: tuple[int, ...], before: dict, here: str
    ) -> bytes | None:
        """The page's file from the last run with the summaries it shows now: its shell
        is the same (the caller checked its stamp). None when the file is not the one
        the last run wrote."""
        cut = before.get("cut")
        if cut is None or relpath not in before["files"]:
            return None
        start, end, between = cut
        if len(between) != len(ids) - 1:
            return None
        try:
            data = (self.root / relpath).read_bytes()
        except OSError:
            return None
        if hashlib.sha256(data).hexdigest() != before["files"][relpath]:
            return None
        return data[:start] + self._summaries(ids, between, here) + data[end:]

    def _keep_neighbours(self, item: Item) -> None:
        # Kept under the content version, which may take a query: made as the page's
        # own GET makes it (a read transaction, never SQLite's write lock, which would
        # stop the other renderers), and ended at once.
        assert item.post_id is not None
        keep_neighbours(item.post_id, self.relations.neighbours(item.post_id))
        db.session.remove()

    def _item(self, item: Item, writer: _Writer) -> dict:
        site, render = self.site, self.render
        entry: dict = {"stamp": item.stamp, "files": {}}
        here = urlsplit(item.url).path
        if item.kind == "redirect":
            target = site.resolve(item.moved_to or "/", here)
            if target is not None:
                relpath = file_of(item.url, "html")
                entry["files"][relpath] = writer.write(relpath, moved_page(target))
            return entry
        if item.kind != "html":
            folder = here if here.endswith("/") else here.rsplit("/", 1)[0] + "/"
            data = site.rewrite_text(render(item.url), None if site.base_url else folder)
            if item.kind == "xml":
                data = steady_feed(data)
            relpath = file_of(item.url, item.kind)
            entry["files"][relpath] = writer.write(relpath, data.encode("utf-8"))
            return entry
        relpath = file_of(item.url, "html")
        if item.listing is not None and (listed := self._listing(item, here)) is not None:
            page, kept = listed
            entry["files"][relpath] = writer.write(relpath, page)
            entry.update(kept)
            return entry
        html, facts = rewrite_page(render(item.url), site, here, post_path=here)
        entry["files"][relpath] = writer.write(relpath, html)
        if item.post_id is not None:
            paths = self.inventory.post_paths
            entry["related"] = [paths[p] for p in facts.related if p in paths]
            done, waiting = {1}, set(facts.comment_pages)
            while waiting - done:
                number = min(waiting - done)
                done.add(number)
                folder = f"{here}comment-page-{number}/"
                html, more = rewrite_page(
                    render(f"{item.url}?cpage={number}"), site, folder, post_path=here
                )
                waiting |= set(more.comment_pages)
                relpath = file_of(folder, "html")
                entry["files"][relpath] = writer.write(relpath, html)
        return entry


# The renderer the forked processes use: set just before they fork, so each starts
# with it (and the app, its caches and the inventory) already in memory.
_FORKED: _Renderer | None = None
# Shares shrink as the work left does: large ones first (each costs a little to hand
# out and to send back), small ones at the end, so the processes finish together
# instead of one idling while another renders a large last share.
SHARES_PER_JOB = 4  # a share is this part of what is left for each process
SMALLEST_SHARE = 16  # pages: a fraction of a second
NEW_SUMMARIES_FOR_PHASES = 500  # each about half a millisecond, made twice otherwise


def _forked() -> None:
    """In each new process: open its own database connections. The ones it was born
    with are the command's, and two processes must never talk over one."""
    assert _FORKED is not None
    with _FORKED.app.app_context():
        db.engine.dispose(close=False)


def _run_forked(items: list[Item]) -> _Chunk:
    assert _FORKED is not None
    return _FORKED.run(items)


def _render_all(renderer: _Renderer, todo: list[Item], jobs: int) -> Iterator[_Chunk]:
    """Render ``todo`` in ``jobs`` processes forked from this one (in this one when one
    job, or when there is no fork)."""
    jobs = min(jobs, len(todo))
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield renderer.run(todo)
        return
    # One post page here first: its templates compiled and the thread's parts warmed
    # once, for every process to start with, instead of in each.
    first = next((i for i, item in enumerate(todo) if item.post_id is not None), None)
    if first is not None:
        yield renderer.run([todo[first]])
        todo = todo[:first] + todo[first + 1 :]
    # The first listing's pages (the front page's: every post once) first, in processes
    # of their own: each post's summary is then rendered and rewritten once, and the
    # processes forked for the rest start with every summary, instead of each process
    # rendering most of them again for its own listing pages.
    first_listing = _first_listing(todo)
    phases = [first_listing, todo[len(first_listing) :]]
    shown = {post_id for item in first_listing if item.listing for post_id in item.listing[1]}
    if len(shown - renderer.fragments.keys()) < NEW_SUMMARIES_FOR_PHASES:
        # Few summaries to make (a small site, or an incremental run that kept them):
        # not worth a second set of processes, which start their caches afresh.
        phases = [todo]
    global _FORKED
    _FORKED = renderer
    try:
        for phase in phases:
            gc.freeze()  # what the last phase sent back, too (see _export)
            with multiprocessing.get_context("fork").Pool(jobs, _forked) as pool:
                for chunk in pool.imap_unordered(_run_forked, _shares(phase, jobs)):
                    renderer.fragments.update(chunk.fragments)
                    yield chunk
    finally:
        _FORKED = None


def _first_listing(todo: list[Item]) -> list[Item]:
    """The pages of the listing ``todo`` starts with, from its first page on."""
    found: list[Item] = []
    for item in todo:
        if item.listing is None or item.listing[0] != len(found) + 1:
            break
        found.append(item)
    return found


def _shares(todo: list[Item], jobs: int) -> list[list[Item]]:
    """``todo`` cut for ``jobs`` processes, the site-wide pages (sitemaps, site feeds:
    few, and the costliest) first."""
    todo = [item for item in todo if item.always] + [item for item in todo if not item.always]
    shares: list[list[Item]] = []
    start = 0
    while start < len(todo):
        size = max(SMALLEST_SHARE, (len(todo) - start) // (jobs * SHARES_PER_JOB))
        shares.append(todo[start : start + size])
        start += size
    return shares


def _remove_empty_folders(root: Path, folder: Path) -> None:
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
