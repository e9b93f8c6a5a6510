"""Staffing: the fewest agents per interval and agent group that meet a goal, by simulation.

Erlang C answers "how many agents?" for one queue in steady state, with patient callers,
one skill and nothing after the call. Real centers have abandonment, transfers, repeat
contacts, several skills sharing agents, and intervals that hand their queue on to the
next. The search here starts where a planner would, from the Erlang C requirement, and
lets the simulator correct it, one agent at a time:

1. **Start.** For every interval and agent group, the Erlang C requirement for the load
   the group is expected to carry. A contact type's offered load in an interval (its
   expected contacts, day factors included, times its mean handle time, over the
   interval) is shared equally by its *first-line* groups: those that take it without
   waiting (routing steps with ``after: 0``; without routing, every group with the
   skill). Overflow groups get none of it. Each group's share is one Erlang C queue.
2. **Up.** Simulate the whole run (``replications`` replications, the same random
   streams every time: common random numbers). Wherever an interval misses the goal for
   a contact type, its first-line group with the largest share gets one agent more (up
   to five when the service level is far below the target). Repeat until every measured
   interval meets the goal.
3. **Down.** In every interval that meets the goal, try one agent fewer in one group (the
   largest). Keep each removal after which that interval and the next one (whose queue
   it inherits) still meet the goal; the others are marked minimal and not tried again.
   Repeat (with step 2 if a kept removal broke something) until nothing can go.

The goal per interval and contact type: the service level over all replications (the
scenario's definition, at ``threshold``; answered in time / offered, both summed over
the replications, as ``RunResult.intervals`` reports it) at least ``target``, and with
``max_abandon`` the abandon rate (pooled alike) at most that. Intervals without contacts
meet it; intervals that end within the warm-up are not measured and keep the Erlang C
requirement.

Counts are agents *on the phones*. The simulator takes ``shrinkage`` off the scheduled
agents (:func:`sim.schedule.on_phones`), so the staffed scenario keeps each group's
shrinkage and schedules the fewest agents that leave the required number on the phones.

Limits: the answer is minimal for the simulated sample (a verifying run with other
random numbers may find an interval a little below the target: use more replications
for a tighter answer); the search moves one agent at a time and never revisits a cell
marked minimal, so in multi-skill centers it finds a good, not necessarily the cheapest,
mix of groups; it staffs intervals, it does not build shifts (the staffed scenario has
per-interval ``staff`` and no ``shifts``, and no ``variants``).
"""

from __future__ import annotations

import math
import textwrap
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim import erlang
from sim.arrivals import expected_counts
from sim.intervals import pool_intervals
from sim.loader import with_overrides
from sim.measure import replication_tables
from sim.metrics import KPIS
from sim.output import write_atomic
from sim.scenario import Scenario
from sim.schedule import interval_starts, on_phones
from sim.units import DAY, format_clock, format_duration

MAX_STEP = 5  # most agents added to one cell in one round


@dataclass(frozen=True)
class Goal:
    """What every interval must achieve: service level (and abandonment) per contact type."""

    target: float
    threshold: float  # seconds
    max_abandon: float | None = None


@dataclass(frozen=True)
class Evaluation:
    """Simulated performance of one staffing plan, per contact type x interval.

    Attributes:
        service_level: Over all replications, as in ``RunResult.intervals`` (NaN: no
            contacts in the interval); contact types x intervals.
        abandon_rate: The same for the abandon rate.
        ok: Whether the goal is met (always True in unmeasured intervals).
        intervals: The interval table these come from (``RunResult.intervals``).
        replications: KPIs per replication (``RunResult.replications``).
    """

    service_level: np.ndarray
    abandon_rate: np.ndarray
    ok: np.ndarray
    intervals: pd.DataFrame = field(repr=False)
    replications: pd.DataFrame = field(repr=False)


@dataclass
class StaffingResult:
    """The outcome of :func:`find_staffing`.

    Attributes:
        scenario: The staffed scenario: each group's ``staff`` per interval (scheduled
            agents), no shifts, the searched service-level goal.
        table: One row per interval and group: ``day``, ``clock``, ``start`` (seconds),
            ``group``, ``erlang_c`` and ``simulated`` (agents on the phones),
            ``scheduled`` (before shrinkage), ``service_level`` (the lowest of the
            group's contact types), ``abandon_rate`` (the highest), ``measured``.
        goal: The goal searched for.
        replications: Replications per evaluation.
        seed: The seed of every evaluation.
        evaluations: Staffing plans simulated.
        converged: False if the removal rounds ran out before nothing could be removed.
    """

    scenario: Scenario
    table: pd.DataFrame
    goal: Goal
    replications: int
    seed: int
    evaluations: int
    converged: bool

    def agent_hours(self, column: str = "simulated") -> float:
        """Agent-hours on the phones over the run (``erlang_c`` or ``simulated``)."""
        return float(self.table[column].sum() * self.scenario.interval / 3600.0)


# --- the Erlang C starting point ---------------------------------------------------------

def load_shares(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Contact type -> first-line group -> its share of the type's load (shares sum to 1)."""
    shares = {}
    for name in scenario.contact_types:
        steps = scenario.routes(name)
        first = [s.group for s in steps if s.after == 0.0] or [steps[0].group]
        shares[name] = {g: 1.0 / len(first) for g in dict.fromkeys(first)}
    return shares


def erlang_requirement(scenario: Scenario, goal: Goal) -> np.ndarray:
    """Erlang C agents on the phones per group (rows, scenario order) and interval (columns).

    Each group's load is its share of its contact types' loads (see the module docstring);
    its handle time is the load-weighted mean of theirs.
    """
    groups = list(scenario.agents)
    rate = np.zeros((len(groups), scenario.days * scenario.intervals_per_day))
    work = np.zeros_like(rate)  # Erlangs
    for name, shares in load_shares(scenario).items():
        ct = scenario.contact_types[name]
        arrivals = expected_counts(scenario, ct.arrivals, name) / scenario.interval
        for group, share in shares.items():
            rate[groups.index(group)] += share * arrivals
            work[groups.index(group)] += share * arrivals * ct.handle.mean
    need = np.zeros(rate.shape, dtype=int)
    for (g, i), lam in np.ndenumerate(rate):
        if lam > 0.0:
            need[g, i] = erlang.required_agents(lam, work[g, i] / lam, goal.target,
                                                goal.threshold)
    return need


def scheduled_agents(on_phone: int, shrinkage: float) -> int:
    """Fewest scheduled agents that leave ``on_phone`` agents after shrinkage."""
    count = math.ceil(on_phone / (1.0 - shrinkage)) if on_phone else 0
    while count > 0 and on_phones(count - 1, shrinkage) >= on_phone:
        count -= 1
    while on_phones(count, shrinkage) < on_phone:
        count += 1
    return count


# --- evaluating a plan -------------------------------------------------------------------

def staffed_scenario(scenario: Scenario, plan: np.ndarray, goal: Goal) -> Scenario:
    """``scenario`` with ``plan`` (agents on the phones, groups x intervals) as its staffing."""
    overrides: dict[str, Any] = {"service_level.target": goal.target,
                                 "service_level.threshold": goal.threshold}
    for row, (name, group) in zip(plan, scenario.agents.items()):
        overrides[f"agents.{name}.staff"] = _compact(
            [scheduled_agents(int(n), group.shrinkage) for n in row], scenario)
        overrides[f"agents.{name}.shifts"] = None
    base = scenario.model_copy(update={"variants": {}})
    return with_overrides(base, overrides, source=f"{scenario.name} [staffed]")


def _compact(values: list[int], scenario: Scenario) -> list[int]:
    """One day's list when every day is staffed alike, else the whole run's."""
    ipd = scenario.intervals_per_day
    days = [values[d * ipd:(d + 1) * ipd] for d in range(scenario.days)]
    return days[0] if all(day == days[0] for day in days) else values


def replication_measures(scenario: Scenario, seed: int,
                         replication: int) -> tuple[dict[str, float], pd.DataFrame]:
    """One replication of a staffed scenario: its KPIs and its interval table.

    What a worker sends back; the contact tables stay where they were made.
    """
    tables = replication_tables(scenario, seed, replication)
    return tables.kpis, tables.intervals


def evaluate_plan(scenario: Scenario, plan: np.ndarray, goal: Goal, replications: int,
                  seed: int, executor: Executor | None = None) -> Evaluation:
    """Simulate ``plan`` (agents on the phones, groups x intervals) and judge it by ``goal``.

    The measures are those ``sim.run`` reports for the staffed scenario
    (:func:`staffed_scenario`) with the same seed and replications.

    Args:
        scenario: The scenario to staff.
        plan: Agents on the phones per group (rows, scenario order) and interval.
        goal: What every measured interval must achieve.
        replications: Replications (replication ``r`` draws the same numbers for every plan).
        seed: Seed of every replication.
        executor: Runs the replications in parallel (default: in turn, here).
    """
    staffed = staffed_scenario(scenario, plan, goal)
    args = (repeat(staffed, replications), repeat(seed, replications), range(replications))
    runs = list((executor.map if executor else map)(replication_measures, *args))
    per_rep = pd.DataFrame([kpis for kpis, _ in runs], columns=list(KPIS))
    per_rep.insert(0, "replication", range(replications))
    intervals = pool_intervals(pd.concat([table for _, table in runs], ignore_index=True))
    by_type = [intervals[intervals["contact_type"] == name] for name in scenario.contact_types]
    sl = np.stack([rows["service_level"].to_numpy(dtype=float) for rows in by_type])
    abandon = np.stack([rows["abandon_rate"].to_numpy(dtype=float) for rows in by_type])
    ok = np.isnan(sl) | (sl >= goal.target - 1e-12)
    if goal.max_abandon is not None:
        ok &= np.isnan(abandon) | (abandon <= goal.max_abandon + 1e-12)
    return Evaluation(sl, abandon, ok | ~measured_intervals(scenario)[None, :], intervals,
                      per_rep)


def measured_intervals(scenario: Scenario) -> np.ndarray:
    """Which intervals the goal applies to: those that end after the warm-up."""
    return interval_starts(scenario) + scenario.interval > scenario.warmup


class _Evaluator:
    """Simulates plans (each once: results are cached) under common random numbers."""

    def __init__(self, scenario: Scenario, goal: Goal, replications: int, seed: int,
                 executor: Executor | None, log: Callable[[str], None] | None):
        self.scenario, self.goal = scenario, goal
        self.replications, self.seed = replications, seed
        self.executor, self.log = executor, log
        self.measured = measured_intervals(scenario)
        self.cache: dict[bytes, Evaluation] = {}

    def __call__(self, plan: np.ndarray) -> Evaluation:
        key = plan.tobytes()
        if key not in self.cache:
            self.cache[key] = self._simulate(plan)
            if self.log is not None:
                failing = int(np.count_nonzero(~self.cache[key].ok))
                self.log(f"plan {len(self.cache)}: {int(plan.sum()):,} agent-intervals on the "
                         f"phones, {failing} interval x contact type below the goal")
        return self.cache[key]

    def _simulate(self, plan: np.ndarray) -> Evaluation:
        return evaluate_plan(self.scenario, plan, self.goal, self.replications, self.seed,
                             self.executor)

    @property
    def count(self) -> int:
        return len(self.cache)


# --- the search ----------------------------------------------------------------------------

class _Search:
    """The up and down steps of the module docstring over a groups x intervals plan."""

    def __init__(self, scenario: Scenario, evaluate: _Evaluator, max_agents: int):
        self.scenario, self.evaluate, self.max_agents = scenario, evaluate, max_agents
        groups = list(scenario.agents)
        shares = load_shares(scenario)
        self.primary = [groups.index(max(shares[t], key=shares[t].get)) for t in shares]
        self.minimal = np.zeros((len(groups), evaluate.measured.size), dtype=bool)
        ipd = scenario.intervals_per_day
        self.has_next = (np.arange(evaluate.measured.size) + 1) % ipd != 0

    def raise_until_met(self, plan: np.ndarray) -> tuple[np.ndarray, Evaluation]:
        """Add agents where the goal is missed until it is met everywhere."""
        result = self.evaluate(plan)
        while not result.ok.all():
            add = np.zeros_like(plan)
            for t, i in zip(*np.nonzero(~result.ok)):
                shortfall = self.evaluate.goal.target - result.service_level[t, i]
                step = 1 + (int(shortfall // 0.1) if shortfall > 0 else 0)
                g = self.primary[t]
                add[g, i] = max(add[g, i], min(step, MAX_STEP))
            plan = plan + add
            self.minimal |= add == 1  # one fewer just missed the goal
            if plan.max() > self.max_agents:
                raise ValueError(f"no staffing up to {self.max_agents} agents per group meets "
                                 "the goal in every interval")
            result = self.evaluate(plan)
        return plan, result

    def removal_candidates(self, plan: np.ndarray, result: Evaluation) -> list[tuple[int, int]]:
        """One (group, interval) per measured interval that meets the goal: the largest group."""
        cells = []
        for i in np.flatnonzero(self.evaluate.measured & result.ok.all(axis=0)):
            open_groups = [g for g in range(plan.shape[0])
                           if plan[g, i] > 0 and not self.minimal[g, i]]
            if open_groups:
                cells.append((max(open_groups, key=lambda g: plan[g, i]), int(i)))
        return cells

    def lower(self, plan: np.ndarray, result: Evaluation,
              max_rounds: int) -> tuple[np.ndarray, bool]:
        """Remove agents while the goal stays met; False if ``max_rounds`` ran out first."""
        for _ in range(max_rounds):
            cells = self.removal_candidates(plan, result)
            if not cells:
                return plan, True
            trial = plan.copy()
            for g, i in cells:
                trial[g, i] -= 1
            met = self.evaluate(trial).ok.all(axis=0)
            kept = [(g, i) for g, i in cells
                    if met[i] and (not self.has_next[i] or met[i + 1])]
            for g, i in set(cells) - set(kept):
                self.minimal[g, i] = True
            for g, i in kept:
                plan = plan.copy()
                plan[g, i] -= 1
            plan, result = self.raise_until_met(plan)
        return plan, False


def find_staffing(
    scenario: Scenario,
    target: float | None = None,
    threshold: float | None = None,
    max_abandon: float | None = None,
    replications: int = 10,
    seed: int | None = None,
    executor: Executor | None = None,
    max_rounds: int = 50,
    max_agents: int = 100_000,
    log: Callable[[str], None] | None = None,
) -> StaffingResult:
    """Find the fewest agents per interval and group that meet a service goal, by simulation.

    See the module docstring for the algorithm and its limits.

    Args:
        scenario: The scenario to staff (its staffing is replaced).
        target: Service level every interval must reach, in (0, 1); default: the
            scenario's target.
        threshold: Service-level threshold, seconds; default: the scenario's.
        max_abandon: Highest acceptable abandon rate per interval, in (0, 1], if any.
        replications: Replications per evaluated plan.
        seed: Seed of every evaluation (default: the scenario's).
        executor: Runs an evaluation's replications in parallel (default: in turn, here).
        max_rounds: Most removal rounds.
        max_agents: Give up if a group would need more agents than this in an interval.
        log: Called with a line of text after each new plan is simulated.

    Returns:
        The staffed scenario and the staffing table next to the Erlang C requirement.

    Raises:
        ValueError: If an argument is out of range or the goal cannot be met.
    """
    goal = _goal(scenario, target, threshold, max_abandon)
    if replications < 1:
        raise ValueError(f"'replications' must be >= 1, got {replications}")
    seed = scenario.seed if seed is None else seed
    evaluate = _Evaluator(scenario, goal, replications, seed, executor, log)
    search = _Search(scenario, evaluate, max_agents)
    start = erlang_requirement(scenario, goal)
    plan, result = search.raise_until_met(start)
    plan, converged = search.lower(plan, result, max_rounds)
    staffed = staffed_scenario(scenario, plan, goal)
    table = _table(scenario, start, plan, evaluate(plan), evaluate.measured)
    return StaffingResult(staffed, table, goal, replications, seed, evaluate.count, converged)


def _goal(scenario: Scenario, target: float | None, threshold: float | None,
          max_abandon: float | None) -> Goal:
    goal = Goal(scenario.service_level.target if target is None else float(target),
                scenario.service_level.threshold if threshold is None else float(threshold),
                max_abandon)
    if not 0.0 < goal.target < 1.0:
        raise ValueError(f"'target' must be in (0, 1), got {goal.target!r}")
    if not (math.isfinite(goal.threshold) and goal.threshold >= 0.0):
        raise ValueError(f"'threshold' must be >= 0 seconds, got {goal.threshold!r}")
    if max_abandon is not None and not 0.0 < max_abandon <= 1.0:
        raise ValueError(f"'max_abandon' must be in (0, 1], got {max_abandon!r}")
    return goal


def _table(scenario: Scenario, start: np.ndarray, plan: np.ndarray, result: Evaluation,
           measured: np.ndarray) -> pd.DataFrame:
    """The staffing table: one row per interval and group."""
    starts = interval_starts(scenario)
    types = list(scenario.contact_types)
    rows = []
    for i, begin in enumerate(starts):
        for g, (name, group) in enumerate(scenario.agents.items()):
            served = [types.index(t) for t in group.skills]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: no contacts
                sl = float(np.nanmin(result.service_level[served, i]))
                abandon = float(np.nanmax(result.abandon_rate[served, i]))
            rows.append({
                "day": int(begin // DAY), "clock": format_clock(begin % DAY),
                "start": float(begin), "group": name, "erlang_c": int(start[g, i]),
                "simulated": int(plan[g, i]),
                "scheduled": scheduled_agents(int(plan[g, i]), group.shrinkage),
                "service_level": sl, "abandon_rate": abandon, "measured": bool(measured[i]),
            })
    return pd.DataFrame(rows)


# --- the staffed scenario as a file --------------------------------------------------------

def staffed_document(data: Mapping[str, Any], result: StaffingResult) -> dict:
    """A scenario's fields (``data``) with the staffing of ``result``.

    ``data`` is the scenario as the loader reads it (:func:`sim.loader.scenario_document`):
    only the loader reads scenario YAML, so clock times and units mean what they meant
    when the scenario was staffed.

    Each group gets its per-interval ``staff`` (scheduled agents) and loses ``shifts``;
    ``service_level`` becomes the searched goal; ``variants`` are dropped.
    """
    document = dict(data)
    staffed = result.scenario
    document["agents"] = {name: {**{k: v for k, v in group.items() if k != "shifts"},
                                 "staff": staffed.agents[name].staff}
                          for name, group in data["agents"].items()}
    document["service_level"] = {**(data.get("service_level") or {}),
                                 "threshold": format_duration(result.goal.threshold),
                                 "target": result.goal.target}
    document.pop("variants", None)
    return document


def write_staffed(path: str | Path, document: Mapping[str, Any], result: StaffingResult) -> Path:
    """Write the staffed scenario as YAML (atomically), with a comment on how it was found."""
    goal = result.goal
    wanted = f"service level >= {goal.target:g} within {format_duration(goal.threshold)}"
    if goal.max_abandon is not None:
        wanted += f" and abandonment <= {goal.max_abandon:g}"
    note = (f"Staffing found by `ccsim staff`: the fewest agents per interval that meet "
            f"{wanted} in every interval, by simulation ({result.replications} replications "
            f"per plan, seed {result.seed}). `staff` counts scheduled agents (before "
            f"shrinkage). Agent-hours on the phones: Erlang C "
            f"{result.agent_hours('erlang_c'):,.1f}, simulation {result.agent_hours():,.1f}.")
    head = "".join(f"# {line}\n" for line in textwrap.wrap(note, width=88))
    text = head + yaml.safe_dump(dict(document), sort_keys=False,
                                                   default_flow_style=None, width=100)
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
