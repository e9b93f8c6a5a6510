"""One replication, measured: the engine's records become tables, the tables KPIs.

This is the single per-replication step of the project. ``sim.run``, sweeps, comparisons,
the staffing search's evaluation of a plan and ``ccsim report``'s redraw from a results
folder all call it, so a KPI cannot be computed two ways: a sweep sees the legs that
``sim.run`` sees, and a redraw measures the tables the run wrote exactly as the run did.

Two entry points: :func:`replication_tables` simulates replication ``r`` and measures it;
:func:`measure` measures tables that already exist (read back from a results folder).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from sim.costs import cost_kpis
from sim.engine import run_replication
from sim.frames import contacts_frame, issues_frame, legs_frame, rules_frame, staff_frame
from sim.intervals import interval_table
from sim.metrics import replication_summary
from sim.routing import RoutingPolicy
from sim.scenario import Scenario


@dataclass
class ReplicationTables:
    """One replication's tables and what metrics make of them.

    Attributes:
        replication: The replication number.
        contacts: One row per contact (:func:`sim.frames.contacts_frame`).
        legs: One row per leg; empty when contacts have no journeys.
        staff: Agents on duty per group, one row per change.
        kpis: KPI -> value (:func:`sim.metrics.kpi_names`: with costs when the scenario
            has ``costs:``).
        by_type: Contact type -> KPI -> value.
        by_group: Agent group -> measure -> value.
        intervals: Per interval x contact type, with a ``replication`` column, the
            ratios and the sums they are made of (pooled over replications by
            :func:`sim.metrics.pool_intervals`).
        trace: Sampled queue lengths and busy agents, if the replication was traced.
        rules: Every change of a real-time rule (:func:`sim.frames.rules_frame`); None
            without rules.
        never_chosen: Contact type -> its contacts never answered, for each type a
            user's routing policy was offered and never chose.
    """

    replication: int
    contacts: pd.DataFrame
    legs: pd.DataFrame
    staff: pd.DataFrame
    kpis: dict[str, float]
    by_type: dict[str, dict[str, float]]
    by_group: dict[str, dict[str, float]]
    intervals: pd.DataFrame
    trace: pd.DataFrame | None = field(default=None, repr=False)
    rules: pd.DataFrame | None = field(default=None, repr=False)
    never_chosen: dict[str, int] = field(default_factory=dict)
    _issues: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @property
    def issues(self) -> pd.DataFrame:
        """One row per issue (:func:`sim.frames.issues_frame`), made when first read.

        Made from ``contacts``: no run path needs it, and built with every replication it
        was 26 ms of a 60-day one of small_bank and a third of its bytes back from a worker.
        """
        if self._issues is None:
            self._issues = issues_frame(self.contacts)
        return self._issues


def replication_tables(scenario: Scenario, seed: int, replication: int,
                       trace_every: float | None = None,
                       policy: RoutingPolicy | None = None) -> ReplicationTables:
    """Simulate replication ``replication`` of ``scenario`` and measure it.

    Args:
        scenario: The validated scenario.
        seed: Seed of all random streams.
        replication: Which replication (its own random streams).
        trace_every: Sample queue lengths and busy agents every so many seconds.
        policy: A routing policy instead of the scenario's (:mod:`sim.routing`).

    Returns:
        The replication's tables and measures.
    """
    records = run_replication(scenario, seed, replication, trace_every=trace_every,
                              policy=policy)
    contacts = contacts_frame(records, scenario, replication)
    legs = legs_frame(records, replication)
    staff = staff_frame(records, replication)
    trace = (pd.DataFrame(records.trace).assign(replication=replication) if records.trace
             else None)
    rules = rules_frame(records, scenario, replication) if scenario.rules else None
    never_chosen = records.never_chosen
    del records  # the tables hold their own copies; keep peak memory per contact low
    tables = measure(scenario, replication, contacts, legs, staff, trace, rules)
    tables.never_chosen = never_chosen
    return tables


def measure(scenario: Scenario, replication: int, contacts: pd.DataFrame, legs: pd.DataFrame,
            staff: pd.DataFrame, trace: pd.DataFrame | None = None,
            rules: pd.DataFrame | None = None) -> ReplicationTables:
    """Measure one replication's tables: KPIs overall, by type and group, and per interval.

    Args:
        scenario: The scenario the tables came from.
        replication: Their replication number.
        contacts: Its contacts, in contact order (row ``i`` is ``contact_id`` ``i``).
        legs: Its legs (empty without journeys).
        staff: Its staffing log.
        trace: Its queue trace, if any.
        rules: Its real-time rules' changes, if the scenario has rules (their overtime
            is in the staff cost).

    Returns:
        The tables and their measures.
    """
    summary = replication_summary(contacts, staff, scenario, legs)
    summary["kpis"].update(cost_kpis(contacts, legs, staff, scenario, summary["kpis"], rules))
    intervals = interval_table(contacts, staff, scenario, legs)
    intervals.insert(0, "replication", replication)
    return ReplicationTables(
        replication=replication, contacts=contacts, legs=legs, staff=staff,
        kpis=summary["kpis"], by_type=summary["by_type"],
        by_group=summary["by_group"], intervals=intervals, trace=trace, rules=rules)


def tally_declined(never_chosen: Iterable[Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """Contact type -> ``{"replications": k, "contacts": n}`` over replications' declines.

    Args:
        never_chosen: Each replication's :attr:`ReplicationTables.never_chosen`: contact
            type -> its contacts never answered, for each type a user's policy never chose.

    Returns:
        For each type some replication declined, in name order: in how many replications
        (``k``), and its contacts never answered in them (``n``), as
        :attr:`sim.replicate.RunResult.declined` has it.
    """
    seen: dict[str, dict[str, int]] = {}
    for declined in never_chosen:
        for name, n in declined.items():
            tally = seen.setdefault(name, {"replications": 0, "contacts": 0})
            tally["replications"] += 1
            tally["contacts"] += int(n)
    return {name: seen[name] for name in sorted(seen)}
