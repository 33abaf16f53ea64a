"""What the fediverse said shows under the post (its likes and boosts, as counts), and
the latest approved comments show in the sidebar, as WordPress's "Recent comments"
widget: both at a constant number of queries, and both brought up to date by the
content version when a like arrives or a comment is approved, with no cache cleared
by hand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from blogapp.comments import services
from blogapp.extensions import db
from blogapp.models import CommentStatus, Reaction, ReactionKind, utcnow
from blogapp.upsert import insert_for
from tests.factories import make_comment, make_post, make_user
from tests.helpers import FakeClock, url_of


def react(post, kind: str, actor: str) -> None:
    """A Like or an Announce stored as the inbox stores it: a statement through the
    session, committed."""
    db.session.execute(
        insert_for(db.session, Reaction.__table__)
        .values(
            kind=kind,
            actor_uri=actor,
            activity_id=f"{actor}#{kind}",
            post_id=post.id,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
    )
    db.session.commit()


def page(client, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, path
    return answer.get_data(as_text=True)


def test_likes_and_boosts_show_under_the_post_as_soon_as_they_arrive(client, ctx):
    post = make_post("Liked")
    assert "From the fediverse" not in page(client, url_of(post))  # now cached
    react(post, ReactionKind.LIKE, "https://social.example/users/a")
    html = page(client, url_of(post))
    assert "From the fediverse:" in html and "1 like" in html and "0 boosts" in html
    react(post, ReactionKind.LIKE, "https://social.example/users/b")
    react(post, ReactionKind.ANNOUNCE, "https://social.example/users/a")
    html = page(client, url_of(post))
    assert "2 likes" in html and "1 boost" in html
    db.session.execute(Reaction.__table__.delete())  # the inbox's Undo
    db.session.commit()
    assert "From the fediverse" not in page(client, url_of(post))


@pytest.mark.parametrize("reactions", [1, 60])
def test_the_counts_cost_no_query_more_whatever_their_number(
    app, client, count_queries, reactions, ctx
):
    app.config["CLOCK"] = FakeClock()  # the worker's trust in its content version holds
    app.config["KEEP_RENDERED"] = False  # the page rendered each time, not kept
    bare = make_post("Bare", published_at=utcnow() - timedelta(days=2))
    liked = make_post("Liked")
    for n in range(reactions):
        react(liked, (ReactionKind.LIKE, ReactionKind.ANNOUNCE)[n % 2], f"https://s.example/u/{n}")
    page(client, "/")  # the sidebar and the comment rules, as a running site has them
    counts = []
    for post in (bare, liked):
        page(client, url_of(post))  # warm this page's own per-worker values
        with count_queries() as q:
            page(client, url_of(post))
        counts.append(q.count)
    assert counts[0] == counts[1] <= 6


def test_recent_comments_show_in_the_sidebar_once_approved(client, count_queries, ctx):
    post = make_post("Water rights")
    held = make_comment(post, "Held words", status=CommentStatus.PENDING, author_name="Sokha")
    make_comment(post, "Approved words", author_name="Dara")
    side = page(client, "/")
    assert "Recent comments" in side
    assert '<span class="comment-author">Dara</span> on <a href="' in side
    assert "Sokha" not in side
    services.approve(held, make_user("mod", role="editor"))
    side = page(client, "/")
    # By when they were written, newest first, as WordPress lists them.
    assert side.index("Dara</span> on") < side.index("Sokha</span> on")
    assert f'{url_of(post)}#comment-{held.id}"' in side
    with count_queries() as q:  # the sidebar is kept per content version
        page(client, "/")
    assert q.count <= 5


def test_the_sidebar_lists_five_comments_of_public_posts_only(client, ctx):
    public = make_post("Public")
    draft = make_post("Draft", status="draft")
    for n in range(7):
        make_comment(public, f"Words {n}", author_name=f"Reader {n}")
    make_comment(draft, "Unseen", author_name="Hidden reader")
    side = page(client, "/")
    assert [f"Reader {n}</span> on" in side for n in range(7)] == [False, False] + [True] * 5
    assert "Hidden reader" not in side


def test_the_sidebar_finds_public_posts_comments_behind_many_on_a_post_no_longer_public(
    client, ctx
):
    """When the latest approved comments are all on a post taken down, the older ones
    of public posts still show."""
    public = make_post("Public")
    for n in range(3):
        make_comment(public, f"Words {n}", author_name=f"Reader {n}")
    taken_down = make_post("Taken down")
    for n in range(50):
        make_comment(taken_down, f"Late words {n}", author_name="Late reader", commit=False)
    db.session.commit()
    taken_down.status = "draft"
    db.session.commit()
    side = page(client, "/")
    assert all(f"Reader {n}</span> on" in side for n in range(3))
    assert "Late reader" not in side
