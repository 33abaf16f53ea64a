"""Share cards: drawn by the server with Pillow's complex-text layout, once per version
of a post (after its save, or by ``flask cards draw``), never during a page view; named
in the page's Open Graph, Twitter and JSON-LD data."""

from __future__ import annotations

import io
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image, ImageChops, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blogapp.cards.draw import (
    ELLIPSIS,
    HEIGHT,
    MARGIN,
    PAPER,
    TITLE_BOTTOM,
    TITLE_TOP,
    WIDTH,
    CardText,
    Typeface,
    card_png,
    clusters,
    draw_card,
    layout_title,
    wrap,
)
from blogapp.cards.names import SITE_CARD_KEY, card_folder
from blogapp.cards.services import local_picture
from blogapp.extensions import db
from blogapp.media.storage import store_image
from blogapp.models import Category, Post, PostStatus, Setting
from blogapp.posts.services import PostData, save_post
from tests.factories import make_post, make_user
from tests.helpers import url_of

GOLDEN = Path(__file__).parent / "fixtures" / "cards"
# Set to write the golden images anew (then look at them before committing them).
REGENERATE = os.environ.get("BLOGAPP_REGENERATE_GOLDEN") == "1"
SITE = "http://localhost"

ENGLISH = CardText(
    title="Why the press law matters more than the election calendar",
    site="Op-Ed Notes",
    author="Dara Sok",
    date="June 3, 2026",
)
# Coeng stacks (ប្រ, ត្យ, ង្គ, ដ្ឋ), vowel signs before and above their consonant (េ, ើ, ី).
KHMER = CardText(
    title="ប្រជាធិបតេយ្យ និងសង្គមស៊ីវិល៖ ហេតុអ្វីបានជាសំឡេងរបស់ពលរដ្ឋសំខាន់",
    site="Op-Ed Notes",
    author="សុខ ចន្ទា",
    date="June 3, 2026",
)
LONG_ENGLISH = (
    "The minister's answer to the flood inquiry leaves out the contracts, the "
    "dates and the names of every official who signed them, and that silence "
    "is the story we have to tell our readers now, before the vote"
)[:200]
LONG_KHMER = ("ប្រជាធិបតេយ្យ និងសង្គមស៊ីវិល៖ ហេតុអ្វីបានជាសំឡេងរបស់ពលរដ្ឋសំខាន់ " * 4)[:200]


def as_image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def differing_share(a: Image.Image, b: Image.Image, threshold: int = 48) -> float:
    """The share of pixels whose colour differs by more than ``threshold`` in a channel."""
    difference = ImageChops.difference(a, b).convert("L").point(lambda v: 255 * (v > threshold))
    return difference.histogram()[255] / (a.width * a.height)


def matches_golden(image: Image.Image, name: str) -> None:
    path = GOLDEN / name
    if REGENERATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        image.save(path, "PNG")
    golden = Image.open(path).convert("RGB")
    assert golden.size == image.size
    # Anti-aliasing may move by a shade from one FreeType build to another (ignored below
    # a difference of 48); one digit of the date changed differs in about 150 pixels.
    assert differing_share(image, golden) < 0.00005, f"{name} does not match its golden image"


# -- drawing ---------------------------------------------------------------------------


def test_an_english_card_matches_its_golden_image():
    image = as_image(card_png(ENGLISH))

    assert image.size == (1200, 630)
    matches_golden(image, "english.png")


def test_a_khmer_card_matches_its_golden_image():
    matches_golden(as_image(card_png(KHMER)), "khmer.png")


def test_khmer_is_shaped_by_the_complex_text_engine():
    shaped = as_image(card_png(KHMER))
    basic = as_image(card_png(KHMER, engine=ImageFont.Layout.BASIC))

    # Without shaping, coengs and vowel signs are set one after another as separate
    # glyphs; with it, subscripts sit under their consonant and the line is shorter.
    assert differing_share(shaped, basic) > 0.01
    raqm, plain = Typeface("bold", 64), Typeface("bold", 64, ImageFont.Layout.BASIC)
    assert raqm.length("ប្រជាធិបតេយ្យ") < plain.length("ប្រជាធិបតេយ្យ")


@pytest.mark.parametrize("title", [LONG_ENGLISH, LONG_KHMER], ids=["english", "khmer"])
def test_a_200_character_title_fits_the_card(title):
    assert len(title) == 200
    width, height = WIDTH - 2 * MARGIN, TITLE_BOTTOM - TITLE_TOP

    layout = layout_title(title, width, height)

    face = Typeface("bold", layout.size)
    assert all(face.length(line) <= width for line in layout.lines)
    assert len(layout.lines) * layout.line_height <= height
    assert not layout.cut and "".join(layout.lines).replace(" ", "") == title.replace(" ", "")
    image = draw_card(
        CardText(title=title, site="Op-Ed Notes", author="Dara Sok", date="June 3, 2026")
    )
    # Nothing is drawn in the right-hand margin (below the accent bar) or at the bottom.
    margin = image.crop((WIDTH - MARGIN + 8, 20, WIDTH, HEIGHT))
    bottom = image.crop((0, HEIGHT - 24, WIDTH, HEIGHT))
    for strip in (margin, bottom):
        assert strip.getcolors() == [(strip.width * strip.height, PAPER)]


def test_a_title_too_long_for_the_card_is_cut_with_an_ellipsis():
    title = " ".join(["Accountability"] * 80)
    width, height = WIDTH - 2 * MARGIN, TITLE_BOTTOM - TITLE_TOP

    layout = layout_title(title, width, height)

    assert layout.cut and layout.lines[-1].endswith(ELLIPSIS)
    face = Typeface("bold", layout.size)
    assert all(face.length(line) <= width for line in layout.lines)
    assert len(layout.lines) * layout.line_height <= height


def test_khmer_breaks_at_zero_width_spaces_when_the_writer_put_them_in():
    words = ["ប្រជាធិបតេយ្យ", "សង្គមស៊ីវិល", "ពលរដ្ឋ", "សំខាន់", "ការបោះឆ្នោត"]
    face = Typeface("bold", 64)

    lines = wrap("\u200b".join(words * 3), face, 500, split_clusters=False)

    assert lines is not None and len(lines) > 1
    assert "".join(lines) == "".join(words * 3)
    for line in lines:  # each line is whole words
        assert face.length(line) <= 500
        assert line.startswith(tuple(words)) and line.endswith(tuple(words))


def test_khmer_with_no_spaces_breaks_between_clusters_never_inside_a_stack():
    title = "ប្រជាធិបតេយ្យសង្គមស៊ីវិលពលរដ្ឋសំខាន់" * 2
    face = Typeface("bold", 64)

    assert wrap(title, face, 400, split_clusters=False) is None  # no break allowed
    lines = wrap(title, face, 400, split_clusters=True)

    assert lines is not None and "".join(lines) == title
    assert all(face.length(line) <= 400 for line in lines)
    # A coeng stays with the consonant under it, and no line starts with a mark.
    assert [c for c in clusters("ប្រជាធិបតេយ្យ")][:2] == ["ប្រ", "ជា"]
    assert not any(line.endswith("\u17d2") for line in lines)
    assert not any(0x17B6 <= ord(line[0]) <= 0x17D3 for line in lines)


# -- stored, once per version, never in a page view -----------------------------------


def cards_on_disk() -> set[str]:
    folder = card_folder()
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def save(post: Post | None, author, **fields) -> Post:
    data = PostData(
        **{
            "title": "Judges and the press",
            "body": "Some words.",
            "status": PostStatus.PUBLISHED,
            **fields,
        }
    )
    if post is not None:  # as the editor loads it
        post = db.session.scalar(
            select(Post)
            .where(Post.id == post.id)
            .options(selectinload(Post.categories), selectinload(Post.tags))
        )
    with current_app.test_request_context("/admin/", method="POST"):  # as the editor saves
        return save_post(post, data, author=author)


def test_saving_a_published_post_draws_its_card_once_per_version(app, client, ctx):
    writer = make_user("dara", display_name="Dara Sok")
    post = save(None, writer)
    first = post.share_card
    assert first and cards_on_disk() == {first, db.session.get(Setting, SITE_CARD_KEY).value}

    with client.get(f"/uploads/cards/{first}") as response:
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert "immutable" in response.headers["Cache-Control"]
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert as_image(response.get_data()).size == (1200, 630)

    modified = (card_folder() / first).stat().st_mtime_ns
    save(post, writer, body="Other words, same card.")
    assert post.share_card == first
    assert (card_folder() / first).stat().st_mtime_ns == modified  # not drawn again

    save(post, writer, title="Judges, the press and the law")
    assert post.share_card not in (first, "")
    assert post.share_card in cards_on_disk()


def test_a_draft_gets_no_card(app, ctx):
    post = save(None, make_user("dara"), status=PostStatus.DRAFT)
    assert post.share_card == "" and post.share_card not in cards_on_disk()


def test_card_addresses_take_only_card_names(app, client, ctx):
    for path in (
        "/uploads/cards/../blogapp.sqlite",
        "/uploads/cards/abc.png",
        "/uploads/cards/" + "0" * 32 + ".png",
        "/uploads/cards/" + "0" * 32 + ".svg",
    ):
        assert client.get(path).status_code == 404, path


def test_a_post_with_its_own_upload_shows_it_on_the_card(app, ctx):
    picture = io.BytesIO()
    Image.new("RGB", (900, 900), (20, 90, 160)).save(picture, "PNG")
    picture.seek(0)
    media = store_image(picture, "river.png", alt="The river")
    db.session.commit()
    writer = make_user("dara")

    post = save(None, writer, body=f"![The river](/uploads/{media.filename})\n\nText.")

    card = Image.open(card_folder() / post.share_card).convert("RGB")
    assert card.getpixel((WIDTH - 100, HEIGHT // 2)) == (20, 90, 160)
    assert card.getpixel((MARGIN // 2, HEIGHT // 2)) == PAPER


def test_a_picture_from_another_site_is_never_fetched_for_a_card(app, ctx):
    with app.test_request_context():
        assert local_picture("https://elsewhere.example/uploads/" + "a" * 24 + ".jpg") is None
        assert local_picture("/uploads/../../etc/passwd") is None
        assert local_picture("/uploads/" + "a" * 24 + ".jpg") is None  # no such upload


def test_a_page_view_never_draws_a_card(app, client, runner, ctx):
    politics = Category(name="Politics", slug="politics")
    db.session.add(politics)
    post = make_post("Made without the editor", categories=[politics])  # no card yet
    paths = [url_of(post), "/", "/category/politics/", "/feed/", "/?s=editor"]

    for path in paths:
        assert client.get(path).status_code == 200, path

    assert cards_on_disk() == set()
    db.session.expire_all()
    assert db.session.get(Post, post.id).share_card == ""
    head = head_of(client, url_of(post))
    assert "og:image" not in head.meta and head.one("twitter:card") == "summary"

    # The command draws what the pages did not: the post's card and the site's.
    result = runner.invoke(args=["cards", "draw", "--jobs", "1"])
    assert "Drew 1 card(s)" in result.output, result.output
    db.session.expire_all()
    assert len(cards_on_disk()) == 2 and db.session.get(Post, post.id).share_card


def test_flask_cards_draw_draws_what_is_missing_and_prune_what_is_unused(app, runner, ctx):
    writer = make_user("dara")
    posts = [make_post(f"Column number {n}", author=writer) for n in range(5)]
    make_post("Still a draft", status=PostStatus.DRAFT)

    first = runner.invoke(args=["cards", "draw", "--jobs", "2"])  # drawn in other processes
    again = runner.invoke(args=["cards", "draw"])

    assert "Drew 5 card(s)" in first.output, first.output
    assert "Drew 0 card(s)" in again.output, again.output
    db.session.expire_all()
    names = {db.session.get(Post, p.id).share_card for p in posts}
    assert len(names) == 5 and names < cards_on_disk()

    save(db.session.get(Post, posts[0].id), writer, title="A new title")
    made_private = db.session.get(Post, posts[1].id)
    private_card = made_private.share_card
    made_private.status = PostStatus.PRIVATE
    db.session.commit()
    assert len(cards_on_disk()) == 7  # the old title's card is still there
    result = runner.invoke(args=["cards", "prune"])
    assert "Deleted 2 card(s)" in result.output  # the old title's, the private post's
    db.session.expire_all()
    assert private_card not in cards_on_disk()
    assert cards_on_disk() == set(
        db.session.scalars(select(Post.share_card).where(Post.status == PostStatus.PUBLISHED))
    ) | {db.session.get(Setting, SITE_CARD_KEY).value}

    made_private.status = PostStatus.PUBLISHED  # published again: drawn again
    db.session.commit()
    assert "Drew 1 card(s)" in runner.invoke(args=["cards", "draw", "--jobs", "1"]).output
    assert private_card in cards_on_disk()


def test_a_change_of_the_site_name_draws_every_card_again(app, runner, ctx):
    make_post("One column", author=make_user("dara"))
    runner.invoke(args=["cards", "draw", "--jobs", "1"])
    app.config["SITE_NAME"] = "Another Name"

    result = runner.invoke(args=["cards", "draw", "--jobs", "1"])

    assert "Drew 1 card(s)" in result.output, result.output


# -- what pages say ---------------------------------------------------------------------


class Head(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.json_ld: list[str] = []
        self._in_json = False

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "meta" and "content" in found:
            key = found.get("property") or found.get("name")
            self.meta.setdefault(key, []).append(found["content"])
        self._in_json = tag == "script" and found.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_json:
            self.json_ld.append(data)

    def handle_endtag(self, tag):
        self._in_json = False

    def one(self, key: str) -> str:
        [value] = self.meta[key]
        return value


def head_of(client, path: str) -> Head:
    response = client.get(path)
    assert response.status_code == 200, path
    head = Head()
    head.feed(response.get_data(as_text=True))
    return head


def test_a_post_page_names_its_card_and_marks_the_post_as_opinion(app, client, ctx):
    writer = make_user("dara", display_name="Dara Sok")
    politics = Category(name="Politics", slug="politics")
    db.session.add(politics)
    db.session.commit()
    post = save(None, writer, category_ids=[politics.id])
    card = f"{SITE}/uploads/cards/{post.share_card}"

    head = head_of(client, url_of(post))

    assert head.one("og:type") == "article"
    assert head.one("og:image") == card
    assert head.one("og:image:width") == "1200" and head.one("og:image:height") == "630"
    assert head.one("og:image:alt") == "Judges and the press · Dara Sok · Op-Ed Notes"
    assert head.one("twitter:card") == "summary_large_image"
    assert head.one("twitter:image") == card
    assert head.one("article:published_time") == post.published_at.isoformat(timespec="seconds")
    assert head.one("article:modified_time") == post.updated_at.isoformat(timespec="seconds")
    assert head.one("article:author") == f"{SITE}/author/dara/"
    assert head.one("article:section") == "Politics"
    [raw] = head.json_ld
    article = json.loads(raw)
    assert article["@type"] == "OpinionNewsArticle"
    assert article["author"] == {
        "@type": "Person",
        "name": "Dara Sok",
        "url": f"{SITE}/author/dara/",
    }
    assert article["image"] == [{"@type": "ImageObject", "url": card, "width": 1200, "height": 630}]
    assert article["articleSection"] == "Politics"
    with client.get(card.removeprefix(SITE)) as response:
        assert response.status_code == 200


def test_listings_and_the_home_page_show_the_sites_card(app, client, ctx):
    save(None, make_user("dara"))  # the first save draws the site's card too
    site_card = f"{SITE}/uploads/cards/{db.session.get(Setting, SITE_CARD_KEY).value}"

    for path in ("/", "/author/dara/"):
        head = head_of(client, path)
        assert head.one("og:type") == "website"
        assert head.one("og:image") == site_card
        assert head.one("og:image:width") == "1200"
        assert head.one("og:image:alt").startswith("Op-Ed Notes: ")
        assert head.one("twitter:card") == "summary_large_image"
    with client.get(site_card.removeprefix(SITE)) as response:
        assert response.status_code == 200


def test_khmer_letters_and_everything_else_are_set_in_their_own_fonts():
    face = Typeface("bold", 40)

    runs = face.runs("កូវីដ-19 និង WHO")

    assert [(text, font is face.khmer) for text, font in runs] == [
        ("កូវីដ", True),
        ("-19 ", False),
        ("និង", True),
        (" WHO", False),
    ]


def test_a_khmer_posts_card_writes_its_date_in_khmer(app, ctx):
    """The card's date is the post's page's: Khmer months (and digits, as the site sets
    them) on a Khmer post, English on an English one, whoever draws it."""
    from datetime import UTC, datetime

    from blogapp.cards.services import post_card

    moment = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)
    khmer = make_post("ទឹកទន្លេ", language="km", published_at=moment)
    english = make_post("River water", language="en", published_at=moment)
    loaded = {
        p.id: p
        for p in db.session.scalars(
            select(Post)
            .options(selectinload(Post.bylines))
            .where(Post.id.in_([khmer.id, english.id]))
        )
    }
    assert "វិច្ឆិកា" in post_card(loaded[khmer.id]).date
    assert post_card(loaded[english.id]).date == "November 29, 2026"
