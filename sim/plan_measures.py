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
from sim.scenario import Scenario

# the interval sums a plan is judged by, in the order of the array plan_measures returns
SEARCH_SUMS = ("answered_in_time", "sl_denominator", "abandoned", "offered")


def plan_measures(scenario: Scenario, seed: int,
                  replication: int) -> tuple[dict[str, float], np.ndarray]:
    """Simulate replication ``replication`` of ``scenario``; measure what a search reads.

    Returns:
        The cost KPIs (empty without ``costs:``), as ``sim.run`` measures them, and the
        :data:`SEARCH_SUMS` per contact type (scenario order) and interval of the run, as
        the interval table has them (an array ``sums x types x intervals``).
    """
    records = run_replication(scenario, seed, replication)
    contacts = contacts_frame(records, scenario, replication)
    legs = legs_frame(records, replication)
    staff = staff_frame(records, replication)
    rules = rules_frame(records, scenario, replication) if scenario.rules else None
    del records
    cols = columns(contacts, legs, scenario)
    counted = measured_window(scenario).contacts(cols.arrival)
    index = interval_index(cols.arrival, scenario)
    n = scenario.intervals_per_day * scenario.days
    type_rows = cols.rows_by_type(counted)
    nothing = np.zeros(0, dtype=np.int64)
    sums = np.zeros((len(SEARCH_SUMS), len(scenario.contact_types), n))
    priced = dict.fromkeys(PRICED_COUNTS, 0.0)
    for t, name in enumerate(scenario.contact_types):
        rows = type_rows.get(name, nothing)
        counts = interval_counts(cols, rows, index[rows], n, scenario)
        sums[:, t] = [counts[column] for column in SEARCH_SUMS]
        for column in PRICED_COUNTS:  # summed over the intervals, a count is the summary's
            priced[column] += float(counts[column].sum())
    kpis = {} if scenario.costs is None else money_kpis(cols, staff, scenario, priced, rules)
    return kpis, sums
