"""Turning what a reader typed into a ranked page of public posts.

Input is never handed to the database as query syntax: on SQLite every term
becomes a quoted FTS5 string (inner quotes doubled), on PostgreSQL the text goes
through ``plainto_tsquery`` and ``LIKE`` patterns with their wildcards escaped.

Ranking costs time per matching post, so only a bounded set of candidates is
ranked (``SEARCH_MAX_CANDIDATES``): the newest matching posts, plus the newest
posts with every word in the title, so an old post about exactly that is not
lost behind a common word. A word found in every post costs no more than one
found in a few hundred.
"""

from __future__ import annotations

import unicodedata
from contextlib import nullcontext
from dataclasses import dataclass

import regex
from flask import current_app
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    union,
)
from sqlalchemy.orm import selectinload

from blogapp.extensions import db
from blogapp.models import Post
from blogapp.search.schema import FTS_TABLE, PG_VECTOR_COLUMN

MAX_QUERY_CHARS = 200  # the search box's maxlength; longer input is cut, not refused
MAX_TERMS = 12
TRIGRAM = 3  # FTS5's trigram tokenizer matches nothing for shorter strings
_CONTROL = regex.compile(r"[\p{Cc}\p{Cs}]+")  # NUL and friends: PostgreSQL refuses NUL
# Khmer separates words, if at all, with the zero-width space: a separator here too.
_SPACES = regex.compile(r"[\s\u200b\u2060\ufeff]+")


@dataclass(frozen=True)
class SearchQuery:
    text: str  # cleaned, what the page shows back
    terms: tuple[str, ...]
    shortened: bool  # the input was longer than MAX_QUERY_CHARS

    @property
    def is_empty(self) -> bool:
        return not self.terms


@dataclass(frozen=True)
class SearchPage:
    posts: list[Post]
    total: int  # matches among the candidates
    has_next: bool
    capped: bool = False  # the candidates were cut at SEARCH_MAX_CANDIDATES: more may match


def parse_query(raw: str) -> SearchQuery:
    """Clean the raw ``s`` argument: no control characters, NFC, spaces
    collapsed, at most MAX_QUERY_CHARS characters and MAX_TERMS terms."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", raw or ""))
    text = _SPACES.sub(" ", text).strip()
    shortened = len(text) > MAX_QUERY_CHARS
    text = text[:MAX_QUERY_CHARS].strip()
    terms: list[str] = []
    for term in text.split(" "):
        if term and term.casefold() not in {t.casefold() for t in terms}:
            terms.append(term)
    return SearchQuery(text=text, terms=tuple(terms[:MAX_TERMS]), shortened=shortened)


def fts5_string(term: str) -> str:
    """An FTS5 string literal: operators, ``*``, ``-`` and parentheses inside it are text."""
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column, term: str) -> ColumnElement[bool]:
    return column.ilike(like_pattern(term), escape="\\")


def canonical_text(query: SearchQuery) -> str:
    """The one spelling of a search: its words lower-cased, each once, sorted.

    Which posts match and how they rank depend neither on the order of the words
    nor on their case, so every spelling is sent to one URL, one cache entry."""
    return " ".join(sorted(dict.fromkeys(term.lower() for term in query.terms)))


def search_posts(query: SearchQuery, page: int, budget=None) -> SearchPage:
    """One page of public posts matching every term, best first, then newest.

    Only the candidates are ranked (see the module's docstring), over narrow rows
    (id, score, date); only the page's posts are then loaded whole. ``budget``, a
    ``search.budget.TimeBudget``, bounds the ranking query, the costly one.
    Queries: the ranked ids (with the total, by a window function), the posts,
    their categories."""
    config = current_app.config
    per_page = config["SEARCH_RESULTS_PER_PAGE"]
    cap = max(1, config["SEARCH_MAX_CANDIDATES"])
    if db.engine.dialect.name == "postgresql":
        candidates, where, rank = _postgres_match(query, cap)
    else:
        candidates, where, rank = _sqlite_match(query, cap)
    candidates = (
        union(*(select(branch.c.post_id) for branch in candidates))
        .cte("search_candidates")
        .prefix_with("MATERIALIZED")
    )
    stmt = (
        select(Post.id, func.count().over().label("total"))
        .join(candidates, candidates.c.post_id == Post.id)
        .where(Post.public(), *where)
        .order_by(_title_hits(query.terms).desc(), *rank, Post.published_at.desc(), Post.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    )
    with budget.applied(db.session) if budget is not None else nullcontext():
        rows = db.session.execute(stmt).all()
    if not rows:
        return SearchPage(posts=[], total=0, has_next=False)
    ids = [row.id for row in rows[:per_page]]
    loaded = {
        post.id: post
        for post in db.session.scalars(
            select(Post)
            .options(
                selectinload(Post.bylines),
                selectinload(Post.categories),
                *Post.long_text_left_out("search_text"),  # the snippets are cut from it
            )
            .where(Post.id.in_(ids))
        )
    }
    posts = [loaded[i] for i in ids if i in loaded]
    total = rows[0].total
    return SearchPage(posts=posts, total=total, has_next=len(rows) > per_page, capped=total >= cap)


def _newest(where, cap: int):
    """The ids of the ``cap`` newest public posts meeting ``where``, newest first (the
    status and date index serves the order, so the scan stops at ``cap``)."""
    return (
        select(Post.id.label("post_id"))
        .where(Post.public(), *where)
        .order_by(Post.published_at.desc(), Post.id.desc())
        .limit(cap)
        .subquery()
    )


def _title_candidates(query: SearchQuery, cap: int):
    return _newest([_contains(Post.title, t) for t in query.terms], cap)


def _title_hits(terms):
    """How many of the words the title holds: a word in the title counts more."""
    return sum((case((_contains(Post.title, t), 1), else_=0) for t in terms), literal(0))


def _sqlite_match(query: SearchQuery, cap: int):
    long_terms = [t for t in query.terms if len(t) >= TRIGRAM]
    short_terms = [t for t in query.terms if len(t) < TRIGRAM]
    short = [_contains(Post.search_text, t) for t in short_terms]
    if not long_terms:
        return [_newest(short, cap), _title_candidates(query, cap)], [], []
    # The newest matches by rowid, which FTS5 walks in order and stops at the limit;
    # bm25 is left out: its word statistics read every match of every word.
    fts = table(FTS_TABLE, literal_column("rowid"))
    matches = (
        select(literal_column("rowid").label("post_id"))
        .select_from(fts)
        .where(literal_column(FTS_TABLE).op("MATCH")(" ".join(map(fts5_string, long_terms))))
        .order_by(literal_column("rowid").desc())
        .limit(cap)
        .subquery()
    )
    return [matches, _title_candidates(query, cap)], short, []


def _postgres_match(query: SearchQuery, cap: int):
    simple = literal_column("'simple'::regconfig")
    tsquery = func.plainto_tsquery(simple, query.text)
    vector = literal_column(f"posts.{PG_VECTOR_COLUMN}")
    # Words through the full-text index; substrings (Khmer, word parts) through pg_trgm.
    substrings = and_(*[_contains(Post.search_text, t) for t in query.terms])
    matches = _newest([or_(vector.op("@@")(tsquery), substrings)], cap)
    # Title trigram similarity ranks Khmer too, where the word index sees whole sentences.
    score = func.ts_rank(vector, tsquery) + func.similarity(Post.title, query.text)
    return [matches, _title_candidates(query, cap)], [], [score.desc()]
