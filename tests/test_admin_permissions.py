"""Every route under /admin/ (ours and any another blueprint adds) asks anonymous
visitors to log in, refuses editors what is for admins (403), and serves the right
role, never cached."""

from __future__ import annotations

import pytest

from blogapp.models import ROLE_ADMIN, ROLE_AUTHOR, ROLE_CONTRIBUTOR, ROLE_EDITOR, ROLES
from tests.factories import make_user
from tests.helpers import admin_rules, csrf_token_from, example_url

ADMIN_RULES = admin_rules()


def _request(client, method: str, url: str, token_page: str):
    if method == "GET":
        return client.get(url)
    token = csrf_token_from(client.get(token_page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token})


def _required_role(app, endpoint: str) -> str:
    return getattr(app.view_functions[endpoint], "required_role", ROLE_EDITOR)


def test_the_admin_has_routes_to_check():
    endpoints = {p.values[0] for p in ADMIN_RULES}
    assert {
        "admin.dashboard",
        "admin.posts",
        "admin.edit_post",
        "admin.users",
        "admin.delete_post_view",
        "admin.media",
    } <= endpoints


@pytest.mark.parametrize(("endpoint", "method"), ADMIN_RULES)
def test_anonymous_visitors_are_sent_to_log_in(app, client, endpoint, method, ctx):
    url = example_url(app, endpoint)

    response = _request(client, method, url, "/login")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(("endpoint", "method"), ADMIN_RULES)
def test_editors_get_editor_routes_and_403_on_admin_routes(
    app, client, login_as, endpoint, method, ctx
):
    login_as(make_user(role=ROLE_EDITOR))
    url = example_url(app, endpoint)

    response = _request(client, method, url, "/admin/")

    if _required_role(app, endpoint) == ROLE_ADMIN:
        assert response.status_code == 403
        assert "You do not have permission" in response.get_data(as_text=True)
    else:
        assert response.status_code not in (403, 500)
        assert not response.headers.get("Location", "").startswith("/login")
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("role", [ROLE_CONTRIBUTOR, ROLE_AUTHOR])
def test_contributors_and_authors_get_writer_routes_and_403_on_the_rest(
    app, client, login_as, role, ctx
):
    """Contributors and authors (WordPress's roles, issue 37) reach the posts screens
    (their own posts: blogapp.posts.admin) and nothing an editor or an admin runs.
    One walk over every route per role: nothing they may reach changes anything here."""
    login_as(make_user(role=role))
    wrong = []
    for param in ADMIN_RULES:
        endpoint, method = param.values
        response = _request(client, method, example_url(app, endpoint), "/admin/posts/")
        if ROLES.index(_required_role(app, endpoint)) > ROLES.index(role):
            ok = response.status_code == 403
        else:
            ok = response.status_code not in (403, 500) and not response.headers.get(
                "Location", ""
            ).startswith("/login")
        if not ok or response.headers["Cache-Control"] != "private, no-store":
            wrong.append((endpoint, method, response.status_code))
    assert wrong == []
    assert {"admin.posts", "admin.edit_post"} <= {
        p.values[0] for p in ADMIN_RULES if _required_role(app, p.values[0]) == ROLE_CONTRIBUTOR
    }


@pytest.mark.parametrize(("endpoint", "method"), ADMIN_RULES)
def test_admins_get_every_route(app, client, login_as, endpoint, method, ctx):
    login_as(make_user(role=ROLE_ADMIN))
    url = example_url(app, endpoint)

    response = _request(client, method, url, "/admin/")

    assert response.status_code not in (403, 500)
    assert not response.headers.get("Location", "").startswith("/login")
    if method == "GET" and response.status_code == 200:
        assert response.headers["Cache-Control"] == "private, no-store"


def test_every_admin_view_declares_its_role(app, ctx):
    for param in ADMIN_RULES:
        endpoint = param.values[0]
        assert hasattr(app.view_functions[endpoint], "required_role"), endpoint


def test_the_nav_shows_users_to_admins_only_and_comments_with_the_pending_count(
    client, login_as, ctx
):
    from tests.factories import make_comment, make_post

    post = make_post("Discussed")
    make_comment(post, status="pending")
    make_comment(post, status="pending")
    login_as(make_user(role=ROLE_EDITOR))

    html = client.get("/admin/").get_data(as_text=True)

    assert ">Users</a>" not in html
    assert '<button type="submit" class="link-button">Log Out</button>' in html
    if "moderation.comments" in client.application.view_functions:
        assert 'title="2 waiting for moderation">2</span>' in html
