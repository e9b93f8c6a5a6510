"""Shift planning: the cheapest set of shifts whose coverage meets a per-interval requirement.

The classic set-covering model of workforce scheduling (Dantzig 1954, "A comment on
Edie's traffic delays at toll booths"): every way to work a template - its start on an
interval boundary and the placement of each of its breaks - is a *column*; a column
covers each interval of the day by the share of that interval its agent is on duty
(1 for a full interval, 0.5 for an interval half taken by a 15-minute break, 0 off
shift). Choose a whole number of agents per column so that, in every interval, the
agents on duty (summed coverage) reach the requirement, at the least cost:

    minimise    sum_j cost_j x_j
    subject to  sum_j a_ij x_j >= need_i             every interval i
                min_t <= sum_{j of t} x_j <= max_t   every template t
                sum_{j part-time} x_j <= share * sum_j x_j
                x_j >= 0 integer

``cost_j`` is the paid hours of the shift (its length less unpaid breaks) times the
template's hourly cost (1 by default: then the objective is paid hours). The model is
solved with ``scipy.optimize.milp`` (HiGHS branch and cut); its LP relaxation (the
same model with real-valued ``x``) gives a lower bound on any schedule's cost, and the
gap between the two says how far from the best conceivable the schedule can be.

Shifts lie inside opening hours (a center open round the clock may not schedule shifts
across midnight here), and every day of the run is worked the same way.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import LinearConstraint, milp
from scipy.sparse import csc_array

from sim.shift_templates import Template
from sim.units import format_clock, format_duration

MAX_COLUMNS = 200_000  # shift placements per group; beyond it the model is too large


class ScheduleError(ValueError):
    """Settings under which no schedule exists (or none can be searched); one line."""


@dataclass(frozen=True)
class Column:
    """One way to work a template: a start (clock seconds) and break starts (seconds after it)."""

    template: str
    start: float
    breaks: tuple[float, ...]
    coverage: np.ndarray  # share of each interval of the day on duty
    paid_hours: float
    cost: float


@dataclass(frozen=True)
class Day:
    """The planning day: opening ``open`` to ``close`` (clock seconds) cut into intervals."""

    open: float
    close: float
    interval: float

    @property
    def intervals(self) -> int:
        """Intervals in opening hours."""
        return round((self.close - self.open) / self.interval)

    def label(self, i: int) -> str:
        """``HH:MM-HH:MM`` of interval ``i``."""
        begin = self.open + i * self.interval
        return f"{format_clock(begin)}-{format_clock(begin + self.interval)}"


@dataclass(frozen=True)
class GroupPlan:
    """The shifts of one agent group and how good they are.

    Attributes:
        columns: The columns worked by at least one agent.
        counts: Agents per column.
        need: The requirement per interval (agents on duty).
        coverage: Agents on duty per interval (summed coverage).
        cost: The objective (paid hours x hourly cost).
        paid_hours: Paid hours of all shifts.
        lower_bound: The LP relaxation's cost: no schedule costs less.
        gap: (cost - lower_bound) / cost (0 when both are 0).
    """

    columns: list[Column]
    counts: list[int]
    need: np.ndarray
    coverage: np.ndarray
    cost: float
    paid_hours: float
    lower_bound: float
    gap: float


def columns(templates: dict[str, Template], day: Day, hourly_cost: float = 1.0,
            name: str = "") -> list[Column]:
    """Every placement of every template inside opening hours, in a fixed order.

    Args:
        templates: Template name -> template.
        day: The planning day.
        hourly_cost: Cost of a paid hour for templates without their own ``hourly_cost``.
        name: The agent group, to name in an error.

    Raises:
        ScheduleError: If there would be more than ``MAX_COLUMNS`` columns.
    """
    found: list[Column] = []
    step = day.interval
    edges = day.open + step * np.arange(day.intervals + 1)
    for tname, template in templates.items():
        earliest, latest = template.start or (day.open, day.close)
        rate = hourly_cost if template.hourly_cost is None else template.hourly_cost
        paid = (template.length - template.unpaid()) / 3600.0
        options = [[o for o in np.arange(math.ceil(rule.window[0] / step - 1e-9),
                                         math.floor(rule.window[1] / step + 1e-9) + 1) * step
                    if o + rule.length <= template.length + 1e-9] for rule in template.breaks]
        for start in edges:
            if not (earliest - 1e-9 <= start <= latest + 1e-9
                    and start + template.length <= day.close + 1e-9):
                continue
            for offsets in itertools.product(*options):
                rules = template.breaks
                if any(offsets[k] + rules[k].length > offsets[k + 1] + 1e-9
                       for k in range(len(offsets) - 1)):
                    continue  # breaks keep their order and do not overlap
                pieces = [(start, start + template.length, 1.0)]
                pieces += [(start + o, start + o + r.length, -1.0) for o, r in zip(offsets, rules)]
                found.append(Column(tname, float(start), tuple(float(o) for o in offsets),
                                    _coverage(pieces, edges), paid, paid * rate))
                if len(found) > MAX_COLUMNS:
                    raise ScheduleError(
                        f"{name + ': ' if name else ''}more than {MAX_COLUMNS:,} ways to place "
                        "the shifts: narrow the start or break windows")
    return found


def _coverage(pieces: list[tuple[float, float, float]], edges: np.ndarray) -> np.ndarray:
    """Share of each interval (between consecutive ``edges``) covered by signed pieces."""
    cover = np.zeros(edges.size - 1)
    width = edges[1:] - edges[:-1]
    for begin, end, sign in pieces:
        overlap = np.clip(np.minimum(edges[1:], end) - np.maximum(edges[:-1], begin), 0.0, None)
        cover += sign * overlap / width
    return np.round(cover, 12)


def check_feasible(need: np.ndarray, cols: list[Column], templates: dict[str, Template],
                   day: Day, name: str) -> None:
    """Fail early, with the interval to blame, on the two plain reasons for no schedule.

    Raises:
        ScheduleError: If an interval with a requirement is covered by no placement, or
            needs more agents than all templates' ``max`` allow together.
    """
    reach = np.max([c.coverage for c in cols], axis=0) if cols else np.zeros(need.size)
    for i in np.flatnonzero((need > 0) & (reach <= 0)):
        raise ScheduleError(f"{name}: no shift template covers {day.label(int(i))} "
                            f"(needs {need[i]:g} agents): add a template or widen its "
                            "start window")
    if all(t.max is not None for t in templates.values()):
        most = sum(t.max for t in templates.values())
        for i in np.flatnonzero(need > most + 1e-9):
            raise ScheduleError(f"{name}: {day.label(int(i))} needs {need[i]:g} agents, above "
                                f"the most the templates allow together ({most})")


def solve(need: np.ndarray, templates: dict[str, Template], day: Day, *,
          hourly_cost: float = 1.0, part_time_share: float = 1.0,
          time_limit: float = 60.0, name: str = "") -> GroupPlan:
    """The cheapest shifts covering ``need`` (agents on duty per interval of the day).

    Args:
        need: Requirement per interval of opening hours (agents on duty; may be fractional).
        templates: The allowed templates.
        day: The planning day.
        hourly_cost: Cost of a paid hour for templates without their own.
        part_time_share: Most part-time agents as a share of all agents, in [0, 1].
        time_limit: Seconds HiGHS may search; the best schedule found by then is used.
        name: The agent group, to name in errors.

    Raises:
        ScheduleError: If no schedule meets the requirement under the limits.
    """
    need = np.asarray(need, dtype=float)
    cols = columns(templates, day, hourly_cost, name)
    check_feasible(need, cols, templates, day, name)
    if not cols or (not need.any() and not any(t.min for t in templates.values())):
        return GroupPlan([], [], need, np.zeros_like(need), 0.0, 0.0, 0.0, 0.0)
    cost = np.array([c.cost for c in cols])
    constraints = _constraints(need, cols, templates, part_time_share)
    best = milp(cost, integrality=np.ones(len(cols)), constraints=constraints,
                options={"time_limit": time_limit, "mip_rel_gap": 1e-6})
    if best.x is None:
        why = ("the template limits (min/max headcount, part-time share) leave no schedule"
               if best.status == 2 else f"HiGHS found no schedule: {best.message}")
        raise ScheduleError(f"{name}: {why}")
    relaxed = milp(cost, integrality=np.zeros(len(cols)), constraints=constraints)
    counts = np.round(best.x).astype(int)
    kept = np.flatnonzero(counts)
    matrix = np.array([c.coverage for c in cols]).T
    total = float(cost @ counts)
    bound = float(relaxed.fun) if relaxed.x is not None else math.nan
    return GroupPlan([cols[j] for j in kept], [int(counts[j]) for j in kept], need,
                     matrix @ counts, total, float(sum(cols[j].paid_hours * counts[j]
                                                       for j in kept)),
                     bound, (total - bound) / total if total > 0 else 0.0)


def _constraints(need: np.ndarray, cols: list[Column], templates: dict[str, Template],
                 part_time_share: float) -> list[LinearConstraint]:
    matrix = np.array([c.coverage for c in cols]).T
    found = [LinearConstraint(csc_array(matrix), need - 1e-9, np.inf)]
    names = list(templates)
    member = np.zeros((len(names), len(cols)))
    for j, c in enumerate(cols):
        member[names.index(c.template), j] = 1.0
    low = np.array([templates[n].min for n in names], dtype=float)
    high = np.array([np.inf if templates[n].max is None else templates[n].max for n in names])
    found.append(LinearConstraint(member, low, high))
    if part_time_share < 1.0:
        part = np.array([1.0 if templates[c.template].is_part_time else 0.0 for c in cols])
        found.append(LinearConstraint(part - part_time_share, -np.inf, 0.0))
    return found


def shift_rows(plan: GroupPlan, templates: dict[str, Template]) -> list[dict]:
    """The plan's shifts as scenario ``shifts`` entries (clock and duration strings)."""
    rows = []
    for column, count in zip(plan.columns, plan.counts):
        template = templates[column.template]
        row: dict = {"start": format_clock(column.start),
                     "length": format_duration(template.length), "count": count}
        if column.breaks:
            row["breaks"] = [{"at": format_duration(o), "length": format_duration(r.length)}
                             for o, r in zip(column.breaks, template.breaks)]
        rows.append(row)
    return rows
