"""The spam filter learns here and sends nothing away: trained on the labelled corpus
(tests/fixtures/spam/), it sends a clear spam it never saw to Spam and leaves a
legitimate Khmer comment it never saw in the queue; moderators teach it by pressing
Approve and Spam (on the web and from the mail), and a reversed decision is un-learned;
a WordPress import teaches it the old site's verdicts; it never publishes anything."""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from blogapp import create_app
from blogapp.comments import services, spam_filter
from blogapp.comments.rules import count_links
from blogapp.extensions import db
from blogapp.models import Comment, CommentSpamScore, CommentStatus, ModerationEvent, SpamToken
from blogapp.privacy import services as privacy
from blogapp.reader_data import DELETE
from blogapp.sanitize import clean_comment
from tests.conftest import BASE_CONFIG
from tests.factories import make_post, make_user
from tests.helpers import csrf_token_from, post_comment, stored_comments

CORPUS = Path(__file__).parent / "fixtures" / "spam" / "corpus.tsv"
WXR = Path(__file__).parent / "fixtures" / "wxr" / "full.xml"
HELD_OUT_SPAM = "ល្បែងកាស៊ីណូអនឡាញល្អបំផុត ប្រាក់រង្វាន់ស្វាគមន៍ ៥០០% ដកប្រាក់រហ័ស ចុះឈ្មោះឥឡូវនេះ"
HELD_OUT_SPAM_EN = "Cialis 20mg discount pills, fast worldwide shipping, no prescription needed."
HELD_OUT_KHMER = "បំណុលមីក្រូហិរញ្ញវត្ថុធ្វើឲ្យគ្រួសារជាច្រើនលក់ដីរបស់ខ្លួន។ រដ្ឋាភិបាលគួរតែការពារប្រជាជន។"


def corpus() -> list[tuple[str, str, str]]:
    """(label, website, body) of each comment of the corpus."""
    with CORPUS.open(encoding="utf-8", newline="") as lines:
        return [
            (label, "" if site == "-" else site, body.replace("\\n", "\n"))
            for label, _lang, site, body in csv.reader(
                lines, delimiter="\t", quoting=csv.QUOTE_NONE
            )
        ]


def train_on_corpus(*held_out: str) -> None:
    """Teach the filter the corpus, less the held-out comments (by their first words)."""
    examples = []
    for label, website, body in corpus():
        if any(body.startswith(h[:30]) for h in held_out):
            continue
        found = spam_filter.signals(
            links=body.count("http"),
            website=bool(website),
            email=True,
            length=len(body),
            seconds_since_served=None,
        )
        examples.append((spam_filter.features(body, found), label))
    spam_filter.learn_many(examples)
    db.session.commit()


def totals() -> tuple[int, int]:
    db.session.expire_all()
    return spam_filter.stored_totals()


def score_row(comment_id: int) -> CommentSpamScore | None:
    db.session.expire_all()
    return db.session.get(CommentSpamScore, comment_id)


def test_trained_on_the_corpus_a_held_out_spam_goes_to_spam_and_a_khmer_comment_is_held(
    client, ctx
):
    train_on_corpus(HELD_OUT_SPAM, HELD_OUT_SPAM_EN, HELD_OUT_KHMER)
    post = make_post()
    for body in (HELD_OUT_SPAM, HELD_OUT_SPAM_EN, HELD_OUT_KHMER):
        assert post_comment(client, post, body).status_code == 302
    khmer_spam, english_spam, khmer = stored_comments()
    assert (khmer_spam.status, english_spam.status) == (CommentStatus.SPAM, CommentStatus.SPAM)
    assert khmer.status == CommentStatus.PENDING  # held for a person, never published
    assert score_row(khmer_spam.id).score > 0.99 > score_row(khmer.id).score
    reasons = db.session.scalars(
        select(ModerationEvent.comment_summary).order_by(ModerationEvent.id)
    ).all()
    assert "spam filter score" in reasons[0]


def test_the_filter_never_publishes_and_waits_until_it_has_learned_enough(app, client, ctx):
    post = make_post()
    post_comment(client, post, HELD_OUT_SPAM)
    (untrained,) = stored_comments()
    assert untrained.status == CommentStatus.PENDING and score_row(untrained.id).score is None

    train_on_corpus(HELD_OUT_KHMER)
    post_comment(client, post, HELD_OUT_KHMER)
    clean = stored_comments()[-1]
    assert score_row(clean.id).score < 0.5
    assert clean.status == CommentStatus.PENDING  # a low score approves nothing

    app.config["SPAM_FILTER_THRESHOLD"] = 1.0  # "never": scored, shown, not acted on
    post_comment(client, post, HELD_OUT_SPAM + " !")
    kept = stored_comments()[-1]
    assert kept.status == CommentStatus.PENDING and score_row(kept.id).score > 0.99


def test_approve_and_spam_teach_it_and_a_reversed_decision_is_unlearned(client, ctx, login_as):
    login_as(make_user("mod", role="editor"))
    post = make_post()
    post_comment(client, post, "Buy cheap pills at cheap-pills dot example, best price")
    (comment,) = stored_comments()
    token = csrf_token_from(client.get("/admin/comments").get_data(as_text=True))

    def press(action: str) -> None:
        answer = client.post(f"/admin/comments/{comment.id}/{action}", data={"csrf_token": token})
        assert answer.status_code == 302

    press("spam")
    assert totals() == (1, 0) and score_row(comment.id).trained == "spam"
    pills = db.session.get(SpamToken, "pill")
    assert (pills.spam, pills.ham) == (1, 0)
    press("restore")  # back to the queue: the spam verdict is taken back
    assert totals() == (0, 0) and score_row(comment.id).trained == ""
    press("approve")
    assert totals() == (0, 1)
    db.session.expire_all()
    assert (db.session.get(SpamToken, "pill").spam, db.session.get(SpamToken, "pill").ham) == (0, 1)
    press("spam")  # changed their mind: ham un-learned, spam learned
    assert totals() == (1, 0)
    press("trash")
    assert totals() == (0, 0)


def test_the_mail_moderation_path_teaches_it_too(client, ctx):
    editor = make_user("mod", role="editor")
    post = make_post()
    post_comment(client, post, "Visit my casino for free spins")
    (comment,) = stored_comments()
    assert services.moderate(comment, "spam", editor, "spam via e-mail")
    assert totals() == (1, 0)


def test_a_moderators_edit_relearns_from_the_new_text(client, ctx):
    editor = make_user("mod", role="editor")
    post = make_post()
    post_comment(client, post, "The river rose early this year")
    (comment,) = stored_comments()
    services.approve(comment, editor)
    services.edit(
        comment,
        editor,
        author_name="Dara",
        author_email="dara@example.org",
        author_url="",
        body="The lake rose late",
    )
    db.session.expire_all()
    assert totals() == (0, 1)
    assert db.session.get(SpamToken, " lak").ham == 1
    assert db.session.get(SpamToken, "rive").ham == 0


def test_a_wordpress_import_teaches_it_the_old_sites_verdicts(runner, ctx):
    result = runner.invoke(args=["import-wxr", str(WXR)])
    assert result.exit_code == 0, result.output
    approved = db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.status == CommentStatus.APPROVED)
    )
    # Linkbacks are not imported; every approved and spam comment is learned, once.
    assert totals() == (1, approved)
    buy_now = db.session.scalar(select(Comment).where(Comment.body == "Buy now"))
    assert score_row(buy_now.id).trained == "spam"


def test_the_queue_shows_the_score_and_what_weighed_most(client, ctx, login_as):
    train_on_corpus(HELD_OUT_KHMER)
    post = make_post()
    post_comment(client, post, HELD_OUT_KHMER, website="https://example.org")
    login_as(make_user("mod", role="editor"))
    page = client.get("/admin/comments?status=pending").get_data(as_text=True)
    assert "Spam filter score: 0.0" in page
    assert "Weighed most:" in page and "a website given" in page


def test_erasing_a_readers_comments_for_good_erases_their_scores(client, ctx):
    post = make_post()
    post_comment(client, post, "Something I regret", email="gone@example.org")
    post_comment(client, post, "Someone else's words", email="stays@example.org")
    gone, stays = (c.id for c in stored_comments())
    privacy.save_erasure_mode(DELETE)
    privacy.erase("gone@example.org")
    db.session.commit()
    assert score_row(gone) is None and score_row(stays) is not None


def test_a_worker_scores_with_what_another_worker_taught_since(app, database_url, ctx):
    """Each worker keeps the counts it read, until any write of counts moves the stored
    generation on: then it reads them again."""
    train_on_corpus(HELD_OUT_KHMER)
    found = spam_filter.signals(
        links=0, website=False, email=True, length=80, seconds_since_served=None
    )
    before = spam_filter.score(HELD_OUT_KHMER, found).value
    assert spam_filter.score(HELD_OUT_KHMER, found).value == before  # from what it keeps
    db.session.commit()
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with other.app_context():  # another worker: its moderators call this text spam, often
        spam_filter.learn_many([(spam_filter.features(HELD_OUT_KHMER, found), "spam")] * 40)
        db.session.commit()
        db.engine.dispose()
    assert spam_filter.score(HELD_OUT_KHMER, found).value > before


@pytest.mark.parametrize("body", ["", "a", "ស", "   \n  "])
def test_tiny_and_empty_texts_still_score(ctx, body):
    found = spam_filter.features(body, ("~links:0",))
    scored = spam_filter.combine(found, {spam_filter.TOTAL: (20, 20), "~links:0": (1, 9)}, 10)
    assert scored.value is not None and 0 <= scored.value < 0.5


def test_on_the_labelled_corpus_no_legitimate_comment_goes_to_spam():
    """What matters most: a legitimate comment wrongly sent to Spam. Ten-fold
    cross-validation over the corpus, each comment scored by a filter trained on the
    others only (in memory, with the site's threshold): precision of "goes to Spam"
    of at least 99%, which on this set means none, and most spam still caught.
    ``python -m benchmarks.spam_filter`` prints the same figures with the WordPress
    fixtures' comments added."""
    config = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config
    threshold, min_trained = config["SPAM_FILTER_THRESHOLD"], config["SPAM_FILTER_MIN_TRAINED"]
    examples = []
    for label, website, body in corpus():
        found = spam_filter.signals(
            links=count_links(body, clean_comment(body)),
            website=bool(website),
            email=True,
            length=len(body),
            seconds_since_served=None,
        )
        examples.append((label, spam_filter.features(body, found)))
    folds = 10
    fold_of = {}
    for label in (spam_filter.SPAM, spam_filter.HAM):
        members = [i for i, (kind, _) in enumerate(examples) if kind == label]
        random.Random(33).shuffle(members)
        fold_of.update({i: n % folds for n, i in enumerate(members)})

    to_spam = {spam_filter.SPAM: 0, spam_filter.HAM: 0}
    for fold in range(folds):
        spam, ham = Counter(), Counter()
        for i, (label, found) in enumerate(examples):
            if fold_of[i] != fold:
                (spam if label == spam_filter.SPAM else ham).update({*found, spam_filter.TOTAL})
        counts = {t: (spam[t], ham[t]) for t in spam.keys() | ham.keys()}
        for i, (label, found) in enumerate(examples):
            if fold_of[i] == fold:
                scored = spam_filter.combine(found, counts, min_trained)
                to_spam[label] += scored.value is not None and scored.value > threshold

    spam_total = sum(1 for label, _ in examples if label == spam_filter.SPAM)
    sent = to_spam[spam_filter.SPAM] + to_spam[spam_filter.HAM]
    assert to_spam[spam_filter.SPAM] / sent >= 0.99, f"{to_spam[spam_filter.HAM]} legitimate"
    assert to_spam[spam_filter.SPAM] / spam_total >= 0.85
