"""A large, realistic blog database built fast with SQLAlchemy Core inserts.

10,000 op-eds across 30 categories (two levels) with bodies of op-ed length,
rendered once by the app's own ``render_post`` (a few dozen distinct bodies,
reused with distinct titles), and 100,000 approved comments rendered by the
app's ``clean_comment``, about a third of them replies; one post carries 1,000
comments and one 500. ``posts.comment_count`` matches the approved comments, as
the comment services keep it.

On SQLite or PostgreSQL: the search index is filled once after the posts (FTS5's
``rebuild``; PostgreSQL's two GIN indexes created after them), and a PostgreSQL
database's id sequences are moved past the inserted ids, so the app can add rows."""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

WORDS = (
    "council budget election voters parliament reform school teachers market river farmers "
    "ministry court ruling press reporters freedom trade workers wages province commune "
    "policy rights community youth health clinic road flood harvest rice price tax public "
    "transparency accountability citizens debate village city transport libraries history "
    "future dialogue society justice economy growth investment land families women children "
    "opposition coalition campaign ballot turnout corruption audit treaty neighbours region"
).split()
KHMER_WORDS = "ប្រជាធិបតេយ្យ សង្គម ស៊ីវិល ការបោះឆ្នោត ប្រជាពលរដ្ឋ សេរីភាព សារព័ត៌មាន ថវិកា".split()
BODY_VARIANTS = 24
COMMENT_VARIANTS = 60


@dataclass(frozen=True)
class Scale:
    posts: int = 10_000
    categories: int = 30  # 6 top-level, each with 4 children
    comments: int = 100_000
    big_threads: tuple[int, ...] = (1_000, 500)  # comments on two chosen posts


@dataclass(frozen=True)
class BigSite:
    """What the benchmark needs to know about the database it built."""

    post_500_path: str
    post_1000_path: str
    comment_target_id: int  # a post with few comments, to receive benchmark POSTs
    comment_target_path: str
    category_path: str
    search_term: str
    posts: int
    comments: int
    seconds: float


def _sentence(rng: random.Random, khmer: bool = False) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 22))]
    if khmer and rng.random() < 0.3:
        words.insert(rng.randint(0, len(words)), rng.choice(KHMER_WORDS))
    return " ".join(words).capitalize() + "."


def _body(rng: random.Random) -> str:
    """Markdown of op-ed length: 6 to 12 paragraphs (about 3 to 7 KB), a heading,
    a list and a quote now and then, and a more-marker after the first paragraph."""
    paragraphs = []
    for n in range(rng.randint(6, 12)):
        paragraphs.append(" ".join(_sentence(rng, khmer=True) for _ in range(rng.randint(3, 6))))
        if n == 0:
            paragraphs.append("<!--more-->")
        if n == 3:
            paragraphs.append("## " + _sentence(rng).rstrip("."))
        if n == 5:
            paragraphs.append("\n".join(f"- {_sentence(rng)}" for _ in range(3)))
        if n == 7:
            paragraphs.append("> " + _sentence(rng))
    return "\n\n".join(paragraphs)


def _rendered_bodies(rng: random.Random) -> list[dict]:
    from blogapp.content import render_post
    from blogapp.models import FORMAT_MARKDOWN, Post

    bodies = []
    for _ in range(BODY_VARIANTS):
        post = Post(title="", body=_body(rng), content_format=FORMAT_MARKDOWN, excerpt="")
        render_post(post)
        bodies.append(
            {
                "body": post.body,
                "body_html": post.body_html,
                "excerpt_html": post.excerpt_html,
                "has_more": post.has_more,
                "search_text": post.search_text,
            }
        )
    return bodies


def _rendered_comments(rng: random.Random) -> list[tuple[str, str]]:
    from blogapp.sanitize import clean_comment

    comments = []
    for n in range(COMMENT_VARIANTS):
        text = "\n\n".join(_sentence(rng) for _ in range(rng.randint(1, 4)))
        if n % 7 == 0:
            text += "\n\nMore at https://example.org/reading-list"
        comments.append((text, clean_comment(text)))
    return comments


def build(database_url: str, scale: Scale = Scale(), seed: int = 20261127) -> BigSite:
    """Create the schema in an empty database and fill it; returns what was made."""
    from benchmarks.demo_site import make_app
    from blogapp.extensions import db
    from blogapp.models import (
        ROLE_EDITOR,
        Category,
        Comment,
        CommentStatus,
        Post,
        PostStatus,
        Tag,
        User,
        post_categories,
        post_tags,
    )

    started = time.monotonic()
    rng = random.Random(seed)
    app = make_app(database_url)
    with app.app_context():
        db.create_all()
        conn = db.session.connection()
        now = datetime.now(UTC).replace(microsecond=0)

        authors = [
            {
                "id": i,
                "login": f"author{i}",
                "email": f"author{i}@example.org",
                "display_name": f"Author {i}",
                "role": ROLE_EDITOR,
            }
            for i in range(1, 9)
        ]
        conn.execute(insert(User), authors)

        categories, paths = [], {}
        top = scale.categories // 5
        for i in range(1, top + 1):
            categories.append(
                {
                    "id": i,
                    "name": f"Section {i}",
                    "slug": f"section-{i}",
                    "description": f"Op-eds in section {i}.",
                    "parent_id": None,
                }
            )
            paths[i] = f"section-{i}"
        next_id = top + 1
        while next_id <= scale.categories:
            parent = (next_id - top - 1) % top + 1
            categories.append(
                {
                    "id": next_id,
                    "name": f"Topic {next_id}",
                    "slug": f"topic-{next_id}",
                    "description": "",
                    "parent_id": parent,
                }
            )
            paths[next_id] = f"{paths[parent]}/topic-{next_id}"
            next_id += 1
        conn.execute(insert(Category), categories)
        conn.execute(
            insert(Tag), [{"id": i, "name": f"tag {i}", "slug": f"tag-{i}"} for i in range(1, 51)]
        )

        bodies = _rendered_bodies(rng)
        sqlite = conn.dialect.name == "sqlite"
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            # The two GIN indexes are built once after the posts, not grown row by row.
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_posts_search_vector")
            conn.exec_driver_sql("DROP INDEX IF EXISTS ix_posts_search_trgm")
        if sqlite:
            # The app's connections keep a 256 KB page cache (many workers, small pages);
            # a million-row load into indexed tables wants its index pages in memory.
            conn.exec_driver_sql("PRAGMA cache_size=-1000000")
            # The search index is filled in bulk after the posts, not row by row by its trigger.
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS posts_fts_insert")
        posts, links, tag_links, published = [], [], [], {}
        for pid in range(1, scale.posts + 1):
            body = bodies[pid % len(bodies)]
            title = f"Op-ed {pid}: " + _sentence(rng).rstrip(".")[:120]
            when = now - timedelta(hours=2 * pid, minutes=rng.randint(0, 90))
            published[pid] = when
            posts.append(
                {
                    "id": pid,
                    "title": title,
                    "slug": f"op-ed-{pid}",
                    "content_format": "markdown",
                    "body": body["body"],
                    "body_html": body["body_html"],
                    "excerpt": "",
                    "excerpt_html": body["excerpt_html"],
                    "has_more": body["has_more"],
                    "search_text": f"{title}\n{body['search_text']}",
                    "first_image_url": "",
                    "source_line": "",
                    "status": PostStatus.PUBLISHED,
                    "language": "en",
                    "comment_mode": "open",
                    "sticky": False,
                    "published_at": when,
                    "created_at": when,
                    "updated_at": when,
                    "author_id": pid % len(authors) + 1,
                    "comment_count": 0,
                    "guid": "",
                }
            )
            leaf = rng.randint(top + 1, scale.categories)
            links.append({"post_id": pid, "category_id": leaf})
            if rng.random() < 0.4:
                links.append({"post_id": pid, "category_id": rng.randint(1, top)})
            for tag_id in rng.sample(range(1, 51), rng.randint(0, 3)):
                tag_links.append({"post_id": pid, "tag_id": tag_id})
            if len(posts) == 1000:  # in batches: a million-comment site's posts stay out of memory
                conn.execute(insert(Post), posts)
                posts = []
        if posts:
            conn.execute(insert(Post), posts)
        if sqlite:
            from blogapp.search.schema import _SQLITE_CREATE, FTS_TABLE

            conn.exec_driver_sql(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
            conn.exec_driver_sql(next(s for s in _SQLITE_CREATE if "posts_fts_insert" in s))
        if postgres:
            from blogapp.search.schema import _POSTGRES_CREATE

            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            for statement in _POSTGRES_CREATE:
                if "CREATE INDEX" in statement:
                    conn.exec_driver_sql(statement)
        conn.execute(insert(post_categories), links)
        if tag_links:
            conn.execute(insert(post_tags), tag_links)

        # The two long threads are on recent posts (page 1 readers open those).
        big_posts = [3 + i for i in range(len(scale.big_threads))]
        counts = dict.fromkeys(range(1, scale.posts + 1), 0)
        for pid, n in zip(big_posts, scale.big_threads, strict=True):
            counts[pid] = n
        remaining = scale.comments - sum(scale.big_threads)
        others = [p for p in counts if p not in big_posts and p > 10]
        for _ in range(remaining):
            counts[rng.choice(others)] += 1
        target_id = 1  # gets no comments here: the benchmark's POSTs go there

        texts = _rendered_comments(rng)
        rows, cid = [], 0
        for pid, n in counts.items():
            ids_depth: list[tuple[int, int]] = []
            for k in range(n):
                cid += 1
                parent, depth = None, 0
                if ids_depth and rng.random() < 0.35:
                    parent, parent_depth = rng.choice(ids_depth[-20:])
                    depth = min(parent_depth + 1, 4)
                ids_depth.append((cid, depth))
                text, html = texts[cid % len(texts)]
                rows.append(
                    {
                        "id": cid,
                        "post_id": pid,
                        "parent_id": parent,
                        "depth": depth,
                        "author_name": f"Reader {cid % 997}",
                        "author_email": f"reader{cid % 997}@example.org",
                        "author_url": "",
                        "author_ip": "127.0.0.1",
                        "user_agent": "bench",
                        "body": text,
                        "body_html": html,
                        "status": CommentStatus.APPROVED,
                        "created_at": published[pid] + timedelta(minutes=k + 1),
                    }
                )
            if len(rows) >= 5000:
                conn.execute(insert(Comment), rows)
                rows = []
        if rows:
            conn.execute(insert(Comment), rows)
        conn.execute(
            Post.__table__.update()
            .where(Post.id == Post.__table__.c.id)
            .values(
                comment_count=Comment.__table__.select()
                .with_only_columns(db.func.count())
                .where(Comment.post_id == Post.id, Comment.status == CommentStatus.APPROVED)
                .scalar_subquery()
            )
        )
        if postgres:
            # The rows came with their ids: the sequences must continue after them.
            for table in ("users", "categories", "tags", "posts", "comments"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        db.session.commit()
        db.session.remove()
        if postgres:
            with db.engine.connect() as raw:
                raw.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM ANALYZE"
                )
        db.engine.dispose()
    if database_url.startswith("sqlite:///"):
        # Planner statistics, as a long-running site has, and the WAL folded in.
        raw = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
        try:
            raw.execute("ANALYZE")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()

    def path_of(pid: int) -> str:
        local = published[pid]  # the site's time zone is UTC by default
        return f"/{local:%Y/%m/%d}/op-ed-{pid}/"

    return BigSite(
        post_500_path=path_of(big_posts[1]),
        post_1000_path=path_of(big_posts[0]),
        comment_target_id=target_id,
        comment_target_path=path_of(target_id),
        category_path=f"/category/{paths[1]}/",
        search_term="transparency",
        posts=scale.posts,
        comments=scale.comments,
        seconds=time.monotonic() - started,
    )
