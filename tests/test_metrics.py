"""/metrics: never answered without the token; counters move with requests and with
the worker's passes; under real gunicorn (several workers, multiprocess mode) a scrape
during a load shows every worker's requests."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from blogapp import create_app
from blogapp.extensions import db
from blogapp.mail.outbox import enqueue
from tests.factories import make_post
from tests.helpers_mail import deliver
from tests.servers import fetch, free_port, wait_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TOKEN = "scraper-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LOAD_THREADS, LOAD_REQUESTS = 4, 50


@pytest.fixture
def app_config():
    return {"METRICS_TOKEN_SHA256": hashlib.sha256(TOKEN.encode()).hexdigest()}


def value(text: str, name: str, **labels) -> float:
    """A sample's value in the text format, 0 when absent."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    found = re.search("^" + pattern + "$", text, re.M)
    return float(found.group(1)) if found else 0.0


def scrape(client) -> str:
    answer = client.get("/metrics", headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-store"
    return answer.get_data(as_text=True)


def test_metrics_are_refused_without_the_token(app, client):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer guessed"})
    assert wrong.status_code == 401 and "blogapp_" not in wrong.get_data(as_text=True)
    app.config["METRICS_TOKEN_SHA256"] = ""
    assert client.get("/metrics", headers=AUTH).status_code == 404


def test_counters_move_with_requests_and_deliveries(app, client, ctx, inbox):
    before = scrape(client)
    post = make_post("Harbour news", "The harbour opens.")
    client.get("/")
    client.get("/")
    client.get("/?s=harbour")
    client.get("/no-such-page/")
    enqueue(
        key="m-1", kind="comment-held", recipient="mod@example.org", subject="Held", text="Waiting."
    )
    db.session.commit()
    middle = scrape(client)
    deliver()
    after = scrape(client)

    def moved(name, **labels):
        return value(middle, name, **labels) - value(before, name, **labels)

    assert moved("blogapp_requests_total", route="posts.index", status="200") == 3
    assert moved("blogapp_page_cache_total", result="hit") >= 1
    assert moved("blogapp_page_cache_total", result="render") >= 2
    assert moved("blogapp_search_seconds_count") == 1
    not_found = re.compile(r'^blogapp_requests_total\{route="[^"]*",status="404"\} (\S+)$', re.M)
    assert (
        sum(map(float, not_found.findall(middle))) - sum(map(float, not_found.findall(before))) == 1
    )
    assert value(middle, "blogapp_outbox_unsent", kind="comment-held") == 1
    assert value(after, "blogapp_outbox_unsent", kind="comment-held") == 0
    assert (
        value(after, "blogapp_deliveries_total", lane="mail", result="sent")
        - value(middle, "blogapp_deliveries_total", lane="mail", result="sent")
        == 1
    )
    assert value(after, "blogapp_mail_worker_heartbeat_timestamp_seconds", lane="mail") > 0
    assert post.id


@pytest.mark.slow
def test_a_scrape_under_gunicorn_adds_up_every_worker(tmp_path, ctx):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("BLOGAPP_")
        and k not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite'}",
        BLOGAPP_INSTANCE_PATH=str(tmp_path / "instance"),
        BLOGAPP_BIND=f"127.0.0.1:{port}",
        BLOGAPP_WORKERS="2",
        BLOGAPP_SITE_URL=f"http://127.0.0.1:{port}",
        SECRET_KEY="m" * 40,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        BLOGAPP_METRICS_TOKEN_SHA256=hashlib.sha256(TOKEN.encode()).hexdigest(),
    )
    setup = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "SECRET_KEY": "m" * 40})
    with setup.app_context():
        db.create_all()
        db.engine.dispose()
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(port, "/healthz", server, log)
        before = fetch(port, "/metrics", headers=AUTH).text
        statuses = []
        # Scraped by one of the loading threads right after its own 10th and 30th
        # request: the counters must already show those, while the others still load.
        midway: list[tuple[int, str]] = []

        def load(scrapes: bool):
            for done in range(1, LOAD_REQUESTS + 1):
                statuses.append(fetch(port, "/").status)
                if scrapes and done in (10, 30):
                    midway.append((done, fetch(port, "/metrics", headers=AUTH).text))

        threads = [threading.Thread(target=load, args=(i == 0,)) for i in range(LOAD_THREADS)]
        for thread in threads:
            thread.start()
        during = [fetch(port, "/metrics", headers=AUTH).text for _ in range(3)]
        for thread in threads:
            thread.join()
        after = fetch(port, "/metrics", headers=AUTH).text
        assert fetch(port, "/metrics").status == 401
    finally:
        server.terminate()
        server.wait(timeout=30)

    seen = [
        value(text, "blogapp_requests_total", route="posts.index", status="200")
        for text in (before, *during, after)
    ]
    assert seen == sorted(seen) and seen[-1] > seen[0]
    for done, text in midway:  # moving during the load, not only after it
        counted = value(text, "blogapp_requests_total", route="posts.index", status="200")
        # At least this thread's requests so far; not its requests still to come.
        assert seen[0] + done <= counted <= seen[-1] - (LOAD_REQUESTS - done)
    assert [done for done, _ in midway] == [10, 30]
    assert statuses == [200] * LOAD_REQUESTS * LOAD_THREADS
    assert seen[-1] - seen[0] == len(statuses)  # every worker's requests, none twice
    assert value(after, "blogapp_page_cache_total", result="hit") > 0


def test_the_grafana_dashboard_asks_only_for_metrics_the_site_has():
    dashboard = json.loads((PROJECT_ROOT / "deploy" / "grafana-blogapp.json").read_text())
    asked = {
        re.sub(r"_(total|bucket|count|sum)$", "", name)
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"blogapp_[a-z_]+", target["expr"])
    }
    package = PROJECT_ROOT / "blogapp" / "metrics"
    source = "".join(path.read_text() for path in package.glob("*.py"))
    made = set(re.findall(r'"(blogapp_[a-z_]+)"', source))
    assert asked and asked <= made, asked - made
