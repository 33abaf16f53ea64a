"""Posts that still point at another host (issue 19): the Posts screen flags them,
and readers' browsers are told to load images from this site only."""

from __future__ import annotations

from blogapp.admin.remote_content import other_hosts
from blogapp.models import FORMAT_HTML, ROLE_EDITOR
from tests.factories import make_post, make_user


def test_other_hosts_are_found_in_images_and_media():
    html = (
        '<img src="http://old-blog.example/wp-content/uploads/a.jpg">'
        '<img src="/uploads/b.jpg"><img src="http://localhost/uploads/c.jpg">'
        "<video src='https://cdn.example/v.mp4'></video>"
    )
    assert other_hosts(html, "localhost") == ["cdn.example", "old-blog.example"]


def test_the_posts_screen_flags_posts_with_images_elsewhere(client, login_as, ctx):
    login_as(make_user(role=ROLE_EDITOR))
    make_post(
        "Imported",
        body='<p><img src="http://old-blog.example/a.jpg" alt="x"></p>',
        content_format=FORMAT_HTML,
    )
    make_post("Local", body='<p><img src="/uploads/a.jpg" alt="x"></p>', content_format=FORMAT_HTML)

    page = client.get("/admin/posts/").get_data(as_text=True)

    assert page.count("blocked for readers") == 1
    assert "Images from old-blog.example, blocked for readers" in page


def test_readers_browsers_load_images_from_this_site_only(client, ctx):
    make_post(
        "Imported",
        body='<p><img src="http://old-blog.example/a.jpg" alt="x"></p>',
        content_format=FORMAT_HTML,
    )

    policy = client.get("/").headers["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["img-src"] == "'self' data:"
    assert directives["media-src"] == "'self'"
    # The one other origin: a video's frame, after the reader presses play (blogapp.embeds).
    assert directives["frame-src"] == "'self' https://www.youtube-nocookie.com"
    others = ";".join(v for k, v in directives.items() if k != "frame-src")
    assert "https:" not in others and "http:" not in policy
