"""Importing a WordPress export into this blog, in one transaction.

Records come from ``wxr_reader`` one at a time; items are gathered in batches and
written with a few statements per batch (no query per row); their HTML is rendered
and sanitized in worker processes (``render_pool``) while the batch before is
written, all in the one transaction. Everything already
imported (matched by WordPress id or GUID) is skipped and counted, so running the
same file twice adds nothing; any error rolls the whole import back and removes the
image files it stored."""

from __future__ import annotations

import getpass
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import regex
from flask import current_app
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from blogapp import audit
from blogapp.content import html_to_text, render_page, render_post, slugify
from blogapp.dates import local_to_utc, to_local
from blogapp.extensions import db
from blogapp.models import (
    COMMENT_MODES,
    COMMENTS_CLOSED,
    COMMENTS_OPEN,
    FORMAT_HTML,
    FORMAT_MARKDOWN,
    Category,
    Comment,
    CommentStatus,
    Media,
    Page,
    Post,
    PostStatus,
    Redirect,
    Tag,
    User,
    post_categories,
    post_tags,
    utcnow,
)
from blogapp.revisions.services import store_imported as store_imported_revisions
from blogapp.sanitize import safe_website, strip_invisible
from blogapp.translations.wxr import item_group, item_language, link_imported
from blogapp.wordpress.convert import wordpress_to_html
from blogapp.wordpress.render_pool import PostSource, renderer_for
from blogapp.wordpress.wxr_reader import (
    CountingReader,
    WxrAuthor,
    WxrComment,
    WxrError,
    WxrItem,
    WxrSite,
    WxrTerm,
    read_wxr,
)

BATCH_ITEMS = 200  # items written per round of INSERTs
IN_CHUNK = 500  # values per SQL IN (...) list
MAX_WARNINGS_SHOWN = 20

POST_STATUS = {
    "publish": PostStatus.PUBLISHED, "future": PostStatus.PUBLISHED, "draft": PostStatus.DRAFT,
    "pending": PostStatus.PENDING, "private": PostStatus.PRIVATE,
}  # fmt: skip
COMMENT_STATUS = {
    "1": CommentStatus.APPROVED, "approve": CommentStatus.APPROVED, "0": CommentStatus.PENDING,
    "hold": CommentStatus.PENDING, "spam": CommentStatus.SPAM, "trash": CommentStatus.TRASH,
    "post-trashed": CommentStatus.TRASH,
}  # fmt: skip
# Our own exports carry what WordPress has no field for in these post meta keys.
META_FORMAT = "_blogapp_content_format"
META_MARKDOWN = "_blogapp_markdown"
META_LANGUAGE = "_blogapp_language"
META_SOURCE_LINE = "_blogapp_source_line"
META_COMMENT_MODE = "_blogapp_comment_mode"
META_CREDIT = "_blogapp_credit"

_SLUG_OK = regex.compile(r"^[\p{L}\p{M}\p{N}_-]+$")
_KHMER = regex.compile(r"[\u1780-\u17ff]")
_LATIN = regex.compile(r"[A-Za-z]")
_TAG = re.compile(r"<[^>]*>")
_URL_ATTR = re.compile(r"""(\s(?:src|href)\s*=\s*)(["'])([^"']+)\2""", re.I)
_UPLOADS_PATH = re.compile(r"/(?:wp-content/)?uploads/(.+)$")
_SIZE_SUFFIX = re.compile(r"-\d+x\d+(\.\w+)$")
_WP_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})")
_IMG_SRC = re.compile(r"""<img\s[^>]*?\bsrc=["']([^"']+)["']""", re.I)
IMAGE_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif",
               "webp": "image/webp"}  # fmt: skip


@dataclass
class ImportReport:
    version: str = ""
    added: Counter[str] = field(default_factory=Counter)
    posts: Counter[str] = field(default_factory=Counter)  # by status as readers see it
    comments: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    old_host: str = ""  # the old site, as its base URLs name it
    old_images: int = 0  # <img> in imported posts and pages that still load from there
    old_image_rows: int = 0  # posts and pages holding them
    remote_media: int = 0  # attachments recorded with their old address
    relinked: int = 0  # posts and pages imported before whose images are now local

    def warn(self, message: str, line: int | None = None) -> None:
        self.warning_count += 1
        if len(self.warnings) < 1000:
            self.warnings.append(f"line {line}: {message}" if line else message)

    def _image_lines(self) -> list[str]:
        """What of the old site's images is still there, and how to bring it in."""
        lines = []
        if self.relinked:
            many = self.relinked > 1
            lines.append(f"  relinked:   {_count(self.relinked, 'post or page', 'posts or pages')}"
                         f" now show{'' if many else 's'} local copies of images")  # fmt: skip
        if not (self.old_images or self.remote_media):
            return lines
        where = []
        if self.old_images:
            where.append(f"{self.old_images} in "
                         f"{_count(self.old_image_rows, 'post or page', 'posts or pages')}")
        if self.remote_media:
            where.append(_count(self.remote_media, "attachment", "attachments"))
        comma = "," if len(where) > 1 else ""
        host = self.old_host or "the old site"
        lines += [
            f"  images:     {', and '.join(where)}{comma} still load from {host}",
            "              To bring them in, copy the old site's wp-content/uploads folder",
            "              here and run the import again with --uploads FOLDER: posts",
            "              already imported then show the local copies.",
        ]
        return lines

    def summary_lines(self) -> list[str]:
        def by_kind(counter: Counter[str]) -> str:
            total = sum(counter.values())
            detail = ", ".join(f"{name} {n}" for name, n in sorted(counter.items()))
            return f"{total}" + (f" ({detail})" if detail else "")

        lines = [
            f"Imported WXR {self.version}:",
            f"  authors:    {self.added['authors']}",
            f"  categories: {self.added['categories']}",
            f"  tags:       {self.added['tags']}",
            f"  posts:      {by_kind(self.posts)}",
            f"  pages:      {self.added['pages']}",
            f"  comments:   {by_kind(self.comments)}",
            f"  media:      {self.added['media']}",
            f"  translation groups: {self.added['translation groups']}",
            *self._image_lines(),
            f"  skipped:    {by_kind(self.skipped)}",
            f"  warnings:   {self.warning_count}",
        ]
        lines += [f"    - {w}" for w in self.warnings[:MAX_WARNINGS_SHOWN]]
        if self.warning_count > MAX_WARNINGS_SHOWN:
            lines.append(f"    … and {self.warning_count - MAX_WARNINGS_SHOWN} more")
        return lines


def import_wxr(
    path: str | Path,
    uploads: str | Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import the WXR file at ``path`` and commit; on any error roll back and raise
    ``WxrError`` (a one-line message), leaving the database as it was."""
    renderer = renderer_for(Path(path).stat().st_size)
    importer = WxrImporter(Path(uploads) if uploads else None, renderer)
    try:
        with open(path, "rb") as raw:
            importer.run(read_wxr(CountingReader(raw, progress)))
        # issue 19: the whole import is one audit entry, committed with it.
        audit.record("import", table="wxr", label=Path(path).name[:200],
                     changes="; ".join(line.strip() for line in importer.report.summary_lines()),
                     actor_login=f"cli:{getpass.getuser()}"[:60])
        db.session.commit()
    except WxrError:
        importer.abandon()
        raise
    except SQLAlchemyError as error:
        importer.abandon()
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise WxrError(f"the database refused the data: {reason}", importer.line) from None
    except Exception as error:  # all or nothing: whatever went wrong, undo it and say so
        importer.abandon()
        raise WxrError(f"{type(error).__name__}: {error}", importer.line) from None
    finally:
        renderer.close()
    return importer.report


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def parse_wp_date(value: str, line: int | None, *, local: bool) -> datetime | None:
    """A WXR date ('YYYY-MM-DD HH:MM:SS') as aware UTC; None for an empty or zero date."""
    value = value.strip()
    if not value or value.startswith("0000-00-00"):
        return None
    # Read by hand: strptime costs more than the rest of a comment's row (110,000 dates
    # in a large export).
    parts = _WP_DATE.fullmatch(value)
    try:
        if parts is None:
            raise ValueError(value)
        naive = datetime(*map(int, parts.groups()))  # type: ignore[misc]
    except ValueError:
        raise WxrError(f"invalid date {value!r} (expected YYYY-MM-DD HH:MM:SS)", line) from None
    return local_to_utc(naive) if local else naive.replace(tzinfo=UTC)


def item_date(gmt: str, local: str, line: int | None) -> datetime | None:
    return parse_wp_date(gmt, line, local=False) or parse_wp_date(local, line, local=True)


def clean_slug(raw: str) -> str:
    """A WordPress slug, percent-decoded so Khmer reads as Khmer; re-slugged if odd."""
    slug = unicodedata.normalize("NFC", unquote(raw.strip())).lower()
    if slug and not _SLUG_OK.match(slug):
        slug = slugify(slug)
    return slug[:200]


def guess_language(title: str, body: str) -> str:
    """Khmer when the title (else the start of the text) is mostly Khmer letters."""
    sample = title.strip() or _TAG.sub(" ", body[:4000])
    if len(_KHMER.findall(sample)) > len(_LATIN.findall(sample)):
        return "km"
    return current_app.config.get("SITE_LANGUAGE", "en")


def _chunks(values: list, size: int = IN_CHUNK) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


@dataclass
class PreparedBatch:
    """A batch whose rows are built and whose HTML is being rendered elsewhere."""

    new_posts: list[tuple[WxrItem, Post, list[int], list[int]]]
    comment_targets: list[tuple[WxrItem, int]]  # comments of posts already imported
    new_pages: list[Page]
    rendering: Future  # -> (list[Rendered] for new_posts, cleaned HTML of comments)
    comments: list[WxrComment]  # in the order of the cleaned HTML


class WxrImporter:
    def __init__(self, uploads: Path | None, renderer) -> None:
        self.uploads = uploads.resolve() if uploads else None
        self.renderer = renderer
        self.report = ImportReport()
        self.line: int | None = None
        self.hosts: set[str] = set()
        self.batch: list[WxrItem] = []
        self.prepared: PreparedBatch | None = None
        self.comment_html: dict[int, str] = {}  # id() of a WxrComment -> its clean HTML
        self.terms: list[WxrTerm] | None = []
        self.stored_files: list[str] = []
        self.date_mismatches = 0
        self.shortcodes: Counter[str] = Counter()
        self.translation_groups: dict[str, list[int]] = {}  # export's group -> WordPress ids

    # -- the run ------------------------------------------------------------------

    def run(self, records: Iterable) -> None:
        self._preload()
        for record in records:
            self.line = getattr(record, "line", None)
            if isinstance(record, WxrSite):
                self.report.version = record.version
                self.hosts = {_host(u) for u in record.base_urls if _host(u)}
                self.report.old_host = ", ".join(sorted(self.hosts))
            elif isinstance(record, WxrAuthor):
                self._author(record)
            elif isinstance(record, WxrTerm):
                if self.terms is None:  # a term after the items: create it straight away
                    self._create_terms([record])
                else:
                    self.terms.append(record)
            elif isinstance(record, WxrItem):
                if self.terms is not None:
                    self._create_terms(self.terms)
                    self.terms = None
                self.batch.append(record)
                if len(self.batch) >= BATCH_ITEMS:
                    self._write_batch()
        if self.terms:
            self._create_terms(self.terms)
        self._write_batch()
        self._write_batch()  # the last one prepared
        self._finish()

    def abandon(self) -> None:
        db.session.rollback()
        folder = Path(current_app.config.get("UPLOAD_FOLDER") or "")
        for name in self.stored_files:
            if name and folder.name:
                (folder / name).unlink(missing_ok=True)

    def _preload(self) -> None:
        """What is already in the database, as small lookups (one query each)."""
        s = db.session
        self.users_by_login = dict(s.execute(select(User.login, User.id)).all())
        self.users_by_wp = dict(
            s.execute(select(User.wp_id, User.id).where(User.wp_id.is_not(None))).all()
        )
        self.cats_by_slug = dict(s.execute(select(Category.slug, Category.id)).all())
        self.cats_by_wp = dict(
            s.execute(select(Category.wp_id, Category.id).where(Category.wp_id.is_not(None)))
            .all()
        )  # fmt: skip
        self.tags_by_slug = dict(s.execute(select(Tag.slug, Tag.id)).all())
        self.tags_by_wp = dict(
            s.execute(select(Tag.wp_id, Tag.id).where(Tag.wp_id.is_not(None))).all()
        )
        self.posts_by_wp: dict[int, int] = {}
        self.posts_by_guid: dict[str, int] = {}
        self.post_slugs: set[str] = set()
        for post_id, wp_id, guid, slug in s.execute(
            select(Post.id, Post.wp_id, Post.guid, Post.slug)
        ):
            if wp_id is not None:
                self.posts_by_wp[wp_id] = post_id
            if guid:
                self.posts_by_guid[guid] = post_id
            self.post_slugs.add(slug)
        self.page_wp_ids = set(s.scalars(select(Page.wp_id).where(Page.wp_id.is_not(None))))
        self.page_slugs = set(s.scalars(select(Page.slug)))
        self.media_wp_ids = set(s.scalars(select(Media.wp_id).where(Media.wp_id.is_not(None))))
        self.media_by_url: dict[str, tuple[int, str]] = {
            url: (media_id, name)
            for media_id, name, url in s.execute(
                select(Media.id, Media.filename, Media.source_url).where(Media.source_url != "")
            )
        }
        self.media_by_rel: dict[str, tuple[int, str]] = {}
        # Attachments an import without --uploads recorded with their old address.
        self.remote_media_by_wp = dict(s.execute(
            select(Media.wp_id, Media.id)
            .where(Media.wp_id.is_not(None), Media.filename.startswith("remote-"))
        ).all())  # fmt: skip

    # -- authors and terms --------------------------------------------------------

    def _author(self, author: WxrAuthor) -> None:
        login = strip_invisible(author.login).strip()[:60]
        if not login:
            self.report.warn("an author without a login was left out", author.line)
            return
        if author.wp_id is not None and author.wp_id in self.users_by_wp:
            self.users_by_login.setdefault(login, self.users_by_wp[author.wp_id])
            self.report.skipped["authors already here"] += 1
            return
        if login in self.users_by_login:
            self.report.skipped["authors already here"] += 1
            if author.wp_id is not None:
                db.session.execute(
                    update(User).where(User.id == self.users_by_login[login], User.wp_id.is_(None))
                    .values(wp_id=author.wp_id)
                )  # fmt: skip
                self.users_by_wp[author.wp_id] = self.users_by_login[login]
            return
        user = User(
            login=login, email=author.email.strip()[:254],
            display_name=strip_invisible(author.display_name).strip()[:250], wp_id=author.wp_id,
        )  # fmt: skip
        db.session.add(user)
        db.session.flush()
        self.users_by_login[login] = user.id
        if author.wp_id is not None:
            self.users_by_wp[author.wp_id] = user.id
        self.report.added["authors"] += 1

    def _author_id(self, login: str, line: int | None) -> int | None:
        login = strip_invisible(login).strip()[:60]
        if not login:
            return None
        if login not in self.users_by_login:
            self._author(WxrAuthor(None, login, "", "", line))
            self.report.warn(f"author {login!r} was not in the authors list; added", line)
        return self.users_by_login.get(login)

    def _create_terms(self, terms: list[WxrTerm]) -> None:
        parents: list[tuple[int, str, int | None]] = []
        for term in terms:
            self.line = term.line
            term_id = self._term_id(term.taxonomy, term.slug, term.name, term.wp_id,
                                    term.description, term.line, count_existing=True)  # fmt: skip
            if term_id is not None and term.taxonomy == "category" and term.parent_slug:
                parents.append((term_id, term.parent_slug, term.line))
        for category_id, parent_slug, line in parents:
            parent_id = self.cats_by_slug.get(clean_slug(parent_slug))
            if parent_id is None:
                self.report.warn(f"parent category {parent_slug!r} is not in the file", line)
            elif parent_id != category_id:
                db.session.execute(
                    update(Category).where(Category.id == category_id, Category.parent_id.is_(None))
                    .values(parent_id=parent_id)
                )  # fmt: skip

    def _term_id(self, taxonomy: str, raw_slug: str, name: str, wp_id: int | None,
                 description: str = "", line: int | None = None,
                 count_existing: bool = False) -> int | None:  # fmt: skip
        """The id of the category or tag, created when new."""
        is_category = taxonomy == "category"
        by_slug = self.cats_by_slug if is_category else self.tags_by_slug
        by_wp = self.cats_by_wp if is_category else self.tags_by_wp
        name = strip_invisible(name).strip()[:200]
        slug = clean_slug(raw_slug) or slugify(name)
        if not slug:
            self.report.warn(f"a {taxonomy} without a name or slug was left out", line)
            return None
        kind = "categories" if is_category else "tags"
        found = by_wp.get(wp_id) if wp_id is not None else None
        if found is None:
            found = by_slug.get(slug)
        if found is not None:
            by_slug.setdefault(slug, found)
            if count_existing:
                self.report.skipped[f"{kind} already here"] += 1
            return found
        model = Category if is_category else Tag
        row = model(name=name or slug, slug=slug, wp_id=wp_id)
        if is_category:
            row.description = description
        db.session.add(row)
        db.session.flush()
        by_slug[slug] = row.id
        if wp_id is not None:
            by_wp[wp_id] = row.id
        self.report.added[kind] += 1
        return row.id

    # -- items ----------------------------------------------------------------------

    def _write_batch(self) -> None:
        """Prepare the gathered items and send their HTML to be rendered, then
        store the batch prepared before, whose HTML was rendered meanwhile."""
        earlier, self.prepared = self.prepared, self._prepare_batch()
        if earlier is not None:
            self._store_batch(earlier)

    def _prepare_batch(self) -> PreparedBatch | None:
        batch, self.batch = self.batch, []
        if not batch:
            return None
        new_posts: list[tuple[WxrItem, Post, list[int], list[int]]] = []
        comment_targets: list[tuple[WxrItem, int]] = []
        new_pages: list[Page] = []
        imported_pages: list[WxrItem] = []
        for item in batch:
            self.line = item.line
            kind = item.post_type or "post"
            if kind == "attachment":
                self._attachment(item)
            elif item.status in ("trash", "auto-draft", "inherit"):
                self.report.skipped[f"{kind}s in the trash or auto-drafts"] += 1
            elif kind == "post":
                prepared = self._prepare_post(item)
                if isinstance(prepared, int):
                    comment_targets.append((item, prepared))
                elif prepared is not None:
                    new_posts.append(prepared)
            elif kind == "page":
                page = self._prepare_page(item)
                if page is not None:
                    new_pages.append(page)
                elif self.uploads is not None and item.wp_id is not None:
                    imported_pages.append(item)
            else:
                self.report.skipped[f"{kind} items"] += 1
        if self.uploads is not None:
            self._relink(Post, Post.id, {post_id: item for item, post_id in comment_targets})
            self._relink(Page, Page.wp_id, {item.wp_id: item for item in imported_pages})
        sources = [PostSource(p.title, p.body, p.content_format, p.excerpt)
                   for _, p, _, _ in new_posts]  # fmt: skip
        items = [item for item, _ in comment_targets] + [item for item, _, _, _ in new_posts]
        comments = [c for item in items for c in item.comments
                    if c.type not in ("pingback", "trackback")]  # fmt: skip
        rendering = self.renderer.submit(sources, [c.content for c in comments])
        return PreparedBatch(new_posts, comment_targets, new_pages, rendering, comments)

    def _relink(self, model: type[Post] | type[Page], key, items: dict) -> None:
        """With --uploads: posts or pages an earlier import brought in show the local
        copies of their images now, their other content untouched."""
        for chunk in _chunks(sorted(items)):
            for row in db.session.scalars(select(model).where(key.in_(chunk))):
                if row.content_format != FORMAT_HTML or "uploads/" not in row.body:
                    continue
                item = items[row.id if model is Post else row.wp_id]
                body = self._local_images(row.body, item.line)
                if body != row.body:
                    row.body = body
                    render_post(row) if model is Post else render_page(row)
                    self.report.relinked += 1
                    self._count_old_images(row.body_html)

    def _count_old_images(self, html: str) -> None:
        """Count the <img> of stored HTML that still load from the old site."""
        found = sum(1 for url in _IMG_SRC.findall(html) if _host(url) in self.hosts)
        if found:
            self.report.old_images += found
            self.report.old_image_rows += 1

    def _store_batch(self, batch: PreparedBatch) -> None:
        rendered, cleaned = batch.rendering.result()
        for (_, post, _, _), html in zip(batch.new_posts, rendered, strict=True):
            html.apply(post)
            self._count_old_images(post.body_html)
        self.comment_html = {id(c): h for c, h in zip(batch.comments, cleaned, strict=True)}
        new_posts = batch.new_posts
        self.line = (new_posts[-1][0].line if new_posts else None) or self.line
        db.session.add_all([p for _, p, _, _ in new_posts] + batch.new_pages)
        db.session.flush()
        store_imported_revisions([p for _, p, _, _ in new_posts], batch.new_pages)
        links_c = [{"post_id": p.id, "category_id": c} for _, p, cats, _ in new_posts for c in cats]
        links_t = [{"post_id": p.id, "tag_id": t} for _, p, _, tags in new_posts for t in tags]
        if links_c:
            db.session.execute(insert(post_categories), links_c)
        if links_t:
            db.session.execute(insert(post_tags), links_t)
        targets = batch.comment_targets + [(item, post.id) for item, post, _, _ in new_posts]
        self._write_comments(targets)
        self.comment_html = {}
        db.session.expunge_all()  # keep the identity map as small as one batch

    def _dates(self, item: WxrItem) -> tuple[datetime, datetime]:
        published = item_date(item.post_date_gmt, item.post_date, item.line)
        if published is None:
            published = utcnow()
            if item.status in ("publish", "future", "private"):
                self.report.warn(f"{item.post_type} {item.wp_id} has no date; using now", item.line)
        modified = item_date(item.modified_gmt, item.modified, item.line) or published
        return published, modified

    def _check_url_date(self, item: WxrItem, published: datetime) -> None:
        """WordPress put post_date (its local time) in the URL; we put the date in TIMEZONE."""
        local = item.post_date.strip()[:10]
        if local and not local.startswith("0000") and to_local(published).strftime(
            "%Y-%m-%d"
        ) != local:
            self.date_mismatches += 1

    def _body(self, item: WxrItem) -> tuple[str, str]:
        """(source, content format) of an item's content."""
        if META_MARKDOWN in item.meta:
            return item.meta[META_MARKDOWN], FORMAT_MARKDOWN
        if item.meta.get(META_FORMAT) in (FORMAT_HTML, FORMAT_MARKDOWN):
            return item.content, FORMAT_HTML  # our own export: already the HTML we show
        html, unknown = wordpress_to_html(item.content)
        for name, n in sorted(unknown.items()):
            self.report.warn(
                f"{item.post_type} {item.wp_id}: unknown shortcode [{name}] kept as text"
                + (f" ({n} times)" if n > 1 else ""),
                item.line,
            )
        return self._local_images(html, item.line), FORMAT_HTML

    def _unique_slug(self, wanted: str, taken: set[str]) -> str:
        slug, n = wanted, 2
        while slug in taken:
            suffix = f"-{n}"
            slug = wanted[: 200 - len(suffix)] + suffix
            n += 1
        taken.add(slug)
        return slug

    def _prepare_post(self, item: WxrItem):
        """A new Post (with its category and tag ids), the id of the post already
        imported, or None when the item is left out."""
        existing = self.posts_by_wp.get(item.wp_id) if item.wp_id is not None else None
        if existing is None and item.guid:
            existing = self.posts_by_guid.get(item.guid)
        if existing == -1:  # earlier in this same file
            self.report.skipped["duplicate posts in the file"] += 1
            return None
        if existing is not None:
            self.report.skipped["posts already imported"] += 1
            return existing
        if item.status not in POST_STATUS:
            self.report.warn(f"post {item.wp_id}: unknown status {item.status!r}; imported "
                             "as a draft", item.line)  # fmt: skip
        status = POST_STATUS.get(item.status, PostStatus.DRAFT)
        if item.password and status == PostStatus.PUBLISHED:
            status = PostStatus.PRIVATE
            self.report.warn(f"post {item.wp_id} was password-protected; imported as private "
                             "(this blog has no post passwords)", item.line)  # fmt: skip
        published, modified = self._dates(item)
        self._check_url_date(item, published)
        body, content_format = self._body(item)
        wanted = clean_slug(item.post_name)
        slug = self._unique_slug(wanted or slugify(item.title) or f"post-{item.wp_id}",
                                 self.post_slugs)  # fmt: skip
        if wanted and slug != wanted and status == PostStatus.PUBLISHED:
            self._redirect_moved_post(item, wanted, slug, published)
        excerpt = item.excerpt.strip()
        if "<" in excerpt:
            excerpt = html_to_text(excerpt)
        mode = item.meta.get(META_COMMENT_MODE)
        if mode not in COMMENT_MODES:
            mode = COMMENTS_CLOSED if item.comment_status == "closed" else COMMENTS_OPEN
        post = Post(
            title=strip_invisible(item.title)[:500], slug=slug, body=body,
            content_format=content_format, excerpt=excerpt, status=status,
            language=(item.meta.get(META_LANGUAGE) or item_language(item.terms, item.meta)
                      or guess_language(item.title, item.content)),
            source_line=item.meta.get(META_SOURCE_LINE, "")[:500], comment_mode=mode,
            sticky=item.is_sticky, published_at=published, created_at=published,
            updated_at=modified, author_id=self._author_id(item.creator, item.line),
            wp_id=item.wp_id, guid=item.guid[:500], comment_count=0,
        )  # fmt: skip
        if item.wp_id is not None:
            self.posts_by_wp[item.wp_id] = -1  # a second copy in the same file is skipped
            if group := item_group(item.terms, item.meta):  # Polylang or WPML (issue 16)
                self.translation_groups.setdefault(group, []).append(item.wp_id)
        if item.guid:
            self.posts_by_guid[item.guid] = -1
        self.report.posts["scheduled" if post.is_scheduled else status] += 1
        categories, tags = [], []
        for domain, nicename, name in item.terms:
            if domain in ("category", "post_tag"):
                term_id = self._term_id(domain, nicename, name, None, line=item.line)
                target = categories if domain == "category" else tags
                if term_id is not None and term_id not in target:
                    target.append(term_id)
        return item, post, categories, tags

    def _redirect_moved_post(self, item: WxrItem, old: str, new: str, published: datetime) -> None:
        """The slug was taken, so the old permalink points at the post's new one."""
        old_day = item.post_date[:10].replace("-", "/") if item.post_date[:4] != "0000" else ""
        old_path = f"/{old_day or to_local(published).strftime('%Y/%m/%d')}/{old}/"
        new_path = f"/{to_local(published).strftime('%Y/%m/%d')}/{new}/"
        self.report.warn(f"post {item.wp_id}: slug {old!r} is taken; stored as {new!r}, "
                         f"and {old_path} redirects to it", item.line)  # fmt: skip
        exists = db.session.scalar(select(Redirect.id).where(Redirect.old_path == old_path))
        if exists is None:
            db.session.add(Redirect(old_path=old_path, new_path=new_path))

    def _prepare_page(self, item: WxrItem) -> Page | None:
        if item.wp_id is not None and item.wp_id in self.page_wp_ids:
            self.report.skipped["pages already imported"] += 1
            return None
        status = POST_STATUS.get(item.status, PostStatus.DRAFT)
        if item.status == "future" or (item.password and status == PostStatus.PUBLISHED):
            status = PostStatus.DRAFT if item.status == "future" else PostStatus.PRIVATE
            self.report.warn(f"page {item.wp_id} was scheduled or password-protected; "
                             f"imported as {status}", item.line)  # fmt: skip
        published, modified = self._dates(item)
        body, content_format = self._body(item)
        wanted = clean_slug(item.post_name)
        slug = self._unique_slug(wanted or slugify(item.title) or f"page-{item.wp_id}",
                                 self.page_slugs)  # fmt: skip
        if wanted and slug != wanted:
            self.report.warn(f"page {item.wp_id}: slug {wanted!r} is taken; stored as {slug!r}",
                             item.line)  # fmt: skip
        if item.comments:
            self.report.skipped["comments on pages"] += len(item.comments)
        page = Page(
            title=strip_invisible(item.title)[:500], slug=slug, body=body,
            content_format=content_format, status=status, menu_order=item.menu_order,
            language=item.meta.get(META_LANGUAGE) or guess_language(item.title, item.content),
            created_at=published, updated_at=modified,
            author_id=self._author_id(item.creator, item.line), wp_id=item.wp_id,
        )  # fmt: skip
        render_page(page)
        self._count_old_images(page.body_html)
        if item.wp_id is not None:
            self.page_wp_ids.add(item.wp_id)
        self.report.added["pages"] += 1
        return page

    # -- comments ---------------------------------------------------------------------

    def _write_comments(self, targets: list[tuple[WxrItem, int]]) -> None:
        """Insert the comments of a batch of posts, parents before replies, one
        multi-row INSERT per thread depth; depth is worked out in memory."""
        wanted_ids = {c.wp_id for item, _ in targets for c in item.comments if c.wp_id}
        wanted_ids |= {c.parent for item, _ in targets for c in item.comments if c.parent}
        known: dict[int, tuple[int, int]] = {}  # WordPress comment id -> (our id, depth)
        existing: set[int] = set()
        for chunk in _chunks(sorted(wanted_ids)):
            for wp_id, our_id, depth in db.session.execute(
                select(Comment.wp_id, Comment.id, Comment.depth).where(Comment.wp_id.in_(chunk))
            ):
                known[wp_id] = (our_id, depth)
                existing.add(wp_id)

        levels: dict[int, list[tuple[WxrComment, int, int]]] = {}
        touched: set[int] = set()
        for item, post_id in targets:
            fresh = {}
            for c in item.comments:
                if c.type in ("pingback", "trackback"):
                    self.report.skipped["pingbacks and trackbacks"] += 1
                elif c.wp_id is not None and c.wp_id in existing:
                    self.report.skipped["comments already imported"] += 1
                elif c.wp_id is not None and c.wp_id in fresh:
                    self.report.skipped["duplicate comments in the file"] += 1
                else:
                    fresh[c.wp_id if c.wp_id is not None else -len(fresh) - 1] = c
            depths = self._thread_depths(fresh, known, item.line)
            for key, comment in fresh.items():
                levels.setdefault(depths[key], []).append((comment, post_id, depths[key]))
            if fresh:
                touched.add(post_id)

        for depth in sorted(levels):
            rows, keys = [], []
            for c, post_id, d in levels[depth]:
                rows.append(self._comment_row(c, post_id, known, d))
                keys.append(c.wp_id)
            ids = db.session.scalars(
                insert(Comment).returning(Comment.id, sort_by_parameter_order=True), rows
            ).all()
            for wp_id, our_id in zip(keys, ids, strict=True):
                if wp_id is not None:
                    known[wp_id] = (our_id, depth)
        for chunk in _chunks(sorted(touched)):
            approved = (
                select(func.count(Comment.id))
                .where(Comment.post_id == Post.id, Comment.status == CommentStatus.APPROVED)
                .scalar_subquery()
            )
            db.session.execute(
                update(Post).where(Post.id.in_(chunk)).values(comment_count=approved)
                .execution_options(synchronize_session=False)
            )  # fmt: skip

    def _thread_depths(self, fresh: dict[int, WxrComment], known: dict[int, tuple[int, int]],
                       line: int | None) -> dict[int, int]:  # fmt: skip
        """Each new comment's depth from its parent chain; a reply whose parent is
        missing (or a loop of parents) becomes a top-level comment."""
        depths: dict[int, int] = {}
        for start in fresh:
            chain: list[int] = []
            key = start
            while key not in depths:
                parent = fresh[key].parent
                if parent in chain or parent == key or len(chain) > 1000:
                    fresh[key].parent = 0
                if not fresh[key].parent:
                    depths[key] = 0
                    break
                chain.append(key)
                if parent in fresh:
                    key = parent
                    continue
                if parent in known:
                    depths[key] = known[parent][1] + 1
                else:
                    self.report.warn(f"comment {key}: its parent {parent} is not in the file; "
                                     "shown as a top-level comment", line)  # fmt: skip
                    fresh[key].parent = 0
                    depths[key] = 0
                break
            depth = depths[key]
            for child in reversed(chain):
                if child != key:
                    depth += 1
                    depths[child] = depth
        return depths

    def _comment_row(self, c: WxrComment, post_id: int, known: dict, depth: int) -> dict:
        status = COMMENT_STATUS.get(c.approved.lower())
        if status is None:
            status = CommentStatus.PENDING
            self.report.warn(f"comment {c.wp_id}: unknown status {c.approved!r}; held as "
                             "pending", self.line)  # fmt: skip
        self.report.comments[status] += 1
        created = item_date(c.date_gmt, c.date, self.line) or utcnow()
        return {
            "post_id": post_id,
            "parent_id": known[c.parent][0] if c.parent else None,
            "depth": depth,
            "author_name": strip_invisible(c.author).strip()[:250],
            "author_email": strip_invisible(c.email).strip()[:254],
            "author_url": safe_website(c.url)[:500],
            "author_ip": c.ip[:45],
            "user_agent": "",
            "body": c.content,
            "body_html": self.comment_html[id(c)],
            "status": status,
            "created_at": created,
            "user_id": self.users_by_wp.get(c.user_id) if c.user_id else None,
            "wp_id": c.wp_id,
        }

    # -- media ------------------------------------------------------------------------

    def _attachment(self, item: WxrItem) -> None:
        url = item.attachment_url or item.guid
        remote_id = self.remote_media_by_wp.pop(item.wp_id, None) if self.uploads else None
        if remote_id is not None:
            # Recorded with its old address by an import without --uploads: the file
            # takes the place of that row, once it is found.
            relative = item.meta.get("_wp_attached_file") or self._relative_upload(url)
            if relative and self._store_local(relative, url, item.line):
                db.session.execute(delete(Media).where(Media.id == remote_id))
                self.media_wp_ids.discard(item.wp_id)
        if item.wp_id is not None and item.wp_id in self.media_wp_ids:
            self.report.skipped["media already imported"] += 1
            return
        fields = {
            "alt": strip_invisible(item.meta.get("_wp_attachment_image_alt", "")).strip()[:500],
            "caption": strip_invisible(item.excerpt).strip(),
            "credit": strip_invisible(item.meta.get(META_CREDIT, "")).strip()[:500],
            "wp_id": item.wp_id,
        }
        if item.wp_id is not None:
            self.media_wp_ids.add(item.wp_id)
        stored = None
        if self.uploads is not None:
            relative = item.meta.get("_wp_attached_file") or self._relative_upload(url)
            stored = self._store_local(relative, url, item.line) if relative else None
            if stored is None:
                self.report.warn(
                    f"attachment {item.wp_id}: {relative or url!r} is not in {self.uploads}; "
                    "recorded with its old address", item.line,
                )  # fmt: skip
        if stored is not None:
            db.session.execute(
                update(Media).where(Media.id == stored[0])
                .values(created_at=self._dates(item)[0], **fields)
            )  # fmt: skip
        else:
            self.report.remote_media += 1
            name = Path(urlsplit(url).path).name
            extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
            db.session.add(Media(
                # Not a file here: the name only has to be unique; source_url is the image.
                filename=f"remote-{item.wp_id or len(self.media_by_url)}-{extension}"[:200],
                original_name=unquote(name)[:300], mime_type=IMAGE_TYPES.get(extension, ""),
                source_url=url[:1000], created_at=self._dates(item)[0], **fields,
            ))  # fmt: skip
        self.report.added["media"] += 1

    def _relative_upload(self, url: str) -> str:
        """The path under wp-content/uploads of an image on the old site, else ''."""
        parts = urlsplit(url)
        if parts.netloc and self.hosts and _host(url) not in self.hosts:
            return ""
        found = _UPLOADS_PATH.search(unquote(parts.path))
        return found.group(1) if found else ""

    def _store_local(self, relative: str, url: str, line: int | None) -> tuple[int, str] | None:
        """Copy an image from the --uploads folder into the media store (once per file)."""
        from blogapp.media.storage import ImageRejected, store_image

        if relative in self.media_by_rel:
            return self.media_by_rel[relative]
        assert self.uploads is not None
        path = (self.uploads / relative).resolve()
        if not path.is_relative_to(self.uploads):
            return None  # "../" in a URL must not reach outside the folder
        # A resized copy (photo-300x200.jpg) stands for its original (photo.jpg): one
        # file in the media store per image, whichever size a post showed.
        original = path.with_name(_SIZE_SUFFIX.sub(r"\1", path.name))
        if original.is_file():
            path = original
        elif not path.is_file():
            return None
        if str(path) in self.media_by_rel:  # the same file by another name (a size variant)
            self.media_by_rel[relative] = self.media_by_rel[str(path)]
            return self.media_by_rel[relative]
        try:
            with path.open("rb") as stream:
                media = store_image(stream, path.name, source_url=url)
        except ImageRejected as error:
            self.report.warn(f"{relative}: {error} The old address is kept.", line)
            return None
        self.stored_files += [media.filename, media.thumb_filename]
        self.media_by_rel[relative] = self.media_by_rel[str(path)] = (media.id, media.filename)
        self.media_by_url[url] = (media.id, media.filename)
        return self.media_by_rel[relative]

    def _local_images(self, html: str, line: int | None) -> str:
        """With --uploads, point images and links at copies in the media store."""
        if self.uploads is None or "uploads/" not in html:
            return html

        def swap(match: re.Match) -> str:
            url = match.group(3)
            relative = self._relative_upload(url)
            stored = self._store_local(relative, url, line) if relative else None
            if stored is None:
                return match.group(0)
            return f"{match.group(1)}{match.group(2)}/uploads/{stored[1]}{match.group(2)}"

        return _URL_ATTR.sub(swap, html)

    # -- the end ------------------------------------------------------------------------

    def _finish(self) -> None:
        if self.translation_groups:
            linked, problems = link_imported(self.translation_groups)
            self.report.added["translation groups"] += linked
            for problem in problems:
                self.report.warn(problem)
        if self.date_mismatches:
            zone = current_app.config["TIMEZONE"]
            self.report.warn(
                f"{self.date_mismatches} posts fall on another day in TIMEZONE {zone!r} than "
                "on the old site, so their /YYYY/MM/DD/ links redirect (301) to the new date; "
                "set BLOGAPP_TIMEZONE to the old site's zone and re-import into an empty "
                "database to keep them exact"
            )
        if not self.report.version:
            raise WxrError("not a WordPress export (WXR): no channel found")


def _host(url: str) -> str:
    host = urlsplit(url.strip()).netloc.lower()
    return host[4:] if host.startswith("www.") else host
