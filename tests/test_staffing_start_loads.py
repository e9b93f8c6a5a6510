"""The staffing start's offered load per queue is the agent busy time the simulation measures.

``ccsim staff`` starts from an Erlang requirement of each group's load
(:func:`sim.staffing_start.group_loads`); a load too low costs the search iterations. Here
each queue has one group of its own, so a group's load is its queue's: its Erlangs summed
over the run's intervals are the agent seconds it expects, against the busy seconds the
legs record (talk and hold, then wrap-up) over the whole run, closing included (the
agents finish every contact; no caller hangs up in a queue, so no load is lost to
abandons). An agent who asked a consult is busy on hold until it ends, and one who
transferred warm waits on the line for the next agent; the start leaves both out
(:func:`sim.staffing_start.group_loads` says why), and so does the measure here (the
legs' ``hold``, and the next leg's wait, taken off the asking queue). A customer on hold
who hangs up calls the consult off (and any consult asked in turn): the consulted
agent's talk is cut short, in the start as in the run (the asking agent's second half,
then never talked, the start still counts: with the hold left out, the start would fall
below the need).
An unresolved contact comes back after its delay, moved into opening hours, and is load
again, as is its repeat in turn. Tolerance: ``helpers.assert_agrees`` over 20
replications (3 Student-t half-widths), each check shown to tell the load from the one
without the piece it checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from helpers import assert_agrees
from scipy import stats

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
# the slow desk consults a third desk in turn, for half its consults, and its group
# escalates as a consult to a fourth for 4 in 10 of the rest: no hold patience of their
# own, but the customer on hold with x's agent who hangs up calls the chain off
CHAINED = {**HANGING_UP, "name": "chained consults", "contact_types": {
    **HANGING_UP["contact_types"],
    "y": {"arrivals": {"rate": 0}, "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.5},
          "consult": {"probability": 0.5, "to": "z",
                      "talk": {"dist": "lognormal", "mean": "5m", "cv": 0.5}}},
    "z": {"arrivals": {"rate": 0}, "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.5}},
    "w": {"arrivals": {"rate": 0}, "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.5}}},
    "agents": {**HANGING_UP["agents"],
               "slow_desk": {"skills": ["y"], "staff": 14, "speed": 0.5, "escalate": {
                   "probability": 0.4, "to": "w", "as": "consult",
                   "talk": {"dist": "lognormal", "mean": "4m", "cv": 0.5}}},
               "z_desk": {"skills": ["z"], "staff": 8}, "w_desk": {"skills": ["w"], "staff": 6}}}

# a quarter of x's calls go on to y as a conference: 1.5 minutes of three-way talk
# drawn, at the pace of x's slow agents (speed 0.5), both agents busy
CONFERENCE = {**BASE, "name": "conference", "contact_types": {
    "x": {"arrivals": {"rate": "120/h"}, "handle": {"dist": "lognormal", "mean": "2m", "cv": 0.5},
          "transfer": {"probability": 0.25, "to": "y", "mode": "conference",
                       "conference": {"dist": "exponential", "mean": "90s"}}},
    "y": {"arrivals": {"rate": 0}, "handle": {"dist": "lognormal", "mean": "2m", "cv": 0.5}}},
    "agents": {"desk": {"skills": ["x"], "staff": 16, "speed": 0.5},
               "y_desk": {"skills": ["y"], "staff": 10}}}

# half of x's calls go on to y; x's agents escalate 4 in 10 of the others to z
ESCALATED = {**BASE, "name": "escalations", "contact_types": {
    "x": {"arrivals": {"rate": "120/h"}, "handle": {"dist": "lognormal", "mean": "2m", "cv": 0.5},
          "transfer": {"probability": 0.5, "to": "y"}},
    "y": {"arrivals": {"rate": 0}, "handle": {"dist": "lognormal", "mean": "2m", "cv": 0.5}},
    "z": {"arrivals": {"rate": 0}, "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.5}}},
    "agents": {"desk": {"skills": ["x"], "staff": 12,
                        "escalate": {"probability": 0.4, "to": "z"}},
               "y_desk": {"skills": ["y"], "staff": 10}, "z_desk": {"skills": ["z"], "staff": 10}}}

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
    if "reason" in legs:  # an agent's wait on the line for a warm transfer's next agent
        order = legs.sort_values(["replication", "contact_id", "enqueued"])
        warm = (order["reason"] == "transfer") & order["answered"].notna()
        nxt = order.groupby(["replication", "contact_id"])["wait"].shift(-1)
        busy -= nxt.where(warm, 0.0).fillna(0.0).reindex(legs.index)
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


# agents cut a call at 3 minutes (a lognormal 4 minutes drawn): a cut call resolves half
# as often, and comes back
CAPPED = {**BASE, "name": "handle cap", "contact_types": {
    "a": {"arrivals": {"rate": "120/h"}, "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.5},
          "handle_cap": {"max": "3m", "resolution_factor": 0.5}, "resolution": 0.8,
          "repeat": {"probability": 1.0, "delay": {"dist": "exponential", "mean": "1h"},
                     "max_contacts": 3}}},
    "agents": {"team_a": {"skills": ["a"], "staff": 16}}}
NO_REPEATS = {**REPEATS, "contact_types": {
    name: {k: v for k, v in ct.items() if k != "repeat"}
    for name, ct in REPEATS["contact_types"].items()}}


_RUNS: dict[str, tuple[dict[str, np.ndarray], dict[str, float]]] = {}


def both(data: dict) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """:func:`measured`'s busy seconds and :func:`planned`'s, each scenario run once."""
    if data["name"] not in _RUNS:
        _RUNS[data["name"]] = measured(data)[1], planned(data)
    return _RUNS[data["name"]]


class TestMisroutes:
    def test_the_wrong_queue_carries_the_short_talk(self):
        """Queue a: its calls' handle time, and b's misrouted calls' 2 minutes of talk."""
        busy, plan = both(MISROUTES)
        without = 60 * HOURS * 120.0  # b's misroutes left out
        assert_agrees("a's busy seconds", busy["a"], plan["a"], wrong=[without])

    def test_the_short_talk_is_paced_and_wrapped_up_as_the_queue_s(self):
        """Queue b: its calls at speed 0.5 plus a's misrouted 2 min at 0.5, each wrapped up."""
        busy, plan = both(MISROUTES)
        own = 60 * HOURS * (120 / 0.5 + 20)
        unpaced = own + 60 * HOURS * 0.4 * (120 + 20)
        assert_agrees("b's busy seconds", busy["b"], plan["b"], wrong=[own, unpaced])


class TestConsults:
    def test_the_consulted_talk_is_at_the_consulted_desk_s_speed(self):
        """Queue y: 0.4 of x's calls x 3 min of talk at speed 0.5."""
        busy, plan = both(CONSULTS)
        unpaced = 120 * HOURS * 0.4 * 180
        assert_agrees("y's busy seconds", busy["y"], plan["y"], wrong=[unpaced])

    def test_the_asker_s_own_talk_is_its_handle_time(self):
        """Queue x: its handle time (its agents' holds left out, as the start leaves them)."""
        busy, plan = both(CONSULTS)
        with_hold = 120 * HOURS * (240.0 + 0.4 * 180 / 0.5)
        assert_agrees("x's busy seconds", busy["x"], plan["x"], wrong=[with_hold])

    def test_a_hang_up_on_hold_cuts_the_consulted_talk(self):
        """Queue y: each consult's talk at speed 0.5, or until the customer on hold hangs up."""
        busy, plan = both(HANGING_UP)
        uncut = 120 * HOURS * 0.4 * 180 / 0.5
        assert_agrees("y's busy seconds", busy["y"], plan["y"], wrong=[uncut])


class TestChainedConsults:
    def test_a_consult_asked_in_turn_is_cut_by_the_first_customer_s_hang_up(self):
        """Queue z: half of y's consults x 5 min, or until x's customer hangs up on hold."""
        busy, plan = both(CHAINED)
        uncut = 120 * HOURS * 0.4 * 0.5 * 300
        assert_agrees("z's busy seconds", busy["z"], plan["z"], wrong=[uncut])

    def test_a_consulted_agent_s_escalation_as_a_consult(self):
        """Queue w: y's group escalates 4 in 10 of the consults it does not pass to z."""
        busy, plan = both(CHAINED)
        uncut = 120 * HOURS * 0.4 * 0.5 * 0.4 * 240
        also = plan["w"] / (1 - 0.5)  # escalated where y's consult is asked too
        assert_agrees("w's busy seconds", busy["w"], plan["w"], wrong=[0.0, uncut, also])


def test_an_escalation_comes_where_the_transfer_is_not_made():
    """Queue z: 4 in 10 of the half of x's calls not transferred, at 4 minutes."""
    busy, plan = both(ESCALATED)
    also = 120 * HOURS * 0.4 * 240  # escalated where transferred too
    assert_agrees("z's busy seconds", busy["z"], plan["z"], wrong=[also])


class TestConference:
    def test_the_next_agent_s_three_way_talk_is_at_the_first_agent_s_pace(self):
        """Queue y: its handle time, then 90 s of three-way talk at speed 0.5."""
        busy, plan = both(CONFERENCE)
        unpaced = 120 * HOURS * 0.25 * (120 + 90)
        assert_agrees("y's busy seconds", busy["y"], plan["y"], wrong=[unpaced])

    def test_the_first_agent_talks_three_way_too(self):
        """Queue x: its talk at speed 0.5, and the three-way talk of a quarter of its calls."""
        busy, plan = both(CONFERENCE)
        alone = 120 * HOURS * 240
        assert_agrees("x's busy seconds", busy["x"], plan["x"], wrong=[alone])


class TestRepeats:
    def test_unresolved_calls_come_back_as_load(self):
        """Queue a: its calls, then their repeats (each repeating again), less b's share."""
        busy, plan = both(REPEATS)
        without = planned(NO_REPEATS)["a"]
        # every repeat counted: none after the run's end, none switching to b
        q = 0.5 * 0.8
        every = without * (1 + q + q**2 + q**3)
        assert_agrees("a's busy seconds", busy["a"], plan["a"], wrong=[without, every])

    def test_repeats_switching_type_are_the_new_type_s_load(self):
        """Queue b: its calls and their one repeat, and a's repeats that switched to b."""
        busy, plan = both(REPEATS)
        without = planned(NO_REPEATS)["b"]
        own = planned({**REPEATS, "contact_types": {
            "a": NO_REPEATS["contact_types"]["a"], "b": REPEATS["contact_types"]["b"]}})["b"]
        assert_agrees("b's busy seconds", busy["b"], plan["b"], wrong=[without, own])


def test_a_handle_cap_cuts_the_talk_and_brings_calls_back():
    """Queue a: each talk cut at 3 minutes; the cut ones resolve half as often and repeat."""
    busy, plan = both(CAPPED)
    no_cap = planned({**CAPPED, "contact_types": {"a": {
        **CAPPED["contact_types"]["a"], "handle_cap": {"max": "1d", "resolution_factor": 0.5}}}})
    # the talk counted whole, the repeats of the cut calls counted: E[min(T, 180)] of the
    # lognormal (mu, sigma) is 240 Phi((ln 180 - mu - s^2) / s) + 180 (1 - Phi((ln 180 - mu) / s))
    sigma = np.sqrt(np.log(1 + 0.5**2))
    mu = np.log(240.0) - sigma**2 / 2
    cut = (240.0 * stats.norm.cdf((np.log(180.0) - mu - sigma**2) / sigma)
           + 180.0 * stats.norm.sf((np.log(180.0) - mu) / sigma))
    whole = plan["a"] * 240.0 / cut
    assert_agrees("a's busy seconds", busy["a"], plan["a"], wrong=[no_cap["a"], whole])


def test_calls_solved_in_the_menu_are_no_load():
    """Queue a: only the half of its calls the IVR does not solve, at 2 minutes each.

    Found by an outside check: before, the start counted every call (twice the load).
    """
    busy, plan = both(SELF_SERVED)
    every_call = 120 * HOURS * 120.0
    assert_agrees("a's busy seconds", busy["a"], plan["a"], wrong=[every_call])
