"""The legs sent into each queue, counted per interval (sim.queue_legs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from test_staffing_transfers import TRIAGE

from sim.loader import scenario_from_dict
from sim.queue_legs import second_leg_sums

HOUR = 3600.0
DAY = 24 * HOUR
# the triage desk of test_staffing_transfers over two short days, nobody with a patience
TWO_DAYS = {**TRIAGE, "days": 2, "close": "10:00", "contact_types": {
    name: {key: value for key, value in spec.items() if key != "patience"}
    for name, spec in TRIAGE["contact_types"].items()}}


def legs_table(rows: list[tuple[int, str, float, float]]) -> pd.DataFrame:
    """A legs table from (contact, queue, enqueued, answered) rows, each leg completed."""
    contact, queue, enqueued, answered = (np.array(column) for column in zip(*rows))
    return pd.DataFrame({
        "contact_id": contact.astype(np.int64),
        "queue": pd.Categorical(queue, categories=["triage", "specialist"]),
        "enqueued": enqueued.astype(float), "answered": answered.astype(float),
        "ended": answered.astype(float) + 60.0, "wait": (answered - enqueued).astype(float),
        "reason": pd.Categorical(["completed"] * len(rows)),
    })


def test_a_leg_sent_on_after_closing_counts_in_that_days_last_interval():
    """A leg sent on at 10:20 (after closing) counts in day 1's last interval.

    Not in day 2's first (08:00): the day's last, as the interval table counts contacts
    outside the hours.
    """
    scenario = scenario_from_dict(TWO_DAYS)
    late = 10 * HOUR + 20 * 60
    legs = legs_table([(0, "triage", 9 * HOUR + 50 * 60, 9 * HOUR + 50 * 60),
                       (0, "specialist", late, late + 10.0)])
    sums = second_leg_sums(legs, scenario)
    specialist = sums[:2, 1]  # in time, denominator x 4 intervals
    np.testing.assert_array_equal(specialist, [[0, 1, 0, 0], [0, 1, 0, 0]])


def test_a_leg_left_waiting_for_ever_misses_the_goal():
    """Transferred customers nobody can answer (no specialist, no patience) are offered legs.

    They wait until the run ends (the contact ``unfinished``); a first contact left so
    counts as offered and not answered in time, and so must they: a plan without
    specialists in the last hour does not meet the goal there.
    """
    from sim.plan_evaluation import Goal, evaluate_plan

    spec = {**TWO_DAYS, "days": 1, "close": "11:00"}
    scenario = scenario_from_dict(spec)
    plan = np.array([[8, 8, 8], [8, 8, 0]], dtype=float)
    evaluation = evaluate_plan(scenario, plan, Goal(0.8, 30.0), 1, 5, full=False)
    assert evaluation.service_level[1, 2] == 0.0  # none answered: was NaN, "no legs"
    assert not evaluation.ok[1, 2]
