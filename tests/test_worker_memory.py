"""A web worker that only serves readers loads and keeps only what readers' pages need.

Pillow (uploads), argon2 (logins), markdown-it (writing posts), Alembic
(migrations), dkimpy with dnspython and cryptography (signing mail, the health checks),
pyrage (sealing submitted contact details) and smtplib with email.policy (``flask
deliver`` sends mail; web workers only queue it) are imported where they are used;
bleach when the first comment with markup or an address is cleaned, email_validator
(with idna) when the first address is checked; feeds are templates, so lxml is never
loaded to serve one, and ElementTree only for a sitemap (or by bleach); on SQLite,
PostgreSQL's dialect is never loaded. Each of these weighs megabytes in every worker.
The worker is a fresh process here, since the test process has imported everything already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from blogapp import create_app
from blogapp.extensions import db
from blogapp.permalinks import post_url
from blogapp.post_queries import post_terms
from blogapp.seo.related import post_neighbours
from tests.conftest import on_postgres
from tests.factories import make_comment, make_post

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOT_FOR_READERS = [
    "PIL",
    "argon2",
    "markdown_it",
    "alembic",
    "feedgen",
    "lxml",
    "dkim",
    "dns",
    "cryptography",
    "pyrage",
    "smtplib",
    "email.policy",
    "flask_caching",  # the page cache's Redis store: this worker has no REDIS_URL
]
SQLITE_ONLY = ["sqlalchemy.dialects.postgresql"]
# Loaded by the first comment with markup or an address a worker cleans (bleach, whose
# html5lib brings ElementTree, otherwise only for sitemaps), and by the first e-mail
# address a form checks (WTForms' Email()), not by reading pages.
NOT_FOR_BROWSING = ["bleach", "email_validator", "xml.etree"]

# Reads the front page, a post, a search and posts a comment through the form, as
# a reader would, then reports which modules are loaded, before and after a feed.
READER_WORKER = r"""
import json, re, sys
from blogapp import create_app

config, post_path, watched = json.loads(sys.argv[1])
client = create_app(config).test_client()
loaded = lambda: sorted(name for name in watched if name in sys.modules)

for path in ("/", post_path, "/?s=harbour"):
    assert client.get(path).status_code == 200, path
page = client.get(post_path).get_data(as_text=True)
browsing = loaded()
fields = {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
          for name in ("form_token",)}
form = {**fields, "parent_id": "", "homepage": "", "author_name": "Dara",
        "author_email": "dara@example.org", "author_url": "", "body": "Well argued."}
action = re.search(r'action="(/comments/post/\d+)"', page).group(1)
posted = client.post(action, data=form, headers={"Origin": "http://localhost"})
assert posted.status_code == 302, posted.status_code
plain_comment = loaded()
page = client.get(post_path).get_data(as_text=True)
form["form_token"] = re.search(r'name="form_token"[^>]*value="([^"]*)"', page).group(1)
form["body"] = "More at example.org, <b>really</b>."
posted = client.post(action, data=form, headers={"Origin": "http://localhost"})
assert posted.status_code == 302, posted.status_code
reading = loaded()
feed = client.get("/feed/")
assert feed.status_code == 200 and b"<rss" in feed.data
import babel.core, babel.localedata
locale_data = sorted(babel.localedata._cache) + ["global"] * (babel.core._global_data is not None)
print(json.dumps({"browsing": browsing, "plain_comment": plain_comment, "reading": reading,
                  "after_feed": loaded(), "locale_data": locale_data}))
"""


def test_a_reader_worker_never_loads_upload_login_or_writing_libraries(
    app, database_url, tmp_path, ctx
):
    post = make_post("The harbour at dawn", "Boats come in *before* the market opens.")
    make_comment(post, "An earlier comment.")
    with app.test_request_context():
        path = post_url(post)
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-for-a-worker",
        "SITE_URL": "http://localhost",
        "COMMENT_MIN_SECONDS": 0,
        "RATELIMIT_ENABLED": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
    }
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BLOGAPP_") and k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")
    }
    env["BLOGAPP_INSTANCE_PATH"] = str(tmp_path / "instance")

    run = subprocess.run(
        [
            sys.executable,
            "-c",
            READER_WORKER,
            json.dumps(
                [
                    config,
                    path,
                    NOT_FOR_READERS + NOT_FOR_BROWSING + ([] if on_postgres() else SQLITE_ONLY),
                ]
            ),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stderr
    modules = json.loads(run.stdout.strip().splitlines()[-1])
    assert modules["browsing"] == []
    # "Well argued." holds no markup and no address: cleaned without bleach; the
    # commenter's e-mail address was checked.
    assert modules["plain_comment"] == ["email_validator"]
    # the comment with a link and markup was cleaned
    assert modules["reading"] == ["bleach", "email_validator", "xml.etree"]
    assert modules["after_feed"] == ["bleach", "email_validator", "xml.etree"]
    # English pages are written without Babel's locale data (4 MB with its global data).
    assert modules["locale_data"] == []


def test_kept_neighbours_carry_no_excerpts_yet_an_untitled_one_is_labelled(app, client, ctx):
    untitled = make_post(
        "",
        "The first rain came at four in the afternoon.",
        published_at=datetime(2025, 3, 6, 12, 0, tzinfo=UTC),
    )
    middle = make_post(
        "Courts and confidence",
        "Trust is earned.",
        published_at=datetime(2025, 3, 7, 12, 0, tzinfo=UTC),
    )
    make_post(
        "Harbour lights",
        "Boats come in early.",
        published_at=datetime(2025, 3, 8, 12, 0, tzinfo=UTC),
    )

    html = client.get("/2025/03/07/courts-and-confidence/").get_data(as_text=True)

    assert 'rel="prev" lang="en">&larr; The first rain came at four in the afternoon.</a>' in html
    assert 'rel="next" lang="en">Harbour lights &rarr;</a>' in html
    with app.test_request_context():
        kept = post_neighbours(middle, post_terms(middle.id))
    # Each worker keeps thousands of these: only the untitled post needs its excerpt.
    assert kept.previous.id == untitled.id and kept.previous.excerpt_html
    assert kept.next.excerpt_html == ""


def test_a_new_worker_loads_the_templates_an_earlier_one_compiled(app, client, ctx):
    """The second app (a new worker, a restart) compiles no template the first compiled;
    with TEMPLATE_BYTECODE_CACHE off, it compiles each again."""
    make_post("The harbour at dawn", "Boats come in before the market opens.")
    assert client.get("/").status_code == 200

    def compiles(setting: bool) -> int:
        worker = create_app({**app.config, "TEMPLATE_BYTECODE_CACHE": setting})
        compiled = []
        compile_source = worker.jinja_env.compile
        worker.jinja_env.compile = lambda *a, **k: compiled.append(a) or compile_source(*a, **k)
        assert worker.test_client().get("/").status_code == 200
        with worker.app_context():
            db.engine.dispose()  # its own engine: no connection left for the collector
        return len(compiled)

    assert compiles(True) == 0
    assert compiles(False) >= 3  # base.html, the listing and its macros at least
