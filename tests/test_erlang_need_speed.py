"""The Erlang C need of agents who talk faster or slower than the drawn handle times.

A group's ``speed`` s makes each talk 1/s of the handle time drawn (the engine's
:meth:`sim.floor_state.GroupState.pace`), and leaves the wrap-up as drawn: the offered
load in agent time is handle / s + wrap-up. With ``speed_cv`` each agent's speed is s x a
factor of mean 1: the agents' capacities still average s, so the need uses handle / s
(exact while every agent stays busy; idle spells shared evenly would lengthen the mean
talk to handle / s x (1 + cv^2), so the need is a slight underestimate there). Both
needs, the report's (intervals.png) and ``ccsim staff``'s start, are checked against an
Erlang C computed here, and the need against the engine: at the need the simulated
service level reaches the target, one agent fewer it does not (4 standard errors of the
replications).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from oracle_stats import erlang_c_servers

import sim
from sim.loader import scenario_from_dict
from sim.plots.service import erlang_requirement as figure_need
from sim.staffing import Goal, erlang_requirement

RATE, HANDLE, WRAP, THRESHOLD, TARGET = 100 / 3600, 240.0, 30.0, 20.0, 0.8


def _calls(staff: int, channel: str = "phone", **group) -> sim.Scenario:
    """A day of 100 calls (or chats) an hour, 4-minute talks and 30 s of wrap-up."""
    return scenario_from_dict({
        "name": "speed", "days": 1, "open": "08:00", "close": "16:00", "interval": "1h",
        "service_level": {"threshold": THRESHOLD, "target": TARGET},
        "contact_types": {"calls": {"channel": channel, "arrivals": {"rate": "100/h"},
                                    "handle": {"dist": "exponential", "mean": HANDLE},
                                    "wrap_up": {"dist": "deterministic", "value": WRAP}}},
        "agents": {"team": {"skills": ["calls"], "staff": staff, **group}}})


def _both(scenario: sim.Scenario) -> tuple[list[float], list[int]]:
    return (figure_need(scenario).tolist(),
            erlang_requirement(scenario, Goal(TARGET, THRESHOLD))[0].tolist())


@pytest.mark.parametrize("speed", [0.8, 1.25, 2.0])
def test_need_counts_the_talk_at_the_groups_speed(speed):
    """Talk handle / speed, wrap-up as drawn (the need was that of speed 1 whatever the speed)."""
    need = erlang_c_servers(RATE, HANDLE / speed + WRAP, TARGET, THRESHOLD)
    assert _both(_calls(10, speed=speed)) == ([need] * 8, [need] * 8)


def test_a_chat_desk_at_its_speed():
    """Chat slots of handle x slowdown / speed, over the chats an agent takes."""
    desk = {"concurrency": 3, "concurrency_slowdown": 1.2, "speed": 1.5}
    slots = erlang_c_servers(RATE, HANDLE * 1.2 / 1.5 + WRAP, TARGET, THRESHOLD)
    assert _both(_calls(10, "chat", **desk)) == ([math.ceil(slots / 3)] * 8,) * 2


def test_spread_speeds_plan_on_the_mean_capacity():
    """speed_cv: the need of the group's speed (the approximation the docstring states)."""
    assert _both(_calls(10, speed=1.25, speed_cv=0.3)) == _both(_calls(10, speed=1.25))


@pytest.mark.parametrize(("speed", "cv"), [(0.8, 0.0), (1.25, 0.0), (1.25, 0.3)])
def test_the_engine_meets_the_target_at_the_need_not_below(speed, cv):
    """Simulated service level at the need >= target, one agent fewer < target (4 SE).

    Before, the need was 11 at any speed: 0.58 simulated at speed 0.8, and 0.91 at 10
    agents of speed 1.25, where 9 meet it. With spread speeds (cv 0.3) each replication
    draws its agents' speeds, so its spread is wider (SE ~0.03): only the need is judged.
    """
    group = {"speed": speed, "speed_cv": cv}
    need = int(figure_need(_calls(1, **group))[0])
    for staff, meets in ((need, True), (need - 1, False))[:1 if cv else 2]:
        levels = sim.run(_calls(staff, **group), seed=11,
                         replications=8).replications["service_level"]
        mean, se = levels.mean(), levels.std(ddof=1) / np.sqrt(levels.size)
        assert (mean + 4 * se >= TARGET) == meets, (speed, staff, mean, se)
