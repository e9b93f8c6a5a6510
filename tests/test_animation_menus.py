"""An animation of results without legs: a caller waits from entering the queue, after the menu.

Results read back without their legs (a folder without legs.parquet) have one row per
contact: its arrival, first answer, end and first queue wait. A caller who went through
an IVR menu entered the queue the wait before the answer (or the end, never answered),
not at arrival: the menu is no wait. Checked against the same run drawn from its legs,
whose queue entries the engine recorded, on a scenario of one leg per contact.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

import sim
from sim.animation_timelines import _waits, callback_waits
from sim.loader import scenario_from_dict

SCENARIO = {
    "name": "menu", "days": 1, "open": "08:00", "close": "11:00", "interval": "30m",
    "contact_types": {"calls": {
        "arrivals": {"rate": "150/h"}, "handle": {"dist": "exponential", "mean": "4m"},
        "patience": {"dist": "exponential", "mean": "3m"},
        "ivr": {"time": {"dist": "uniform", "low": "1m", "high": "3m"}},
        "callback": {"threshold": "1m", "accept": 0.5}}},
    "agents": {"pool": {"skills": ["calls"], "staff": 9}},
}


def test_waits_start_after_the_menu_without_legs():
    """Queue and callback counts drawn from the contacts equal those drawn from the legs."""
    result = sim.run(scenario_from_dict(SCENARIO), seed=2, trace_every=15.0)
    assert len(result.legs) == len(result.contacts)  # one leg each: the legs are the truth
    bare = dataclasses.replace(result, legs=pd.DataFrame())
    times = np.arange(8 * 3600.0, 11.5 * 3600.0, 7.0)
    (with_legs, _), (without, _) = _waits(result, 0), _waits(bare, 0)
    queued = with_legs.count(times)
    assert queued.max() >= 5  # a queue forms, and the menus run beside it
    np.testing.assert_array_equal(without.count(times), queued)
    called = callback_waits(result, 0).count(times)
    assert called.max() >= 2
    np.testing.assert_array_equal(callback_waits(bare, 0).count(times), called)
