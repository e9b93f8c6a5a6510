"""``ccsim staff``'s Erlang C starting point for chat desks whose agents take several chats.

An agent of a group with ``concurrency`` c holds c chats at once, each taking its handle
time x ``concurrency_slowdown`` (the engine's chat slots): an Erlang C queue of c slots
per agent, as the report's need (tests/test_erlang_need_concurrency.py). The start is in
agents: the slots Erlang C needs, over c, rounded up. Checked against an Erlang C
computed here (tests/oracle_stats.py: the Erlang B recursion, written out).
"""

from __future__ import annotations

import math

import pytest
from oracle_stats import erlang_c_servers

from sim.loader import scenario_from_dict
from sim.staffing import Goal, erlang_requirement

RATE, HANDLE, SLOWDOWN, THRESHOLD, TARGET = 120 / 3600, 300.0, 1.2, 60.0, 0.8


def _chat(per_agent: int, **desk) -> object:
    """A day of 120 chats an hour, 5-minute chats, ``per_agent`` at once, 1.2x slower."""
    return scenario_from_dict({
        "name": "chat", "days": 1, "open": "08:00", "close": "12:00", "interval": "1h",
        "service_level": {"threshold": THRESHOLD, "target": TARGET},
        "contact_types": {"chat": {"channel": "chat", "arrivals": {"rate": "120/h"},
                                   "handle": {"dist": "exponential", "mean": HANDLE}}},
        "agents": {"desk": {"skills": ["chat"], "staff": 5, "concurrency": per_agent,
                            "concurrency_slowdown": SLOWDOWN, **desk}}})


@pytest.mark.parametrize("per_agent", [2, 3, 5])
def test_start_is_slots_over_concurrency(per_agent):
    """The start was one chat per agent at the plain handle time: 13 agents where 5 do (c=3)."""
    start = erlang_requirement(_chat(per_agent), Goal(TARGET, THRESHOLD))
    slots = erlang_c_servers(RATE, HANDLE * SLOWDOWN, TARGET, THRESHOLD)
    assert start.tolist() == [[math.ceil(slots / per_agent)] * 4]


def test_one_chat_at_a_time_is_plain_erlang_c():
    """Concurrency 1 (its slowdown unused, as the engine): the plain Erlang C start."""
    start = erlang_requirement(_chat(1), Goal(TARGET, THRESHOLD))
    assert start.tolist() == [[erlang_c_servers(RATE, HANDLE, TARGET, THRESHOLD)] * 4]


def test_the_report_and_the_start_agree():
    """One rule for both: intervals.png's need equals the staffing start (one group)."""
    from sim.plots.service import erlang_requirement as figure_need

    scenario = _chat(3)
    assert (figure_need(scenario) == erlang_requirement(scenario, Goal(TARGET, THRESHOLD))[0]).all()
