"""Import speed: a generated WordPress export of 10,000 posts with 100,000 comments
(threaded, every status) imported into a fresh SQLite database.

    python -m benchmarks.wxr_import [--posts N] [--comments-per-post M] [--keep DIR]

Prints the file size, the time, the rate, the CPU time and the peak memory (RSS) of
the import: of the importer's process, and of the largest of its rendering workers
(``blogapp.wordpress.render_pool``). On a shared machine the wall time depends on
what else runs; the CPU times do much less, so both are printed, with the load."""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Benchmark</title><wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>http://bench.example.org</wp:base_site_url>
"""
PARAGRAPHS = [
    "The river rose early this year, and with it the price of rice in every market town.",
    "ការបោះឆ្នោតគឺជាសំឡេងរបស់ប្រជាជន ហើយសំឡេងនោះត្រូវតែស្តាប់។",
    "Courts earn trust slowly.\nThey lose it in an afternoon.",
    "<ul>\n<li>Water</li>\n<li>Land</li>\n<li>Work</li>\n</ul>",
]
STATUSES = ["1"] * 7 + ["0", "spam", "trash"]


def write_wxr(path: Path, posts: int, comments_per_post: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for a in range(1, 21):
            out.write(
                f"<wp:author><wp:author_id>{a}</wp:author_id><wp:author_login>writer{a}"
                f"</wp:author_login><wp:author_display_name>Writer {a}"
                "</wp:author_display_name></wp:author>\n"
            )
        for c in range(1, 41):
            parent = f"cat{c // 4}" if c >= 4 else ""
            out.write(
                f"<wp:category><wp:term_id>{c}</wp:term_id><wp:category_nicename>cat{c}"
                f"</wp:category_nicename><wp:category_parent>{parent}"
                f"</wp:category_parent><wp:cat_name>Category {c}</wp:cat_name>"
                "</wp:category>\n"
            )
        comment_id = 0
        for p in range(1, posts + 1):
            body = "\n\n".join(PARAGRAPHS[(p + i) % 4] for i in range(6))
            day = f"20{10 + p % 15}-{1 + p % 12:02d}-{1 + p % 28:02d} {p % 24:02d}:00:00"
            out.write(
                f"<item><title>Post number {p}</title><dc:creator>writer{1 + p % 20}</dc:creator>"
                f'<guid isPermaLink="false">http://bench.example.org/?p={p}</guid>'
                f"<content:encoded><![CDATA[{body}\n\n<!--more-->\n\nThe end of {p}.]]>"
                f"</content:encoded><wp:post_id>{p}</wp:post_id>"
                f"<wp:post_date>{day}</wp:post_date><wp:post_date_gmt>{day}</wp:post_date_gmt>"
                f"<wp:post_name>post-number-{p}</wp:post_name><wp:status>publish</wp:status>"
                f"<wp:post_type>post</wp:post_type><wp:comment_status>open</wp:comment_status>"
                f'<category domain="category" nicename="cat{1 + p % 40}">Category</category>'
                f'<category domain="post_tag" nicename="tag{p % 200}">Tag {p % 200}</category>'
            )
            first = comment_id + 1
            for k in range(comments_per_post):
                comment_id += 1
                parent = first + (k - 1) // 2 if k else 0  # threads a few levels deep
                text = escape(
                    f"Comment {k} on post {p}: I <b>agree</b>.\nSee http://example.org/{k}"
                )
                out.write(
                    f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author>Reader {k}</wp:comment_author>"
                    f"<wp:comment_author_email>r{k}@example.org</wp:comment_author_email>"
                    f"<wp:comment_author_url>https://r{k}.example.net</wp:comment_author_url>"
                    f"<wp:comment_date_gmt>{day}</wp:comment_date_gmt>"
                    f"<wp:comment_content>{text}</wp:comment_content>"
                    f"<wp:comment_approved>{STATUSES[k % 10]}</wp:comment_approved>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
                )
            out.write("</item>\n")
        out.write("</channel></rss>\n")


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--comments-per-post", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="write the WXR file and database here")
    args = parser.parse_args(argv)

    from blogapp import create_app
    from blogapp.extensions import db
    from blogapp.wordpress.wxr_import import import_wxr

    folder = args.keep or Path(tempfile.mkdtemp(prefix="wxr-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    wxr, database = folder / "bench.xml", folder / "bench.sqlite"
    database.unlink(missing_ok=True)
    started = time.perf_counter()
    write_wxr(wxr, args.posts, args.comments_per_post)
    size_mb = wxr.stat().st_size / 1e6
    print(
        f"generated {wxr} ({size_mb:.1f} MB) in {time.perf_counter() - started:.1f} s; "
        f"peak RSS before import {peak_rss_mb():.0f} MB"
    )

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            "SECRET_KEY": secrets.token_hex(32),
            "UPLOAD_FOLDER": str(folder / "uploads"),
        }
    )
    with app.app_context():
        db.create_all()
        print(f"load average before: {load_average()}")
        started = time.perf_counter()
        cpu_before = cpu_seconds(resource.RUSAGE_SELF)
        report = import_wxr(wxr)
        seconds = time.perf_counter() - started
        cpu_main = cpu_seconds(resource.RUSAGE_SELF) - cpu_before
    posts = sum(report.posts.values())
    comments = sum(report.comments.values())
    print("\n".join(report.summary_lines()[:9]))
    print(
        f"imported {posts:,} posts and {comments:,} comments in {seconds:.1f} s "
        f"({(posts + comments) / seconds:,.0f} rows/s, {size_mb / seconds:.2f} MB/s); "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    print(
        f"CPU: importer {cpu_main:.1f} s, rendering workers "
        f"{cpu_seconds(resource.RUSAGE_CHILDREN):.1f} s in all; largest worker's peak RSS "
        f"{peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB; load average after: "
        f"{load_average()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
