"""Memory benchmark: peak resident memory of 10 million recorded contacts.

One replication of a big constant-rate Erlang A center through :func:`sim.run`, so that
everything a user gets exists at once: the engine's columns, the contacts table and every
KPI, then the issues table, which is made when first read (since 2026-12-03). The center
is ``scenarios/erlang_a.yaml`` scaled up: 1,000 agents and an arrival rate that brings
about ``--contacts`` calls over ``--days`` days (at the default, 13,889 calls/h: 926
Erlangs, 93% load), mean handle time 4 min, mean patience 3 min.

Prints the peak RSS of the process (``resource.getrusage``: the high-water mark, so
nothing in between is missed) against the 4 GiB goal, and the bytes per contact: peak RSS
minus the RSS after imports, divided by the contacts. Takes a minute or two; the process
exits with status 1 if the peak is over the limit.

Usage: python benchmarks/bench_memory.py [--contacts 10000000] [--days 30]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import sim

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "erlang_a.yaml"
LIMIT_GIB = 4.0


def rss_bytes() -> int:
    """Resident memory now (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def peak_rss_bytes() -> int:
    """Peak resident memory of this process so far (Linux: ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Peak memory of one replication with 10 million recorded contacts "
                    "(sim.run: engine, contacts table and KPIs).")
    parser.add_argument("--contacts", type=int, default=10_000_000,
                        help="about this many contacts (default 10000000)")
    parser.add_argument("--days", type=int, default=30,
                        help="days they arrive over, at a constant rate (default 30)")
    parser.add_argument("--agents", type=int, default=1000,
                        help="agents on duty around the clock (default 1000)")
    args = parser.parse_args()
    rate_per_h = args.contacts / (args.days * 24)
    scenario = sim.load_scenario(SCENARIO, overrides={
        "days": args.days,
        "agents.pool.staff": args.agents,
        "contact_types.calls.arrivals.rate": f"{rate_per_h:.3f}/h",
        "name": f"Erlang A, {args.agents} agents, {rate_per_h:,.0f} calls/h",
    })
    before = rss_bytes()
    start = time.perf_counter()
    result = sim.run(scenario, seed=1, replications=1)
    seconds = time.perf_counter() - start
    run_peak = peak_rss_bytes()
    issues = len(result.issues)  # made now, from the contacts: what a user reading it gets
    peak = peak_rss_bytes()
    n = len(result.contacts)
    table = int(result.contacts.memory_usage(deep=True).sum())
    print(f"scenario: {scenario.name}, {args.days} days: {n:,} contacts in {seconds:.0f} s "
          f"({n / seconds:,.0f} contacts/s, sim.run end to end)")
    print(f"RSS after imports {before / 2**20:,.0f} MiB; peak RSS {peak / 2**30:.2f} GiB "
          f"(limit {LIMIT_GIB:g} GiB: {'met' if peak < LIMIT_GIB * 2**30 else 'NOT met'})")
    print(f"peak RSS of sim.run itself {run_peak / 2**30:.2f} GiB; with the issues table "
          f"({issues:,} issues) read after it, {peak / 2**30:.2f} GiB")
    print(f"bytes per contact: {(peak - before) / n:.0f} at the peak; the contacts table "
          f"itself {table / n:.0f} ({len(result.contacts.columns)} columns)")
    print(f"KPIs: abandon_rate {result.summary['abandon_rate']:.4f}, "
          f"service_level {result.summary['service_level']:.4f}, "
          f"occupancy {result.summary['occupancy']:.4f}")
    return 0 if peak < LIMIT_GIB * 2**30 else 1


if __name__ == "__main__":
    sys.exit(main())
