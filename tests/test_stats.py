"""Reading counts (issue 36): a generated access log with known counts is ingested by
``flask stats ingest``, and every figure is exact; robots are left out by user agent
and by behaviour; a second ingest adds nothing; a rotated log is finished before the
new one; a finished day keeps its counts and loses its hashes; and no table holds an
address, a user agent or a full referrer afterwards."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from urllib.parse import quote

import pytest
from sqlalchemy import LargeBinary, String, Text, select

from blogapp.extensions import db
from blogapp.models import (
    PostStatus,
    StatsDay,
    StatsHit,
    StatsLog,
    StatsPostDay,
    StatsReader,
    StatsSource,
)
from blogapp.stats.channels import Channels, referrer_domain
from tests.factories import make_post, make_user

# 12:00 in Phnom Penh (UTC+7) on 10 March 2026.
NOW = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
ADDRESS_A, ADDRESS_B, ADDRESS_D = "203.0.113.5", "198.51.100.7", "2001:db8::4"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/126.0 Mobile Safari/537.36"
)
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
TELEGRAM_REF = "https://t.me/somechannel/123"
GOOGLE_REF = "https://www.google.com.kh/search?q=secret+words&hl=km"
FACEBOOK_REF = "https://l.facebook.com/l.php?u=https%3A%2F%2Fx&h=AT0abcdef"
MASTODON_REF = "https://mastodon.social/@someone/1122334455"


@pytest.fixture
def app_config():
    return {
        "TIMEZONE": "Asia/Phnom_Penh",
        "STATS_ROBOT_PAGES": 10,
        "SITE_URL": "https://blog.example.org",
    }


@pytest.fixture
def moment(app):
    """The app's clock, set by the test."""
    holder = {"now": NOW}
    app.config["CLOCK"] = lambda: holder["now"].timestamp()
    return holder


@pytest.fixture
def posts(ctx):
    english = make_post(
        "Water rights", slug="water-rights", published_at=datetime(2026, 3, 1, 3, tzinfo=UTC)
    )
    khmer = make_post(
        "សិទ្ធិទឹក", slug="សិទ្ធិទឹក", language="km", published_at=datetime(2026, 3, 2, 3, tzinfo=UTC)
    )
    return english, khmer


def line(
    when: str,
    path: str,
    *,
    address: str = ADDRESS_A,
    agent: str = FIREFOX,
    referrer: str = "-",
    status: int = 200,
    method: str = "GET",
) -> str:
    """A line of the blogapp_stats log format (deploy/nginx-blogapp-stats.conf)."""
    return f'{when} {status} {method} "{path}" "{referrer}" "{agent}" {address}\n'


EN = "/2026/03/01/water-rights/"
KM = "/2026/03/02/" + quote("សិទ្ធិទឹក") + "/"
T = "2026-03-10T09:{:02d}:00+07:00"


def known_log() -> str:
    lines = [
        # Reader A: the English post from the newsletter, Telegram and directly; the
        # Khmer one from Google.
        line(T.format(1), EN + "?ref=newsletter"),
        line(T.format(2), EN, referrer=TELEGRAM_REF),
        line(T.format(3), EN),
        line(T.format(4), KM, referrer=GOOGLE_REF),
        line(T.format(4), "/static/css/site.css?v=1"),  # not a page
        # Reader B: twice from Facebook, the second a browser's revalidation (304).
        line(T.format(5), EN, address=ADDRESS_B, agent=CHROME, referrer=FACEBOOK_REF),
        line(T.format(6), EN, address=ADDRESS_B, agent=CHROME, referrer=FACEBOOK_REF, status=304),
        # Reader C: A's address with another browser, from Mastodon, then a page of the
        # site to the Khmer post.
        line(T.format(7), KM, agent=SAFARI, referrer=MASTODON_REF),
        line(T.format(8), KM, agent=SAFARI, referrer="https://blog.example.org/"),
        # Not views: HEAD, a comment's POST, a redirect, a missing post, a 404 slug.
        line(T.format(9), EN, method="HEAD"),
        line(T.format(9), EN, method="POST", status=303),
        line(T.format(9), "/2026/03/01/water-rights", status=301),
        line(T.format(9), "/2026/03/01/no-such-post/", status=404),
        line(T.format(9), "/2026/03/01/no-such-post/"),
        # Robots by user agent.
        *[line(T.format(10 + i), EN, address="66.249.66.1", agent=GOOGLEBOT) for i in range(5)],
        line(T.format(15), EN, address="192.0.2.9", agent="curl/8.5.0"),
        line(T.format(15), EN, address="192.0.2.9", agent="-"),
        # Robots by behaviour: robots.txt, then the post; and eleven pages in a day.
        line(T.format(16), "/robots.txt", address="192.0.2.77"),
        line(T.format(17), EN, address="192.0.2.77", referrer=TELEGRAM_REF),
        line(T.format(17), EN, address="192.0.2.77"),
        *[line(T.format(20 + i), f"/page/{i + 2}/", address="192.0.2.88") for i in range(10)],
        line(T.format(31), EN, address="192.0.2.88"),
        # Reader D, on the 9th in Phnom Penh (16:59 UTC) and again on the 10th (17:01 UTC).
        line("2026-03-09T16:59:00+00:00", EN, address=ADDRESS_D),
        line("2026-03-09T17:01:00+00:00", EN, address=ADDRESS_D, referrer=TELEGRAM_REF),
        "this is not a log line\n",
    ]
    return "".join(lines)


def ingest(runner, path) -> str:
    result = runner.invoke(args=["stats", "ingest", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def post_days() -> dict:
    rows = db.session.scalars(select(StatsPostDay))
    return {(r.post_id, r.day): (r.language, r.views, r.readers) for r in rows}


def sources() -> dict:
    rows = db.session.scalars(select(StatsSource))
    return {(r.post_id, r.day, r.channel, r.referrer): r.views for r in rows}


def day_readers() -> dict:
    return {d.day: d.readers for d in db.session.scalars(select(StatsDay))}


TENTH, NINTH = date(2026, 3, 10), date(2026, 3, 9)


def expected(en: int, km: int, a_again: int = 0) -> tuple[dict, dict, dict]:
    days = {
        (en, TENTH): ("en", 6 + a_again, 3),
        (km, TENTH): ("km", 3, 2),
        (en, NINTH): ("en", 1, 1),
    }
    where = {
        (en, TENTH, "newsletter", ""): 1,
        (en, TENTH, "telegram", "t.me"): 2,
        (en, TENTH, "direct", ""): 1 + a_again,
        (en, TENTH, "facebook", "l.facebook.com"): 2,
        (km, TENTH, "search", "google.com.kh"): 1,
        (km, TENTH, "fediverse", "mastodon.social"): 1,
        (km, TENTH, "site", ""): 1,
        (en, NINTH, "direct", ""): 1,
    }
    return days, where, {TENTH: 4, NINTH: 1}


def test_an_ingest_counts_every_figure_exactly_and_a_second_adds_nothing(
    runner, ctx, moment, posts, tmp_path
):
    en, km = (p.id for p in posts)
    log = tmp_path / "stats.log"
    log.write_text(known_log())

    output = ingest(runner, log)
    assert (
        "Read 38 line(s): 13 post view(s), 7 by robots' user agents, 0 of closed days, "
        "1 not in the blogapp_stats format." in output
    )
    days, where, readers = expected(en, km)
    assert post_days() == days
    assert sources() == where
    assert day_readers() == readers

    again = ingest(runner, log)
    assert "Read 0 line(s)" in again
    assert (post_days(), sources(), day_readers()) == (days, where, readers)

    # More lines: reader A reads the English post once more (no new reader), and a
    # line being written (no newline yet) waits for the next run.
    with log.open("a") as out:
        out.write(line(T.format(40), EN))
        out.write(line(T.format(41), EN, address=ADDRESS_B)[:30])
    assert "Read 1 line(s): 1 post view(s)" in ingest(runner, log)
    days, where, readers = expected(en, km, a_again=1)
    assert (post_days(), sources(), day_readers()) == (days, where, readers)


def test_a_rotated_log_is_finished_before_the_new_one(runner, ctx, moment, posts, tmp_path):
    en, _km = (p.id for p in posts)
    log = tmp_path / "stats.log"
    log.write_text(line(T.format(1), EN))
    ingest(runner, log)
    # nginx wrote one more line, then logrotate moved the file and nginx began a new one.
    with log.open("a") as out:
        out.write(line(T.format(2), EN, address=ADDRESS_B))
    os.rename(log, f"{log}.1")
    log.write_text(line(T.format(3), EN, address=ADDRESS_D))
    assert "Read 2 line(s)" in ingest(runner, log)
    assert post_days() == {(en, TENTH): ("en", 3, 3)}
    state = db.session.get(StatsLog, str(log))
    assert (state.inode, state.position, state.lines) == (
        os.stat(log).st_ino,
        log.stat().st_size,
        3,
    )
    # Truncated in place (copytruncate): read from the start again.
    log.write_text("")
    assert "Read 0 line(s)" in ingest(runner, log)
    log.write_text(line(T.format(4), EN, address=ADDRESS_D))
    assert "Read 1 line(s)" in ingest(runner, log)
    assert post_days() == {(en, TENTH): ("en", 4, 3)}


def test_a_finished_day_keeps_its_counts_and_forgets_its_hashes(
    runner, ctx, moment, posts, tmp_path
):
    en, km = (p.id for p in posts)
    log = tmp_path / "stats.log"
    log.write_text(known_log())
    ingest(runner, log)
    # The 9th ended before this run: its hashes went at once; the 10th's remain.
    assert db.session.get(StatsDay, NINTH).salt is None
    assert db.session.get(StatsDay, TENTH).salt is not None
    assert {r.day for r in db.session.scalars(select(StatsHit))} == {TENTH}

    moment["now"] = datetime(2026, 3, 11, 5, tzinfo=UTC)
    with log.open("a") as out:
        out.write(line(T.format(50), EN, address="203.0.113.200"))  # written late, the 10th
        out.write(line("2026-03-11T10:00:00+07:00", KM))
    output = ingest(runner, log)
    assert "Read 2 line(s): 2 post view(s)" in output
    days, where, readers = expected(en, km)
    days[(en, TENTH)] = ("en", 7, 4)
    days[(km, date(2026, 3, 11))] = ("km", 1, 1)
    assert post_days() == days
    assert db.session.get(StatsDay, TENTH).salt is None
    assert db.session.scalars(select(StatsReader.day)).all() == [date(2026, 3, 11)]

    # A line of a closed day changes nothing.
    with log.open("a") as out:
        out.write(line(T.format(51), EN, address="203.0.113.201"))
    assert "1 of closed days" in ingest(runner, log)
    assert post_days() == days

    # flask prune forgets a day's hashes a day after it ended, even with no ingest.
    moment["now"] = datetime(2026, 3, 13, 5, tzinfo=UTC)
    result = runner.invoke(args=["prune"])
    assert "Forgot the reader hashes of 1 finished day(s)" in result.output
    assert db.session.scalars(select(StatsHit)).all() == []
    assert db.session.scalars(select(StatsReader)).all() == []
    assert post_days() == days


def test_no_table_holds_an_address_agent_or_full_referrer(runner, ctx, moment, posts, tmp_path):
    log = tmp_path / "stats.log"
    log.write_text(known_log())
    ingest(runner, log)
    secrets_ = [
        ADDRESS_A,
        ADDRESS_B,
        ADDRESS_D,
        "192.0.2.77",
        "66.249.66.1",
        FIREFOX,
        CHROME,
        SAFARI,
        GOOGLEBOT,
        "Firefox",
        "Mozilla",
        "curl",
        TELEGRAM_REF,
        GOOGLE_REF,
        FACEBOOK_REF,
        MASTODON_REF,
        "somechannel",
        "secret",
        "l.php",
        "someone",
        "https://",
        "203.0.113",
        "198.51.100",
    ]
    scanned = 0
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | LargeBinary)]
        for row in db.session.execute(select(*columns)) if columns else ():
            for value in row:
                scanned += 1
                if isinstance(value, bytes):
                    assert not any(s.encode() in value for s in secrets_), table.name
                elif isinstance(value, str):
                    found = [s for s in secrets_ if s.lower() in value.lower()]
                    assert not found, (table.name, found, value)
    assert scanned > 20
    # What is kept: numbers, domains, the log's path.
    assert db.session.scalars(select(StatsSource.referrer).distinct()).all()


def test_a_missing_log_is_a_clear_error(runner, ctx, tmp_path):
    result = runner.invoke(args=["stats", "ingest", str(tmp_path / "nothing.log")])
    assert result.exit_code == 1
    assert "Cannot read" in result.output and "No such file" in result.output


@pytest.mark.parametrize(
    ("ref", "referrer", "channel"),
    [
        ("newsletter", "https://mail.google.com/", "newsletter"),
        ("", "", "direct"),
        ("", "https://www.google.com/", "search"),
        ("", "https://duckduckgo.com/", "search"),
        ("", "android-app://org.telegram.messenger/", "telegram"),
        ("", "android-app://com.facebook.katana/", "facebook"),
        ("", "https://m.facebook.com/story.php?id=1", "facebook"),
        ("", "https://mastodon.example/@a/1", "fediverse"),
        ("", "https://follower.example/@a/1", "fediverse"),
        ("", "https://blog.example.org/2026/", "site"),
        ("", "https://news.example.com/a/b?c=d", "other"),
        ("unknown", "", "direct"),
    ],
)
def test_channels(ref, referrer, channel):
    channels = Channels(
        own=frozenset({"blog.example.org"}), fediverse=frozenset({"follower.example"})
    )
    assert channels.of(ref, referrer_domain(referrer)) == channel


def test_the_reading_screen_and_a_posts_numbers(
    client, runner, ctx, moment, posts, login_as, tmp_path
):
    en, _km = posts
    log = tmp_path / "stats.log"
    log.write_text(known_log())
    ingest(runner, log)
    login_as(make_user("editor"))
    response = client.get("/admin/stats/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    page = response.get_data(as_text=True)
    assert str(log) in page and "38 lines read" in page
    assert "<svg" in page and "<script" not in page
    assert "Water rights" in page and "សិទ្ធិទឹក" in page
    assert "google.com.kh" in page and "Telegram" in page
    edit = client.get(f"/admin/posts/{en.id}/edit").get_data(as_text=True)
    assert "Last 30 days: 7 views by 4 readers" in edit
    assert "Since counting began: 7 views." in edit


def test_a_draft_post_shows_no_numbers_and_a_new_post_none(client, ctx, login_as):
    login_as(make_user("editor"))
    draft = make_post("Draft", status=PostStatus.DRAFT)
    assert "Last 30 days: 0 views" in client.get(f"/admin/posts/{draft.id}/edit").get_data(
        as_text=True
    )
    assert "Last 30 days" not in client.get("/admin/posts/new").get_data(as_text=True)


def test_the_page_cache_key_leaves_out_ref(client, ctx, posts):
    en, _km = posts
    first = client.get(EN)
    second = client.get(EN + "?ref=newsletter")
    assert first.status_code == second.status_code == 200
    assert second.headers["ETag"] == first.headers["ETag"]


def test_the_newsletter_links_carry_ref(ctx, posts):
    from blogapp.newsletter.services import compose_post

    mail = compose_post(posts[0])
    assert "/2026/03/01/water-rights/?ref=newsletter" in mail["text"]


def test_one_ingest_at_a_time(runner, app, ctx, tmp_path):
    import fcntl

    log = tmp_path / "stats.log"
    log.write_text("")
    with open(os.path.join(app.instance_path, "stats-ingest.lock"), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = runner.invoke(args=["stats", "ingest", str(log)])
    assert result.exit_code == 1 and "Another `flask stats ingest` is running" in result.output
    assert "Read 0 line(s)" in ingest(runner, log)


def test_a_slug_sent_unencoded_is_found(runner, ctx, moment, posts, tmp_path):
    """nginx logs bytes outside ASCII as \\xHH (a client that sent the Khmer slug as
    UTF-8 instead of percent-encoding it)."""
    _en, km = (p.id for p in posts)
    raw = "".join(f"\\x{b:02X}" for b in "សិទ្ធិទឹក".encode())
    log = tmp_path / "stats.log"
    log.write_text(line(T.format(1), f"/2026/03/02/{raw}/"))
    ingest(runner, log)
    assert post_days() == {(km, TENTH): ("km", 1, 1)}
