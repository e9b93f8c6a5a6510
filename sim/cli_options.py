"""The options the ``ccsim`` commands share, each defined once: types, help and checks.

``--seed``, ``--replications``, ``--set``, ``--out`` and ``--quiet`` mean the same in every
command that has them, so they are built here, with one help text (a command adds what
is its own: which seed, replications of what, where the files go) and one validation.
The parameter types (seeds, worker counts, whole numbers, fractions, durations, rates) live
here too: a duration is read by :func:`sim.units.parse_duration` wherever one is typed, and
a number, whole or not, is first read as :func:`sim.units.parse_number` reads it.

Pure click and :mod:`sim.units`: the commands' modules import it without pandas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import click

from sim import limits
from sim.scenario import MAX_SEED
from sim.units import parse_duration, parse_number, parse_rate

F = TypeVar("F", bound=Callable[..., Any])


class Whole(click.IntRange):
    """A whole number in a range, as people type one: ``10``, not ``1_0`` or full-width ``１０``.

    Every whole-number option has this type, so it reads its text one way and keeps click's
    range messages (``0 is not in the range x>=1``).
    """

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        """The number, or a one-line refusal of ``1_0``, ``1.5`` and other text.

        Python's ``int`` also takes ``1_0`` (10) and full-width digits: typed text is read as
        :func:`sim.units.parse_number` reads it first, as :class:`Finite` reads it.
        """
        if isinstance(value, str):
            try:
                parse_number(value)
                value = int(value)  # ('1.5' and '1e3' are numbers but no whole number)
            except ValueError:
                self.fail(f"must be a whole number, got {value!r}", param, ctx)
        return super().convert(value, param, ctx)


SEED = Whole(min=0, max=MAX_SEED)
"""The type of every ``--seed`` option: what the result tables can store (int64)."""


class _Workers(click.ParamType):
    """``--workers N``: a whole number from 1 up to the limit on local processes."""

    name = "integer"

    def convert(self, value, param, ctx):
        number = Whole(min=1).convert(value, param, ctx)
        try:
            problem = limits.WORKERS.problem(number)
        except ValueError as exc:  # CCSIM_MAX_WORKERS is not a number
            self.fail(str(exc), param, ctx)
        if problem:
            self.fail(problem, param, ctx)
        return number


WORKERS = _Workers()
"""The type of every ``--workers`` option (``CCSIM_MAX_WORKERS``, 256 by default)."""


class Finite(click.FloatRange):
    """A finite number in a range: click's own range lets ``nan`` (and ``inf``) through."""

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        """The number, or a one-line refusal of ``nan``, infinities and ``1_0``.

        Typed text is read as :func:`sim.units.parse_number` reads it: Python's ``float``
        also takes ``0.8_5`` (0.85) and full-width digits, which no one writes for a number.
        """
        if isinstance(value, str):
            try:
                parse_number(value)
            except ValueError:
                self.fail(f"must be a finite number, got {value!r}", param, ctx)
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"must be a finite number, got {value!r}", param, ctx)
        return number


class Fraction(Finite):
    """A number strictly between 0 and 1; a percentage (``80``) is refused with ``0.8``."""

    name = "fraction"

    def __init__(self) -> None:
        super().__init__(0, 1, min_open=True, max_open=True)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        """The fraction, or a one-line refusal that suggests value / 100 for a percentage."""
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter as exc:
            percent = isinstance(value, str) and value.strip().endswith("%")  # (80%: 0.8)
            try:  # ('8_0' is refused as no number, not hinted as 0.8)
                number = (parse_number(value.strip().removesuffix("%")) if isinstance(value, str)
                          else float(value))
            except (TypeError, ValueError):
                raise exc from None
            if 1 < number < 100 or (percent and 0 < number < 100):
                self.fail(f"{number:g}{'%' * percent} is not in the range 0<x<1 (a fraction: "
                          f"did you mean {number / 100:g}?)", param, ctx)
            raise


TARGET = Fraction()
"""The type of every service-level ``--target`` option."""


class Unit(click.ParamType):
    """A value read with one of :mod:`sim.units`' parsers (``4m``, ``600/h``, ``240``).

    Args:
        name: The type's name in usage lines.
        parse: The parser (string or number -> float).
        positive: Refuse zero and negative values (``must be > 0, got '0s'``).
    """

    def __init__(self, name: str, parse: Callable[[object], float], positive: bool = False):
        self.name = name
        self._parse = parse
        self.positive = positive

    def convert(self, value, param, ctx):
        """The value in seconds (or per second), or a one-line refusal."""
        if isinstance(value, float):
            return value
        try:
            number = self._parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if self.positive and number <= 0:
            self.fail(f"must be > 0, got {value!r}", param, ctx)
        return number


DURATION = Unit("duration", parse_duration)
"""The type of every duration option (``--threshold 20s``, ``--aht 4m``), in seconds."""
POSITIVE_DURATION = Unit("duration", parse_duration, positive=True)
"""A duration that must be > 0 (``--step``, ``--interval``)."""
RATE = Unit("rate", parse_rate)
"""The type of every rate option (``--rate 600/h``), per second."""


# ---- the shared options --------------------------------------------------------------


def _joined(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def seed_option(note: str = "") -> Callable[[F], F]:
    """``--seed``: the seed of every random stream; ``note`` says what else it seeds."""
    return click.option("--seed", type=SEED, help=_joined(
        "Seed of every random stream (default: the scenario's `seed`). Same seed, same "
        "results.", note))


def replications_option(default: int, minimum: int = 1, note: str = "") -> Callable[[F], F]:
    """``--replications``/``-r``: independent replications, at least ``minimum``."""
    return click.option("--replications", "-r", type=Whole(min=minimum),
                        default=default, show_default=True, help=_joined(
                            "Independent replications (2 or more give 95% confidence "
                            "intervals).", note))


def set_option(note: str = "") -> Callable[[F], F]:
    """``--set PATH=VALUE``: override scenario fields (parsed by ``parse_overrides``)."""
    return click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
                        help=_joined(
                            "Override a scenario field by dotted path, e.g. --set "
                            "agents.pool.staff=44 --set contact_types.calls.handle.mean=5m. "
                            "Repeatable.", note))


class _OutPath(click.Path):
    """A path to write to: not empty (``--out ''`` wrote to the default without a word)."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("an empty path: give a file or folder name", param, ctx)
        return super().convert(value, param, ctx)


def out_option(what: str, folder: bool = True, default: str | None = None,
               ) -> Callable[[F], F]:
    """``--out``/``-o``: where the command writes (a folder, or a file), checked writable.

    Args:
        what: What is written there, for the help.
        folder: Whether it names a folder (else a file).
        default: The default path (shown in the help); None: the command's own default.
    """
    kind = _OutPath(file_okay=False) if folder else _OutPath(dir_okay=False)
    return click.option("--out", "-o", type=kind, default=default,
                        show_default=default is not None, help=what)


def quiet_option(shows: str = "") -> Callable[[F], F]:
    """``--quiet``/``-q``: no progress lines; ``shows`` says what is still printed."""
    return click.option("--quiet", "-q", is_flag=True, help=(
        f"Print no progress, only {shows}." if shows else "Print no progress."))


GOAL_TARGET_HELP = ("Service level every interval must reach (default: the scenario's). A "
                    "contact type whose own `service_level` states a target keeps it, as "
                    "it keeps its own threshold.")
"""The help of ``staff`` and ``schedule``'s ``--target`` (see :class:`sim.staffing.Goal`)."""
GOAL_THRESHOLD_HELP = ("Service-level threshold, e.g. 20s (default: the scenario's). A "
                       "contact type with its own `service_level` keeps its own.")
"""The help of ``staff`` and ``schedule``'s ``--threshold``."""
