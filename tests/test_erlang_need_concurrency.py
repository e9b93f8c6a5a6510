"""The report's Erlang C need (intervals.png) for chat desks whose agents take several chats.

An agent of a group with ``concurrency`` c holds c chats at once, each taking its handle
time x ``concurrency_slowdown`` (the engine's chat slots): an Erlang C queue of c slots
per agent. The need drawn against the agents on duty is in agents: the slots Erlang C
needs, over c. Checked against an Erlang C computed in tests/oracle_stats.py and against
the engine itself: at the need the simulated service level meets the target, one agent
fewer it does not (each within 4 standard errors of the replications).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from oracle_stats import erlang_c_servers

import sim
from sim.loader import scenario_from_dict
from sim.plots.service import erlang_requirement

RATE, HANDLE, SLOWDOWN, PER_AGENT, THRESHOLD, TARGET = 120 / 3600, 300.0, 1.2, 3, 60.0, 0.8


def _chat(staff: int, **desk) -> sim.Scenario:
    """A day of 120 chats an hour, 5-minute chats, 3 at once per agent, 1.2x slower."""
    return scenario_from_dict({
        "name": "chat", "days": 1, "open": "08:00", "close": "16:00", "interval": "1h",
        "service_level": {"threshold": THRESHOLD, "target": TARGET},
        "contact_types": {"chat": {"channel": "chat", "arrivals": {"rate": "120/h"},
                                   "handle": {"dist": "exponential", "mean": HANDLE}}},
        "agents": {"desk": {"skills": ["chat"], "staff": staff, "concurrency": PER_AGENT,
                            "concurrency_slowdown": SLOWDOWN, **desk}}})


def _slots_needed(aht: float) -> int:
    return erlang_c_servers(RATE, aht, TARGET, THRESHOLD)


def test_need_is_slots_over_concurrency():
    """Chat slots Erlang C needs for chats of handle x slowdown, over the chats per agent.

    It was the need of one chat per agent at the plain handle time: 13 agents where 5
    (15 chat slots) do.
    """
    need = erlang_requirement(_chat(5))
    assert need.tolist() == [math.ceil(_slots_needed(HANDLE * SLOWDOWN) / PER_AGENT)] * 8
    assert need[0] == 5


def test_one_chat_at_a_time_is_unchanged():
    """Concurrency 1 (its slowdown unused, as the engine): the plain Erlang C need."""
    need = erlang_requirement(_chat(5, concurrency=1))
    assert need.tolist() == [_slots_needed(HANDLE)] * 8


def test_the_engine_meets_the_target_at_the_need_not_below():
    """Simulated service level at the need >= target, one agent fewer < target (4 SE)."""
    need = int(erlang_requirement(_chat(5))[0])
    for staff, meets in ((need, True), (need - 1, False)):
        levels = sim.run(_chat(staff), seed=7, replications=8).replications["service_level"]
        mean, se = levels.mean(), levels.std(ddof=1) / np.sqrt(levels.size)
        if meets:
            assert mean + 4 * se >= TARGET, (staff, mean, se)
        else:
            assert mean + 4 * se < TARGET, (staff, mean, se)


@pytest.mark.parametrize("per_agent", [2, 4])
def test_a_pool_of_desks_takes_the_fewest_chats_per_agent(per_agent):
    """Two desks that take chats first-come: the need in agents of the smaller concurrency."""
    data = _chat(5).model_dump(mode="json")
    data["agents"]["second"] = {**data["agents"]["desk"], "concurrency": per_agent}
    need = erlang_requirement(scenario_from_dict(data))
    fewest = min(PER_AGENT, per_agent)
    assert need[0] == math.ceil(_slots_needed(HANDLE * SLOWDOWN) / fewest)
