"""An agent's own speed (``speed_cv``) belongs to that agent, whoever else is on duty.

Speeds were keyed by a run-wide agent number, handed out as agents came on duty in every
group: one more agent in another group renumbered, and re-drew the speed of, every later
agent. Two desks sharing nothing: three more agents at desk ``a`` changed the talks,
ends and waits of desk ``b``'s customers (common random numbers broken by a staffing
change). An agent's speed is now keyed by its own group and its place in that group's
order of coming on duty (found by an outside check of common random numbers).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.contacts import draw_contacts
from sim.engine import run_replication
from sim.loader import scenario_from_dict


def two_desks(a_staff: int, b_cv: float = 0.4):
    spec = {
        "name": "two separate desks", "seed": 1, "days": 1, "open": "08:00",
        "close": "12:00", "interval": "30m",
        "contact_types": {
            "x": {"arrivals": {"rate": "60/h"}, "handle": {"dist": "exponential", "mean": "4m"}},
            "y": {"arrivals": {"rate": "60/h"}, "handle": {"dist": "exponential", "mean": "4m"},
                  "patience": {"dist": "exponential", "mean": "3m"}},
        },
        "agents": {
            "a": {"skills": ["x"], "staff": a_staff},
            "b": {"skills": ["y"], "staff": 5, "speed_cv": b_cv},
        },
    }
    return scenario_from_dict(spec)


def desk_b(records):
    y = records.contact_type == records.type_names.index("y")
    return {k: getattr(records, k)[y] for k in ("arrival", "answer", "end", "wait", "talk",
                                                 "state")}


@pytest.mark.parametrize("cv", [0.0, 0.4])
def test_restaffing_one_desk_leaves_the_other_desks_customers_alone(cv):
    before = desk_b(run_replication(two_desks(5, b_cv=cv), seed=3))
    after = desk_b(run_replication(two_desks(8, b_cv=cv), seed=3))
    for name in before:
        np.testing.assert_array_equal(before[name], after[name], err_msg=name)


def test_the_desks_agents_keep_their_speeds():
    """Each of b's five agents talks at the same pace whatever a's staff."""
    def paces(a_staff):
        scenario = two_desks(a_staff)
        records = run_replication(scenario, seed=3)
        drawn = draw_contacts(scenario, 3, 0)
        mine = ((records.group == records.group_names.index("b"))
                & (np.arange(records.n) < drawn.arrival.size) & (records.talk > 0))
        return sorted({round(float(t / h), 9) for h, t in zip(drawn.handle[mine],
                                                              records.talk[mine])})
    assert len(paces(5)) == 5 and paces(5) == paces(8)


@pytest.mark.parametrize("first", [False, True])
def test_a_new_group_leaves_the_other_desks_speeds(first):
    """A group added, at the end or first, leaves desk b's customers as they were.

    A key counting the groups re-drew b's speeds (found by a review of f7f29d0).
    """
    base = two_desks(5)
    spec = base.model_dump(mode="json")
    extra = {"c": {"skills": ["x"], "staff": 1}}
    spec["agents"] = {**extra, **spec["agents"]} if first else {**spec["agents"], **extra}
    before = desk_b(run_replication(base, seed=3))
    after = desk_b(run_replication(scenario_from_dict(spec), seed=3))
    for name in before:
        np.testing.assert_array_equal(before[name], after[name], err_msg=name)
