"""Replications: run a scenario several times and summarise with confidence intervals.

Replication ``r`` draws every random number from streams keyed by ``(seed, r, ...)``
(see :mod:`sim.streams`), so a replication's result does not depend on how many others
run, in which order or where. Each replication is measured by :mod:`sim.measure` (the
one per-replication step every path shares); KPIs are averaged over replications and
given a 95% confidence half-width from Student's t with ``replications - 1`` degrees of
freedom.

Replications run where :mod:`sim.parallel` puts them (this process, local processes or
any executor) and are aggregated in replication order as they arrive (:class:`Collector`),
keeping raw tables for the first few only if asked; with precision targets they run in
batches until the targets are met (:mod:`sim.precision`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from sim.frames import empty_rules_frame, issue_inputs
from sim.intervals import pool_intervals
from sim.measure import ReplicationTables, tally_declined
from sim.metrics import kpi_names
from sim.observer import check_trace_every
from sim.parallel import Job, picklable_for_workers, replication_pool
from sim.policy_source import policy_source
from sim.precision import (  # half_width: re-exported, long its home
    MAX_REPLICATIONS,
    Stopping,
    StoppingRule,
    Target,
    check_measured,
    half_width,
    parse_targets,
)
from sim.raw_tables import (  # Parts and Stacked: long imported from here
    FromContacts,
    Parts,
    Stacked,
    concat,
    concat_all,
    concat_legs,
    issues_of,
)
from sim.routing import RoutingPolicy, policy_for, replication_copy
from sim.scenario import Scenario


@dataclass
class RunResult:
    """Everything one ``run`` produced (see DESIGN.md, "Python API").

    Attributes:
        scenario: The scenario that ran.
        seed: The seed used.
        contacts: One row per contact, all replications (``replication`` column).
        issues: One row per issue (a customer's problem, over its repeat contacts and
            retrials), all replications.
        legs: One row per leg (queue wait + talk with one group) for scenarios with
            journeys; empty otherwise (each contact is then one leg).
        staff: Agents on duty per group, one row per change, all replications.
        intervals: Per interval x contact type, over all replications
            (:func:`sim.metrics.pool_intervals`).
        intervals_by_replication: Each replication's, with a ``replication`` column.
        summary: KPI -> mean over replications.
        ci: KPI -> 95% confidence half-width (NaN with one replication).
        replications: One row per replication, one column per KPI.
        by_type: Contact type -> KPI -> mean over replications.
        by_group: Agent group -> measure -> mean over replications.
        by_group_replications: The same per replication: columns ``replication``,
            ``group`` and one per measure.
        traces: Per replication, sampled queue lengths and busy agents (if asked for).
        rules: Every change of a real-time rule, kept replications
            (:func:`sim.frames.rules_frame`); no rows without rules.
        kept_replications: The replications whose raw tables (contacts, issues, legs,
            staff, traces) are kept; None or all of them unless ``keep_contacts`` was set.
        replication_measures: Per replication, ``{"by_type": ..., "by_group": ...}``.
        stopping: With ``precision``: how many replications it took and why it stopped.
        policy: The user's routing policy that ran, if any: its class, module, file and
            the file's SHA-256 (:func:`sim.policy_source.policy_source`).
        declined: Contact type -> ``{"replications": k, "contacts": n}`` for each type
            the user's policy was offered and never chose in ``k`` replications, whose
            ``n`` contacts there were never answered (``ccsim`` warns of each).
    """

    scenario: Scenario
    seed: int
    contacts: pd.DataFrame = Stacked(concat)
    issues: pd.DataFrame = Stacked(issues_of)
    legs: pd.DataFrame = Stacked(concat_legs)
    staff: pd.DataFrame = Stacked(concat_all)
    intervals: pd.DataFrame
    intervals_by_replication: pd.DataFrame
    summary: dict[str, float]
    ci: dict[str, float]
    replications: pd.DataFrame
    by_type: dict[str, dict[str, float]]
    by_group: dict[str, dict[str, float]]
    by_group_replications: pd.DataFrame
    traces: list[pd.DataFrame] = field(default_factory=list)
    rules: pd.DataFrame = field(default_factory=empty_rules_frame)
    kept_replications: list[int] | None = None
    replication_measures: list[dict[str, dict[str, dict[str, float]]]] = field(
        default_factory=list)
    stopping: Stopping | None = None
    policy: dict[str, Any] | None = None
    declined: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def n_replications(self) -> int:
        """Number of replications."""
        return len(self.replications)

    def nested_ci(self, kind: str) -> dict[str, dict[str, float]]:
        """95% half-widths (Student t) of ``by_type`` or ``by_group`` (``kind``).

        Over the replications' own measures (``replication_measures``), as :attr:`ci` is
        over their KPIs; a replication where a measure is NaN (nothing to average) is
        left out of it, as from the mean. NaN with fewer than two values.
        """
        items = [measures[kind] for measures in self.replication_measures]
        return {name: {m: half_width([item[name][m] for item in items if name in item])
                       for m in values}
                for name, values in getattr(self, kind).items()}


def run(
    scenario: Scenario,
    seed: int | None = None,
    replications: int = 1,
    trace_every: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = 1,
    executor: Executor | None = None,
    keep_contacts: int | None = None,
    precision: Mapping[str, Target | str | float] | None = None,
    max_replications: int = MAX_REPLICATIONS,
    policy: RoutingPolicy | None = None,
    stream: TableSink | None = None,
) -> RunResult:
    """Simulate ``replications`` independent replications of a scenario.

    Replication ``r`` draws from its own keyed streams, so the result is the same however
    many processes run the replications (``workers``, ``executor``): they are collected
    in replication order. KPIs, interval tables and per-type and per-group measures are
    aggregated as each replication arrives; the raw tables (contacts, issues, legs, staff
    log, traces) of only the first ``keep_contacts`` replications are kept, so memory
    stays flat over a long run when that is set.

    With ``precision`` the run is sequential (:mod:`sim.precision`): replications run in
    batches until every named KPI's 95% half-width meets its target, or
    ``max_replications`` is reached; ``replications`` is then the first batch (at least
    :data:`sim.precision.MIN_REPLICATIONS`). The result equals a plain run with the same
    number of replications, and ``result.stopping`` says why it stopped.

    Args:
        scenario: The validated scenario.
        seed: Seed of all random streams; the scenario's ``seed`` when None.
        replications: Number of replications (>= 1).
        trace_every: Sample queue lengths and busy agents every so many seconds.
        progress: Called as ``progress(done, total)`` after each replication.
        workers: Local processes (1: in this process; None: one per usable core).
        executor: Where replications run instead: any
            :class:`concurrent.futures.Executor` (e.g. a Dask client's
            ``get_executor()``); it is not shut down.
        keep_contacts: Keep the raw tables of at most this many replications (the first
            ones); None keeps them all.
        precision: KPI -> target half-width: a number (absolute, in the KPI's unit), a
            string ``"0.01"`` or ``"5%"`` (relative to the mean), or a :class:`Target`;
            one on a KPI the scenario never measures is a ValueError
            (:func:`sim.precision.check_measured`).
        max_replications: With ``precision``: stop here even if a target is not met
            (at least :data:`sim.precision.MIN_REPLICATIONS`, 10, and at least
            ``replications``, or a ValueError).
        policy: A routing policy (:class:`sim.routing.RoutingPolicy`) instead of the
            scenario's ``routing_policy``; it is pickled to worker processes, so it must
            be picklable (a class defined at a module's top level). Each replication
            runs its own copy (:func:`sim.routing.replication_copy`); ``policy`` itself
            is left unchanged.
        stream: Receives each kept replication's raw tables as it arrives, in replication
            order (e.g. :class:`sim.table_stream.TableStream`, which writes them to disk
            while later replications still run).

    Returns:
        The combined result. Its raw tables (contacts, issues, legs, staff) are stacked
        from the replications' frames when first read.
    """
    if replications < 1:
        raise ValueError(f"'replications' must be >= 1, got {replications}")
    if keep_contacts is not None and keep_contacts < 1:
        raise ValueError(f"'keep_contacts' must be >= 1, got {keep_contacts}")
    if trace_every is not None:
        check_trace_every(trace_every, scenario)
    seed = scenario.seed if seed is None else seed
    check_policy(policy, scenario, local_workers=executor is None and workers != 1)
    source = policy_source(policy)  # its file as the run begins
    targets = parse_targets(precision) if precision else {}
    check_measured(targets, [scenario])
    rule = StoppingRule(targets, max_replications, first=replications) if targets else None
    collector = Collector(scenario, seed, keep_contacts, stream)

    def job(r: int) -> Job:
        keep = keep_contacts is None or r < keep_contacts
        return ((scenario, seed, r, trace_every, keep) if policy is None
                else (scenario, seed, r, trace_every, keep, policy))

    with replication_pool(workers, executor, max_replications if targets else replications
                          ) as pool:
        if rule is None:  # (made before any worker starts: a bad ceiling raises first)
            for tables in pool.run([job(r) for r in range(replications)], progress):
                collector.add(tables)
            return with_policy(collector.result(), source)
        while (batch := rule.next_batch(collector)):
            done = collector.n
            jobs = [job(done + i) for i in range(batch)]
            for tables in pool.run(jobs, _offset(progress, done, rule.planned(done + batch))):
                collector.add(tables)
        result = collector.result()
        result.stopping = rule.stopping(collector)
        return with_policy(result, source)


def check_policy(policy: RoutingPolicy | None, scenario: Scenario,
                 local_workers: bool = True) -> None:
    """Refuse here, not in a worker, a ``policy`` that cannot run every replication.

    Raises:
        TypeError: In one line, if it lacks a method, cannot be copied for each
            replication or (with ``local_workers``) cannot be pickled to worker processes.
    """
    if policy is None:
        return
    policy_for(scenario, policy)
    replication_copy(policy)  # each replication runs a copy
    if local_workers:
        picklable_for_workers(policy)


def with_policy(result: RunResult, source: dict[str, Any] | None) -> RunResult:
    """``result``, saying which user's policy it ran under.

    Args:
        result: The run's result.
        source: The policy's :func:`sim.policy_source.policy_source`, taken as the run
            began: its file's digest is that of the code that ran, even if the file was
            edited while the run went on (taken at the end, it named the edited file).
    """
    if source is not None:
        result.policy = dict(source)
    return result


def _offset(progress: Callable[[int, int], None] | None, done: int, total: int
            ) -> Callable[[int, int], None] | None:
    """A batch's progress, counted over the whole run so far."""
    if progress is None:
        return None
    return lambda i, _n: progress(done + i, total)


def combine(scenario: Scenario, seed: int, tables: list[ReplicationTables]) -> RunResult:
    """One result from measured replications (:mod:`sim.measure`), in replication order.

    KPIs are averaged over replications with their confidence half-widths; interval
    tables are pooled by :func:`sim.metrics.pool_intervals`.

    Args:
        scenario: The scenario they ran.
        seed: Their seed.
        tables: One per replication, at least one.
    """
    collector = Collector(scenario, seed)
    for t in tables:
        collector.add(t)
    return collector.result()


class TableSink(Protocol):
    """Takes each kept replication's raw tables, in replication order."""

    def add(self, tables: ReplicationTables) -> None:
        """One more replication's tables."""


class Collector:
    """Aggregates measured replications as they arrive, keeping raw tables for a few.

    What grows with each replication is only its KPI row, its per-type and per-group
    measures and its interval table (a few kilobytes); contacts, issues, legs, the staff
    log and the trace are kept for the first ``keep_contacts`` replications only.

    Args:
        scenario: The scenario the replications ran.
        seed: Their seed.
        keep_contacts: Raw tables of at most this many replications; None: all.
        stream: Also given each kept replication's raw tables as they are kept.
    """

    def __init__(self, scenario: Scenario, seed: int, keep_contacts: int | None = None,
                 stream: TableSink | None = None):
        self.scenario, self.seed, self.keep, self.stream = scenario, seed, keep_contacts, stream
        self._kpis: list[dict[str, float]] = []
        self._numbers: list[int] = []
        self._by_type: list[dict[str, dict[str, float]]] = []
        self._by_group: list[dict[str, dict[str, float]]] = []
        self._intervals: list[pd.DataFrame] = []
        self._raw: list[ReplicationTables] = []
        self._never_chosen: list[dict[str, int]] = []

    @property
    def n(self) -> int:
        """Replications collected so far."""
        return len(self._numbers)

    def add(self, tables: ReplicationTables) -> None:
        """Take one replication's measures (and its raw tables while there is room)."""
        self._numbers.append(tables.replication)
        self._kpis.append(dict(tables.kpis))
        self._by_type.append(tables.by_type)
        self._by_group.append(tables.by_group)
        self._intervals.append(tables.intervals)
        self._never_chosen.append(tables.never_chosen)
        if self.keep is None or len(self._raw) < self.keep:
            self._raw.append(tables)
            if self.stream is not None:
                self.stream.add(tables)

    def values(self, kpi: str) -> np.ndarray:
        """One KPI over the replications collected so far, in replication order."""
        return np.array([float(k[kpi]) for k in self._kpis], dtype=float)

    def result(self) -> RunResult:
        """The result of everything collected so far (at least one replication)."""
        if not self._numbers:
            raise ValueError("no replications to combine")
        names = kpi_names(self.scenario)
        per_rep = pd.DataFrame(self._kpis, columns=list(names))
        per_rep.insert(0, "replication", self._numbers)
        raw = self._raw
        by_group = pd.DataFrame([{"replication": r, "group": name, **measures}
                                 for r, groups in zip(self._numbers, self._by_group)
                                 for name, measures in groups.items()])
        intervals = pd.concat(self._intervals, ignore_index=True)
        return RunResult(
            scenario=self.scenario,
            seed=self.seed,
            contacts=Parts(t.contacts for t in raw),
            issues=FromContacts(issue_inputs(t.contacts) for t in raw),
            legs=Parts(t.legs for t in raw),
            staff=Parts(t.staff for t in raw),
            intervals=pool_intervals(intervals),
            intervals_by_replication=intervals,
            summary={k: float(per_rep[k].mean()) for k in names},
            ci={k: half_width(per_rep[k]) for k in names},
            replications=per_rep,
            by_type=_mean_nested(self._by_type),
            by_group=_mean_nested(self._by_group),
            by_group_replications=by_group,
            traces=[t.trace for t in raw if t.trace is not None],
            rules=pd.concat([t.rules for t in raw if t.rules is not None and len(t.rules)]
                            or [empty_rules_frame()], ignore_index=True),
            kept_replications=[t.replication for t in raw],
            replication_measures=[{"by_type": t, "by_group": g}
                                  for t, g in zip(self._by_type, self._by_group)],
            declined=tally_declined(self._never_chosen),
        )


def _mean_nested(items: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Average ``{name: {measure: value}}`` dicts over replications (NaN-aware)."""
    out: dict[str, dict[str, float]] = {}
    for name in items[0]:
        out[name] = {
            measure: float(np.nanmean([item[name][measure] for item in items]))
            if not all(math.isnan(float(item[name][measure])) for item in items) else math.nan
            for measure in items[0][name]
        }
    return out
