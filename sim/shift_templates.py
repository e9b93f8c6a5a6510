"""Shift templates: the kinds of shift a planner may post, read from a small YAML file.

A template is a shift length with the rules of where it may sit in the day: a window of
allowed start times (on interval boundaries), breaks each placed anywhere inside its own
window, and the fewest and most agents that may work it. ``ccsim schedule`` chooses how
many agents work each template at each start (with each break placement).

The file, every field optional but ``length``::

    templates:
      full_day:
        length: 8h
        start: ["08:00", "12:00"]        # earliest and latest start (clock times)
        breaks:
          - {length: 30m, window: [3h, 5h], paid: false}   # lunch, 3h-5h after the start
        min: 0
        max: 30
        part_time: false                 # default: shorter than 6h
        hourly_cost: 25                  # default: ``--hourly-cost``, else the group's
                                         # ``costs:`` hourly, else 1 (paid hours)
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field, ValidationError, model_validator

from sim import safe_yaml
from sim.scenario_base import Name, _Frozen
from sim.scenario_errors import Problem, ScenarioError, _relevant
from sim.units import DAY, Clock, Count, Duration, Number, format_duration

HOUR = 3600.0
PART_TIME_BELOW = 6 * HOUR  # a template shorter than this is part-time unless it says


class BreakRule(_Frozen):
    """A break of ``length`` seconds, starting ``window[0]`` to ``window[1]`` into the shift."""

    length: Annotated[Duration, Field(gt=0.0)]
    window: tuple[Annotated[Duration, Field(ge=0.0)], Annotated[Duration, Field(ge=0.0)]]
    paid: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> BreakRule:
        if self.window[1] < self.window[0]:
            raise ValueError(f"window ends ({format_duration(self.window[1])}) before it "
                             f"starts ({format_duration(self.window[0])})")
        return self

    def starts(self, length: float, step: float) -> list[float]:
        """Where the break may start in a shift of ``length``: its window's boundaries.

        Seconds into the shift, on interval boundaries (every ``step``), and the window's
        own ends where they fall between boundaries: a window with no boundary inside it
        (a 15-minute break at 45m on half-hours) still places its break, rather than
        leaving the template with no placement at all.
        """
        low, high = self.window
        grid = (k * step for k in range(math.ceil(low / step - 1e-9),
                                          math.floor(high / step + 1e-9) + 1))
        starts = sorted({float(o) for o in grid} | {float(low), float(high)})
        starts = [o for i, o in enumerate(starts) if i == 0 or o - starts[i - 1] > 1e-9]
        return [o for o in starts if o + self.length <= length + 1e-9]


class Template(_Frozen):
    """A kind of shift: its length, start window, breaks and headcount limits."""

    length: Annotated[Duration, Field(gt=0.0, le=DAY)]
    start: tuple[Clock, Clock] | None = None  # default: any start inside opening hours
    breaks: tuple[BreakRule, ...] = ()
    min: Annotated[Count, Field(ge=0)] = 0
    max: Annotated[Count, Field(ge=0)] | None = None
    part_time: bool | None = None
    hourly_cost: Annotated[Number, Field(ge=0.0)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        if self.start is not None and self.start[1] < self.start[0]:
            raise ValueError("start: the latest start is before the earliest")
        if self.max is not None and self.max < self.min:
            raise ValueError(f"max ({self.max}) is below min ({self.min})")
        for k, rule in enumerate(self.breaks):
            if rule.window[0] + rule.length > self.length:
                earliest = format_duration(rule.window[0])
                raise ValueError(f"breaks[{k}] cannot fit: it starts {earliest} after the "
                                 f"start at the earliest and the shift is "
                                 f"{format_duration(self.length)} long")
        return self

    @property
    def is_part_time(self) -> bool:
        """Whether the template counts as part-time (``part_time``, else shorter than 6h)."""
        return self.length < PART_TIME_BELOW if self.part_time is None else self.part_time

    def paid_hour_cost(self, default: float) -> float:
        """The cost of a paid hour of this template: its own ``hourly_cost``, else ``default``.

        ``default`` is the group's (``--hourly-cost``, else its ``costs:`` hourly, else 1).
        """
        return default if self.hourly_cost is None else self.hourly_cost

    def unpaid(self) -> float:
        """Seconds of unpaid breaks per shift."""
        return sum(rule.length for rule in self.breaks if not rule.paid)


class TemplateFile(_Frozen):
    """The top level of a templates file."""

    templates: dict[Name, Template] = Field(min_length=1)


def default_templates(lengths: list[float], interval: float) -> dict[str, Template]:
    """Templates of these lengths (seconds) starting anywhere in opening hours.

    A shift longer than 5h gets an unpaid 30-minute lunch starting between 40% and 60%
    of its length, on an interval boundary (breaks start on one): the boundaries inside
    that span, rounded inwards (rounding to the nearest put an 8h shift's lunch at 3h and
    5h, 37.5% and 62.5%); the one nearest the middle when none falls there (an interval
    longer than a fifth of the shift). Shorter shifts have no break.
    """
    templates = {}
    for length in lengths:
        breaks = ()
        if length > 5 * HOUR:
            early = max(interval, math.ceil(0.4 * length / interval - 1e-9) * interval)
            late = min(length - 1800.0, math.floor(0.6 * length / interval + 1e-9) * interval)
            if late < early:
                early = late = max(interval, min(length - 1800.0,
                                                 round(0.5 * length / interval) * interval))
            breaks = (BreakRule(length=1800.0, window=(early, late), paid=False),)
        templates[f"t{format_duration(length)}"] = Template(length=length, breaks=breaks)
    return templates


def read_templates(path: str) -> dict[str, Template]:
    """The templates of a YAML file, or a ScenarioError with one line per problem."""
    try:
        data = safe_yaml.load(safe_yaml.read_text(path))
    except OSError as exc:
        raise ScenarioError(path, [Problem("", f"cannot read file: {exc.strerror}")]) from None
    except safe_yaml.YamlError as exc:
        raise ScenarioError(path, [Problem("", str(exc))]) from None
    if not isinstance(data, dict):
        raise ScenarioError(path, [Problem("", "must be a mapping with 'templates:'")])
    try:
        return dict(TemplateFile.model_validate(data).templates)
    except ValidationError as exc:
        raise ScenarioError(path, _relevant(exc.errors(), TemplateFile)) from None
