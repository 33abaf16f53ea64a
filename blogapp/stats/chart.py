"""Views per day as a chart the server draws: an SVG of one line per language, with
its coordinates worked out here and written by a template (stats/_chart.html), so the
browser runs no script and asks no other site for anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 26
COLOURS = {"en": "#1d4ed8", "km": "#b45309"}


@dataclass(frozen=True)
class Line:
    language: str
    colour: str
    points: str  # "x,y x,y …" for <polyline>
    total: int


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str
    anchor: str = "middle"  # SVG text-anchor: the last label ends at the right edge


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: tuple[Line, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    top: int  # the highest value the axis shows
    first: date
    last: date


def _nice_top(value: int) -> int:
    """The axis's top: 1, 2 or 5 times a power of ten, at least ``value``."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= value:
                return top * step
        top *= 10


def draw(
    last: date,
    days: int,
    views: dict[tuple[date, str], int],
    languages: tuple[str, ...] = ("en", "km"),
) -> Chart:
    """The chart of the ``days`` days up to ``last``; ``views`` maps (day, language) to
    views (days without a row count 0)."""
    first = last - timedelta(days=days - 1)
    span = [first + timedelta(days=i) for i in range(days)]
    top = _nice_top(max([views.get((d, lang), 0) for d in span for lang in languages] + [1]))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(days - 1, 1)

    def x(i: int) -> float:
        return round(LEFT + i * step, 1)

    def y(value: int) -> float:
        return round(TOP + inner_h - value * inner_h / top, 1)

    lines = tuple(
        Line(
            lang,
            COLOURS.get(lang, "#444"),
            " ".join(f"{x(i)},{y(views.get((d, lang), 0))}" for i, d in enumerate(span)),
            sum(views.get((d, lang), 0) for d in span),
        )
        for lang in languages
    )
    every = 7 if days <= 60 else 61
    x_ticks = tuple(
        Tick(
            x(i),
            HEIGHT - 8,
            d.isoformat()[5:] if days <= 60 else d.isoformat()[:7],
            "end" if i == days - 1 else "middle",
        )
        for i, d in enumerate(span)
        if (days - 1 - i) % every == 0
    )
    y_ticks = tuple(Tick(LEFT - 6, y(v), f"{v:,}", "end") for v in (0, top // 2, top))
    return Chart(WIDTH, HEIGHT, lines, x_ticks, y_ticks, top, first, last)
