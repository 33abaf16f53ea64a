"""A spam filter that learns on this site and sends nothing away: naive Bayes over
the character n-grams of a comment (so Khmer, written without spaces between
words, works as well as English) and the signals the fixed rules look at (links,
a website, how fast the form came back, length).

It learns from moderators: Approve teaches "not spam" ("ham"), Spam teaches
"spam", and a reversed decision is un-learned (``relabel``, called by
``services.change_status``); a WordPress import teaches it the old site's
approved and spam comments (``learn_comments``). The counts live in the database
(``SpamToken``), updated by increments, so every worker scores with the same ones.

A comment is scored once, when it is written (``score``); the score and the
features that weighed most are stored with it (``CommentSpamScore``) for the
moderation queue. Above ``SPAM_FILTER_THRESHOLD`` a comment the rules would hold
goes to Spam instead (``route``); the filter never approves anything: a comment
it finds clean is held or approved by the rules alone.

Pure functions (``features``, ``combine``) do the counting and the arithmetic, so
tests and the benchmark call them directly; the rest reads and writes the counts."""

from __future__ import annotations

import heapq
import json
import math
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import delete, select

from blogapp.comments.rules import Verdict, count_links
from blogapp.extensions import db
from blogapp.models import CommentSpamScore, CommentStatus, SpamToken
from blogapp.reader_data import DELETE, Reader
from blogapp.upsert import insert_for

TOTAL = "#comments"  # the row counting trained comments (longer than any n-gram)
GENERATION = "#generation"  # its spam column moves on with every write of counts
SIGNAL = "~"  # signal features start with it, and are longer than any n-gram
# Four characters: about a syllable of Khmer, a short word or a word's stem in English.
# Cross-validated against pairs and triples of sizes, four alone was the most precise.
NGRAM_SIZES = (4,)
MAX_FEATURES = 400  # a long comment is judged on its first n-grams (a bounded query)
ALPHA = 1.0  # Laplace smoothing of the counts
INDEPENDENT = 8  # what a comment's features say, as this many independent observations
SHOWN = 8  # the features stored to show moderators
SPAM, HAM = "spam", "ham"
LABELS = {CommentStatus.SPAM: SPAM, CommentStatus.APPROVED: HAM}
CHUNK = 400  # rows per statement when writing counts


# -- features ---------------------------------------------------------------------------


def _bucket(value: float, edges: Sequence[float]) -> str:
    """The first edge ``value`` is below, as "<edge", else ">=last"."""
    for edge in edges:
        if value < edge:
            return f"<{edge:g}"
    return f">={edges[-1]:g}"


def signals(
    *, links: int, website: bool, email: bool, length: int, seconds_since_served: float | None
) -> tuple[str, ...]:
    """What the fixed rules look at, as features. The time the form took is known only
    when a comment arrives, so these are stored with its score."""
    found = [f"{SIGNAL}links:{min(links, 3)}", f"{SIGNAL}length:{_bucket(length, (40, 200, 1000))}"]
    if website:
        found.append(f"{SIGNAL}website")
    if not email:
        found.append(f"{SIGNAL}no-email")
    if seconds_since_served is not None and math.isfinite(seconds_since_served):
        found.append(f"{SIGNAL}seconds:{_bucket(seconds_since_served, (10, 30, 120))}")
    return tuple(found)


def normalize(text: str) -> str:
    """Compatibility-folded, lower-cased, one space between runs of text."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def features(body: str, signal_features: Iterable[str] = ()) -> list[str]:
    """The distinct character n-grams of the text (with a space at each end, so word
    starts and ends count), in order of appearance, at most ``MAX_FEATURES``, then the
    signals."""
    text = f" {normalize(body)} "
    grams = dict.fromkeys(
        text[start : start + size] for size in NGRAM_SIZES for start in range(len(text) - size + 1)
    )
    return [*islice(grams, MAX_FEATURES), *signal_features]


# -- scoring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    value: float | None  # the probability of spam; None: not trained enough to say
    weighed: tuple[tuple[str, float], ...] = ()  # (feature, evidence), strongest first


def combine(found: Sequence[str], counts: Mapping[str, tuple[int, int]], min_trained: int) -> Score:
    """Naive Bayes: each feature seen in training brings its evidence, the log of
    P(feature | spam) / P(feature | ham) with the counts smoothed; the log-odds of
    spam is their mean times ``INDEPENDENT``. The n-grams of a text overlap, so adding
    up all their evidence would count the same letters many times over and push every
    score to 0 or 1; their mean, weighed as that many independent observations, keeps
    scores spread out, so a threshold means something. Even prior odds: a site that
    has marked more spam than it approved does not tilt every comment towards spam.
    ``counts`` maps a feature to its (spam, ham) counts, ``TOTAL`` to the number of
    trained comments of each kind."""
    spam_total, ham_total = counts.get(TOTAL, (0, 0))
    if spam_total < min_trained or ham_total < min_trained:
        return Score(None)
    log = _log
    shift = math.log(ham_total + 2 * ALPHA) - math.log(spam_total + 2 * ALPHA)
    get = counts.get
    evidence = []
    for feature in found:
        seen = get(feature)
        if seen is not None and (seen[0] or seen[1]):
            evidence.append((log(seen[0]) - log(seen[1]) + shift, feature))
    if not evidence:
        return Score(0.5)
    log_odds = INDEPENDENT * sum(weight for weight, _ in evidence) / len(evidence)
    value = 1.0 / (1.0 + math.exp(-max(-700.0, min(700.0, log_odds))))
    strongest = heapq.nlargest(SHOWN, evidence, key=lambda item: abs(item[0]))
    return Score(value, tuple((feature, round(weight, 2)) for weight, feature in strongest))


_LOGS = tuple(math.log(n + ALPHA) for n in range(1024))


def _log(n: int) -> float:
    """log(n + ALPHA), a smoothed count's log, from a table for the usual small counts."""
    return _LOGS[n] if 0 <= n < 1024 else math.log(n + ALPHA)


# One bound parameter, not one per feature: the statement is the same text every time,
# and sent as it is, so the cost is the database's lookups and little else.
_COUNTS_SQL = {
    "sqlite": "SELECT token, spam, ham FROM spam_filter_tokens"
    " WHERE token IN (SELECT value FROM json_each(?))",
    "postgresql": "SELECT token, spam, ham FROM spam_filter_tokens WHERE token = ANY(%s)",
}
_KEPT = "blogapp.spam_filter.kept"  # app.extensions: this worker's _KeptCounts
KEPT_MAX = 3000  # counts kept per worker (under 1 MB)


class _KeptCounts:
    """Counts this worker has read, valid while the stored ``GENERATION`` is the one
    they were read at: every write of counts, in any worker, moves it on."""

    def __init__(self) -> None:
        self.generation = -1
        self.counts: dict[str, tuple[int, int]] = {}
        self.lock = threading.Lock()


def _read_counts(tokens: list[str]) -> dict[str, tuple[int, int]]:
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(_COUNTS_SQL["sqlite"], (json.dumps(tokens),))
    else:
        rows = connection.exec_driver_sql(_COUNTS_SQL["postgresql"], (tokens,))
    return {token: (spam, ham) for token, spam, ham in rows}


def counts_of(found: Sequence[str]) -> dict[str, tuple[int, int]]:
    """The stored counts of ``found`` and the totals: one primary-key query for the
    features this worker does not keep yet, the totals and the generation (a second
    one, for the rest, only when the counts changed since it kept them)."""
    kept: _KeptCounts = current_app.extensions.setdefault(_KEPT, _KeptCounts())
    with kept.lock:
        generation, known = kept.generation, kept.counts
    wanted = [token for token in found if token not in known]
    read = _read_counts([*wanted, TOTAL, GENERATION])
    now = read.pop(GENERATION, (0, 0))[0]
    if now != generation:  # what it kept is outdated: read the rest too
        known = {}
        rest = [token for token in found if token not in read]
        if rest:
            read.update(_read_counts(rest))
        wanted = found
    fresh = {token: read.get(token, (0, 0)) for token in wanted}
    with kept.lock:
        if kept.generation != now or len(kept.counts) + len(fresh) > KEPT_MAX:
            kept.generation, kept.counts = now, {}
        kept.counts.update(fresh)
    return {
        **{token: known[token] for token in found if token in known},
        **fresh,
        TOTAL: read.get(TOTAL, (0, 0)),
    }


def min_trained() -> int:
    return int(current_app.config["SPAM_FILTER_MIN_TRAINED"])


def score(body: str, signal_features: Iterable[str]) -> Score:
    found = features(body, signal_features)
    return combine(found, counts_of(found), min_trained())


def route(verdict: Verdict, scored: Score) -> Verdict:
    """What the filter changes about the rules' verdict: a comment they would hold goes
    to Spam when its score is above the threshold. Nothing else: an approved comment
    stays approved, and nothing is ever approved because it scored low."""
    threshold = float(current_app.config["SPAM_FILTER_THRESHOLD"])
    if (
        verdict.status == CommentStatus.PENDING
        and scored.value is not None
        and scored.value > threshold
    ):
        return Verdict(CommentStatus.SPAM, f"spam filter score {scored.value:.3f}")
    return verdict


def score_row(comment_id: int, scored: Score, signal_features: Sequence[str]) -> dict:
    """The ``comment_spam_scores`` row of a comment just written."""
    return {
        "comment_id": comment_id,
        "score": scored.value,
        "weighed": _weighed_text(scored.weighed),
        "signals": " ".join(signal_features)[:200],
        "trained": "",
    }


def rescore(comment_id: int, scored: Score, signal_features: Sequence[str]) -> None:
    """Store a new score for a comment whose text changed (a reader's edit), keeping
    how fast its form first came back, which an edit does not change. Does not commit."""
    row = db.session.get(CommentSpamScore, comment_id)
    if row is None:
        db.session.add(CommentSpamScore(**score_row(comment_id, scored, signal_features)))
    else:
        timing = [s for s in row.signals.split() if s.startswith(f"{SIGNAL}seconds:")]
        row.score, row.weighed = scored.value, _weighed_text(scored.weighed)
        row.signals = " ".join([*signal_features, *timing])[:200]
    db.session.flush()


def _weighed_text(weighed: Sequence[tuple[str, float]]) -> str:
    kept = list(weighed)
    while kept:
        text = json.dumps(kept, ensure_ascii=False)
        if len(text) <= 600:
            return text
        kept.pop()
    return ""


def weighed_features(row: CommentSpamScore) -> list[tuple[str, float]]:
    """The stored strongest features of a comment: (feature, evidence), positive
    towards spam."""
    try:
        return [(str(f), float(w)) for f, w in json.loads(row.weighed or "[]")]
    except (ValueError, TypeError):
        return []


def describe(feature: str) -> str:
    """A feature in words for moderators: a signal said plainly, an n-gram quoted
    (a space shown as "␣", since word starts and ends are part of it)."""
    if not feature.startswith(SIGNAL):
        return f"“{feature.replace(' ', '␣')}”"
    name, _, value = feature[len(SIGNAL) :].partition(":")
    if name == "links":
        links = int(value) if value.isdigit() else 0
        return (
            gettext("3 links or more")
            if links >= 3
            else ngettext("%(num)d link", "%(num)d links", links)
        )
    texts = {
        "website": gettext("a website given"),
        "no-email": gettext("no e-mail address"),
        "seconds": gettext("sent %(value)s seconds after the page was served", value=value),
        "length": gettext("length %(value)s characters", value=value),
    }
    return texts.get(name, feature)


@dataclass(frozen=True)
class Explained:
    """A comment's stored score as the moderation queue shows it."""

    score: float | None
    threshold: float
    weighed: tuple[tuple[str, float], ...]  # (the feature in words, its evidence)
    trained: str


def scores_for(comment_ids: Sequence[int]) -> dict[int, Explained]:
    """The stored scores of the listed comments, in one query."""
    if not comment_ids:
        return {}
    threshold = float(current_app.config["SPAM_FILTER_THRESHOLD"])
    return {
        row.comment_id: Explained(
            row.score,
            threshold,
            tuple((describe(f), w) for f, w in weighed_features(row)),
            row.trained,
        )
        for row in db.session.scalars(
            select(CommentSpamScore).where(CommentSpamScore.comment_id.in_(comment_ids))
        )
    }


# -- learning -------------------------------------------------------------------------------


def _write_counts(spam: Counter, ham: Counter) -> None:
    """Add the counts (negative ones un-learn) to the stored ones, by increments, so
    concurrent writers do not lose each other's."""
    spam = Counter(spam)  # not ``+``, which would drop the negative counts of un-learning
    spam[GENERATION] += 1  # what workers keep of the counts is outdated from now on
    tokens = sorted(set(spam) | set(ham))
    table = SpamToken.__table__
    for start in range(0, len(tokens), CHUNK):
        rows = [
            {"token": t, "spam": spam.get(t, 0), "ham": ham.get(t, 0)}
            for t in tokens[start : start + CHUNK]
        ]
        statement = insert_for(db.session, table)
        db.session.execute(
            statement.values(rows).on_conflict_do_update(
                index_elements=[table.c.token],
                set_={
                    "spam": table.c.spam + statement.excluded.spam,
                    "ham": table.c.ham + statement.excluded.ham,
                },
            )
        )


def learn(found: Sequence[str], label: str, sign: int = 1) -> None:
    """Count one comment's features as ``label`` (sign -1: un-learn it). Does not commit."""
    counted = Counter({token: sign for token in {*found, TOTAL}})
    _write_counts(counted if label == SPAM else Counter(), counted if label == HAM else Counter())


def learn_many(examples: Iterable[tuple[Sequence[str], str]]) -> int:
    """Learn many comments at once (an import): their counts added up in memory, then
    written in a few statements. Does not commit; returns how many were learned."""
    spam, ham = Counter(), Counter()
    learned = 0
    for found, label in examples:
        (spam if label == SPAM else ham).update({*found, TOTAL})
        learned += 1
    _write_counts(spam, ham)
    return learned


def _signals_of(row: CommentSpamScore | None, comment) -> tuple[str, ...]:
    """The signals stored with the comment's score, or (no score: a moderator's reply,
    a comment from before the filter) those that can still be seen."""
    if row is not None:
        return tuple(row.signals.split())
    return signals(
        links=count_links(comment.body, comment.body_html),
        website=bool(comment.author_url),
        email=bool(comment.author_email),
        length=len(comment.body),
        seconds_since_served=None,
    )


def relabel(comment, to_status: str) -> None:
    """Keep what the filter learned from ``comment`` equal to a moderator's last word on
    it: approved teaches ham, spam teaches spam, anything else (pending, trash) nothing;
    a changed decision un-learns the old one first. Does not commit."""
    row = db.session.get(CommentSpamScore, comment.id)
    old, new = (row.trained if row else ""), LABELS.get(to_status, "")
    if old == new:
        return
    found = features(comment.body, _signals_of(row, comment))
    if old:
        learn(found, old, -1)
    if new:
        learn(found, new)
    if row is None:
        db.session.add(
            CommentSpamScore(
                comment_id=comment.id,
                score=None,
                signals=" ".join(_signals_of(None, comment))[:200],
                weighed="",
                trained=new,
            )
        )
    else:
        row.trained = new
    db.session.flush()


def forget(comment) -> None:
    """Un-learn the comment before its text changes (a reader's or a moderator's
    edit): what was learned is counted from the text as it was. Does not commit."""
    relabel(comment, CommentStatus.PENDING)


def learn_comments(rows: Iterable[Mapping]) -> int:
    """Learn the approved and spam comments among just-inserted ``rows`` (an import:
    each with ``id``, ``body``, ``body_html``, ``author_url``, ``author_email`` and
    ``status``), and remember each was learned. Does not commit."""
    examples, marks = [], []
    for row in rows:
        label = LABELS.get(row["status"])
        if not label:
            continue
        found_signals = signals(
            links=count_links(row["body"], row["body_html"]),
            website=bool(row["author_url"]),
            email=bool(row["author_email"]),
            length=len(row["body"]),
            seconds_since_served=None,
        )
        examples.append((features(row["body"], found_signals), label))
        marks.append(
            {
                "comment_id": row["id"],
                "score": None,
                "weighed": "",
                "signals": " ".join(found_signals)[:200],
                "trained": label,
            }
        )
    learned = learn_many(examples)
    for start in range(0, len(marks), CHUNK):
        db.session.execute(CommentSpamScore.__table__.insert(), marks[start : start + CHUNK])
    return learned


def stored_totals() -> tuple[int, int]:
    """How many spam and approved comments the filter has learned from."""
    row = db.session.execute(
        select(SpamToken.spam, SpamToken.ham).where(SpamToken.token == TOTAL)
    ).first()
    return (row[0], row[1]) if row else (0, 0)


# -- a reader's data ------------------------------------------------------------------------


def erase_scores(reader: Reader) -> int:
    """A reader's comments erased for good lose their stored scores (whose strongest
    features quote their words) here, before the comments go; anonymized ones keep
    them, as they keep their words. The aggregated counts stay: they name no one.
    Does not commit."""
    if reader.mode != DELETE or not reader.comment_ids:
        return 0
    return db.session.execute(
        delete(CommentSpamScore)
        .where(CommentSpamScore.comment_id.in_(reader.comment_ids))
        .execution_options(synchronize_session=False)
    ).rowcount


def export_scores(reader: Reader) -> dict:
    rows = (
        db.session.scalars(
            select(CommentSpamScore)
            .where(CommentSpamScore.comment_id.in_(reader.comment_ids))
            .order_by(CommentSpamScore.comment_id)
        )
        if reader.comment_ids
        else ()
    )
    return {
        "spam_filter_scores": [
            {
                "comment_id": row.comment_id,
                "score": row.score,
                "weighed_most": weighed_features(row),
            }
            for row in rows
        ]
    }
