"""``ccsim fit`` and the IVR menu before the queue: what it feeds besides the trunk lines.

A log made by ccsim itself tells each contact's menu (its answer, or hang-up, less its
wait, less its arrival). An agent is busy from the answer, a menu's length after the
arrival plus the wait, not from the arrival plus the wait.
"""

from __future__ import annotations

import pytest

import sim
from sim.calllog import read_call_log
from sim.fit import fit_log
from sim.loader import scenario_from_dict


def _menu_scenario(menu: dict, days: int, **calls) -> dict:
    """Calls through a menu to 3 agents, over 8 hours (about 4 Erlangs: a queue)."""
    return {"name": "menu", "days": days, "open": "08:00", "close": "16:00", "interval": "1h",
            "contact_types": {"calls": {
                "arrivals": {"per_interval": [60.0] * 8},
                "handle": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "3m"},
                "ivr": {"time": menu}, **calls}},
            "agents": {"pool": {"skills": ["calls"], "staff": 3}}}


def _log(tmp_path, scenario: dict, seed: int = 5):
    contacts = sim.run(scenario_from_dict(scenario), seed=seed).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    return contacts, read_call_log(tmp_path / "contacts.parquet")


@pytest.mark.parametrize("menu", ["15m", "25m"])
def test_agents_are_busy_from_the_answer(tmp_path, menu):
    """The staff seen busy per hour is the staff on duty: 2 until 09:10, then 6.

    Every agent talks (120 calls an hour, 8 Erlangs), so the peak busy is the staff. An
    agent counted busy from the arrival plus the wait, the menu too early, showed the 6
    of 09:10 in the hour from 08:00: 6, 6, 6 for the truth's 2, 6, 6.
    """
    staff = [2] * 7 + [6] * 11  # per 10 minutes from 08:00: 6 from 09:10
    scenario = _menu_scenario({"dist": "deterministic", "value": menu}, days=3)
    scenario.update({"close": "11:00", "interval": "10m",
                     "agents": {"pool": {"skills": ["calls"], "staff": staff}}})
    scenario["contact_types"]["calls"]["arrivals"] = {"per_interval": [20.0] * 18}
    _, log = _log(tmp_path, scenario)
    assert fit_log(log, 3600.0).staff == [2, 6, 6]
