"""A bilingual WordPress blog moves in: Polylang's and WPML's translation links and
languages come with its posts (see blogapp/translations/wxr.py for what is read)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from blogapp.extensions import db
from blogapp.models import Post, PostTranslation
from tests.helpers import url_of

FIXTURES = Path(__file__).parent / "fixtures" / "wxr"


def by_wp(wp_id: int) -> Post:
    return db.session.scalar(select(Post).where(Post.wp_id == wp_id))


def group_of(post: Post) -> int | None:
    return db.session.scalar(
        select(PostTranslation.group_id).where(PostTranslation.post_id == post.id)
    )


def test_polylang_and_wpml_links_and_languages_are_kept(runner, client, ctx):
    result = runner.invoke(args=["import-wxr", str(FIXTURES / "translations.xml")])
    assert result.exit_code == 0, result.output
    assert "translation groups: 2" in result.output
    assert "post 302 not linked: Each language can have one version" in result.output

    assert [by_wp(i).language for i in (101, 102, 201, 202, 401)] == ["en", "km", "en", "km", "en"]
    assert group_of(by_wp(101)) == group_of(by_wp(102)) is not None  # Polylang
    assert group_of(by_wp(201)) == group_of(by_wp(202)) is not None  # WPML
    assert group_of(by_wp(101)) != group_of(by_wp(201))
    assert group_of(by_wp(302)) is None and group_of(by_wp(401)) is None

    html = client.get(url_of(by_wp(102))).get_data(as_text=True)
    links = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))
    assert links["en"] == "http://localhost" + url_of(by_wp(101))

    again = runner.invoke(args=["import-wxr", str(FIXTURES / "translations.xml")])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(db.func.count()).select_from(PostTranslation)) == 4
