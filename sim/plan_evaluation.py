"""A staffing plan judged by simulation: what the goal is, and whether a plan meets it.

A *plan* is agents on the phones per agent group (rows, scenario order) and interval
(columns). :func:`evaluate_plan` simulates exactly that many agents on the phones and
judges every contact type and interval by a :class:`Goal`: the service level pooled over
the replications (answered in time / offered, as ``RunResult.intervals`` reports it) at
least the type's target (:meth:`Goal.target_of`), or, with a confidence, the share of
replications whose own service level meets that target at least that confidence.
Intervals can be judged in blocks (a run of equal load, pooled). :func:`scheduled_agents`
turns agents on the phones into the fewest scheduled agents (before shrinkage) the
simulator puts that many of on the phones. The search that uses all this is
:mod:`sim.staffing`.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any

import numpy as np
import pandas as pd

from sim.intervals import pool_intervals
from sim.loader import with_overrides
from sim.measure import replication_tables, tally_declined
from sim.metrics import COST_KPIS, kpi_names
from sim.plan_measures import SEARCH_SUMS, SETTLED, plan_measures
from sim.queue_legs import LEG_SUMS, second_leg_sums
from sim.routing import RoutingPolicy, replication_copy
from sim.scenario import Scenario
from sim.scenario_contacts import ServiceLevelDefinition
from sim.schedule import interval_starts
from sim.shrinkage import scheduled_agents
from sim.units import format_duration


@dataclass(frozen=True)
class Goal:
    """What every interval must achieve: service level (and abandonment) per contact type.

    ``target`` and ``threshold`` replace the scenario's; a contact type with its own
    ``service_level`` keeps its own threshold and, where it states one, its own target
    (:meth:`target_of`, :meth:`threshold_of`), as the simulation judges it.
    """

    target: float
    threshold: float  # seconds
    max_abandon: float | None = None
    confidence: float | None = None  # share of replications meeting the target; None: mean

    def target_of(self, scenario: Scenario, contact_type: str) -> float:
        """The target ``contact_type`` is judged against: its own, else this goal's."""
        return scenario.target(contact_type, self.target)

    def threshold_of(self, scenario: Scenario, contact_type: str) -> float:
        """The threshold (seconds) ``contact_type`` is judged at: its own, else this goal's."""
        return scenario.threshold(contact_type, self.threshold)

    def targets(self, scenario: Scenario) -> np.ndarray:
        """:meth:`target_of` each contact type, in scenario order."""
        return np.array([self.target_of(scenario, t) for t in scenario.contact_types])

    def describe(self, scenario: Scenario) -> str:
        """The goal in words, with each type's own where it differs.

        E.g. ``service level >= 0.8 within 20s (vip >= 0.95 within 20s)``.
        """
        def level(target: float, threshold: float) -> str:
            return f">= {target:g} within {format_duration(threshold)}"

        common = level(self.target, self.threshold)
        own = {t: level(self.target_of(scenario, t), self.threshold_of(scenario, t))
               for t in scenario.contact_types}
        differ = [f"{t} {text}" for t, text in own.items() if text != common]
        return f"service level {common}" + (f" ({'; '.join(differ)})" if differ else "")


@dataclass(frozen=True)
class Evaluation:
    """Simulated performance of one staffing plan, per contact type x interval.

    Attributes:
        service_level: Over all replications, as in ``RunResult.intervals`` (NaN: no
            contacts in the interval); contact types x intervals. Where legs were sent
            into the type's queue (transfers, escalations, consults:
            :mod:`sim.queue_legs`) and theirs is lower, theirs.
        abandon_rate: The same for the abandon rate.
        ok: Whether the goal is met (always True in unmeasured intervals): by the type's
            first contacts and, at the same target and threshold, by the legs sent into
            its queue (no abandon cap on those); judged per block of intervals
            (:func:`load_blocks`) when blocks are given.
        intervals: The interval table these come from (``RunResult.intervals``); None
            when measured for a search only (:func:`evaluate_plan`'s ``full``).
        replications: KPIs per replication (``RunResult.replications``); for a search
            only, ``replication`` and the cost KPIs.
        service_level_ci: 95% confidence half-width of ``service_level`` (a ratio
            estimator over the replications, Student t; NaN with one replication).
        met_share: Share of the replications whose own service level in the interval
            meets its type's target (a replication without contacts there meets it).
        settled: Per interval, when (seconds) the counts the goal judges it by were
            settled in every replication and contact type
            (:func:`sim.plan_measures.settle_times`); None when not measured (``full``).
        declined: Contact type -> ``{"replications": k, "contacts": n}`` for each type
            the routing policy never chose in ``k`` replications, its ``n`` contacts there
            never answered (as :attr:`sim.replicate.RunResult.declined`).
        offered: Mean contacts offered per replication, contact types x intervals (first
            contacts, repeats and redials: the load a staffing ceiling must cover).
    """

    service_level: np.ndarray
    abandon_rate: np.ndarray
    ok: np.ndarray
    intervals: pd.DataFrame | None = field(repr=False)
    replications: pd.DataFrame = field(repr=False)
    service_level_ci: np.ndarray | None = field(default=None, repr=False)
    met_share: np.ndarray | None = field(default=None, repr=False)
    settled: np.ndarray | None = field(default=None, repr=False)
    declined: dict[str, dict[str, int]] = field(default_factory=dict, repr=False)
    offered: np.ndarray | None = field(default=None, repr=False)



# --- evaluating a plan -------------------------------------------------------------------

def staffed_scenario(scenario: Scenario, plan: np.ndarray, goal: Goal) -> Scenario:
    """``scenario`` with ``plan`` (agents on the phones, groups x intervals) as its staffing.

    Each group's ``staff`` is the scheduled count (:func:`scheduled_agents`).
    """
    return _with_plan(scenario, plan, goal, gross_up=True)


def simulated_scenario(scenario: Scenario, plan: np.ndarray, goal: Goal) -> Scenario:
    """What the search simulates for ``plan``: exactly ``plan`` on the phones, no shrinkage.

    :func:`staffed_scenario` (the file ``ccsim staff --out`` writes) puts exactly as many
    on the phones in every interval (:func:`scheduled_agents`), so a run of it is this.
    """
    return _with_plan(scenario, plan, goal, gross_up=False)


def _with_plan(scenario: Scenario, plan: np.ndarray, goal: Goal, gross_up: bool) -> Scenario:
    """``plan`` as staffing: scheduled agents, or exactly ``plan`` on the phones.

    Without ``gross_up`` each group has no shrinkage and ``plan`` as its staff: what the
    search simulates; but a group with ``absenteeism`` as staffed (its absences drawn
    from the scheduled, as in the file written: from the phones, service was 88% for 92%).
    Its ``plan`` is then agents on the phones on a day nobody is absent.
    """
    overrides: dict[str, Any] = {"service_level.target": goal.target,
                                 "service_level.threshold": goal.threshold}
    for row, (name, group) in zip(plan, scenario.agents.items()):
        if gross_up or group.absenteeism:  # (absences are drawn from the scheduled)
            staff = [scheduled_agents(int(n), group.shrinkage) for n in row]
        else:
            staff = [int(n) for n in row]
            overrides[f"agents.{name}.shrinkage"] = 0.0
        overrides[f"agents.{name}.staff"] = _compact(staff, scenario)
        overrides[f"agents.{name}.shifts"] = None
    base = scenario.model_copy(update={"variants": {}})
    return with_overrides(base, overrides, source=f"{scenario.name} [staffed]")


def _compact(values: list[int], scenario: Scenario) -> list[int]:
    """One day's list when every day is staffed alike, else the whole run's."""
    ipd = scenario.intervals_per_day
    days = [values[d * ipd:(d + 1) * ipd] for d in range(scenario.days)]
    return days[0] if all(day == days[0] for day in days) else values


def replication_measures(scenario: Scenario, seed: int, replication: int,
                         policy: RoutingPolicy | None = None
                         ) -> tuple[dict[str, float], pd.DataFrame, dict[str, int], np.ndarray]:
    """One replication of a staffed scenario: KPIs, interval table, types declined, legs.

    The last: the :data:`sim.queue_legs.LEG_SUMS` of the legs sent into each queue
    (sums x types x intervals), as :func:`sim.plan_measures.plan_measures` has them.

    What a worker sends back; the contact tables stay where they were made. ``policy``:
    a routing policy instead of the scenario's (a copy of it runs).
    """
    tables = replication_tables(scenario, seed, replication,
                                policy=None if policy is None else replication_copy(policy))
    legs = second_leg_sums(tables.legs, scenario)[:len(LEG_SUMS)]
    return tables.kpis, tables.intervals, tables.never_chosen, legs


def evaluate_plan(scenario: Scenario, plan: np.ndarray, goal: Goal, replications: int,
                  seed: int, executor: Executor | None = None, *, first_replication: int = 0,
                  blocks: np.ndarray | None = None, full: bool = True,
                  policy: RoutingPolicy | None = None) -> Evaluation:
    """Simulate ``plan`` (agents on the phones, groups x intervals) and judge it by ``goal``.

    The measures are those ``sim.run`` reports, with the same seed and replications, for
    the scenario with exactly ``plan`` on the phones (each group's staff, no shrinkage).

    Args:
        scenario: The scenario to staff.
        plan: Agents on the phones per group (rows, scenario order) and interval.
        goal: What every measured interval must achieve.
        replications: Replications (replication ``r`` draws the same numbers for every plan).
        seed: Seed of every replication.
        executor: Runs the replications in parallel (default: in turn, here).
        first_replication: Number of the first replication: replications
            ``first_replication ..`` draw their own random streams (a hold-out check).
        blocks: Block number per interval (:func:`load_blocks`): the goal is judged on
            each block's pooled replications and intervals. Default: every interval alone.
        full: Measure every KPI and the interval table, as ``sim.run`` does. False:
            what a search reads only (:func:`sim.plan_measures.plan_measures`, the same
            numbers): ``intervals`` is None and ``replications`` has the cost KPIs only.
        policy: A routing policy every replication runs under, instead of the
            scenario's ``routing_policy`` (sent to the executor's workers).
    """
    staffed = _with_plan(scenario, plan, goal, gross_up=False)
    numbers = range(first_replication, first_replication + replications)
    args = (repeat(staffed, replications), repeat(seed, replications), numbers,
            *(() if policy is None else (repeat(policy, replications),)))
    measures = replication_measures if full else plan_measures
    runs = list((executor.map if executor else map)(measures, *args))
    names = kpi_names(staffed) if full else COST_KPIS if staffed.costs is not None else ()
    per_rep = pd.DataFrame([run[0] for run in runs], columns=list(names))
    per_rep.insert(0, "replication", numbers)
    settled = None
    if full:
        tables = [run[1] for run in runs]
        intervals = pool_intervals(pd.concat(tables, ignore_index=True))
        counts = _per_replication(tables, list(scenario.contact_types))
        legs = np.stack([run[3] for run in runs])  # replications x LEG_SUMS x types x intervals
    else:
        stacked = np.stack([sums for _, sums, _ in runs])  # replications x sums x types x intervals
        intervals, counts = None, {c: stacked[:, k] for k, c in enumerate(SEARCH_SUMS)}
        settled = _settled(stacked, scenario, goal)
        legs = _sent_legs(stacked)
    # the legs sent into each queue, judged as its first contacts (sim.queue_legs)
    sent = {"answered_in_time": legs[:, 0], "sl_denominator": legs[:, 1]}
    in_time, asked = counts["answered_in_time"], counts["sl_denominator"]
    first_sl = _ratio(in_time.sum(axis=0), asked.sum(axis=0))
    sent_sl = _ratio(sent["answered_in_time"].sum(axis=0), sent["sl_denominator"].sum(axis=0))
    sl = np.fmin(first_sl, sent_sl)  # the lower (NaN: the other)
    abandon = _ratio(counts["abandoned"].sum(axis=0), counts["offered"].sum(axis=0))
    blocks = np.arange(sl.shape[1]) if blocks is None else np.asarray(blocks)
    targets = goal.targets(scenario)[:, None]  # each type's own target
    ok = (_judge(counts, goal, targets, blocks)
          & _judge(sent, replace(goal, max_abandon=None), targets, blocks)
          | ~measured_intervals(scenario)[None, :])
    lower = (sent_sl < first_sl) | (np.isnan(first_sl) & ~np.isnan(sent_sl))
    half_width = np.where(lower, _ratio_half_width(*sent.values()),
                          _ratio_half_width(in_time, asked))
    met = _met(in_time, asked, targets) & _met(*sent.values(), targets)
    return Evaluation(sl, abandon, ok, intervals, per_rep, half_width, met.mean(axis=0), settled,
                      tally_declined(run[2] for run in runs), counts["offered"].mean(axis=0))


def judge_sums(sums: np.ndarray, scenario: Scenario, goal: Goal) -> tuple[np.ndarray, np.ndarray]:
    """Service level and goal met per contact type x interval, every interval alone.

    ``sums``: :func:`sim.plan_measures.plan_measures`' array summed over replications.
    Judged as :func:`evaluate_plan` judges (no blocks, no confidence): first contacts and
    the legs sent into each queue at the type's target, the abandon cap on the first.
    """
    sent = _sent_legs(sums)
    first, sent_sl = _ratio(sums[0], sums[1]), _ratio(sent[0], sent[1])
    targets = goal.targets(scenario)[:, None]  # each type's own
    ok = (np.isnan(first) | (first >= targets - 1e-12)) & _met(sent[0], sent[1], targets)
    if goal.max_abandon is not None:
        abandon = _ratio(sums[2], sums[3])
        ok &= np.isnan(abandon) | (abandon <= goal.max_abandon + 1e-12)
    return np.fmin(first, sent_sl), ok


def _sent_legs(sums: np.ndarray) -> np.ndarray:
    """The :data:`LEG_SUMS` rows (axis -3) of :func:`plan_measures` arrays; zeros if absent."""
    start = len(SEARCH_SUMS) + len(SETTLED)
    if sums.shape[-3] < start + len(LEG_SUMS):  # measured without them
        return np.zeros((*sums.shape[:-3], len(LEG_SUMS), *sums.shape[-2:]))
    return sums[..., start:start + len(LEG_SUMS), :, :]


def _settled(stacked: np.ndarray, scenario: Scenario, goal: Goal) -> np.ndarray | None:
    """When each interval's judged counts were settled, from :data:`SETTLED` (or None).

    Answered within the threshold and offered settle sooner than answered or abandoned
    (counted by an abandon cap, or by the ``answered`` definition's denominator).
    """
    if stacked.shape[1] < len(SEARCH_SUMS) + len(SETTLED):
        return None  # measured without them
    exits = (goal.max_abandon is not None
             or scenario.service_level.definition is ServiceLevelDefinition.ANSWERED)
    return stacked[:, len(SEARCH_SUMS) + int(exits)].max(axis=(0, 1))


SUMS = ("answered_in_time", "sl_denominator", "abandoned", "offered")


def _per_replication(tables: list[pd.DataFrame], types: list[str]) -> dict[str, np.ndarray]:
    """The :data:`SUMS` of each replication's interval table: replications x types x intervals."""
    out = {}
    for column in SUMS:
        out[column] = np.stack([
            np.stack([table.loc[table["contact_type"] == name, column].to_numpy(dtype=float)
                      for name in types]) for table in tables])
    return out


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def _met(in_time: np.ndarray, asked: np.ndarray, target: float | np.ndarray) -> np.ndarray:
    """Whether each replication's own service level meets ``target`` (no contacts: met)."""
    own = _ratio(in_time, asked)
    return np.isnan(own) | (own >= target - 1e-12)


def _judge(counts: dict[str, np.ndarray], goal: Goal, targets: np.ndarray,
           blocks: np.ndarray) -> np.ndarray:
    """Goal met per contact type x interval, judged on each block's pooled intervals.

    Default goal: the pooled service level of the block (answered in time / offered,
    summed over its intervals and the replications) at least the type's target
    (``targets``: types x 1). With ``confidence``: the share of (replication, interval)
    pairs of the block whose own service level meets that target at least
    ``confidence``. The abandon cap is pooled like the service level.
    """
    member = (blocks[:, None] == np.arange(blocks.max() + 1)[None, :]).astype(float)

    def pooled(column: str) -> np.ndarray:  # types x blocks
        return counts[column].sum(axis=0) @ member

    if goal.confidence is None:
        level = _ratio(pooled("answered_in_time"), pooled("sl_denominator"))
        ok = np.isnan(level) | (level >= targets - 1e-12)
    else:
        met = _met(counts["answered_in_time"], counts["sl_denominator"], targets)
        share = met.sum(axis=0) @ member / (met.shape[0] * member.sum(axis=0))
        ok = share >= goal.confidence - 1e-12
    if goal.max_abandon is not None:
        abandon = _ratio(pooled("abandoned"), pooled("offered"))
        ok &= np.isnan(abandon) | (abandon <= goal.max_abandon + 1e-12)
    return ok[:, blocks]


def _ratio_half_width(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """95% half-width of sum(num) / sum(den) over replications (axis 0): ratio estimator.

    The residuals ``num_r - p den_r`` of each replication estimate the ratio's variance
    (the delta method, as for any ratio of means); Student t with R - 1 degrees of freedom.
    """
    from scipy.special import stdtrit  # here: quick commands do not import SciPy

    count = num.shape[0]
    if count < 2:
        return np.full(num.shape[1:], np.nan)
    level = _ratio(num.sum(axis=0), den.sum(axis=0))
    spread = ((num - np.nan_to_num(level) * den) ** 2).sum(axis=0) / (count - 1)
    error = _ratio(np.sqrt(spread / count), den.mean(axis=0))
    return stdtrit(count - 1, 0.975) * error  # Student t quantile (= stats.t.ppf)


def measured_intervals(scenario: Scenario) -> np.ndarray:
    """Which intervals the goal applies to: those that end after the warm-up."""
    return interval_starts(scenario) + scenario.interval > scenario.warmup


def worst_type(levels: np.ndarray, targets: np.ndarray, served: list[int], i: int) -> int:
    """The type (row) of ``served`` furthest below its own target in interval ``i``.

    Or least above it. Without contacts of any of them there: the one of highest target.
    """
    margins = levels[served, i] - targets[served]
    if np.isnan(margins).all():
        return served[int(np.argmax(targets[served]))]
    return served[int(np.nanargmin(margins))]


def highest(values: np.ndarray, served: list[int], i: int) -> float:
    """The highest of ``served`` types' values in interval ``i`` (NaN: no contacts)."""
    column = values[served, i]
    return math.nan if np.isnan(column).all() else float(np.nanmax(column))
