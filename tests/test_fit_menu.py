"""``ccsim fit`` and the IVR menu before the queue: what it feeds besides the trunk lines.

A log made by ccsim itself tells each contact's menu (its answer, or hang-up, less its
wait, less its arrival). The fitted ``ivr.time`` must be the scenario's, callbacks or
not, and an agent is busy from the answer, a menu's length after the arrival plus the
wait, not from the arrival plus the wait.
"""

from __future__ import annotations

import numpy as np
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


CALLBACKS = {"callback": {"threshold": "1m", "accept": 0.6}}


def test_a_called_back_contact_tells_its_menu(tmp_path):
    """Callbacks' menus are fitted as everyone's: the scenario's minute, exactly.

    A callback's wait runs from its queue entry (after the menu) until the call back, so
    its answer less its wait is its queue entry: a wait counted from the arrival would
    read its menu as 0 and the fitted menu a mix of 0 and a minute.
    """
    contacts, log = _log(tmp_path, _menu_scenario(
        {"dist": "deterministic", "value": "1m"}, days=3, **CALLBACKS))
    assert contacts["callback"].sum() > 500  # the check has callbacks to check
    fitted = fit_log(log, 3600.0).types["calls"].menu
    assert fitted == {"dist": "deterministic", "value": 60.0}


def test_the_menus_of_a_log_with_callbacks_are_the_scenarios(tmp_path):
    """A spread menu: the log's menus of called-back and other contacts both average 80 s.

    Uniform from 40 s to 2 minutes: mean 80 s, standard deviation 80 / sqrt(12) s; each
    group's mean within 4 standard errors of it (sd / sqrt(n)).
    """
    contacts, log = _log(tmp_path, _menu_scenario(
        {"dist": "uniform", "low": "40s", "high": "2m"}, days=3, **CALLBACKS))
    kept = contacts[contacts["outcome"].isin(["completed", "abandoned"])]
    took = kept.sort_values("arrival", kind="stable")["callback"].to_numpy(bool)
    menus = log.table["menu"].to_numpy()  # the table's rows: by arrival likewise
    assert menus.size == took.size
    sd = 80.0 / np.sqrt(12.0)
    for rows in (took, ~took):
        assert rows.sum() > 300
        mean = menus[rows].mean()
        assert abs(mean - 80.0) <= 4 * sd / np.sqrt(rows.sum()), mean


def test_a_called_back_caller_held_a_line_through_the_menu_only(tmp_path):
    """6 lines, callbacks taken: the calls on the lines at each busy signal are 6.

    A caller who takes a callback hangs up on entering the queue (the call back holds
    no trunk line): counted on the line through its wait and talk too, 6 lines were
    fitted as 24.
    """
    scenario = _menu_scenario({"dist": "deterministic", "value": "1m"}, days=3,
                              callback={"threshold": "30s", "accept": 0.6})
    scenario["lines"] = 6
    scenario["contact_types"]["calls"]["arrivals"] = {"per_interval": [90.0] * 8}
    contacts, log = _log(tmp_path, scenario)
    assert contacts["blocked"].sum() > 30 and contacts["callback"].sum() > 500
    assert fit_log(log, 3600.0).lines == 6


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


def test_transfers_make_the_busy_count_no_bound(tmp_path):
    """With transfers, the staff seen busy is no lower bound: the count without them is.

    A log row is a contact, not its legs: a transferred contact was counted busy for all
    its talk from its first answer, its second wait left out, so at a peak it was busy
    on two agents' time at once. Here (3 + 3 agents, the first department transfers
    half its calls to the second, both loaded) that showed more agents busy at once than
    were on duty, printed as "seen busy" and put in the fitted scenario. The contacts
    never transferred are counted alone as well: a lower bound (each of them busy on one
    agent exactly as the log tells), and the printed line says which is which.
    """
    from sim.cli_fit import _summary  # (the text `ccsim fit` prints)

    scenario = _menu_scenario({"dist": "deterministic", "value": "30s"}, days=4,
                              transfer={"probability": 0.5, "to": "second"})
    scenario["contact_types"]["second"] = {
        "arrivals": {"per_interval": [20.0] * 8},
        "handle": {"dist": "exponential", "mean": "6m"},
        "patience": {"dist": "exponential", "mean": "3m"}}
    scenario["agents"] = {"pool": {"skills": ["calls"], "staff": 3},
                          "second_line": {"skills": ["second"], "staff": 3}}
    contacts, log = _log(tmp_path, scenario)
    assert contacts["transfers"].sum() > 500  # transfers to count
    fitted = fit_log(log, 3600.0)
    assert max(fitted.staff) > 6  # the legs back to back: more than were on duty
    assert fitted.staff_lower is not None and max(fitted.staff_lower) <= 6
    assert all(low <= seen for low, seen in zip(fitted.staff_lower, fitted.staff))
    line = next(x for x in _summary(fitted) if x.startswith("staff seen busy"))
    low, high = min(fitted.staff_lower), max(fitted.staff_lower)
    span = f"{low}-{high}" if low < high else f"{low}"
    assert "can exceed the staff on duty" in line and f"alone {span}," in line, line
    # without transfers in the log there is no second figure: the count is the bound
    plain = _menu_scenario({"dist": "deterministic", "value": "30s"}, days=2)
    assert fit_log(_log(tmp_path, plain)[1], 3600.0).staff_lower is None
