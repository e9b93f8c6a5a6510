"""The expected wait a callback offer and a balking announcement use, at the agents' pace.

The estimate (README, "Callbacks" and "Balking") is the callers still waiting ahead plus
this one, times an agent's time per contact, over the agents on duty: with every agent
busy and nobody hanging up, exactly Erlang C's mean wait of a caller with ``n`` ahead,
(n + 1) / (c mu), where mu is the rate at which an agent finishes contacts as the run
serves them. An agent at ``speed`` s talks handle / s; a chat desk's agent holds
``concurrency`` chats (slots), each ``concurrency_slowdown`` times its handle time. Two
centers, each served at 240 s a contact on 3 agents (or slots) whose drawn handle time
is not 240 s:

- calls, 3 agents at speed 2 (handle 480 s): callback offers when the estimate is over
  100 s, taken with chance 0.5;
- chats, one agent holding 3 at once at slowdown 2 (handle 120 s): balking on the
  announced expected wait, 0.15 a minute.

The chain (:class:`markov.CallCenter`, no ccsim code) is the M/M/3+M center at 240 s with
the offer or balk decided on (n + 1) x 240 s / 3; the wrong model decides on the drawn
handle time instead ((n + 1) x 480 / 3: offered with nobody ahead; (n + 1) x 120 / 3:
balking a third as often). 20 replications of 2 days after 2 hours; tolerances those of
``tests/test_theory.py`` (3 Student-t 95% half-widths, not tuned).
"""

import functools

import pytest
from helpers import assert_agrees
from markov import CallCenter

import sim

SLOTS, SERVED, PATIENCE, RATE, THRESHOLD = 3, 240.0, 60.0, 36 / 3600, 100.0
ACCEPT, PER_MINUTE = 0.5, 0.15
CENTERS = {  # drawn handle time, and the group
    "speed": (480.0, {"staff": 3, "speed": 2.0}),
    "chat": (120.0, {"staff": 1, "concurrency": 3, "concurrency_slowdown": 2.0}),
}


def scenario(center: str) -> sim.Scenario:
    handle, group = CENTERS[center]
    calls = {"arrivals": {"rate": f"{RATE * 3600:g}/h"},
             "handle": {"dist": "exponential", "mean": handle},
             "patience": {"dist": "exponential", "mean": PATIENCE}}
    if center == "chat":
        calls |= {"channel": "chat",
                  "balking": {"announce": "expected_wait", "per_minute": PER_MINUTE}}
    else:
        calls["callback"] = {"threshold": THRESHOLD, "accept": ACCEPT}
    return sim.scenario_from_dict({
        "name": center, "days": 2, "interval": "1h", "warmup": "2h",
        "service_level": {"threshold": 20, "target": 0.8}, "contact_types": {"calls": calls},
        "agents": {"desk": {"skills": ["calls"], **group}}})


def chain(center: str, agent_time: float):
    """The center served at 240 s a contact, deciding on (n + 1) x ``agent_time`` / 3."""
    def estimate(ahead: int) -> float:
        return (ahead + 1) * agent_time / SLOTS

    if center == "chat":
        return CallCenter(RATE, SERVED, SLOTS, PATIENCE, max_queue=30,
                          balk=lambda n: min(1.0, PER_MINUTE * estimate(n) / 60.0))
    return CallCenter(RATE, SERVED, SLOTS, PATIENCE, accept=ACCEPT, max_queue=12,
                      offer=lambda n: estimate(n) > THRESHOLD)


@functools.cache
def case(center: str):
    """(KPIs per replication, the chain's KPIs, the drawn-handle chain's)."""
    table = sim.run(scenario(center), seed=44, replications=20).replications
    right, wrong = (chain(center, t).solve(20.0) for t in (SERVED, CENTERS[center][0]))
    assert right.cut < 1e-5, "the chain's queue is cut too short to be exact here"
    return table, right, wrong


@pytest.mark.parametrize(("center", "kpi"), [("speed", "callback_rate"), ("speed", "mean_wait"),
                                             ("chat", "balk_rate"), ("chat", "mean_wait")])
def test_decisions_on_the_served_time(center, kpi):
    """Callback offers and balking decide on the time as served, not the drawn handle."""
    table, right, wrong = case(center)
    assert_agrees(f"{center} {kpi}", table[kpi].to_numpy(), getattr(right, kpi),
                  wrong=[getattr(wrong, kpi)])
