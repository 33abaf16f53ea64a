"""Drawing a share card: a 1200×630 PNG with the site name, the title, the author and
the date, and the post's own picture on the right when it has one.

Pure: text and a picture path in, PNG bytes out; no database and no app context, so
tests and the command's drawing processes call it directly. A web worker imports it
only when an editor saves a post (a page view never draws).

Text is shaped by Pillow's RAQM layout (HarfBuzz, FriBiDi), so Khmer coeng stacks and
vowel signs come out as they should. The Noto Sans Khmer files we ship hold Khmer
letters only (no space, no Latin), so a line is set in runs: Khmer letters in Noto Sans
Khmer, everything else in Noto Sans.

Line breaks, in order of preference: at spaces (between English words, and between
Khmer phrases); inside a Khmer phrase at zero-width spaces (U+200B) when the writer put
them in; and when a phrase still does not fit, between extended grapheme clusters (the
``regex`` module's ``\\X``), never after a coeng, so a subscript consonant stays with
its stack. The title's size steps down until it fits; at the smallest size what is
left over is cut and the last line ends in an ellipsis."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex
from PIL import Image, ImageDraw, ImageFont, ImageOps

from blogapp.cards.names import HEIGHT, WIDTH

# Bump when the drawing changes: every card's name changes, and the command redraws.
DRAWING_VERSION = "1"

FONTS = Path(__file__).resolve().parents[2] / "static" / "fonts"
LATIN = {
    "regular": FONTS / "noto-sans" / "NotoSans-Regular.ttf",
    "bold": FONTS / "noto-sans" / "NotoSans-Bold.ttf",
}
KHMER = {
    "regular": FONTS / "noto-sans-khmer" / "noto-sans-khmer-khmer-400-normal.woff2",
    "bold": FONTS / "noto-sans-khmer" / "noto-sans-khmer-khmer-700-normal.woff2",
}

# The site's own colours (static/css/site.css).
PAPER = (253, 253, 251)
TEXT = (29, 29, 31)
MUTED = (85, 90, 96)
ACCENT = (138, 28, 28)

MARGIN = 64
BAR = 14  # the accent bar along the top
PICTURE_WIDTH = 420
SITE_SIZE = 30
FOOTER_SIZE = 30
TITLE_TOP = 150
TITLE_BOTTOM = HEIGHT - 130  # the footer sits below
TITLE_SIZES = (72, 64, 58, 52, 46, 42, 38, 34)
ELLIPSIS = "…"
KHMER_LETTERS = regex.compile(r"[\u1780-\u17FF\u19E0-\u19FF\u200C\u200D\u25CC]+")
COENG = "\u17d2"
ZWSP = "\u200b"

RAQM = ImageFont.Layout.RAQM


@dataclass(frozen=True)
class CardText:
    """What a card shows. ``picture`` is a file already checked by the uploads;
    ``own`` is the writer's own card (an upload), shown instead of the drawn one."""

    title: str
    site: str
    author: str = ""
    date: str = ""
    picture: Path | None = None
    own: Path | None = None


@dataclass(frozen=True)
class TitleLayout:
    size: int
    lines: tuple[str, ...]
    line_height: int
    cut: bool  # the title did not fit whole: the last line ends in an ellipsis


@lru_cache(maxsize=64)
def font(path: Path, size: int, engine: ImageFont.Layout = RAQM) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size, layout_engine=engine)


class Typeface:
    """One weight at one size, in its two scripts."""

    def __init__(self, weight: str, size: int, engine: ImageFont.Layout = RAQM) -> None:
        self.size = size
        self.latin = font(LATIN[weight], size, engine)
        self.khmer = font(KHMER[weight], size, engine)

    def runs(self, text: str) -> list[tuple[str, ImageFont.FreeTypeFont]]:
        """``text`` cut where it moves between Khmer letters and anything else."""
        found, at = [], 0
        for match in KHMER_LETTERS.finditer(text):
            if match.start() > at:
                found.append((text[at : match.start()], self.latin))
            found.append((match.group(), self.khmer))
            at = match.end()
        if at < len(text):
            found.append((text[at:], self.latin))
        return found

    def length(self, text: str) -> float:
        return sum(face.getlength(run) for run, face in self.runs(text))

    def line_height(self, text: str) -> int:
        """Khmer needs room above and below for its stacks; its font says how much."""
        faces = [self.latin] + ([self.khmer] if KHMER_LETTERS.search(text) else [])
        return max(sum(face.getmetrics()) for face in faces)

    def ascent(self, text: str) -> int:
        faces = [self.latin] + ([self.khmer] if KHMER_LETTERS.search(text) else [])
        return max(face.getmetrics()[0] for face in faces)

    def draw(
        self,
        canvas: ImageDraw.ImageDraw,
        x: float,
        baseline: float,
        text: str,
        fill: tuple[int, int, int],
    ) -> float:
        """Draw ``text`` with its left end at ``x`` on ``baseline``; return where it ends."""
        for run, face in self.runs(text):
            canvas.text((x, baseline), run, font=face, fill=fill, anchor="ls")
            x += face.getlength(run)
        return x


# -- line breaking --------------------------------------------------------------------


def clusters(text: str) -> list[str]:
    """Extended grapheme clusters, with a coeng kept to the consonant it stacks."""
    found: list[str] = []
    for cluster in regex.findall(r"\X", text):
        if found and found[-1].endswith(COENG):
            found[-1] += cluster
        else:
            found.append(cluster)
    return found


def pieces(word: str) -> list[str]:
    """Where a phrase with no space may break: its zero-width spaces, else its clusters."""
    if ZWSP in word:
        return [part for part in word.split(ZWSP) if part]
    return clusters(word)


def wrap(text: str, face: Typeface, width: float, *, split_clusters: bool) -> list[str] | None:
    """Lines of ``text`` no wider than ``width`` (measured with ``face``); None when a
    phrase would have to be split between clusters and ``split_clusters`` is false."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if face.length(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
            line = ""
        if face.length(word) <= width:
            line = word
            continue
        # A phrase wider than the line: break it where it may break.
        parts = word.split(ZWSP)
        if not split_clusters and any(face.length(part) > width for part in parts):
            return None
        for piece in pieces(word) if split_clusters else parts:
            if face.length(line + piece) <= width:
                line += piece
            else:
                if line:
                    lines.append(line)
                line = piece
    if line:
        lines.append(line)
    return lines


def with_ellipsis(line: str, face: Typeface, width: float) -> str:
    """``line`` shortened by whole clusters until it and an ellipsis fit."""
    parts = clusters(line.rstrip())
    while parts and face.length("".join(parts).rstrip() + ELLIPSIS) > width:
        parts.pop()
    return "".join(parts).rstrip() + ELLIPSIS


def layout_title(
    title: str, width: float, height: float, engine: ImageFont.Layout = RAQM
) -> TitleLayout:
    """The largest size at which ``title`` fits the box whole, breaking at spaces and
    zero-width spaces; else the largest at which it fits breaking between clusters;
    else the smallest, cut."""
    for split_clusters in (False, True):
        for size in TITLE_SIZES:
            face = Typeface("bold", size, engine)
            line_height = face.line_height(title)
            room = max(1, int(height // line_height))
            lines = wrap(title, face, width, split_clusters=split_clusters)
            if lines is not None and len(lines) <= room:
                return TitleLayout(size, tuple(lines), line_height, cut=False)
    kept = lines[:room]
    kept[-1] = with_ellipsis(kept[-1] + " " + lines[room], face, width)
    return TitleLayout(size, tuple(kept), line_height, cut=True)


# -- the card -------------------------------------------------------------------------


def one_line(text: str, face: Typeface, width: float) -> str:
    return text if face.length(text) <= width else with_ellipsis(text, face, width)


def picture(path: Path | None) -> Image.Image | None:
    """The post's picture, cropped to fill the right-hand side; None if it cannot be read."""
    if path is None:
        return None
    try:
        with Image.open(path) as opened:
            opened.seek(0)  # an animation's first frame
            image = ImageOps.exif_transpose(opened.convert("RGB"))
    except (OSError, ValueError):
        return None
    return ImageOps.fit(image, (PICTURE_WIDTH, HEIGHT - BAR), Image.Resampling.LANCZOS)


def draw_card(card: CardText, engine: ImageFont.Layout = RAQM) -> Image.Image:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    canvas = ImageDraw.Draw(image)
    canvas.rectangle((0, 0, WIDTH, BAR - 1), fill=ACCENT)
    photo = picture(card.picture)
    right = WIDTH - MARGIN
    if photo is not None:
        image.paste(photo, (WIDTH - PICTURE_WIDTH, BAR))
        right = WIDTH - PICTURE_WIDTH - MARGIN
    width = right - MARGIN

    site = Typeface("bold", SITE_SIZE, engine)
    site_text = one_line(card.site, site, width)
    site.draw(canvas, MARGIN, BAR + 36 + site.ascent(site_text), site_text, ACCENT)

    title = layout_title(card.title, width, TITLE_BOTTOM - TITLE_TOP, engine)
    face = Typeface("bold", title.size, engine)
    top = TITLE_TOP
    for line in title.lines:
        face.draw(canvas, MARGIN, top + face.ascent(card.title), line, TEXT)
        top += title.line_height

    footer = Typeface("regular", FOOTER_SIZE, engine)
    parts = [part for part in (card.author, card.date) if part]
    footer_text = one_line(" · ".join(parts), footer, width)
    baseline = HEIGHT - MARGIN + 4
    canvas.line(
        (
            MARGIN,
            baseline - footer.ascent(footer_text) - 22,
            MARGIN + 96,
            baseline - footer.ascent(footer_text) - 22,
        ),
        fill=ACCENT,
        width=4,
    )
    footer.draw(canvas, MARGIN, baseline, footer_text, MUTED)
    return image


def own_card(path: Path) -> Image.Image:
    """A writer's upload as a card: cropped to fill 1200 × 630 from its middle."""
    with Image.open(path) as upload:
        return ImageOps.fit(
            ImageOps.exif_transpose(upload).convert("RGB"),
            (WIDTH, HEIGHT),
            Image.Resampling.LANCZOS,
        )


def card_png(card: CardText, engine: ImageFont.Layout = RAQM) -> bytes:
    out = io.BytesIO()
    picture = own_card(card.own) if card.own is not None else draw_card(card, engine)
    picture.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()
