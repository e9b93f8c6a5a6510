"""The agents a call log names: the staff on duty the fit counts where the log tells who.

A log without agent ids shows only how many talked at once: a lower bound of the staff,
and none with transfers (a transferred contact's legs counted back to back exceeded the
staff on duty: ``refund_vs_relations``' 26 agents were seen 27-30 busy at once). An ACD
log names the agent of each contact; ccsim's own contacts too (``group`` and ``agent``).
The agents seen working in an interval (talking, on hold or wrapping up in it) were on
duty in it: counted per interval and day, their median over days is the fitted staff.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from strategies import scenarios

import sim
from sim.calllog import EPOCH, CallLogError, read_call_log
from sim.cli_fit import _summary
from sim.engine import SimulationError
from sim.fit import fit_log
from sim.fit_capacity import agents_seen, seen_grid
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict
from sim.units import DAY


def _two_departments(days: int) -> dict:
    """3 + 3 agents, the first department transferring half its calls to the second."""
    calls = {"arrivals": {"per_interval": [60.0] * 8},
             "handle": {"dist": "exponential", "mean": "4m"},
             "patience": {"dist": "exponential", "mean": "3m"},
             "transfer": {"probability": 0.5, "to": "second"}}
    second = {"arrivals": {"per_interval": [20.0] * 8},
              "handle": {"dist": "exponential", "mean": "6m"},
              "patience": {"dist": "exponential", "mean": "3m"}}
    return {"name": "two", "days": days, "open": "08:00", "close": "16:00", "interval": "1h",
            "contact_types": {"calls": calls, "second": second},
            "agents": {"pool": {"skills": ["calls"], "staff": 3},
                       "second_line": {"skills": ["second"], "staff": 3}}}


def test_the_agents_seen_working_are_the_staff_on_duty(tmp_path):
    """6 agents, loaded, with transfers: 6 seen working each hour, 3 in each group.

    Busy at once was more than 6 (the transfers), and without agent ids that went into
    the fitted scenario.
    """
    contacts = sim.run(scenario_from_dict(_two_departments(days=4)), seed=5).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    fitted = fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0)
    assert max(fitted.staff) > 6  # the busy count the log's transfers inflate
    assert fitted.agents_seen == [6] * 8
    spec = scenario_dict(fitted, "fitted")  # (each group as itself: tests/test_fit_groups.py)
    assert {name: group["staff"] for name, group in spec["agents"].items()} == {
        "pool": [3] * 8, "second_line": [3] * 8}
    line = next(x for x in _summary(fitted) if x.startswith("staff"))
    assert "agents seen working per interval: 6" in line, line


def test_a_shift_change_is_seen(tmp_path):
    """2 agents until 09:10, then 6: 2 working in the first hour, 6 in the next ones."""
    scenario = _two_departments(days=3)
    scenario["contact_types"] = {"calls": {
        "arrivals": {"per_interval": [20.0] * 18},
        "handle": {"dist": "exponential", "mean": "4m"},
        "patience": {"dist": "exponential", "mean": "3m"}}}
    scenario.update({"close": "11:00", "interval": "10m",
                     "agents": {"pool": {"skills": ["calls"], "staff": [2] * 7 + [6] * 11}}})
    contacts = sim.run(scenario_from_dict(scenario), seed=5).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    assert fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0).agents_seen == [2, 6, 6]


def test_agents_counted_by_hand(tmp_path):
    """A CSV log with an agent column: where each answered, and what its work went through.

    Ann talks 08:10-08:20 and 08:50-09:40 (answered in the second interval of 30 minutes,
    through the third, into the fourth: not counted there, a call's tail); Bob 08:05-08:15
    then wraps up until 08:35 (into the second); a blank agent is nobody known; an
    abandoned call names nobody. Two days: the median of each interval.
    """
    rows = []
    for date in ("2026-03-02", "2026-03-03"):
        rows += [(f"{date}T08:10:00", 0, "answered", 600, 0, "ann"),
                 (f"{date}T08:50:00", 0, "answered", 3000, 0, "ann"),
                 (f"{date}T08:05:00", 0, "answered", 600, 1200, "bob"),
                 (f"{date}T08:20:00", 0, "answered", 60, 0, ""),
                 (f"{date}T09:50:00", 30, "abandoned", "", 0, "")]
    frame = pd.DataFrame(rows, columns=["arrival", "wait", "outcome", "handle", "wrap_up",
                                        "agent"])
    frame.to_csv(tmp_path / "log.csv", index=False)
    fitted = fit_log(read_call_log(tmp_path / "log.csv"), 1800.0)
    assert fitted.agents_seen == [2, 1, 1, 1]  # 08:00, 08:30, 09:00, 09:30 (one pool: >= 1)
    assert agents_seen(read_call_log(tmp_path / "log.csv"), 8 * 3600.0, 1800.0, 4) == [
        2, 1, 1, 0]


def test_a_log_without_agents_keeps_the_busy_count(tmp_path):
    """No agent column: no agents seen; the busy count is the fitted staff, as before."""
    rows = pd.DataFrame({"arrival": ["2026-03-02T08:00:00", "2026-03-02T08:01:00"],
                         "wait": [0, 0], "outcome": ["answered"] * 2, "handle": [600, 300]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    fitted = fit_log(read_call_log(tmp_path / "log.csv"), 1800.0)
    assert fitted.agents_seen is None
    assert scenario_dict(fitted, "f")["agents"]["agents"]["staff"] == fitted.staff


def test_agent_ids_are_trimmed(tmp_path):
    """An id is the text the log writes, spaces trimmed: `x` and ` x ` are one agent."""
    rows = pd.DataFrame({"arrival": ["2026-03-02T08:00:00", "2026-03-02T08:01:00"],
                         "wait": [0, 0], "outcome": ["answered"] * 2, "handle": [600, 300],
                         "agent": ["x", " x "]})
    rows.to_csv(tmp_path / "log.csv", index=False, quoting=1)
    assert fit_log(read_call_log(tmp_path / "log.csv"), 1800.0).agents_seen == [1]


def test_a_transferred_contacts_agent_counts_at_its_end_only(tmp_path):
    """The second line starts at 10:00: no more than the pool's 3 seen working before.

    A transferred contact names its last agent (the second line's); counted from the
    contact's first answer, that agent was seen working at 09:00 (5 for 3 on duty).
    """
    scenario = _two_departments(days=3)
    scenario["agents"]["second_line"]["staff"] = [0, 0] + [3] * 6
    contacts = sim.run(scenario_from_dict(scenario), seed=5).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    fitted = fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0)
    assert fitted.agents_seen == [3, 3] + [6] * 6
    assert fitted.groups["second_line"][1] == [0, 0] + [3] * 6


def test_work_past_midnight_counts_on_the_next_day(tmp_path):
    """Round the clock: a talk from 23:50 to 01:10 is work through the next day's first hour.

    (Not in 01:00-01:30: the call's tail.)
    """
    rows = pd.DataFrame({
        "arrival": ["2026-03-02T12:00:00", "2026-03-02T23:50:00", "2026-03-03T00:40:00"],
        "wait": [0, 0, 0], "outcome": ["answered"] * 3, "handle": [60, 4800, 60],
        "agent": ["b", "a", "b"]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    log = read_call_log(tmp_path / "log.csv")
    seen = agents_seen(log, 0.0, 1800.0, 48)
    assert seen[:3] == [1, 2, 0] and seen[47] == 1  # 00:00, 00:30, 01:00 and 23:30


def test_days_that_name_no_agent_are_not_zero_staff(tmp_path):
    """Agents named on one day of three: that day's agents, not a median of zeros."""
    rows = pd.DataFrame({
        "arrival": ["2026-03-02T08:00:00", "2026-03-03T08:00:00", "2026-03-04T08:00:00"],
        "wait": [0, 0, 0], "outcome": ["answered"] * 3, "handle": [600, 600, 600],
        "agent": ["a", "", ""]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    assert agents_seen(read_call_log(tmp_path / "log.csv"), 8 * 3600.0, 1800.0, 1) == [1]


def test_the_same_id_in_two_groups_is_two_agents(tmp_path):
    """Ids numbered within each group (agent 1 of billing, agent 1 of cards): two people."""
    rows = pd.DataFrame({"arrival": ["2026-03-02T08:00:00", "2026-03-02T08:01:00"],
                         "wait": [0, 0], "outcome": ["answered"] * 2, "handle": [600, 300],
                         "group": ["billing", "cards"], "agent": ["1", "1"]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    assert fit_log(read_call_log(tmp_path / "log.csv"), 1800.0).agents_seen == [2]


def _ever_on_duty(staff: pd.DataFrame, start: float, end: float) -> int:
    """The agent slots on duty at some moment of [start, end), all groups together.

    Those on duty at ``start`` and every one that came on later in the interval: an agent
    whose shift began at 06:30 worked in the interval 06:00-12:00 beside one whose shift
    ended at 06:30, though never two were on duty at once (the bound was once the most at
    once: hypothesis found such a scenario, a true count of two held to one).
    """
    total = 0
    for _, rows in staff.sort_values("time", kind="stable").groupby("group", observed=True):
        times, slots = rows["time"].to_numpy(), rows["slots"].to_numpy(dtype=int)
        before = slots[times <= start]
        now = int(before[-1]) if before.size else 0
        during = slots[(times > start) & (times < end)]
        total += now + int(np.clip(np.diff(np.concatenate([[now], during])), 0, None).sum())
    return total


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=scenarios(), seed=st.integers(0, 2**16))
def test_an_agent_seen_working_was_on_duty(tmp_path_factory, data, seed):
    """Random scenarios: in no interval of any day more agents seen working than on duty.

    Counted on the run's own contacts (ccsim names each contact's last agent, or chat
    slot) against the run's staffing log (its slots on duty): an agent seen working in
    an interval was on duty in it, whatever the journeys (transfers, consults, repeats,
    callbacks, lines, after-call work).
    """
    scenario = sim.scenario_from_dict(data)
    note(yaml.safe_dump(data, sort_keys=False, default_flow_style=None))
    try:
        result = sim.run(scenario, seed=seed)
    except SimulationError:
        return  # a stuck warm transfer (tests/test_invariants.py)
    folder = tmp_path_factory.mktemp("log")
    result.contacts.to_parquet(folder / "contacts.parquet")
    try:
        log = read_call_log(folder / "contacts.parquet")
    except CallLogError:
        return  # nothing a log holds (no contact offered)
    if not len(log.table):
        return  # (every contact still waiting at the end: a log has none of them)
    n = round((scenario.close - scenario.open) / scenario.interval)
    grid, named = seen_grid(log, scenario.open, scenario.interval, n)
    for d, day in enumerate(log.days):  # (a run of no weekdays: day d dated d days on)
        run_day = int((day - EPOCH).days)
        if not named[d]:
            continue
        for k in range(n):
            start = run_day * DAY + scenario.open + k * scenario.interval
            on_duty = _ever_on_duty(result.staff, start, start + scenario.interval)
            assert grid[d, k] <= on_duty, (run_day, k, grid[d, k], on_duty)
