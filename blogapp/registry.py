"""What each feature brings, registered by the feature itself: the kinds of outgoing
work it queues (with their handler and their lane), its periodic jobs, its eraser and
exporter of a reader's data, and its admin screens with their menu entries.

The worker (``blogapp.mail.worker``), ``flask prune``, a reader's erasure and export
(``blogapp.privacy.services``) and the admin navigation (``templates/admin/base.html``)
read the registry; none of them imports a feature. A feature fills it from its own
package, in an ``init_app(app)`` that the factory calls (``blogapp.create_app``), so a
new feature is one package and one name in the factory's list (or in
``EXTRA_FEATURES``).

One registry per app, kept in ``app.extensions``, not a module-level list: tests build
many apps in one process, and a feature added to one of them must not leak into the
next. Typed dataclasses rather than signals (Indico's choice): the worker needs an
answer (which handler, which lane), and a dataclass says what a feature must give.

A leaf module: it imports nothing of the app but the leaf ``blogapp.reader_data``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, current_app

from blogapp.reader_data import Reader

if TYPE_CHECKING:
    from blogapp.models import OutboxMessage

MAIL = "mail"  # the lane of every kind not registered in another one


@dataclass(frozen=True)
class OutboxHandler:
    """A kind of outbox row (``OutboxMessage.kind``) and how the worker handles it.

    ``send`` sends a row otherwise than by SMTP (a signed POST), with ``is_permanent``
    telling an error that no retry can cure. ``compose`` writes the text of a row at
    sending time: True when written, False when nothing is left to say (cancelled), or
    the time before which it must not go. ``refused`` is told the recipient's address
    when the mail server refuses it for good (5xx)."""

    kind: str
    lane: str = MAIL
    send: Callable[[OutboxMessage], None] | None = None
    is_permanent: Callable[[Exception], bool] | None = None
    compose: Callable[[OutboxMessage], bool | datetime] | None = None
    refused: Callable[[str], None] | None = None


@dataclass(frozen=True)
class LaneStep:
    """Work done at the start of each pass of ``lane`` (``flask deliver``), before it
    claims rows: queueing what became due, forgetting what expired. Commits itself."""

    lane: str
    run: Callable[[], Any]


@dataclass(frozen=True)
class Job:
    """A periodic job of ``flask prune``: does its work, commits, and returns the line
    the command prints."""

    name: str
    run: Callable[[], str]


@dataclass(frozen=True)
class ReaderData:
    """What a feature keeps about a reader (``blogapp.reader_data``). ``erase`` works
    in the open transaction and does not commit; erasers run by ``order``, lowest
    first (an eraser that deletes the reader's comments runs after those that find
    their rows through them). ``export`` returns the entries it adds to the reader's
    copy; ``holds`` says whether it keeps anything from an address (stripped, lower
    case)."""

    name: str
    erase: Callable[[Reader], Any]
    export: Callable[[Reader], dict[str, Any]] | None = None
    holds: Callable[[str], bool] | None = None
    order: int = 0


def _always() -> bool:
    return True


@dataclass(frozen=True)
class AdminScreen:
    """An entry of the admin navigation. ``current(endpoint)`` says whether the page
    being shown belongs to it (marked ``aria-current``); ``shown()`` whether the entry
    appears at all (a feature switched off); ``count()`` a number shown beside it
    (``count_title`` its tooltip, with ``{n}``).
    Entries appear by ``order``, then as registered."""

    label: str
    endpoint: str
    current: Callable[[str], bool]
    admin_only: bool = True
    shown: Callable[[], bool] = _always
    count: Callable[[], int] | None = None
    count_title: str = "{n}"  # the count's tooltip
    order: int = 100


@dataclass
class Registry:
    kinds: dict[str, OutboxHandler] = field(default_factory=dict)
    lane_steps: list[LaneStep] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    reader_data: list[ReaderData] = field(default_factory=list)
    admin_screens: list[AdminScreen] = field(default_factory=list)
    # Blueprints of a feature's own admin screens (the admin blueprint's routes are
    # fixed once it is registered): private, no-store like the admin's own pages.
    private_blueprints: set[str] = field(default_factory=set)

    def add_outbox_kind(self, kind: OutboxHandler) -> None:
        if kind.kind in self.kinds:
            raise ValueError(f"outbox kind {kind.kind!r} is registered twice")
        self.kinds[kind.kind] = kind

    def add_lane_step(self, lane: str, run: Callable[[], Any]) -> None:
        self.lane_steps.append(LaneStep(lane, run))

    def add_job(self, name: str, run: Callable[[], str]) -> None:
        self.jobs.append(Job(name, run))

    def add_reader_data(self, data: ReaderData) -> None:
        self.reader_data.append(data)

    def add_admin_screen(self, screen: AdminScreen) -> None:
        self.admin_screens.append(screen)

    def add_admin_blueprint(self, app: Flask, blueprint: Blueprint) -> None:
        """Register a feature's own blueprint of admin screens: no cache keeps its pages
        (``blogapp.page_cache``)."""
        self.private_blueprints.add(blueprint.name)
        app.register_blueprint(blueprint)

    @property
    def lanes(self) -> tuple[str, ...]:
        """Mail first, then every lane a kind or a step names, as registered."""
        named = [MAIL] + [k.lane for k in self.kinds.values()] + [s.lane for s in self.lane_steps]
        return tuple(dict.fromkeys(named))

    def kinds_in(self, lane: str) -> tuple[str, ...]:
        return tuple(name for name, kind in self.kinds.items() if kind.lane == lane)

    def steps_of(self, lane: str) -> list[Callable[[], Any]]:
        return [step.run for step in self.lane_steps if step.lane == lane]

    def erasers(self) -> list[ReaderData]:
        return sorted(self.reader_data, key=lambda data: data.order)

    def menu(self) -> list[AdminScreen]:
        return sorted(self.admin_screens, key=lambda screen: screen.order)


def init_app(app: Flask) -> Registry:
    return app.extensions.setdefault("blogapp.registry", Registry())


def registry(app: Flask | None = None) -> Registry:
    """The registry of ``app`` (or of the current app)."""
    return (app or current_app).extensions["blogapp.registry"]
