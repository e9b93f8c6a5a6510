"""The staffing start's offered load per queue is the agent busy time the simulation measures.

``ccsim staff`` starts from an Erlang requirement of each group's load
(:func:`sim.staffing_start.group_loads`); a load too low costs the search iterations. Here
each queue has one group of its own, so a group's load is its queue's: its Erlangs summed
over the run's intervals are the agent seconds it expects, against the busy seconds the
legs record (talk and hold, then wrap-up) over the whole run, closing included (the
agents finish every contact; no caller hangs up, so no load is lost to abandons). An
agent who asked a consult is busy on hold until it ends; the start leaves that hold out
(:func:`sim.staffing_start.group_loads` says why), and so does the measure here (the
legs' ``hold``, taken off the asking queue). A customer on hold who hangs up calls the
consult off: the consulted agent's talk is cut short, in the start as in the run. An
unresolved contact comes back after its delay, moved into opening hours, and is load
again, as is its repeat in turn. Tolerance:
``helpers.assert_agrees`` over 20 replications (3 Student-t half-widths), each check
shown to tell the load from the one without the piece it checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import assert_agrees

import sim
from sim.loader import scenario_from_dict
from sim.staffing_start import group_loads

REPLICATIONS = 20
HOURS = 6
BASE = {"seed": 3, "days": 1, "open": "08:00", "close": "14:00", "interval": "1h",
        "service_level": {"threshold": "30s", "target": 0.8}}
MENU = {"dist": "uniform", "low": "20s", "high": "40s"}

# four callers in ten pick the wrong queue and talk there for 2 minutes; b's agents are
# slow (speed 0.5) and b has a wrap-up, also after a misrouted call's short talk there
MISROUTE = {"time": MENU, "misroute": 0.4,
            "misroute_talk": {"dist": "lognormal", "mean": "2m", "cv": 0.5}}
MISROUTES = {**BASE, "name": "misroutes", "contact_types": {
    "a": {"arrivals": {"rate": "60/h"}, "handle": {"dist": "lognormal", "mean": "2m", "cv": 0.5},
          "ivr": MISROUTE},
    "b": {"arrivals": {"rate": "60/h"}, "handle": {"dist": "lognormal", "mean": "2m", "cv": 0.5},
          "wrap_up": {"dist": "deterministic", "value": "20s"}, "ivr": MISROUTE}},
    "agents": {"team_a": {"skills": ["a"], "staff": 16},
               "team_b": {"skills": ["b"], "staff": 16, "speed": 0.5}}}

# half the callers solve their issue in the menu and never reach an agent
SELF_SERVED = {**BASE, "name": "self-service", "contact_types": {
    "a": {"arrivals": {"rate": "120/h"}, "handle": {"dist": "lognormal", "mean": "2m", "cv": 0.5},
          "ivr": {"time": MENU, "self_service": 0.5}}},
    "agents": {"team_a": {"skills": ["a"], "staff": 12}}}

# four calls in ten need a consult with a desk whose agents take twice the drawn talk
CONSULTS = {**BASE, "name": "slow consulted desk", "contact_types": {
    "x": {"arrivals": {"rate": "120/h"}, "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.5},
          "consult": {"probability": 0.4, "to": "y",
                      "talk": {"dist": "lognormal", "mean": "3m", "cv": 0.5}}},
    "y": {"arrivals": {"rate": 0}, "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.5}}},
    "agents": {"desk": {"skills": ["x"], "staff": 20},
               "slow_desk": {"skills": ["y"], "staff": 12, "speed": 0.5}}}
# the same, where a customer on hold hangs up after 6 minutes (mean) and calls the
# consult off: the slow desk's talk, 6 minutes drawn, is often cut short
HANGING_UP = {**CONSULTS, "name": "slow consulted desk, customers hanging up on hold",
              "contact_types": {**CONSULTS["contact_types"], "x": {
                  **CONSULTS["contact_types"]["x"],
                  "consult": {**CONSULTS["contact_types"]["x"]["consult"],
                              "hold_patience": {"dist": "exponential", "mean": "6m"}}}}}

# half the calls stay unresolved and come back (0.8 of them) 3 hours later (mean), the
# night's in the next morning's first hour, up to 4 contacts an issue; a's repeats move
# to b three times in ten, where b's own repeat rules apply (up to 2 contacts)
REPEATS = {**BASE, "name": "repeats", "days": 2, "contact_types": {
    "a": {"arrivals": {"rate": "60/h"}, "handle": {"dist": "lognormal", "mean": "2m", "cv": 0.5},
          "resolution": 0.5,
          "repeat": {"probability": 0.8, "delay": {"dist": "exponential", "mean": "3h"},
                     "max_contacts": 4, "switch_to": "b", "switch": 0.3}},
    "b": {"arrivals": {"rate": "20/h"}, "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.5},
          "resolution": 0.6,
          "repeat": {"probability": 1.0, "delay": {"dist": "lognormal", "mean": "1h", "cv": 1},
                     "max_contacts": 2}}},
    "agents": {"team_a": {"skills": ["a"], "staff": 16},
               "team_b": {"skills": ["b"], "staff": 12}}}


def measured(data: dict) -> tuple[sim.RunResult, dict[str, np.ndarray]]:
    """The run, and per queue its agents' busy seconds by replication (consult holds off)."""
    result = sim.run(scenario_from_dict(data), replications=REPLICATIONS)
    legs = result.legs
    if legs.empty:  # no handoffs, no legs recorded: each contact is one leg in its own queue
        c = result.contacts
        legs = pd.DataFrame({"answered": c["answer"], "ended": c["end"], "hold": c["hold"],
                             "wrap_up": c["wrap_up"], "queue": c["contact_type"],
                             "replication": c["replication"]})
    busy = (legs["ended"] - legs["answered"]).fillna(0.0) + legs["wrap_up"].astype(float)
    busy -= legs["hold"].astype(float)  # an asker's hold for a consult (0 elsewhere)
    out = {}
    for queue in data["contact_types"]:
        mine = legs["queue"] == queue
        out[queue] = busy[mine].groupby(legs["replication"][mine]).sum()
    assert all(len(v) == REPLICATIONS for v in out.values())
    return result, {q: v.to_numpy() for q, v in out.items()}


def planned(data: dict) -> dict[str, float]:
    """The start's agent seconds per queue (its group's Erlangs x the interval, summed)."""
    scenario = scenario_from_dict(data)
    _, work, _ = group_loads(scenario)
    return {queue: float(work[g].sum() * scenario.interval)
            for g, queue in enumerate(data["contact_types"])}


NO_REPEATS = {**REPEATS, "contact_types": {
    name: {k: v for k, v in ct.items() if k != "repeat"}
    for name, ct in REPEATS["contact_types"].items()}}


@pytest.fixture(scope="module")
def repeats():
    return measured(REPEATS)[1], planned(REPEATS)


@pytest.fixture(scope="module")
def misroutes():
    return measured(MISROUTES)[1], planned(MISROUTES)


@pytest.fixture(scope="module")
def consults():
    return measured(CONSULTS)[1], planned(CONSULTS)


@pytest.fixture(scope="module")
def hanging_up():
    return measured(HANGING_UP)[1], planned(HANGING_UP)


class TestMisroutes:
    def test_the_wrong_queue_carries_the_short_talk(self, misroutes):
        """Queue a: its calls' handle time, and b's misrouted calls' 2 minutes of talk."""
        busy, plan = misroutes
        without = 60 * HOURS * 120.0  # b's misroutes left out
        assert_agrees("a's busy seconds", busy["a"], plan["a"], wrong=[without])

    def test_the_short_talk_is_paced_and_wrapped_up_as_the_queue_s(self, misroutes):
        """Queue b: its calls at speed 0.5 plus a's misrouted 2 min at 0.5, each wrapped up."""
        busy, plan = misroutes
        own = 60 * HOURS * (120 / 0.5 + 20)
        unpaced = own + 60 * HOURS * 0.4 * (120 + 20)
        assert_agrees("b's busy seconds", busy["b"], plan["b"], wrong=[own, unpaced])


class TestConsults:
    def test_the_consulted_talk_is_at_the_consulted_desk_s_speed(self, consults):
        """Queue y: 0.4 of x's calls x 3 min of talk at speed 0.5."""
        busy, plan = consults
        unpaced = 120 * HOURS * 0.4 * 180
        assert_agrees("y's busy seconds", busy["y"], plan["y"], wrong=[unpaced])

    def test_the_asker_s_own_talk_is_its_handle_time(self, consults):
        """Queue x: its handle time (its agents' holds left out, as the start leaves them)."""
        busy, plan = consults
        with_hold = 120 * HOURS * (240.0 + 0.4 * 180 / 0.5)
        assert_agrees("x's busy seconds", busy["x"], plan["x"], wrong=[with_hold])

    def test_a_hang_up_on_hold_cuts_the_consulted_talk(self, hanging_up):
        """Queue y: each consult's talk at speed 0.5, or until the customer on hold hangs up."""
        busy, plan = hanging_up
        uncut = 120 * HOURS * 0.4 * 180 / 0.5
        assert_agrees("y's busy seconds", busy["y"], plan["y"], wrong=[uncut])


class TestRepeats:
    def test_unresolved_calls_come_back_as_load(self, repeats):
        """Queue a: its calls, then their repeats (each repeating again), less b's share."""
        busy, plan = repeats
        without = planned(NO_REPEATS)["a"]
        # every repeat counted: none after the run's end, none switching to b
        q = 0.5 * 0.8
        every = without * (1 + q + q**2 + q**3)
        assert_agrees("a's busy seconds", busy["a"], plan["a"], wrong=[without, every])

    def test_repeats_switching_type_are_the_new_type_s_load(self, repeats):
        """Queue b: its calls and their one repeat, and a's repeats that switched to b."""
        busy, plan = repeats
        without = planned(NO_REPEATS)["b"]
        own = planned({**REPEATS, "contact_types": {
            "a": NO_REPEATS["contact_types"]["a"], "b": REPEATS["contact_types"]["b"]}})["b"]
        assert_agrees("b's busy seconds", busy["b"], plan["b"], wrong=[without, own])


def test_calls_solved_in_the_menu_are_no_load():
    """Queue a: only the half of its calls the IVR does not solve, at 2 minutes each.

    Found by an outside check: before, the start counted every call (twice the load).
    """
    busy, plan = measured(SELF_SERVED)[1], planned(SELF_SERVED)
    every_call = 120 * HOURS * 120.0
    assert_agrees("a's busy seconds", busy["a"], plan["a"], wrong=[every_call])
