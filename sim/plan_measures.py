"""What a staffing search measures of one replication of a plan, and nothing more.

A search (:mod:`sim.staffing`, :mod:`sim.cost_search`) simulates hundreds of plans and
judges each by its service level and abandon rate per contact type and interval, pooled
over the replications, and (with ``costs:``) its cost KPIs. Measuring every KPI and the
whole interval table (:func:`sim.measure.replication_tables`: occupancies, staff, the
per-type summaries, pandas frames) took as long as simulating the plan. Here the same
functions measure only what the search reads: the contact counts per interval of
:func:`sim.intervals.interval_counts` and the money of :func:`sim.costs.money_kpis`, from
one :func:`sim.metrics.columns`. Parity with the full measurement (the interval table's
sums and ``cost_kpis``) is tested on random scenarios.
"""

from __future__ import annotations

import numpy as np

from sim.costs import PRICED_COUNTS, money_kpis
from sim.engine import run_replication
from sim.frames import contacts_frame, legs_frame, rules_frame, staff_frame
from sim.intervals import interval_counts, interval_index
from sim.metrics import columns, measured_window
from sim.queue_legs import LEG_SUMS, second_leg_sums
from sim.routing import RoutingPolicy, replication_copy
from sim.scenario import Scenario

# the interval sums a plan is judged by, in the order of the array plan_measures returns
SEARCH_SUMS = ("answered_in_time", "sl_denominator", "abandoned", "offered")
# after them in that array: when each interval's counts were settled (see settle_times),
# then the second legs' sums (sim.queue_legs: the legs sent into each queue)
SETTLED = ("settled_in_time", "settled_exit")


def plan_measures(scenario: Scenario, seed: int, replication: int,
                  policy: RoutingPolicy | None = None
                  ) -> tuple[dict[str, float], np.ndarray, dict[str, int]]:
    """Simulate replication ``replication`` of ``scenario``; measure what a search reads.

    ``policy``: a routing policy instead of the scenario's (a copy of it runs, as in
    each replication of ``sim.run``).

    Returns:
        The cost KPIs (empty without ``costs:``), as ``sim.run`` measures them, and the
        :data:`SEARCH_SUMS` per contact type (scenario order) and interval of the run, as
        the interval table has them, then the :data:`SETTLED` times (:func:`settle_times`,
        the second legs' included), then the :data:`sim.queue_legs.LEG_SUMS` of the legs
        sent into each type's queue (an array ``sums x types x intervals``), and the
        contact types the policy never chose, with their contacts never answered
        (``records.never_chosen``).
    """
    records = run_replication(scenario, seed, replication,
                              policy=None if policy is None else replication_copy(policy))
    contacts = contacts_frame(records, scenario, replication)
    legs = legs_frame(records, replication)
    staff = staff_frame(records, replication)
    rules = rules_frame(records, scenario, replication) if scenario.rules else None
    never_chosen = records.never_chosen
    del records
    cols = columns(contacts, legs, scenario)
    counted = measured_window(scenario).contacts(cols.arrival)
    index = interval_index(cols.arrival, scenario)
    n = scenario.intervals_per_day * scenario.days
    type_rows = cols.rows_by_type(counted)
    nothing = np.zeros(0, dtype=np.int64)
    sums = np.zeros((len(SEARCH_SUMS) + len(SETTLED) + len(LEG_SUMS),
                     len(scenario.contact_types), n))
    priced = dict.fromkeys(PRICED_COUNTS, 0.0)
    for t, name in enumerate(scenario.contact_types):
        rows = type_rows.get(name, nothing)
        counts = interval_counts(cols, rows, index[rows], n, scenario)
        sums[:len(SEARCH_SUMS), t] = [counts[column] for column in SEARCH_SUMS]
        sums[len(SEARCH_SUMS):len(SEARCH_SUMS) + len(SETTLED), t] = settle_times(
            cols, rows, index[rows], n, scenario.threshold(name))
        for column in PRICED_COUNTS:  # summed over the intervals, a count is the summary's
            priced[column] += float(counts[column].sum())
    kpis = {} if scenario.costs is None else money_kpis(cols, staff, scenario, priced, rules)
    settled = slice(len(SEARCH_SUMS), len(SEARCH_SUMS) + len(SETTLED))
    second = second_leg_sums(legs, scenario)
    sums[settled] = np.maximum(sums[settled], second[len(LEG_SUMS):])
    sums[settled.stop:] = second[:len(LEG_SUMS)]
    return kpis, sums, never_chosen


def settle_times(cols, rows: np.ndarray, index: np.ndarray, n: int,
                 threshold: float) -> np.ndarray:
    """When the counts of each interval's contacts were settled, seconds (2 x intervals).

    A contact's counts are settled when it leaves its first queue (answered, abandoned)
    or is turned away (busy signal, IVR, balking): its exit. Whether it was answered
    within ``threshold`` (and, for ``short_abandons_excluded``, abandoned within it) is
    settled sooner, ``threshold`` after it entered the queue, if it was still waiting
    then. Rows: the latest of those times per interval of arrival (``settled_in_time``),
    the latest exit (``settled_exit``); infinite if a contact was still waiting when the
    run ended, -infinite for an interval without contacts. The simulation up to a moment
    depends only on the staffing before it, so a plan staffed alike up to these times
    counts those contacts alike (:mod:`sim.staffing_search` builds on it).
    """
    answered, wait = cols.answered[rows], cols.wait[rows]
    exit_ = np.where(answered, cols.answer[rows], cols.end[rows])
    exit_ = np.where(np.isnan(exit_), np.inf, exit_)
    queued = ~np.isnan(wait) & np.isfinite(exit_)
    in_time = np.where(queued, np.minimum(exit_, exit_ - np.where(queued, wait, 0.0) + threshold),
                       exit_)
    out = np.full((2, n), -np.inf)
    np.maximum.at(out[0], index, in_time)
    np.maximum.at(out[1], index, exit_)
    return out
