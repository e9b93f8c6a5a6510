"""The engine's work per contact does not grow with the agents or the skills (no timing).

Work is counted, not timed: the Python lines executed per contact of one replication
(``sys.settrace``: the engine, SimPy, numpy's Python layer), a deterministic count for a
given seed and library versions. A per-event scan over all agents or all queues would add
lines in proportion to them; the control tests inject such scans into the engine and check
that the bounds catch them. Coverage tools and debuggers use ``sys.settrace`` too, so the
tests skip under one.
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import simpy

from sim.engine import run_replication
from sim.floor import Floor
from sim.loader import scenario_from_dict
from sim.records import ANSWERED

AGENTS_BOUND = 1.25  # measured 1.04 from 42 to 1,000 agents (control with an agent scan: 7.5)
SKILLS_BOUND = 1.2  # measured 1.06 from 2 to 40 skills (control with a queue scan: 1.33)

pytestmark = pytest.mark.skipif(sys.gettrace() is not None,
                                reason="another tracer (coverage, a debugger) is active")


def center(agents: int, skills: int, minutes: int):
    """About 4,800 Erlang A calls at 95% load; each group takes its own type, then the next."""
    rate_per_h = 0.95 * agents / 240 * 3600
    types = [f"type{i}" for i in range(skills)]
    return scenario_from_dict({
        "name": f"{agents} agents, {skills} skills",
        "days": 1,
        "open": "00:00",
        "close": f"{minutes // 60:02d}:{minutes % 60:02d}",
        "interval": f"{minutes}m",
        "contact_types": {
            t: {"arrivals": {"rate": f"{rate_per_h / skills}/h"},
                "handle": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "3m"}}
            for t in types
        },
        "agents": {
            f"group{i}": {"skills": {t: 1} if skills == 1 else {t: 1, types[(i + 1) % skills]: 2},
                          "staff": agents // skills}
            for i, t in enumerate(types)
        },
    })


@contextmanager
def counting_lines() -> Iterator[list[int]]:
    """Count the Python lines executed (every frame) while inside the block."""
    count = [0]

    def local(frame, event, arg):
        if event == "line":
            count[0] += 1
        return local

    previous = sys.gettrace()
    sys.settrace(local)
    try:
        yield count
    finally:
        sys.settrace(previous)


def lines_per_contact(scenario) -> float:
    with counting_lines() as count:
        records = run_replication(scenario, seed=0)
    assert records.n > 4000
    return count[0] / records.n


def agents_ratio() -> float:
    return lines_per_contact(center(1000, 1, 20)) / lines_per_contact(center(42, 1, 480))


def skills_ratio() -> float:
    return lines_per_contact(center(400, 40, 50)) / lines_per_contact(center(400, 2, 50))


@pytest.fixture
def scan_agents(monkeypatch):
    """Make every pull of the next contact look at each agent on duty once."""
    pull = Floor._pull

    def scanning_pull(self, group, now):
        for g in self.groups:
            for _ in range(g.present):
                pass
        return pull(self, group, now)

    monkeypatch.setattr(Floor, "_pull", scanning_pull)


@pytest.fixture
def scan_queues(monkeypatch):
    """Make every pull of the next contact look at every contact type's queue."""
    pull = Floor._pull

    def scanning_pull(self, group, now):
        for ct in self.types:
            _ = ct.queue
        return pull(self, group, now)

    monkeypatch.setattr(Floor, "_pull", scanning_pull)


class TestWorkPerContact:
    def test_flat_from_42_to_1000_agents(self):
        """Work per contact grows far less than the agents (24x)."""
        assert agents_ratio() < AGENTS_BOUND

    def test_flat_from_2_to_40_skills(self):
        """Work per contact does not grow with the contact types and groups (20x)."""
        assert skills_ratio() < SKILLS_BOUND

    @pytest.mark.usefixtures("scan_agents")
    def test_a_scan_over_agents_would_be_caught(self):
        """Control: the same measure with an O(agents) scan per pull exceeds the bound."""
        assert agents_ratio() > AGENTS_BOUND

    @pytest.mark.usefixtures("scan_queues")
    def test_a_scan_over_queues_would_be_caught(self):
        """Control: the same measure with an O(queues) scan per pull exceeds the bound."""
        assert skills_ratio() > SKILLS_BOUND


class TestEventsPerCall:
    """A plain call costs two SimPy events (arrival, end of talk); one if it abandons."""

    @pytest.mark.parametrize("agents", [10, 420])
    def test_at_most_two_events_per_call(self, monkeypatch, agents):
        scheduled = [0]
        schedule = simpy.Environment.schedule

        def counting_schedule(self, event, priority=1, delay=0):
            scheduled[0] += 1
            return schedule(self, event, priority, delay)

        monkeypatch.setattr(simpy.Environment, "schedule", counting_schedule)
        # the engine's light ticks (sim/ticks.py) go on SimPy's queue by heapq.heappush,
        # looked up when a replication builds its scheduler; SimPy bound its own at import
        push = heapq.heappush

        def counting_push(heap, item):
            scheduled[0] += 1
            return push(heap, item)

        monkeypatch.setattr(heapq, "heappush", counting_push)
        records = run_replication(center(agents, 1, 480 if agents < 100 else 30), seed=0)
        answered = int((records.state == ANSWERED).sum())
        others = records.n - answered
        # the staffing process: its start and one timeout per day (a handful in all)
        assert scheduled[0] <= 2 * answered + others + 10
        # and no fewer: each end of talk is an event pushed on the heap (arrivals are
        # events too, but the stream's next one is held beside the heap, sim/ticks.py)
        assert scheduled[0] >= answered
