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
template's hourly cost (1 by default: then the objective is paid hours; when every paid
hour costs 0, the objective is paid hours too, at no cost; when some templates are free
and others not, the cheapest schedules are solved for again for the fewest paid hours, so
that free shifts do not pile up). The model is solved with ``scipy.optimize.milp``
(HiGHS branch and cut); its LP relaxation (the
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
from scipy.sparse import csc_array, eye, hstack, kron

from sim.shift_templates import Template
from sim.units import format_clock_exact, format_clock_until, format_duration

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

    def template_length(self, templates: dict[str, Template]) -> float:
        """The length of the column's template, seconds."""
        return templates[self.template].length


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
        return f"{format_clock_exact(begin)}-{format_clock_until(begin + self.interval)}"


@dataclass(frozen=True)
class GroupPlan:
    """The shifts of one agent group and how good they are.

    A plan covers ``W`` planning days: one day worked every day of the run (``W = 1``,
    ``week`` False), or the days of a week (``week`` True: plan day ``w`` is the run's
    days of the weekday ``day_names[w]`` when the run's days are weekdays, else those
    with ``d % 7 == w``; :func:`sim.shift_loop.plan_days`).

    Attributes:
        columns: The columns worked by at least one agent.
        counts: Agents per column.
        days: The plan day each column is worked on.
        need: The requirement, plan days x intervals (agents on duty).
        coverage: Agents on duty, plan days x intervals (summed coverage).
        cost: The objective (paid hours x hourly cost), all plan days.
        paid_hours: Paid hours of all shifts, all plan days.
        lower_bound: The LP relaxation's cost: no schedule costs less.
        gap: (cost - lower_bound) / cost (0 when both are 0).
        headcount: Fewest agents who can work the shifts, each at most ``days_per_agent``
            of the plan days (one day: the most agents on duty in one day's shifts).
        week: Whether plan days are days of the week.
        day_names: The weekday of each plan day by name (``monday``), when the run's days
            are weekdays (:mod:`sim.weekdays`); empty: plan day ``w`` is numbered ``w``.
    """

    columns: list[Column]
    counts: list[int]
    days: list[int]
    need: np.ndarray
    coverage: np.ndarray
    cost: float
    paid_hours: float
    lower_bound: float
    gap: float
    headcount: int
    week: bool = False
    day_names: tuple[str, ...] = ()

    def day_of(self, w: int) -> int | str:
        """Plan day ``w`` as a shift's ``days`` names it: its weekday's name, else ``w``."""
        return self.day_names[w] if self.day_names else w

    def shown_day(self, w: int) -> int | str:
        """Plan day ``w`` for people: its weekday's name, else from 1 (as ``ccsim staff``).

        Only the scenario's shift ``days`` (:meth:`day_of`) count from 0.
        """
        return self.day_names[w] if self.day_names else w + 1

    def paid_hour_cost(self, templates: dict[str, Template], default: float) -> float:
        """What a paid hour of these shifts costs: :attr:`cost` over :attr:`paid_hours`.

        Each shift is priced as the plan's cost prices it (its template's own
        ``hourly_cost``, else ``default``, the group's). Without shifts: an hour of the
        cheapest template.
        """
        if self.paid_hours > 0:
            return self.cost / self.paid_hours
        return min(t.paid_hour_cost(default) for t in templates.values())


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
        rate = template.paid_hour_cost(hourly_cost)
        paid = (template.length - template.unpaid()) / 3600.0
        options = [rule.starts(template.length, step) for rule in template.breaks]
        if not ((earliest - 1e-9 <= edges) & (edges <= latest + 1e-9)).any():
            # (it was left out without a word: the schedule made of the other templates)
            raise ScheduleError(
                f"{name + ': ' if name else ''}templates.{tname}.start: no interval starts "
                f"from {format_clock_exact(earliest)} to {format_clock_exact(latest)} (every "
                f"{format_duration(step)}): a shift starts at an interval's start")
        for start in edges:
            if not (earliest - 1e-9 <= start <= latest + 1e-9
                    and start + template.length <= day.close + 1e-9):
                continue
            seen: set[tuple] = set()
            for offsets in itertools.product(*options):
                rules = template.breaks
                # breaks do not overlap, in whatever order they are listed; alike ones
                # swapped are the same placement
                spans = sorted((o, r.length, r.paid) for o, r in zip(offsets, rules))
                if (tuple(spans) in seen or any(a + n > b + 1e-9 for (a, n, _), (b, _, _)
                                                 in itertools.pairwise(spans))):
                    continue
                seen.add(tuple(spans))
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
    placed, hours = {c.template for c in cols}, day.close - day.open
    long = [f"{t} ({format_duration(templates[t].length)})" for t in templates
            if t not in placed and templates[t].length > hours + 1e-9]
    for i in np.flatnonzero((need > 0) & (reach <= 0)):
        raise ScheduleError(f"{name}: no shift template covers {day.label(int(i))} "
                            f"(needs {need[i]:g} agents): " + (
                                f"{', '.join(long)} {'is' if len(long) == 1 else 'are'} "
                                "longer than the opening hours "
                                f"{format_clock_exact(day.open)}-{format_clock_exact(day.close)}"
                                f" ({format_duration(hours)})" if long
                                else "add a template or widen its start window"))
    if all(t.max is not None for t in templates.values()):
        most = sum(t.max for t in templates.values())
        for i in np.flatnonzero(need > most + 1e-9):
            raise ScheduleError(f"{name}: {day.label(int(i))} needs {need[i]:g} agents, above "
                                f"the most the templates allow together ({most})")


def solve(need: np.ndarray, templates: dict[str, Template], day: Day, *,
          hourly_cost: float = 1.0, part_time_share: float = 1.0,
          days_per_agent: int | None = None, max_agents: int | None = None,
          time_limit: float = 60.0, name: str = "",
          day_names: tuple[str, ...] = ()) -> GroupPlan:
    """The cheapest shifts covering ``need`` (agents on duty per interval of the day).

    Args:
        need: Requirement per interval of opening hours (agents on duty; may be
            fractional): one row per plan day (a 1-d array: one day, worked every day).
        templates: The allowed templates; ``min``/``max`` hold on every plan day.
        day: The planning day.
        hourly_cost: Cost of a paid hour for templates without their own.
        part_time_share: Most part-time agents as a share of all agents on a day, in [0, 1].
        days_per_agent: With several plan days (a week): most days an agent works.
        max_agents: Most agents in the group (its roster), if limited.
        time_limit: Seconds HiGHS may search; the best schedule found by then is used.
        name: The agent group, to name in errors.
        day_names: The weekday of each plan day (:attr:`GroupPlan.day_names`).

    Raises:
        ScheduleError: If no schedule meets the requirement under the limits.
    """
    need = np.asarray(need, dtype=float)
    week = need.ndim == 2
    need = np.atleast_2d(need)
    n_days = need.shape[0]
    per_agent = n_days if days_per_agent is None or not week else min(days_per_agent, n_days)
    cols = columns(templates, day, hourly_cost, name)
    for w in range(n_days):
        check_feasible(need[w], cols, templates, day,
                       f"{name} ({day_names[w] if day_names else f'day {w + 1}'})" if week
                       else name)
    if not cols or (not need.any() and not any(t.min for t in templates.values())):
        return GroupPlan([], [], [], need, np.zeros_like(need), 0.0, 0.0, 0.0, 0.0, 0, week,
                         day_names if week else ())
    if week and n_days > 1 and max_agents is None:
        # nothing ties the days together: the roster is whatever the days need, and the
        # model splits into one small model per day (HiGHS is much faster on those)
        days = [solve(need[w], templates, day, hourly_cost=hourly_cost,
                      part_time_share=part_time_share, time_limit=time_limit, name=name)
                for w in range(n_days)]
        return _join(days, need, per_agent, day_names)
    n_cols = len(cols)
    cost = np.concatenate([np.tile([c.cost for c in cols], n_days), [0.0]])  # last: roster
    # when every paid hour is free, any covering schedule costs 0: take the fewest hours
    free = not cost.any()
    hours = np.concatenate([np.tile([c.paid_hours for c in cols], n_days), [0.0]])
    objective = hours if free else cost
    constraints = _constraints(need, cols, templates, part_time_share, per_agent, max_agents)
    integral = np.ones(cost.size)
    best = milp(objective, integrality=integral, constraints=constraints,
                options={"time_limit": time_limit, "mip_rel_gap": 1e-6})
    if best.x is None:
        why = ("the limits (min/max headcount, part-time share, days per agent, roster) "
               "leave no schedule" if best.status == 2 else
               f"HiGHS found no schedule: {best.message}")
        raise ScheduleError(f"{name}: {why}")
    relaxed = milp(objective, integrality=np.zeros(cost.size), constraints=constraints)
    if not free and not cost[:-1].all():  # free shifts beside paid ones: of the cheapest
        # schedules, the fewest paid hours (cost alone lets free shifts pile up at will)
        cheapest = float(cost @ np.round(best.x))
        fewest = milp(hours, integrality=integral, constraints=[*constraints, LinearConstraint(
            cost, -np.inf, cheapest + 1e-9 * max(1.0, cheapest))],
                      options={"time_limit": time_limit, "mip_rel_gap": 1e-6})
        if fewest.x is not None:
            best = fewest
    counts = np.round(best.x[:-1]).astype(int).reshape(n_days, n_cols)
    matrix = np.array([c.coverage for c in cols]).T
    kept = np.argwhere(counts > 0)
    total = float(cost[:-1] @ counts.ravel())
    bound = 0.0 if free else float(relaxed.fun) if relaxed.x is not None else math.nan
    per_day = counts.sum(axis=1)
    headcount = int(max(per_day.max(), math.ceil(per_day.sum() / per_agent)))
    return GroupPlan([cols[j] for _, j in kept], [int(counts[w, j]) for w, j in kept],
                     [int(w) for w, _ in kept], need, counts @ matrix.T, total,
                     float(sum(cols[j].paid_hours * counts[w, j] for w, j in kept)),
                     bound, (total - bound) / total if total > 0 else 0.0, headcount, week,
                     day_names if week else ())


def _join(days: list[GroupPlan], need: np.ndarray, per_agent: int,
          day_names: tuple[str, ...]) -> GroupPlan:
    """One week plan from the plans of its days, solved apart."""
    per_day = np.array([sum(p.counts) for p in days])
    total = sum(p.cost for p in days)
    bound = sum(p.lower_bound for p in days)
    return GroupPlan(
        [c for p in days for c in p.columns], [n for p in days for n in p.counts],
        [w for w, p in enumerate(days) for _ in p.counts], need,
        np.vstack([p.coverage for p in days]), total, sum(p.paid_hours for p in days),
        bound, (total - bound) / total if total > 0 else 0.0,
        int(max(per_day.max(), math.ceil(per_day.sum() / per_agent))), True, day_names)


def _constraints(need: np.ndarray, cols: list[Column], templates: dict[str, Template],
                 part_time_share: float, per_agent: int,
                 max_agents: int | None) -> list[LinearConstraint]:
    """The model's rows over the variables: counts per (plan day, column), then the roster."""
    n_days = need.shape[0]
    days = eye(n_days, format="csc")
    roster = np.ones((n_days, 1))

    def with_roster(block, column=None):
        return hstack([block, csc_array(np.zeros((block.shape[0], 1)) if column is None
                                        else column)], format="csc")

    matrix = csc_array(np.array([c.coverage for c in cols]).T)
    found = [LinearConstraint(with_roster(kron(days, matrix)), need.ravel() - 1e-9, np.inf)]
    names = list(templates)
    member = np.zeros((len(names), len(cols)))
    for j, c in enumerate(cols):
        member[names.index(c.template), j] = 1.0
    low = np.array([templates[n].min for n in names], dtype=float)
    high = np.array([np.inf if templates[n].max is None else templates[n].max for n in names])
    found.append(LinearConstraint(with_roster(kron(days, csc_array(member))),
                                  np.tile(low, n_days), np.tile(high, n_days)))
    if part_time_share < 1.0:
        part = np.array([[1.0 if templates[c.template].is_part_time else 0.0 for c in cols]])
        found.append(LinearConstraint(with_roster(kron(days, csc_array(part - part_time_share))),
                                      -np.inf, 0.0))
    everyone = csc_array(np.ones((1, len(cols))))
    # on every plan day at most the roster works; over the plan, at most per_agent days each
    found.append(LinearConstraint(with_roster(kron(days, everyone), -roster), -np.inf, 0.0))
    found.append(LinearConstraint(with_roster(csc_array(np.ones((1, n_days * len(cols)))),
                                              np.array([[-float(per_agent)]])), -np.inf, 0.0))
    found.append(LinearConstraint(with_roster(csc_array((1, n_days * len(cols))),
                                              np.ones((1, 1))), 0.0,
                                  np.inf if max_agents is None else max_agents))
    return found


def shift_rows(plan: GroupPlan, templates: dict[str, Template],
               pay: float | None = None) -> list[dict]:
    """The plan's shifts as scenario ``shifts`` entries (clock and duration strings).

    In a week plan, a shift worked by the same number of agents on several days is one
    entry with those ``days`` (by name when the run's days are weekdays). ``pay``: the
    group's ``costs`` hourly, if the scenario has costs; a shift priced at another rate
    (its template's ``hourly_cost``, ``--hourly-cost``) says so as its ``hourly``, so
    that a run pays it as the plan did.
    """
    merged: dict[tuple, list[int]] = {}
    rates: dict[str, float] = {}
    for column, count, w in zip(plan.columns, plan.counts, plan.days):
        merged.setdefault((column.template, column.start, column.breaks, count), []).append(w)
        if column.paid_hours > 0:
            rates[column.template] = column.cost / column.paid_hours
    rows = []
    for (tname, start, breaks, count), days in merged.items():
        template = templates[tname]
        row: dict = {"start": format_clock_exact(start),
                     "length": format_duration(template.length), "count": count}
        if pay is not None and not math.isclose(rates.get(tname, pay), pay, rel_tol=1e-12):
            row["hourly"] = round(rates[tname], 10)
        if breaks:
            row["breaks"] = [{"at": format_duration(o), "length": format_duration(r.length),
                              **({} if r.paid else {"paid": False})}
                             for o, r in zip(breaks, template.breaks)]
        if plan.week:
            row["days"] = [plan.day_of(w) for w in sorted(days)]
        rows.append(row)
    return rows
