"""Two groups sharing work, and a blended backlog, against exact Markov chains.

- A group that helps another (:class:`markov_floor.HelpingGroups`): ``ga`` (2 agents)
  answers A; ``gb`` (2 agents, speed 1.5: talk = handle / 1.5) answers B first and A
  second, routed to A with ``after: 0`` (at once). An arriving contact goes to the agent
  idle longest among the groups that may answer it, so the chain keeps the order in
  which agents went idle. Checked: each type's mean wait and abandonment, the share of
  A answered by ``gb``, each group's occupancy; against the wrong models of routing A to
  ``ga`` first whenever it has an idle agent, and of ``gb`` at speed 1.
- Blending (:class:`markov_floor.Blended`): 5 agents take calls (patience) first and an
  email backlog (no patience) only while 1 other agent stays idle. Checked: the calls'
  mean wait, abandonment and service level, the emails' mean wait and occupancy;
  against a reserve one lower (the agent who takes an email counted among the idle it
  must leave). A reserve one higher moves the calls' KPIs less than the noise here.

Each center runs 20 replications of 2 days after a warm-up (the blend: with a day's
cooldown, so that every measured email is answered); tolerances are those of
``tests/test_theory.py`` (3 Student-t 95% half-widths over the replications, not tuned),
each shown to tell the chain from the wrong ones.
"""

import functools

import numpy as np
import pytest
from helpers import assert_agrees
from markov_floor import Blended, HelpingGroups

import sim

RATES, HANDLE, PATIENCE, AGENTS, SPEED = (40 / 3600, 20 / 3600), (180.0, 240.0), (300.0, 300.0), \
    (2, 2), 1.5


@functools.cache
def helping():
    """(the run, the chain, the wrong chains: group order first, gb at speed 1)."""
    types = {t: {"arrivals": {"rate": f"{RATES[i] * 3600:g}/h"},
                 "handle": {"dist": "exponential", "mean": HANDLE[i]},
                 "patience": {"dist": "exponential", "mean": PATIENCE[i]}}
             for i, t in enumerate("AB")}
    result = sim.run(sim.scenario_from_dict({
        "name": "helping", "days": 2, "interval": "1h", "warmup": "2h", "contact_types": types,
        "agents": {"ga": {"skills": ["A"], "staff": AGENTS[0]},
                   "gb": {"skills": {"B": 1, "A": 2}, "staff": AGENTS[1], "speed": SPEED}},
        "routing": {"A": ["ga", {"group": "gb", "after": 0}], "B": ["gb"]}}),
        seed=42, replications=20)
    right = HelpingGroups(RATES, HANDLE, PATIENCE, AGENTS, (1.0, SPEED)).solve()
    assert right.cut < 1e-9
    wrong = (HelpingGroups(RATES, HANDLE, PATIENCE, AGENTS, (1.0, SPEED), group_order=True)
             .solve(), HelpingGroups(RATES, HANDLE, PATIENCE, AGENTS).solve())
    return result, right, wrong


@pytest.mark.parametrize("kpi", ["mean_wait", "abandon_rate"])
@pytest.mark.parametrize("name", ["A", "B"])
def test_helping_group_waits(name, kpi):
    """Each type's mean wait and abandonment; not with gb at speed 1."""
    result, right, (_, slow) = helping()
    values = [m["by_type"][name][kpi] for m in result.replication_measures]
    assert_agrees(f"{name} {kpi}", values, getattr(right, kpi)[name],
                  wrong=[getattr(slow, kpi)[name]])


def test_share_answered_by_the_helping_group():
    """A answered by gb / A answered: the longest idle agent of either group, not ga first."""
    result, right, (first, slow) = helping()
    contacts = result.contacts
    a = contacts[(contacts["arrival"] >= 7200) & (contacts["contact_type"] == "A")
                 & contacts["answered"]]
    shares = a.groupby("replication")["group"].apply(lambda g: (g == "gb").mean())
    assert_agrees("share of A answered by gb", shares.to_numpy(), right.helped,
                  wrong=[first.helped, slow.helped])


@pytest.mark.parametrize("group", ["ga", "gb"])
def test_helping_group_occupancy(group):
    """Each group's busy agents / agents; not ga first, nor gb at speed 1."""
    result, right, wrong = helping()
    table = result.by_group_replications
    assert_agrees(f"{group} occupancy", table[table["group"] == group]["occupancy"].to_numpy(),
                  right.occupancy[group], wrong=[w.occupancy[group] for w in wrong])


CALLS, EMAILS, CALL_PATIENCE, STAFF, RESERVE = (180.0, 60 / 3600), (240.0, 15 / 3600), 120.0, 5, 1


def blend_chain(reserve: int):
    return Blended(CALLS, EMAILS, CALL_PATIENCE, STAFF, reserve, max_calls=25,
                   max_backlog=60).solve(20.0)


@functools.cache
def blended():
    """(the run, the chain, the chain of a reserve one lower)."""
    types = {"calls": {"arrivals": {"rate": f"{CALLS[1] * 3600:g}/h"},
                       "handle": {"dist": "exponential", "mean": CALLS[0]},
                       "patience": {"dist": "exponential", "mean": CALL_PATIENCE}},
             "email": {"channel": "email", "arrivals": {"rate": f"{EMAILS[1] * 3600:g}/h"},
                       "handle": {"dist": "exponential", "mean": EMAILS[0]}}}
    result = sim.run(sim.scenario_from_dict({
        "name": "blended", "days": 2, "interval": "1h", "warmup": "4h", "cooldown": "1d",
        "service_level": {"threshold": 20, "target": 0.8}, "contact_types": types,
        "agents": {"pool": {"skills": ["calls", "email"], "staff": STAFF,
                            "blending": {"backlog": ["email"], "reserve": RESERVE}}}}),
        seed=43, replications=20)
    right = blend_chain(RESERVE)
    assert right.cut < 1e-9
    return result, right, blend_chain(RESERVE - 1)


@pytest.mark.parametrize(("name", "kpi", "field"), [
    ("calls", "mean_wait", "call_wait"), ("calls", "abandon_rate", "call_abandon"),
    ("calls", "service_level", "call_level"), ("email", "mean_wait", "backlog_wait")])
def test_blended_kpis(name, kpi, field):
    """Calls' waits and service level and emails' waits: the chain's, not a reserve lower."""
    result, right, wrong = blended()
    values = [m["by_type"][name][kpi] for m in result.replication_measures]
    assert_agrees(f"{name} {kpi}", values, getattr(right, field), wrong=[getattr(wrong, field)])


def test_blended_occupancy():
    """Busy agents / agents (calls and emails): the chain's."""
    result, right, _ = blended()
    assert_agrees("occupancy", result.replications["occupancy"].to_numpy(), right.occupancy)
    assert np.all(result.replications["unanswered"] == 0)  # every email answered
