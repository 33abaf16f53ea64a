"""Hardening: security headers, cookies, trusted hosts, proxies, private pages,
malformed requests and error pages that show no internals."""

from __future__ import annotations

import logging

import pytest
from flask import abort, request, session
from flask_login import login_user

from blogapp import create_app
from blogapp.extensions import db
from tests.conftest import BASE_CONFIG
from tests.factories import make_category, make_post, make_tag, make_user


@pytest.fixture
def make_app(database_url, tmp_path, ctx):
    """A separate app on the test database, for settings and routes only a test needs."""
    made = []

    def build(**config):
        app = create_app(
            {
                **BASE_CONFIG,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                **config,
            }
        )
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.engine.dispose()


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    parts = [p.strip().split(None, 1) for p in policy.split(";") if p.strip()]
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def test_every_response_carries_security_headers(client, ctx):
    make_post("Headers")
    with client.get("/static/css/site.css") as static:
        responses = [client.get("/"), client.get("/no-such-page/"), static]
        for response in responses:
            directives = csp_directives(response)
            assert directives["frame-ancestors"] == "'none'"
            assert "unsafe-inline" not in directives["script-src"]
            assert "unsafe-inline" not in directives.get("style-src", "")
            assert directives["object-src"] == "'none'"
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
            assert "Strict-Transport-Security" not in response.headers  # plain http


def test_hsts_only_over_https(client, ctx):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_hsts_when_the_site_is_https_even_if_the_proxy_hop_is_not(make_app, ctx):
    """Without ProxyFix the app may see plain http from nginx; secure cookies mean https."""
    app = make_app(SITE_URL="https://blog.example.org")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert (
        make_app(HSTS_SECONDS=0, SITE_URL="https://blog.example.org")
        .test_client()
        .get("/healthz")
        .headers.get("Strict-Transport-Security")
        is None
    )


@pytest.mark.parametrize(
    ("proxies", "expected_addr", "expected_https"),
    [(0, "127.0.0.1", False), (1, "203.0.113.9", True)],
)
def test_proxy_headers_are_trusted_only_when_configured(
    make_app, proxies, expected_addr, expected_https, ctx
):
    app = make_app(PROXY_FIX_COUNT=proxies)

    @app.route("/whoami")
    def whoami():
        return f"{request.remote_addr} {request.scheme}"

    response = app.test_client().get(
        "/whoami", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    )
    addr, scheme = response.get_data(as_text=True).split()
    assert addr == expected_addr
    assert (scheme == "https") is expected_https
    assert ("Strict-Transport-Security" in response.headers) is expected_https


def test_cookies_are_httponly_lax_and_secure_on_an_https_site(make_app, ctx):
    user = None
    app = make_app(SITE_URL="https://blog.example.org")
    with app.app_context():
        user = make_user("cookiemonster")
        user.session_token = "t" * 32
        db.session.commit()
        user_id = user.id

    @app.route("/test-login")
    def test_login():
        from blogapp.models import User

        login_user(db.session.get(User, user_id), remember=True)
        return "in"

    response = app.test_client().get("/test-login", base_url="https://blog.example.org")
    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=")[0] for c in cookies} >= {"session", "remember_token"}
    for cookie in cookies:
        attributes = {a.strip().lower() for a in cookie.split(";")}
        assert {"httponly", "secure", "samesite=lax"} <= attributes, cookie


def test_cookies_are_not_secure_on_a_plain_http_site(make_app, ctx):
    app = make_app(SITE_URL="http://localhost")

    @app.route("/remember")
    def remember():
        session["seen"] = True
        return "ok"

    cookie = app.test_client().get("/remember").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_untrusted_host_gets_400(app, make_app, ctx):
    make_post("Hosts")
    app = make_app(TRUSTED_HOSTS=["blog.example.org"])
    client = app.test_client()

    assert client.get("/", headers={"Host": "blog.example.org"}).status_code == 200
    refused = client.get("/", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert "does not answer to that host name" in refused.get_data(as_text=True)
    assert "evil.example" not in refused.get_data(as_text=True)


def test_trusted_hosts_from_the_environment(monkeypatch, make_app, ctx):
    monkeypatch.setenv("BLOGAPP_TRUSTED_HOSTS", "blog.example.org, www.blog.example.org")
    app = make_app()
    assert app.config["TRUSTED_HOSTS"] == ["blog.example.org", "www.blog.example.org"]
    assert app.test_client().get("/", headers={"Host": "other.example"}).status_code == 400


def test_absolute_urls_never_come_from_the_request_host(client, ctx):
    make_post("Canonical")
    spoof = {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    for url in ("/", "/feed/", "/sitemap.xml"):
        response = client.get(url, headers=spoof)
        assert response.status_code == 200, url
        assert "evil.example" not in response.get_data(as_text=True), url


def test_admin_and_login_pages_are_never_stored(client, login_as, ctx):
    for url in ("/login", "/admin/"):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "private, no-store", url
    login_as(make_user("boss", role="admin"))
    admin = client.get("/admin/")
    assert admin.status_code == 200
    assert admin.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in admin.headers
    assert "Cookie" in admin.headers["Vary"]


def test_a_page_slug_that_starts_like_admin_is_public(client, ctx):
    from tests.factories import make_page

    make_page("Administration reform", "Words.")
    response = client.get("/administration-reform/")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_body_over_max_content_length_gets_413_page(client, ctx):
    response = client.post(
        "/", data=b"x" * (8 * 1024 * 1024 + 1), content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def _public_urls(app) -> list[str]:
    """Every GET route of the site with plausible values filled in."""
    samples = {
        "year": 2024,
        "month": 1,
        "day": 2,
        "page": 2,
        "slug": "x",
        "path": "a/b",
        "login": "x",
        "filename": "0" * 24 + ".jpg",
        "comment_id": 1,
        "post_id": 1,
    }
    urls = set()
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
                continue
            values = {name: samples.get(name, 1) for name in rule.arguments}
            urls.add(adapter.build(rule.endpoint, values, force_external=False))
    return sorted(urls)


HOSTILE_SUFFIXES = [
    "%00",
    "%ff%fe",
    "%c0%af",
    "x%00y/",
    "..%2f..%2fetc%2fpasswd",
    "%e1%9e",
    "\u1780%ff",
]
HOSTILE_QUERIES = [
    "s=%ff%fe",
    "s=%00",
    "p=%00",
    "p=99999999999999999999999",
    "page_id=-1",
    "s=" + "x" * 5000,
    "p=1%00",
    "s=%e1%9e%80%e1",
    "paged=99999999999999999999",
    "s[]=1&s[]=2",
    "%ff=%ff",
    "replytocom=abc",
    "cat=' OR 1=1 --",
]


def test_malformed_requests_never_get_500(app, client, ctx):
    post = make_post("Target", categories=[make_category("Cat")], tags=[make_tag("Tagged")])
    urls = _public_urls(app) + [
        f"/{post.published_at:%Y/%m/%d}/{post.slug}/",
        "/page/99999999999999999999/",
        "/99999999999/",
        "/2024/13/45/",
        "/0000/00/",
        "/category/a/b/c/d/e/f/g/",
    ]
    seen = 0
    for url in urls:
        base = url if url.endswith("/") else url + "/"
        candidates = [base + suffix for suffix in HOSTILE_SUFFIXES]
        candidates += [f"{url}?{query}" for query in HOSTILE_QUERIES]
        for candidate in candidates:
            response = client.get(candidate)
            seen += 1
            assert response.status_code < 500, (candidate, response.status_code)
            assert response.status_code in (200, 301, 302, 308, 400, 404, 405, 414), candidate
            response.close()
    assert seen > 100
    assert client.get("/?s=" + "x" * 5000).status_code == 414
    assert client.get("/%00/").status_code == 400
    # Real servers pass the path's raw bytes (as latin-1); the test client would decode them.
    assert client.get("/", environ_overrides={"PATH_INFO": "/\xff\xfe/"}).status_code == 400
    assert client.get("/?s=%ff").status_code == 400


def test_nul_bytes_in_a_form_are_refused(client, ctx):
    make_post("Forms")
    response = client.post("/login", data={"username": "a\x00b", "password": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500])
def test_error_pages_show_no_internals(make_app, caplog, code, ctx):
    # Outside TESTING the key must be a real one (issue 13).
    app = make_app(
        PROPAGATE_EXCEPTIONS=False,
        TESTING=False,
        SECRET_KEY="error-pages-test-secret-key-0123456789",
    )

    @app.route("/explode/<int:status>", methods=["GET"])
    def explode(status: int):
        if status == 500:
            raise RuntimeError("s3cret-internal-detail in /srv/blogapp/app.py")
        abort(status, "s3cret-internal-detail")

    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        if code == 405:
            response = client.post("/explode/405")
        else:
            response = client.get(f"/explode/{code}")

    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert "<!doctype html>" in html.lower()
    assert "Go to the front page" in html
    for leak in ("s3cret", "Traceback", "RuntimeError", "werkzeug", "/srv/"):
        assert leak not in html
    if code == 500:
        logged = "\n".join(r.getMessage() + str(r.exc_info) for r in caplog.records)
        assert "s3cret-internal-detail" in logged  # the log keeps what the page hides
