"""Metrics: KPIs from the contact records and the staffing log of one replication.

Pure pandas/numpy over the tables of :mod:`sim.records`; KPI names are the contract in
DESIGN.md. Who counts is decided in one place, :func:`measured_window` (DESIGN.md,
"Measurement populations"): contact KPIs count contacts that arrived in the window;
issue KPIs count issues whose first contact arrived in it, with all their later
contacts; agent KPIs count agent time in it. Waits are queue waits: until an agent
answered, or until the customer abandoned.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.agent_time import AgentTime, split_rows, window_agent_time
from sim.kpis import COST_KPIS, RUN_KPIS
from sim.routing_table import routing_table
from sim.scenario import Scenario
from sim.scenario_contacts import ServiceLevelDefinition
from sim.units import DAY

# Bumped when a KPI's definition changes, so that stored results (a sweep's resumable
# parts) measured the old way are not mixed with new ones. 2: sweeps count agents' time on
# legs (consults, transfers); interval ratios pooled; the measured window.
# 3: callback KPIs (callback_rate, callback_wait, live_*). 4: balking (`balked`,
# `balk_rate`): callers who balked are not offered, so they leave `offered` and the
# service-level denominator. 5: `staff_cost` pays a shift's breaks (those not marked
# `paid: false`), as documented; it took every break off before. 6: the interval tables'
# `repeats` counts repeat contacts offered (as `repeat_rate` does), no longer those blocked,
# balked or self-served; they gain `hung_up` and `unanswered`, the summary's counts.
# 7: `staff_cost` pays a shift's scheduled time outside opening hours too (a 07:00-15:00
# shift opening at 08:00 was paid 7 h, not 8), and overtime after closing is the agents on
# duty beyond those whose shift still runs (they were paid twice once their shift was paid).
# 8: `abandon_cost` prices callers who hung up after an answer (`hung_up`: on hold, or queued
# again after a transfer) as abandons: customers lost without resolution. They were priced
# until RESULTS_VERSION 7 made them `hung_up` rather than `abandoned`, and cost 0 since.
# 9: with a cooldown, the last measured day's overtime (agents finishing contacts after
# closing) is counted beyond the agents of the next day's shifts scheduled before its
# opening, as every other day's always was; it was all overtime, shift or not.
# 10: agents a real-time rule calls in are paid for the call-in's length until the center
# next closes for the night, not until the day's clock closing: open round the clock, a
# call-in at 23:00 for 2 h was paid only until midnight though its agents worked on.
METRICS_VERSION = 10

# The KPI names, in table order, come from the registry (sim.kpis): a new KPI is an entry
# there plus its computation in contact_kpis (or sim.costs). COST_KPIS: the money
# KPIs (sim.costs), measured only for a scenario with `costs:`.
KPIS = RUN_KPIS


def kpi_names(scenario: Scenario) -> tuple[str, ...]:
    """The KPIs measured for ``scenario``: :data:`KPIS`, and :data:`COST_KPIS` with costs."""
    return KPIS + COST_KPIS if scenario.costs is not None else KPIS


EARNINGS = ("revenue", "profit")


def shown_kpis(names: Iterable[str], scenarios: Iterable[Scenario]) -> tuple[str, ...]:
    """The KPIs of ``names`` a table for people shows: revenue and profit only with revenue.

    They are shown where some of ``scenarios`` earns ``revenue``. Without it, revenue is 0
    and profit the total cost with its sign turned (a bank center's "profit -62,856"):
    measured and written to the files all the same, but no news in a table.
    """
    earns = any(s.costs is not None and s.costs.revenue for s in scenarios)
    return tuple(k for k in names if earns or k not in EARNINGS)


@dataclass(frozen=True)
class Window:
    """The measured window of a run, seconds from the start of day 0.

    Attributes:
        start: The end of the warm-up.
        end: The end of the last measured day (``days`` x 24 h); anything simulated
            after it (a cooldown) is there only to finish measured issues.
        agents_until: Where agent time stops counting: after the last measured
            closing, agents finishing their contacts still count, up to the next
            opening when a cooldown simulates one (infinity without a cooldown).
    """

    start: float
    end: float
    agents_until: float

    def contacts(self, arrival: np.ndarray) -> np.ndarray:
        """Which contacts count for contact KPIs, by arrival time: ``[start, end)``.

        An issue counts for issue KPIs when its first contact does.
        """
        return (arrival >= self.start) & (arrival < self.end)


def measured_window(scenario: Scenario) -> Window:
    """The measured window of ``scenario`` (DESIGN.md, "Measurement populations")."""
    end = scenario.days * DAY
    # with a cooldown, agent time of the measured days ends when the next day opens (the
    # finishing after the last closing counts, the cooldown's own work does not)
    agents_until = end + scenario.open if scenario.cooldown > 0 else math.inf
    return Window(scenario.warmup, end, agents_until)


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else math.nan


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if values.size else math.nan


class Columns:
    """The columns metrics need, as numpy arrays, optionally restricted by a mask.

    Selecting from a few numpy columns instead of the whole contacts DataFrame keeps
    every KPI computation from copying the table (memory per contact matters at
    millions of contacts).
    """

    NAMES = ("arrival", "answer", "end", "wait", "answered", "abandoned", "blocked", "handle",
             "resolved", "self_served", "queue_time", "hold", "transfers", "issue_id",
             "callback", "balked")

    def __init__(self, contacts: pd.DataFrame, legs: pd.DataFrame | None = None):
        for name in self.NAMES:
            if name == "balked" and name not in contacts:  # results of before balking
                self.balked = np.zeros(len(contacts), dtype=bool)
                continue
            setattr(self, name, contacts[name].to_numpy())
        # agents' busy periods: one per leg where legs exist (transfers, consults), each
        # until the end of its after-call work (runs stored before wrap-up have none)
        if legs is not None and len(legs):
            talked = legs["answered"].notna().to_numpy()
            self.busy_start = legs["answered"].to_numpy()[talked]
            self.busy_end = _plus_wrap_up(legs["ended"].to_numpy()[talked], legs, talked)
            self.busy_group = legs["group"].cat.codes.to_numpy()[talked]
        else:
            self.busy_start = self.answer
            self.busy_end = _plus_wrap_up(self.end, contacts, slice(None))
            self.busy_group = contacts["group"].cat.codes.to_numpy()
        # answered, then hung up (on hold, or queued again after a transfer)
        self.hung_up = ((contacts["outcome"] == "hung_up").to_numpy() if "outcome" in contacts
                        else np.zeros(len(contacts), dtype=bool))
        self.origin = contacts["origin"].cat.codes.to_numpy()  # 0 first, 1 retrial, 2 repeat
        self.threshold = np.zeros(len(contacts))  # per-contact service-level threshold
        self.contact_type = contacts["contact_type"].cat.codes.to_numpy()
        self.type_names = list(contacts["contact_type"].cat.categories)
        self.group = contacts["group"].cat.codes.to_numpy()
        self.group_names = list(contacts["group"].cat.categories)
        self._issue_sums: tuple[np.ndarray, np.ndarray] | None = None

    def type_mask(self, name: str) -> np.ndarray:
        """Contacts of one contact type."""
        return self.contact_type == self.type_names.index(name)

    def group_mask(self, name: str) -> np.ndarray:
        """Contacts answered by one agent group."""
        return self.group == self.group_names.index(name)

    def rows_by_type(self, selected: np.ndarray) -> dict[str, np.ndarray]:
        """Rows of the ``selected`` contacts of each contact type, in row order.

        One sort for all types: selecting type by type with :meth:`type_mask` reads every
        contact once per type, quadratic in the number of types.
        """
        return split_rows(self.contact_type, self.type_names, selected)

    def rows_by_group(self, selected: np.ndarray) -> dict[str, np.ndarray]:
        """Rows of the ``selected`` contacts of each agent group (that ended them), in order."""
        return split_rows(self.group, self.group_names, selected)

    def issue_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """Per issue id: its contacts, and its seconds of waiting + hold + talk (computed once)."""
        if self._issue_sums is None:
            n = self.issue_id.size
            effort = self.queue_time + self.hold + np.nan_to_num(self.handle)
            self._issue_sums = (np.bincount(self.issue_id, minlength=n),
                                np.bincount(self.issue_id, weights=effort, minlength=n))
        return self._issue_sums


def _plus_wrap_up(ended: np.ndarray, table: pd.DataFrame, rows) -> np.ndarray:
    """``ended`` plus the ``wrap_up`` of ``table``'s ``rows`` (the agent's release), if any."""
    if "wrap_up" not in table:
        return ended
    wrap = table["wrap_up"].to_numpy(dtype=float)[rows]
    return ended + wrap if wrap.any() else ended


def service_level(wait: np.ndarray, answered: np.ndarray, abandoned: np.ndarray,
                  blocked: np.ndarray, threshold: float | np.ndarray,
                  definition: ServiceLevelDefinition) -> float:
    """Share of contacts answered within ``threshold`` seconds, by the chosen definition.

    Args:
        wait: Queue wait of each contact, seconds.
        answered: Whether each contact was answered.
        abandoned: Whether each contact abandoned.
        blocked: Whether each contact got a busy signal (never offered).
        threshold: Service-level threshold, seconds (a wait equal to it counts as within);
            one for all, or one per contact (contact types may have their own).
        definition: Which denominator to use.
    """
    within = int(np.count_nonzero(answered & (wait <= threshold)))
    offered = int(np.count_nonzero(~blocked))
    if definition is ServiceLevelDefinition.ANSWERED:
        return _ratio(within, np.count_nonzero(answered))
    if definition is ServiceLevelDefinition.SHORT_ABANDONS_EXCLUDED:
        short = np.count_nonzero(abandoned & (wait <= threshold))
        return _ratio(within, offered - short)
    return _ratio(within, offered)


def contact_kpis(cols: Columns, mask: np.ndarray, scenario: Scenario) -> dict[str, float]:
    """Every contact-based KPI (all but occupancy) over the contacts selected by ``mask``.

    ``mask`` is a boolean mask, or the selected rows in row order (the same result).
    """
    answered, abandoned = cols.answered[mask], cols.abandoned[mask]
    wait, handle = cols.wait[mask], cols.handle[mask]
    blocked_mask = cols.blocked[mask]
    balked_mask = cols.balked[mask]
    n = int(answered.size)
    # balked callers left on arrival: like a busy signal, they were never offered
    offered_mask = ~blocked_mask & ~cols.self_served[mask] & ~balked_mask
    waits = wait[offered_mask & ~np.isnan(wait)]
    offered = int(offered_mask.sum())
    blocked = int(blocked_mask.sum())
    q50, q90, q99 = np.quantile(waits, [0.5, 0.9, 0.99]) if waits.size else (math.nan,) * 3
    talk = handle[answered]
    origin = cols.origin[mask]
    sl = scenario.service_level
    threshold = cols.threshold[mask]
    took = cols.callback[mask] & offered_mask  # accepted a callback: waited off the phone
    live = offered_mask & ~took
    return {
        "offered": offered,
        "answered": int(answered.sum()),
        "abandoned": int(abandoned.sum()),
        "hung_up": int(np.count_nonzero(cols.hung_up[mask])),
        "blocked": blocked,
        "block_rate": _ratio(blocked, n),
        "abandon_rate": _ratio(abandoned.sum(), offered),
        "asa": float(wait[answered].mean()) if answered.any() else math.nan,
        "mean_wait": float(waits.mean()) if waits.size else math.nan,
        "wait_p50": float(q50),
        "wait_p90": float(q90),
        "wait_p99": float(q99),
        "service_level": service_level(wait, answered, abandoned & offered_mask, ~offered_mask,
                                       threshold, sl.definition),
        "aht": float(talk.mean()) if talk.size else math.nan,
        "hold_time": float(cols.hold[mask][answered].mean()) if talk.size else math.nan,
        "transfer_rate": _ratio(cols.transfers[mask][answered].sum(), talk.size),
        "repeat_rate": _ratio(np.count_nonzero(origin[offered_mask] == 2), offered),
        "retrials": int(np.count_nonzero(origin == 1)),
        "callbacks": int(np.count_nonzero(cols.callback[mask] & answered)),
        "callback_rate": _ratio(np.count_nonzero(took), offered),
        "callback_wait": _mean(wait[took & answered]),
        # the live queue: callers who stayed on the line (callbacks left out)
        "live_service_level": service_level(wait[live], answered[live], abandoned[live],
                                            np.zeros(np.count_nonzero(live), bool),
                                            threshold[live], sl.definition),
        "live_asa": _mean(wait[answered & live]),
        "complaints": int(np.count_nonzero(origin == 3)),
        # offered, and still waiting when the run ended (nobody could answer them)
        "unanswered": int(np.count_nonzero(offered_mask & ~answered & ~abandoned)),
        "balked": int(np.count_nonzero(balked_mask)),
        "balk_rate": _ratio(np.count_nonzero(balked_mask), offered + np.count_nonzero(balked_mask)),
        **issue_kpis(cols, mask),
    }


def issue_kpis(cols: Columns, mask: np.ndarray) -> dict[str, float]:
    """Per-issue KPIs over the issues whose first contact is selected by ``mask``.

    ``mask`` is a boolean mask, or the selected rows in row order.

    An issue's id is the row of its first contact, and repeat contacts and retrials
    carry it, so per-issue sums are ``bincount``s over ``issue_id`` (no groupby).
    """
    contacts, effort_sum = cols.issue_sums()
    rows = np.flatnonzero(mask) if mask.dtype == bool else mask
    first = rows[cols.origin[rows] == 0]
    issues = first.size
    return {
        "fcr": _ratio(np.count_nonzero(cols.resolved[first]), issues),
        "contacts_per_issue": _ratio(contacts[first].sum(), issues),
        "customer_effort": float(effort_sum[first].mean()) if issues else math.nan,
        "self_service_rate": _ratio(np.count_nonzero(cols.self_served[first]), issues),
    }


def occupancy(cols: Columns, staff: pd.DataFrame, groups: list[str], window: Window) -> float:
    """Busy / available agent time of ``groups`` in the measured ``window``."""
    return _occupancy(window_agent_time(cols, staff, window), groups)


def _occupancy(agent_time: AgentTime, groups: list[str]) -> float:
    busy, available = agent_time.total(groups)
    return _ratio(busy[1] - busy[0], available[1] - available[0])


def serving_groups(scenario: Scenario, contact_type: str) -> list[str]:
    """Agent groups that may take ``contact_type`` (per routing), in routing order."""
    table = routing_table(scenario)
    t = table.type_index(contact_type)
    return [] if t is None else [table.group_names[g] for g in table.serving[t]]


def columns(contacts: pd.DataFrame, legs: pd.DataFrame | None, scenario: Scenario) -> Columns:
    """The :class:`Columns` of one replication, with each contact's service-level threshold."""
    cols = Columns(contacts, legs)
    cols.threshold = contact_thresholds(contacts["contact_type"], scenario)
    return cols


def contact_thresholds(contact_type: pd.Series, scenario: Scenario) -> np.ndarray:
    """Each contact's service-level threshold, seconds: its type's own, else the scenario's.

    ``contact_type``: the contacts' types (a categorical column, or names); a type the
    scenario does not have takes the scenario's threshold.
    """
    types = contact_type.astype("category")
    own = np.array([scenario.threshold(str(t)) if str(t) in scenario.contact_types
                    else scenario.service_level.threshold for t in types.cat.categories],
                   dtype=float)
    return own[types.cat.codes.to_numpy()] if own.size else np.zeros(len(contact_type))


def replication_summary(contacts: pd.DataFrame, staff: pd.DataFrame, scenario: Scenario,
                        legs: pd.DataFrame | None) -> dict:
    """KPIs of one replication: overall, by contact type and by agent group.

    ``legs`` is required (None or empty only when contacts had no journeys): agents are
    busy on every leg, consults included, and a KPI computed without them is another KPI.
    """
    cols = columns(contacts, legs, scenario)
    window = measured_window(scenario)
    counted = window.contacts(cols.arrival)
    groups = list(scenario.agents)
    agent_time = window_agent_time(cols, staff, window)  # one for all types and groups
    overall = contact_kpis(cols, counted, scenario)
    overall["occupancy"] = _occupancy(agent_time, groups)
    by_type = {}
    type_rows = cols.rows_by_type(counted)
    nothing = np.zeros(0, dtype=np.int64)
    for name in scenario.contact_types:
        kpis = contact_kpis(cols, type_rows.get(name, nothing), scenario)
        kpis["occupancy"] = _occupancy(agent_time, serving_groups(scenario, name))
        by_type[name] = kpis
    by_group = {}
    group_rows = cols.rows_by_group(counted & cols.answered)
    for name in groups:
        mine = group_rows.get(name, nothing)
        talk = cols.handle[mine]
        # a contact counts for the group that ended it (after any transfers)
        by_group[name] = {
            "answered": int(talk.size),
            "aht": float(talk.mean()) if talk.size else math.nan,
            "hold_time": float(cols.hold[mine].mean()) if talk.size else math.nan,
            "transfer_rate": _ratio(cols.transfers[mine].sum(), talk.size),
            "resolution_rate": _ratio(np.count_nonzero(cols.resolved[mine]), talk.size),
            "occupancy": _occupancy(agent_time, [name]),
        }
    return {"kpis": {k: overall[k] for k in KPIS}, "by_type": by_type, "by_group": by_group}
