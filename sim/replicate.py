"""Replications: run a scenario several times and summarise with confidence intervals.

Replication ``r`` draws every random number from streams keyed by ``(seed, r, ...)``
(see :mod:`sim.streams`), so a replication's result does not depend on how many others
run, in which order or where. Each replication is measured by :mod:`sim.measure` (the
one per-replication step every path shares); KPIs are averaged over replications and
given a 95% confidence half-width from Student's t with ``replications - 1`` degrees of
freedom.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from sim.intervals import pool_intervals
from sim.measure import ReplicationTables, replication_tables
from sim.metrics import kpi_names
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
    """

    scenario: Scenario
    seed: int
    contacts: pd.DataFrame
    issues: pd.DataFrame
    legs: pd.DataFrame
    staff: pd.DataFrame
    intervals: pd.DataFrame
    intervals_by_replication: pd.DataFrame
    summary: dict[str, float]
    ci: dict[str, float]
    replications: pd.DataFrame
    by_type: dict[str, dict[str, float]]
    by_group: dict[str, dict[str, float]]
    by_group_replications: pd.DataFrame
    traces: list[pd.DataFrame] = field(default_factory=list)

    @property
    def n_replications(self) -> int:
        """Number of replications."""
        return len(self.replications)


def half_width(values: np.ndarray | pd.Series, confidence: float = 0.95) -> float:
    """Confidence half-width of the mean of ``values`` (Student t); NaN for fewer than 2."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size < 2:
        return math.nan
    t = stats.t.ppf(0.5 + confidence / 2.0, values.size - 1)
    return float(t * values.std(ddof=1) / math.sqrt(values.size))


def run(
    scenario: Scenario,
    seed: int | None = None,
    replications: int = 1,
    trace_every: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Simulate ``replications`` independent replications of a scenario.

    Args:
        scenario: The validated scenario.
        seed: Seed of all random streams; the scenario's ``seed`` when None.
        replications: Number of replications (>= 1).
        trace_every: Sample queue lengths and busy agents every so many seconds.
        progress: Called as ``progress(done, total)`` after each replication.

    Returns:
        The combined result.
    """
    if replications < 1:
        raise ValueError(f"'replications' must be >= 1, got {replications}")
    seed = scenario.seed if seed is None else seed
    tables = []
    for r in range(replications):
        tables.append(replication_tables(scenario, seed, r, trace_every=trace_every))
        if progress is not None:
            progress(r + 1, replications)
    return combine(scenario, seed, tables)


def combine(scenario: Scenario, seed: int, tables: list[ReplicationTables]) -> RunResult:
    """One result from measured replications (:mod:`sim.measure`), in replication order.

    KPIs are averaged over replications with their confidence half-widths; interval
    tables are pooled by :func:`sim.metrics.pool_intervals`.

    Args:
        scenario: The scenario they ran.
        seed: Their seed.
        tables: One per replication, at least one.
    """
    names = kpi_names(scenario)
    per_rep = pd.DataFrame([t.kpis for t in tables], columns=list(names))
    per_rep.insert(0, "replication", [t.replication for t in tables])
    by_group = pd.DataFrame([{"replication": t.replication, "group": name, **measures}
                             for t in tables for name, measures in t.by_group.items()])
    intervals = pd.concat([t.intervals for t in tables], ignore_index=True)
    legs = [t.legs for t in tables]
    return RunResult(
        scenario=scenario,
        seed=seed,
        contacts=_concat([t.contacts for t in tables]),
        issues=_concat([t.issues for t in tables]),
        legs=pd.concat(legs, ignore_index=True) if any(len(f) for f in legs) else legs[0],
        staff=pd.concat([t.staff for t in tables], ignore_index=True),
        intervals=pool_intervals(intervals),
        intervals_by_replication=intervals,
        summary={k: float(per_rep[k].mean()) for k in names},
        ci={k: half_width(per_rep[k]) for k in names},
        replications=per_rep,
        by_type=_mean_nested([t.by_type for t in tables]),
        by_group=_mean_nested([t.by_group for t in tables]),
        by_group_replications=by_group,
        traces=[t.trace for t in tables if t.trace is not None],
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack per-replication tables (a single one is kept as it is, not copied)."""
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


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
