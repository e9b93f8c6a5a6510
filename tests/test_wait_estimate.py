"""The expected-wait estimate (callback offers, ``expected_wait`` announcements) and overflow.

The estimate counts the agents who may answer the caller within it: the groups that may
answer at once from the start, and an overflow group from its delay on
(:meth:`sim.floor_state.QueueState.expected_wait`).

- Exact values of the estimate on hand-made floors, worked out in the docstrings.
- Parity: an overflow group after 1 ms answers as one listed without a delay does (a
  caller it would take waits 1 ms more, and hears about 1 ms if one of its agents is
  idle: it would have been answered at once), so the callback share and the balk rate must
  agree between the two routings, within 4 standard errors of their difference over
  replications. The estimate that left overflow groups out (half the agents here) offered
  a callback to almost every caller who waited, and that must be told apart.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.floor_state import GroupState, QueueState


def floor(immediate: list[int], overflow: list[tuple[float, int]], idle: int = 0) -> QueueState:
    """A queue whose groups have the given agents on duty (overflow: ``(after, agents)``).

    ``idle``: of those, idle in each overflow group.
    """
    ct = QueueState()
    for i, present in enumerate(immediate):
        ct.immediate.append(GroupState(i))
        ct.immediate[-1].present = present
    for after, present in overflow:
        group = GroupState(len(ct.immediate) + len(ct.overflow))
        group.present = present
        group.idle.extend((0.0, agent) for agent in range(idle))
        ct.overflow.append((after, group))
    return ct


class TestExpectedWait:
    def test_immediate_groups_share_the_work(self):
        """3 ahead + this one x 60 s over 2 + 2 agents: 60 s."""
        assert floor([2, 2], []).expected_wait(3, 60.0) == 60.0

    def test_overflow_group_counts_from_its_delay(self):
        """2 agents from 0, 2 more from 60 s: 4 x 60 s of work, 60 + 30 = 90 s.

        120 agent-s done by 60 s, the other 120 over 4 agents.
        """
        assert floor([2], [(60.0, 2)]).expected_wait(3, 60.0) == 90.0

    def test_idle_overflow_agent_takes_a_caller_at_its_delay(self):
        """As above, but 1 of the 2 is idle: 60 + 15 = 75 s.

        120 agent-s done by 60 s and 60 s taken at once then, the other 60 over 4 agents.
        """
        assert floor([2], [(60.0, 2)], idle=1).expected_wait(3, 60.0) == 75.0

    def test_idle_overflow_agent_for_the_next_caller(self):
        """Nobody ahead, an overflow agent idle: the wait is the delay, 20 s."""
        assert floor([2], [(20.0, 2)], idle=1).expected_wait(0, 60.0) == 20.0

    def test_overflow_group_too_late_does_not_count(self):
        """The same work done by the 2 immediate agents in 120 s, before 200 s."""
        assert floor([2], [(200.0, 2)]).expected_wait(3, 60.0) == 120.0

    def test_overflow_groups_in_order_of_delay(self):
        """1 agent from 0, +1 from 30 s, +2 from 50 s (listed last-first): 107.5 s.

        300 agent-s: 30 done by 30 s, 40 more by 50 s, the 230 left over 4 agents, 57.5 s.
        """
        got = floor([1], [(50.0, 2), (30.0, 1)]).expected_wait(4, 60.0)
        assert got == pytest.approx(107.5, rel=1e-12)

    def test_only_overflow_agents(self):
        """Nobody answers at once: 2 agents from 20 s, 120 agent-s: 20 + 60 = 80 s."""
        assert floor([0], [(20.0, 2)]).expected_wait(1, 60.0) == 80.0

    def test_nobody_on_duty_counts_one_agent(self):
        """No agent anywhere: the work as if one agent did it (not an infinite wait)."""
        assert floor([0], [(20.0, 0)]).expected_wait(1, 60.0) == 120.0

    def test_continuous_in_the_delay(self):
        """A delay of 0 and of a microsecond give (almost) the same estimate."""
        now = floor([3], [(0.0, 3)]).expected_wait(5, 240.0)
        soon = floor([3], [(1e-6, 3)]).expected_wait(5, 240.0)
        assert now == pytest.approx(soon, abs=1e-5)

    def test_agents_count_at_their_pace(self):
        """2 agents at speed 2 count as 3, 1 at slowdown 2 from 60 s as 0.6: 76.67 s.

        Talk 40 s + wrap-up 20 s: 40 s a contact at speed 2, 100 s at slowdown 2. 4 x 60 s
        = 240 agent-s, 180 done by 60 s, the other 60 over 3.6: 60 + 16.67 s.
        """
        fast = floor([2], [(60.0, 1)])
        fast.immediate[0].slowdown = 0.5
        fast.overflow[0][1].slowdown = 2.0
        assert fast.expected_wait(3, 60.0, 40.0) == pytest.approx(60.0 + 60.0 / 3.6, rel=1e-12)
        assert fast.expected_wait(3, 60.0) == 100.0  # (no talk given: every agent as one)


RATE, AHT, PATIENCE = 80, 240.0, 300.0  # per hour; 3 + 3 agents


def center(after: float, offer: dict) -> sim.Scenario:
    """Calls answered by ``front`` at once and by ``back`` after ``after``."""
    return sim.scenario_from_dict({
        "name": "estimate", "days": 3, "open": "08:00", "close": "16:00", "interval": "1h",
        "contact_types": {"calls": {
            "arrivals": {"rate": f"{RATE}/h"}, "handle": {"dist": "exponential", "mean": AHT},
            "patience": {"dist": "exponential", "mean": PATIENCE}, **offer}},
        "agents": {"front": {"skills": ["calls"], "staff": 3},
                   "back": {"skills": ["calls"], "staff": 3}},
        "routing": {"calls": ["front", {"group": "back", "after": after}]}})


REPLICATIONS = 12


def assert_same(kpi: str, offer: dict) -> None:
    """``kpi`` with ``back`` after 0 s and after 1 ms: within 4 standard errors."""
    now, soon = (sim.run(center(after, offer), seed=11, replications=REPLICATIONS)
                 .replications[kpi].to_numpy() for after in (0.0, 0.001))
    se = math.sqrt(np.var(now, ddof=1) / len(now) + np.var(soon, ddof=1) / len(soon))
    assert now.mean() > 0.02, f"{kpi}: too few to compare ({now.mean():.4f})"
    assert abs(now.mean() - soon.mean()) <= 4 * se, (
        f"{kpi}: after 0 s {now.mean():.4f}, after 1 ms {soon.mean():.4f} (4 se {4 * se:.4f})")


class TestOverflowParity:
    def test_callback_share(self):
        """Offered over 60 s of expected wait, half accept."""
        assert_same("callback_rate", {"callback": {"threshold": "60s", "accept": 0.5}})

    def test_balk_rate(self):
        """Told the expected wait, 0.3 chance to leave per announced minute."""
        assert_same("balk_rate", {"balking": {"announce": "expected_wait",
                                              "per_minute": 0.3}})
