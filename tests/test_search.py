"""A reader searches with ``/?s=``: ranked, highlighted, paginated, in English
and Khmer, on SQLite (FTS5 trigram) and PostgreSQL (full text + pg_trgm)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from blogapp.content import render_post
from blogapp.extensions import db
from blogapp.models import Post, PostStatus, utcnow
from blogapp.search.query import fts5_string, parse_query, search_posts
from blogapp.search.schema import create_search_index, drop_search_index
from tests.conftest import on_postgres
from tests.factories import make_post

KHMER_SENTENCE = (  # no spaces between words, as Khmer is written
    "ប្រជាពលរដ្ឋកម្ពុជាចង់ឃើញលទ្ធិប្រជាធិបតេយ្យរឹងមាំនិងយុត្តិធម៌សង្គមសម្រាប់អ្នកទាំងអស់គ្នា"
)


def result_titles(html: str) -> list[str]:
    found = re.findall(r'class="entry-title"><a href="[^"]+" rel="bookmark">(.*?)</a>', html)
    return [re.sub(r"</?mark>", "", t) for t in found]


def search(client, query: str, path: str = "/"):
    """The results page, as a browser shows it: after the redirect to the search's
    canonical URL when the words were typed in another order or case."""
    response = client.get(path, query_string={"s": query}, follow_redirects=True)
    assert response.status_code == 200, (query, response.status_code)
    return response.get_data(as_text=True)


def test_search_runs_on_the_expected_database(app, ctx):
    assert db.engine.dialect.name == ("postgresql" if on_postgres() else "sqlite")


def test_english_search_ranks_title_matches_first_then_newest(client, ctx):
    now = utcnow()
    make_post("Budget talks", "Nothing about the topic here.", published_at=now - timedelta(days=9))
    make_post(
        "A quiet week",
        "Parliament debated the budget at length.",
        published_at=now - timedelta(days=1),
    )
    make_post(
        "Budget reform ahead",
        "The budget, the budget, the budget.",
        published_at=now - timedelta(days=5),
    )
    make_post("Elections", "Voters queue early.", published_at=now - timedelta(days=2))

    html = search(client, "budget")

    titles = result_titles(html)
    assert set(titles) == {"Budget talks", "A quiet week", "Budget reform ahead"}
    assert titles[-1] == "A quiet week"  # only in the body: last
    assert "3 posts found" in html


def test_english_search_needs_every_word_and_ignores_case(client, ctx):
    make_post("Courts and confidence", "Judicial independence matters to citizens.")
    make_post("Courts again", "A story about tennis.")

    assert result_titles(search(client, "COURTS judicial")) == ["Courts and confidence"]
    assert set(result_titles(search(client, "  courts   "))) == {
        "Courts and confidence",
        "Courts again",
    }


def test_khmer_word_inside_a_sentence_without_spaces_is_found(client, ctx):
    make_post("សង្គមស៊ីវិល", KHMER_SENTENCE, language="km")
    make_post("កសិកម្ម", "កសិករដាំស្រូវនៅរដូវវស្សា", language="km")
    make_post("English only", "Nothing in Khmer.")

    html = search(client, "ប្រជាធិបតេយ្យ")  # "democracy", mid-sentence

    assert result_titles(html) == ["សង្គមស៊ីវិល"]
    assert "<mark>ប្រជាធិបតេយ្យ</mark>" in html
    assert result_titles(search(client, "យុត្តិធម៌")) == ["សង្គមស៊ីវិល"]  # "justice"
    assert result_titles(search(client, "ស្រូវ")) == ["កសិកម្ម"]  # "rice"
    assert result_titles(search(client, "ទូរស័ព្ទ")) == []  # "telephone": nowhere


def test_mixed_khmer_and_english_query(client, ctx):
    make_post("ASEAN and Cambodia", "Summit notes: " + KHMER_SENTENCE, language="km")
    make_post("ASEAN elsewhere", "Summit notes in English only.")

    assert result_titles(search(client, "summit ប្រជាធិបតេយ្យ")) == ["ASEAN and Cambodia"]


def test_words_shorter_than_three_letters_still_match(client, ctx):
    make_post("Rules for AI", "Regulating AI in the region.")
    make_post("Farming", "Rice and soil.")

    assert result_titles(search(client, "AI")) == ["Rules for AI"]
    assert result_titles(search(client, "ai rules")) == ["Rules for AI"]


def test_parts_of_words_match(client, ctx):
    make_post("Democratic backsliding", "A long essay.")

    assert result_titles(search(client, "democra")) == ["Democratic backsliding"]


def test_hidden_posts_are_never_found(client, ctx):
    make_post("Visible zebra", "zebra")
    make_post("Draft zebra", "zebra", status=PostStatus.DRAFT)
    make_post("Private zebra", "zebra", status=PostStatus.PRIVATE)
    make_post("Scheduled zebra", "zebra", published_at=utcnow() + timedelta(days=1))

    assert result_titles(search(client, "zebra")) == ["Visible zebra"]
    assert result_titles(search(client, "ze")) == ["Visible zebra"]


def test_snippet_is_escaped_and_highlights_matches(client, ctx):
    make_post(
        "Markup",
        "Never trust `<script>alert(1)</script>` in comments. "
        + "Filler. " * 80
        + "The word lighthouse appears only here, near the end.",
    )

    html = search(client, "lighthouse")
    snippet = re.search(r'<p class="entry-summary search-snippet">(.*?)</p>', html, re.S).group(1)

    assert "<mark>lighthouse</mark>" in snippet
    assert snippet.startswith("… ")  # cut around the match, not the start of the post
    escaped = search(client, "script")
    assert "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;" in escaped
    assert "<script>" not in escaped


@pytest.mark.parametrize("app_config", [{"SEARCH_RESULTS_PER_PAGE": 2}])
def test_search_results_are_paginated(client, ctx):
    now = utcnow()
    for i in range(5):
        make_post(f"Harvest {i}", "harvest season", published_at=now - timedelta(days=i))

    first = search(client, "harvest")
    second = search(client, "harvest", "/page/2/")
    third = search(client, "harvest", "/page/3/")

    assert result_titles(first) == ["Harvest 0", "Harvest 1"]
    assert 'href="/page/2/?s=harvest" rel="next"' in first
    assert result_titles(second) == ["Harvest 2", "Harvest 3"]
    assert 'href="/?s=harvest" rel="prev"' in second
    assert result_titles(third) == ["Harvest 4"]
    assert "5 posts found" in third
    assert client.get("/page/4/", query_string={"s": "harvest"}).status_code == 404


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "\u200b\u00a0"])
def test_empty_search_shows_a_helpful_page(client, query, ctx):
    make_post("Anything", "at all")

    html = search(client, query)

    assert "Type one or more words" in html
    assert result_titles(html) == []
    assert '<meta name="robots" content="noindex, follow">' in html


def test_no_results_says_so(client, ctx):
    make_post("Anything", "at all")

    html = search(client, "nonexistentword")

    assert "No posts match “nonexistentword”" in html


HOSTILE = [
    '"',
    '""',
    '"unbalanced',
    "'",
    "AND",
    "OR",
    "NOT",
    "NEAR",
    "NEAR(a b)",
    "a OR b",
    "a AND",
    "*",
    "harvest*",
    "-",
    "- -",
    "-harvest",
    "(",
    ")",
    "((harvest",
    "title:harvest",
    "^harvest",
    "harvest NEAR/2 season",
    "{harvest}",
    "[harvest]",
    "%",
    "_",
    "\\",
    "\\%",
    "'; DROP TABLE posts; --",
    "<script>alert(1)</script>",
    "harvest " * 300,
    "x" * 3000,
    "\u200b",
    ":",
    "!:&|",
    "&",
    "|",
    "!",
    "<->",
    "\ufffd",
    "\U0001f600",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_search_strings_never_fail(client, query, ctx):
    make_post("Harvest", "harvest season AND NEAR words")

    response = client.get("/", query_string={"s": query}, follow_redirects=True)

    assert response.status_code == 200
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("query", ["a\x00b", "\x00", "x" * 10_000, "ខ្មែរ" * 2000])
def test_nul_bytes_and_huge_queries_get_a_clear_answer_not_a_500(client, query, ctx):
    """The request guard refuses NUL bytes (400) and absurd query strings (414) before
    any view runs; search itself copes with them too (below)."""
    make_post("Harvest", "harvest season")

    response = client.get("/", query_string={"s": query}, follow_redirects=True)

    assert response.status_code in (200, 400, 414)
    assert "Something went wrong" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "raw", ["a\x00b", "\x00harvest", "x" * 10_000, "ខ្មែរ" * 2000, "harvest " * 2000]
)
def test_search_itself_copes_with_nul_bytes_and_huge_input(app, raw, ctx):
    make_post("Harvest", "harvest season")

    query = parse_query(raw)
    found = search_posts(query, 1)

    assert "\x00" not in query.text
    assert len(query.text) <= 200
    assert found.total == (1 if "harvest" in raw else 0)


def test_hostile_string_can_still_find_literal_text(client, ctx):
    make_post("Operators", 'The phrase "AND OR NOT" is printed literally, with 100% sure.')

    assert result_titles(search(client, '"AND OR NOT"')) == ["Operators"]
    assert result_titles(search(client, "100%")) == ["Operators"]


def test_long_query_is_shortened_with_a_notice(client, ctx):
    html = search(client, "word " * 100)

    assert "shortened to its first 200 characters" in html


def test_query_parsing():
    parsed = parse_query("  Budget\x00 budget  AI  " + "z" * 300)

    assert parsed.terms[:2] == ("Budget", "AI")
    assert parsed.shortened
    assert len(parsed.text) <= 200
    assert fts5_string('say "no"') == '"say ""no"""'


def test_index_follows_updates_and_deletes(client, ctx):
    post = make_post("Changing", "The original wording mentions pelicans.")
    assert result_titles(search(client, "pelicans")) == ["Changing"]

    post.body = "Now it is about flamingos."
    render_post(post)
    db.session.commit()
    assert result_titles(search(client, "pelicans")) == []
    assert result_titles(search(client, "flamingos")) == ["Changing"]

    post.title = "Renamed heron"
    render_post(post)
    db.session.commit()
    assert result_titles(search(client, "heron")) == ["Renamed heron"]

    db.session.delete(db.session.get(Post, post.id))
    db.session.commit()
    assert result_titles(search(client, "flamingos")) == []


@pytest.mark.parametrize("app_config", [{"SEARCH_RESULTS_PER_PAGE": 2}])
def test_search_page_runs_few_queries(client, count_queries, ctx):
    for i in range(30):
        make_post(f"Harvest {i}", "harvest season", commit=False)
    db.session.commit()
    client.get("/")  # warm the sidebar cache

    with count_queries() as q:
        html = search(client, "harvest")
    # On PostgreSQL the time budget adds two settings, not queries: SET LOCAL
    # statement_timeout before the ranking and back to DEFAULT after it.
    queries = [s for s in q.statements if not s.startswith("SET LOCAL statement_timeout")]
    assert len(queries) <= 5, q.statements
    assert len(result_titles(html)) == 2


def test_short_post_snippet_is_the_whole_text(client, ctx):
    make_post("Short", "Only a few words about rivers.")

    html = search(client, "rivers")

    snippet = re.search(r'<p class="entry-summary search-snippet">(.*?)</p>', html).group(1)
    assert snippet == "Only a few words about <mark>rivers</mark>."


def test_index_is_created_for_existing_posts_as_a_migration_would(client, ctx):
    """The migration calls drop_search_index / create_search_index on a live database."""
    make_post("Before the index", "Pelicans nest on the river banks.")
    db.session.close()
    with db.engine.begin() as connection:
        drop_search_index(connection)
    with db.engine.begin() as connection:
        create_search_index(connection)
        create_search_index(connection)  # idempotent: a second run changes nothing

    assert result_titles(search(client, "pelicans")) == ["Before the index"]
    make_post("After the index", "More pelicans.")
    assert set(result_titles(search(client, "pelicans"))) == {"Before the index", "After the index"}
