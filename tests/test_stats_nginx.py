"""The shipped log format, written by a real nginx (deploy/nginx-blogapp-maps.conf),
is what ``flask stats ingest`` reads: a quote in a user agent stays inside its field,
our own ``?ref=`` names the channel, and the cache key leaves it out."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import StatsPostDay, StatsSource
from tests.factories import make_post
from tests.servers import NGINX, fetch, free_port, require, wait_for

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
CONF = """
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy_temp;
    fastcgi_temp_path {prefix}/fastcgi_temp;
    uwsgi_temp_path {prefix}/uwsgi_temp;
    scgi_temp_path {prefix}/scgi_temp;
    include {deploy}/nginx-blogapp-maps.conf;
    server {{
        listen 127.0.0.1:{port};
        location / {{
            access_log {prefix}/stats.log blogapp_stats;
            add_header X-Cache-Uri $blogapp_cache_uri always;
            return 200 "a page";
        }}
    }}
}}
"""


@pytest.fixture
def nginx(tmp_path):
    require("nginx", NGINX is not None, "apt-get install nginx-light")
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(CONF.format(prefix=tmp_path, deploy=DEPLOY, port=port))
    log = tmp_path / "error.log"
    log.touch()
    with log.open("a") as out:
        process = subprocess.Popen(
            [NGINX, "-p", str(tmp_path), "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for(port, "/", process, log)
        yield port, tmp_path / "stats.log"
    finally:
        process.terminate()
        process.wait(10)


def test_nginx_writes_what_the_ingest_reads(nginx, runner, ctx):
    port, log = nginx
    post = make_post("Water rights", slug="water-rights")
    path = f"/{post.published_at:%Y/%m/%d}/water-rights/"
    odd = 'Mozilla/5.0 "quoted" (X11) Firefox/128.0'
    answers = [
        fetch(port, path + "?ref=newsletter", headers={"User-Agent": odd}),
        fetch(port, path, headers={"User-Agent": odd, "Referer": "https://t.me/channel/55?single"}),
        fetch(port, path + "?lang=km&ref=newsletter", headers={"User-Agent": "Safari/604.1"}),
        fetch(port, path, headers={"User-Agent": "Googlebot/2.1"}),
    ]
    assert [a.headers["X-Cache-Uri"] for a in answers] == [path, path, path + "?lang=km", path]
    # The first line is the wait for nginx to start: no user agent, so a robot.
    result = runner.invoke(args=["stats", "ingest", str(log)])
    assert result.exit_code == 0, result.output
    assert "Read 5 line(s): 3 post view(s), 2 by robots' user agents" in result.output
    [row] = db.session.scalars(select(StatsPostDay)).all()
    assert (row.views, row.readers) == (3, 2)
    channels = {(s.channel, s.referrer): s.views for s in db.session.scalars(select(StatsSource))}
    assert channels == {("newsletter", ""): 2, ("telegram", "t.me"): 1}
