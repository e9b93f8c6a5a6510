"""Scaling benchmark: engine cost per call as centers grow in agents and in skills.

Every center is Erlang-A-like: exponential handle times (mean 4 min) and patience (mean
3 min), arrivals scaled to keep the load at 95% of the agents, run for about ``--calls``
calls in one replication of :func:`sim.run_replication` (opening hours and days chosen
to get there). Two series:

- **agents**: one contact type and one group of 10, 42, 420 and 1,000 agents;
- **skills**: 420 agents split into 1, 3 and 10 groups over as many contact types, each
  group answering its own type first and the next type second (``{own: 1, next: 2}``),
  so every contact type has two groups that may answer it.

With no per-event scan over all agents or all queues, the cost per *event* stays flat
(the SimPy event heap grows with the agents: a logarithmic cost), and a call costs two
events (its arrival and the end of its talk; one for a caller who abandons) whether it
finds an agent idle or waits, so the cost per call stays flat too. The table shows both
(``P(wait)``: at the same 95% load a big center makes fewer callers wait). For
information, one center with journeys: ``scenarios/refund_vs_relations.yaml`` (IVR,
misroutes, transfers, repeat calls) run for enough days.

Timings are CPU seconds of this process (single-threaded: equal to wall time on an idle
machine, and less disturbed by other jobs on a shared one), best of ``--repeat``.

Usage: python benchmarks/bench_scaling.py [--calls 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import sim
from sim.engine import _Replication, draw_contacts

ROOT = Path(__file__).resolve().parents[1]
AHT, PATIENCE, LOAD = 240.0, 180.0, 0.95


def center(agents: int, skills: int, calls: int) -> sim.Scenario:
    """An Erlang-A-like center with ``agents`` split into ``skills`` groups and types."""
    rate_per_h = LOAD * agents / AHT * 3600  # all types together
    hours = calls / rate_per_h
    days = max(1, math.ceil(hours / 24))
    per_day = min(24, max(1, round(hours / days)))
    types = [f"type{i}" for i in range(skills)]
    contact_types = {
        t: {"arrivals": {"rate": f"{rate_per_h / skills:.6f}/h"},
            "handle": {"dist": "exponential", "mean": AHT},
            "patience": {"dist": "exponential", "mean": PATIENCE}}
        for t in types
    }
    groups = {}
    for i, t in enumerate(types):
        own_first = {t: 1} if skills == 1 else {t: 1, types[(i + 1) % skills]: 2}
        groups[f"group{i}"] = {"skills": own_first, "staff": agents // skills}
    return sim.scenario_from_dict({
        "name": f"{agents} agents, {skills} skills",
        "days": days,
        "open": "00:00",
        "close": "24:00" if per_day == 24 else f"{per_day:02d}:00",
        "interval": "1h",
        "contact_types": contact_types,
        "agents": groups,
    })


def journeys(calls: int) -> sim.Scenario:
    """The airline with a confusing IVR, for enough days to reach about ``calls`` contacts."""
    path = ROOT / "scenarios" / "refund_vs_relations.yaml"
    one_day = sim.run_replication(sim.load_scenario(path, overrides={"days": 5}), 0).n / 5
    return sim.load_scenario(path, overrides={"days": max(5, round(calls / one_day))})


def speed(scenario: sim.Scenario, repeat: int) -> tuple[int, float]:
    """Contacts of replication 0 and the best CPU seconds of ``run_replication`` on it."""
    best = math.inf
    for _ in range(repeat):
        start = time.process_time()
        n = sim.run_replication(scenario, seed=0).n
        best = min(best, time.process_time() - start)
    return n, best


def events(scenario: sim.Scenario) -> int:
    """SimPy events scheduled in replication 0 (an untimed run, as ``run_replication``).

    Reads SimPy's private event-id counter: there is no public one.
    """
    replication = _Replication(scenario, draw_contacts(scenario, 0, 0), 0, 0, None)
    replication.run()
    return next(replication.env._eid)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Engine calls/s for 10, 42, 420 and 1,000 agents and for 1, 3 and 10 skills "
                    "(cost per call should stay flat).")
    parser.add_argument("--calls", type=int, default=200_000,
                        help="about this many calls per replication (default 200000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="timed repetitions per center, best kept (default 3)")
    args = parser.parse_args()
    sim.run_replication(center(42, 1, 10_000), 0)  # warm imports and caches

    cases = [("agents", 10, 1), ("agents", 42, 1), ("agents", 420, 1), ("agents", 1000, 1),
             ("skills", 420, 1), ("skills", 420, 3), ("skills", 420, 10)]
    print(f"Erlang-A-like centers at {LOAD:.0%} load, about {args.calls:,} calls each; "
          f"CPU time, best of {args.repeat}")
    print(f"{'series':8s}{'agents':>7s}{'skills':>7s}{'calls':>10s}{'P(wait)':>9s}"
          f"{'calls/s':>10s}{'µs/call':>9s}{'vs first':>9s}{'events/call':>12s}"
          f"{'µs/event':>9s}")
    first: dict[str, float] = {}
    for series, agents, skills in cases:
        scenario = center(agents, skills, args.calls)
        n, seconds = speed(scenario, args.repeat)
        waited = float((sim.run_replication(scenario, seed=0).wait > 0).mean())
        per_call, per_event = seconds / n * 1e6, events(scenario) / n
        first.setdefault(series, per_call)
        print(f"{series:8s}{agents:7d}{skills:7d}{n:10,d}{waited:9.3f}{n / seconds:10,.0f}"
              f"{per_call:9.2f}{per_call / first[series]:8.2f}x{per_event:12.2f}"
              f"{per_call / per_event:9.2f}")
    scenario = journeys(args.calls)
    n, seconds = speed(scenario, args.repeat)
    print(f"journeys: {scenario.name} ({scenario.days} days): {n:,} contacts, "
          f"{n / seconds:,.0f} contacts/s, {seconds / n * 1e6:.2f} µs/contact")


if __name__ == "__main__":
    main()
