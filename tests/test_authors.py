"""Author profiles and bylines (issue 37): guest writers and pen names with no
account, several bylines in order, author pages and feeds by profile, and the
Contributor and Author roles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import selectinload

from blogapp.authors.services import own_profile_id
from blogapp.extensions import db
from blogapp.models import (
    ROLE_AUTHOR,
    ROLE_CONTRIBUTOR,
    AuthorProfile,
    Post,
    PostStatus,
    User,
)
from tests.conftest import on_postgres
from tests.factories import make_post, make_profile, make_user
from tests.helpers import csrf_token_from

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _json_ld(html: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_two_and_three_bylines_read_in_order_with_links_to_their_pages(client, ctx):
    dara, guest = make_profile("Dara Vuthy"), make_profile("Mey Lin", slug="mey")
    third = make_profile("Sophal Ear")
    pair = make_post("Water rights", bylines=[guest, dara])
    trio = make_post("Rice prices", bylines=[dara, guest, third])

    pair_html = client.get(f"/?p={pair.id}", follow_redirects=True).get_data(as_text=True)
    trio_html = client.get(f"/?p={trio.id}", follow_redirects=True).get_data(as_text=True)

    assert (
        'Posted by: <a href="/author/mey/">Mey Lin</a> and '
        '<a href="/author/dara-vuthy/">Dara Vuthy</a>'
    ) in pair_html
    assert (
        '<a href="/author/dara-vuthy/">Dara Vuthy</a>, <a href="/author/mey/">Mey Lin</a>'
        ' and <a href="/author/sophal-ear/">Sophal Ear</a>'
    ) in trio_html
    people = _json_ld(pair_html)["author"]
    assert [p["name"] for p in people] == ["Mey Lin", "Dara Vuthy"]
    assert people[0]["url"] == "http://localhost/author/mey/"


def test_a_pen_name_links_to_no_account_anywhere_readers_look(client, ctx):
    writer = make_user("realwriter", display_name="Real Name", email="real@example.org")
    pen = make_profile(
        "Night Owl",
        slug="night-owl",
        user=writer,
        pen_name=True,
        bio="Writes about the night.",
        same_as="https://example.net/owl",
    )
    make_post("Under the lamps", author=writer, bylines=[pen])

    pages = [
        client.get(url)
        for url in (
            "/",
            "/author/night-owl/",
            "/author/night-owl/feed/",
            "/feed/",
            "/feed/atom/",
            "/sitemap.xml",
        )
    ]
    post_page = client.get(
        "/",
    ).get_data(as_text=True)
    link = re.search(r'href="(/\d{4}/\d\d/\d\d/under-the-lamps/)"', post_page).group(1)
    pages.append(client.get(link))

    assert [p.status_code for p in pages] == [200] * 7
    for response in pages:
        text = response.get_data(as_text=True)
        for secret in ("realwriter", "Real Name", "real@example.org", "pen name", "pen_name"):
            assert secret not in text, (response.request.path, secret)
    author_page = pages[1].get_data(as_text=True)
    assert "Writes about the night." in author_page and "Under the lamps" in author_page
    assert _json_ld(pages[-1].get_data(as_text=True))["author"]["sameAs"] == [
        "https://example.net/owl"
    ]
    # The account's old author URL does not lead to the pen name.
    assert client.get("/author/realwriter/").status_code == 404


def test_an_old_login_url_moves_to_the_accounts_own_profile(client, ctx):
    user = make_user("sokha.c", display_name="Sokha Chan")
    make_post("Courts", author=user)
    profile = db.session.scalar(select(AuthorProfile).where(AuthorProfile.user_id == user.id))
    profile.slug = "sokha-chan"
    db.session.commit()

    page = client.get("/author/sokha.c/")
    feed = client.get("/author/sokha.c/feed/")

    assert (page.status_code, page.headers["Location"]) == (301, "/author/sokha-chan/")
    assert (feed.status_code, feed.headers["Location"]) == (301, "/author/sokha-chan/feed/")
    assert client.get("/author/nobody/").status_code == 404


def test_author_page_costs_the_same_few_queries_however_many_bylines(client, count_queries, ctx):
    main = make_profile("Main Writer", slug="main")
    for n in range(6):
        others = [make_profile(f"Co Writer {n}-{i}") for i in range(n % 3)]
        make_post(f"Piece {n}", bylines=[main, *others])
    client.get("/")  # warm the sidebar

    with count_queries() as few:
        assert client.get("/author/main/").status_code == 200
    make_post("Piece more", bylines=[main, *[make_profile(f"Extra {i}") for i in range(4)]])
    client.get("/")
    with count_queries() as more:
        assert client.get("/author/main/").status_code == 200

    # The content version's read comes when the worker's trust in it lapses: not counted.
    def page_queries(counter):
        return [q for q in counter.statements if "FROM settings" not in q]

    assert len(page_queries(more)) == len(page_queries(few)) <= 5, more.statements


def test_editing_a_profile_shows_at_once_on_cached_pages(client, login_as, ctx):
    profile = make_profile("Mey Lin", slug="mey", bio="First words.")
    make_post("Water rights", bylines=[profile])
    assert "First words." in client.get("/author/mey/").get_data(as_text=True)
    login_as(make_user("ed", role="editor"))
    url = f"/admin/authors/{profile.id}/edit"
    token = csrf_token_from(client.get(url).get_data(as_text=True))

    saved = client.post(
        url,
        data={
            "csrf_token": token,
            "name": "Mey Lin",
            "slug": "mey",
            "bio": "Later words.",
            "user_id": "0",
            "name_km": "ម៉ី",
        },
    )

    assert saved.status_code == 302
    reader = client.application.test_client()
    assert "Later words." in reader.get("/author/mey/").get_data(as_text=True)
    assert db.session.get(AuthorProfile, profile.id).names == {"km": "ម៉ី"}


def test_profile_links_must_be_https_and_the_slug_free(client, login_as, ctx):
    make_profile("Taken", slug="taken")
    login_as(make_user("ed2", role="editor"))
    token = csrf_token_from(client.get("/admin/authors/new").get_data(as_text=True))

    bad = client.post(
        "/admin/authors/new",
        data={"csrf_token": token, "name": "New One", "slug": "taken", "user_id": "0"},
    )
    worse = client.post(
        "/admin/authors/new",
        data={
            "csrf_token": token,
            "name": "New One",
            "same_as": "javascript:alert(1)",
            "user_id": "0",
        },
    )

    assert bad.status_code == 400 and "another author" in bad.get_data(as_text=True)
    assert worse.status_code == 400 and "Not an https:// address" in worse.get_data(as_text=True)
    assert db.session.scalar(select(AuthorProfile).where(AuthorProfile.name == "New One")) is None


def _save_post(client, url: str, **fields):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    data = {
        "csrf_token": token,
        "title": "",
        "slug": "",
        "body": "Text.",
        "content_format": "markdown",
        "excerpt": "",
        "tags": "",
        "language": "en",
        "source_line": "",
        "status": "draft",
        "publish_at": "",
        "comment_mode": "open",
        "action": "save",
    }
    data.update(fields)
    return client.post(url, data=data)


def test_a_contributor_writes_drafts_an_editor_publishes(client, login_as, ctx):
    writer = login_as(make_user("newcomer", display_name="New Comer", role=ROLE_CONTRIBUTOR))
    others = make_post("Someone else's", author=make_user("other"))
    assert client.get("/admin/posts/new").status_code == 200
    assert own_profile_id(writer) is None  # opening the editor (GET) stored nothing

    published = _save_post(client, "/admin/posts/new", title="My first", status="published")
    pending = _save_post(client, "/admin/posts/new", title="My first", status="pending")

    assert published.status_code == 200 and "Not a valid choice" in published.get_data(as_text=True)
    assert pending.status_code == 302
    mine = db.session.scalar(select(Post).where(Post.title == "My first"))
    assert mine.status == PostStatus.PENDING and mine.author_id == writer.id
    assert client.get(f"/admin/posts/{others.id}/edit").status_code == 403
    listing = client.get("/admin/posts/").get_data(as_text=True)
    assert "My first" in listing and "Someone else" not in listing
    assert client.get("/admin/").headers["Location"] == "/admin/posts/"


def test_an_author_publishes_their_own_post_with_a_co_byline_they_may_not_change(
    client, login_as, ctx
):
    author = login_as(make_user("columnist", display_name="Col Umnist", role=ROLE_AUTHOR))

    response = _save_post(client, "/admin/posts/new", title="Mine to publish", status="published")

    assert response.status_code == 302
    post = db.session.scalar(select(Post).where(Post.title == "Mine to publish"))
    assert post.is_public
    html = client.application.test_client().get("/").get_data(as_text=True)
    assert 'Posted by: <a href="/author/columnist/">Col Umnist</a>' in html
    form = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    make_profile("Not Mine", slug="not-mine")
    assert "Not Mine" not in client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert author.id == post.author_id and "Bylines" in form


@pytest.mark.parametrize(
    "names,expected",
    [
        ([], ""),
        (["A"], "A"),
        (["A", "B"], "A and B"),
        (["A", "B", "C"], "A, B and C"),
        (["<i>", "B"], "&lt;i&gt; and B"),
    ],
)
def test_names_join_as_a_byline(app, names, expected):
    from blogapp.authors.services import join_names, join_plain

    with app.test_request_context():
        assert str(join_names(names)) == expected
        assert join_plain(names) == expected.replace("&lt;", "<").replace("&gt;", ">")


def _flask_db(url: str, tmp_path, command: str, revision: str = "head") -> None:
    """``flask db upgrade|downgrade`` in this process, on its own app (no subprocess:
    the app's import is paid once)."""
    from flask_migrate import Migrate, downgrade, upgrade

    from blogapp import create_app
    from tests.conftest import BASE_CONFIG

    migrating = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path / "uploads")}
    )
    Migrate(migrating, db, directory=str(PROJECT_ROOT / "migrations"))
    with migrating.app_context():
        (upgrade if command == "upgrade" else downgrade)(revision=revision)
        db.engine.dispose()


BEFORE = "b8d4e2f60a17"  # the revision before author profiles
OLD_ROWS = [
    "INSERT INTO users (id, login, email, display_name, role, password_hash, is_active_account,"
    " session_token, created_at) VALUES {}",
    "INSERT INTO posts (id, title, slug, content_format, body, body_html, excerpt, excerpt_html,"
    " has_more, search_text, first_image_url, source_line, status, language, comment_mode,"
    " sticky, published_at, created_at, updated_at, author_id, comment_count, guid,"
    " share_card) VALUES {}",
]
USERS = [
    (7, "sokha", "Sokha Chan"),
    (8, "guestwriter", ""),
    (9, "no posts", "Idle"),
    (10, "odd login!", "Odd"),
]
POSTS = [(3, 7), (4, 8), (5, None), (6, 10), (11, 7)]


# migrations/env.py asks Flask-SQLAlchemy for its engine the older way.
@pytest.mark.filterwarnings("ignore:'get_engine' is deprecated:DeprecationWarning")
def test_the_migration_gives_every_writing_account_a_profile_and_each_post_its_byline(
    tmp_path, ctx
):
    """Seed and demo bylines survive: accounts that wrote become profiles linked to
    them, an empty display name stays empty, a post without an author gets no byline;
    and the migration goes back down."""
    if on_postgres():
        pytest.skip("the SQLite file is enough: the data step is plain SQLAlchemy Core")
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    _flask_db(url, tmp_path, "upgrade", BEFORE)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            users = ", ".join(
                f"({i}, '{login}', 'x{i}@example.org', '{name}', 'editor', '',"
                " 1, '', '2026-01-01 00:00:00')"
                for i, login, name in USERS
            )
            conn.exec_driver_sql(OLD_ROWS[0].format(users))
            posts = ", ".join(
                f"({pid}, 'T{pid}', 't{pid}', 'markdown', '', '', '', '', 0, '', '', '',"
                f" 'published', 'en', 'open', 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00',"
                f" '2026-01-01 00:00:00', {'NULL' if uid is None else uid}, 0, '', '')"
                for pid, uid in POSTS
            )
            conn.exec_driver_sql(OLD_ROWS[1].format(posts))
        _flask_db(url, tmp_path, "upgrade")
        with engine.begin() as conn:
            profiles = conn.exec_driver_sql(
                "SELECT user_id, slug, name, is_pen_name FROM author_profiles ORDER BY user_id"
            ).all()
            bylines = conn.exec_driver_sql(
                "SELECT b.post_id, p.user_id, b.position FROM post_bylines b"
                " JOIN author_profiles p ON p.id = b.author_id ORDER BY b.post_id"
            ).all()
        assert profiles == [
            (7, "sokha", "Sokha Chan", 0),
            (8, "guestwriter", "", 0),
            (10, "author-10", "Odd", 0),
        ]
        assert bylines == [(3, 7, 0), (4, 8, 0), (6, 10, 0), (11, 7, 0)]
        _flask_db(url, tmp_path, "downgrade", BEFORE)
        with engine.begin() as conn:
            tables = {
                r[0]
                for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        assert "author_profiles" not in tables and "post_bylines" not in tables
    finally:
        engine.dispose()


FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "wxr"


def _bylines_of(title: str) -> list[tuple[str, str, int | None]]:
    post = db.session.scalar(
        select(Post).where(Post.title == title).options(selectinload(Post.bylines))
    )
    return [(p.slug, p.name, p.user_id) for p in post.bylines]


def test_wordpress_users_and_co_authors_plus_guests_become_profiles_and_travel_back(
    client, runner, tmp_path, ctx
):
    imported = runner.invoke(args=["import-wxr", str(FIXTURES / "coauthors.xml")])
    assert imported.exit_code == 0, imported.output
    sokha = db.session.scalar(select(User.id).where(User.login == "sokha"))
    guest = db.session.scalar(select(User.id).where(User.login == "guestwriter"))

    assert _bylines_of("Water rights upstream") == [
        ("mey-lin", "Mey Lin", None),
        ("sokha", "Sokha Chan", sokha),
    ]
    assert _bylines_of("Op-Ed: Asia Times") == [("guestwriter", "", guest)]  # stays empty
    mey = db.session.scalar(select(AuthorProfile).where(AuthorProfile.slug == "mey-lin"))
    assert (mey.bio, mey.links) == ("Writes on water.", ["https://meylin.example.net/"])
    html = client.get("/author/mey-lin/").get_data(as_text=True)
    assert "Writes on water." in html and "Water rights upstream" in html

    path = tmp_path / "back.xml"
    assert runner.invoke(args=["export-wxr", str(path)]).exit_code == 0
    exported = path.read_text()
    assert (
        '<category domain="author" nicename="cap-mey-lin"><![CDATA[mey-lin]]></category>\n'
        '\t\t<category domain="author" nicename="cap-sokha"><![CDATA[sokha]]></category>'
    ) in exported
    assert "<wp:post_type><![CDATA[guest-author]]></wp:post_type>" in exported
    assert "<wp:meta_value><![CDATA[Writes on water.]]></wp:meta_value>" in exported
