"""Sweep benchmark: wall time of a 100-point x 10-replication sweep, 1 and 2 local workers.

The Erlang A scenario (one day, about 14,400 calls per replication) over a 10 x 10 grid:
staff 36..45 agents x mean patience 1..10 minutes, 10 replications per point, i.e. 1,000
work units, written to a resumable store in a temporary folder (as ``ccsim sweep``
does). Prints the wall time with 1 worker (in this process, no pool) and with 2 local
worker processes (their start-up included), the speed-up, and checks that both tables
are identical. CPU seconds (this process and its workers) show how much of any shortfall
from 2x is parallel overhead and how much is cores taken by other work on the machine.

Usage: python benchmarks/bench_sweep.py [--points-per-axis 10] [--replications 10]
       [--repeat 1]   (best wall time of that many runs per worker count)
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

import sim
from sim.sweep import run_sweep

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "erlang_a.yaml"


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished workers."""
    own, workers = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def timed_sweep(scenario: sim.Scenario, grid: dict, replications: int,
                workers: int) -> tuple[float, float, pd.DataFrame]:
    """Wall time, CPU time (seconds) and table of one sweep into a fresh store."""
    with tempfile.TemporaryDirectory() as out:
        cpu, start = cpu_seconds(), time.perf_counter()
        result = run_sweep(scenario, grid, replications, workers=workers, out=out)
        return time.perf_counter() - start, cpu_seconds() - cpu, result.table


def best_of(repeat: int, *args) -> tuple[float, float, pd.DataFrame]:
    """The run with the shortest wall time out of ``repeat``."""
    return min((timed_sweep(*args) for _ in range(repeat)), key=lambda run: run[0])


def main() -> None:
    parser = argparse.ArgumentParser(description="ccsim sweep benchmark (Erlang A scenario)")
    parser.add_argument("--points-per-axis", type=int, default=10, help="values per parameter")
    parser.add_argument("--replications", type=int, default=10, help="replications per point")
    parser.add_argument("--repeat", type=int, default=1, help="runs per worker count (best kept)")
    args = parser.parse_args()
    n = args.points_per_axis
    grid = {"agents.pool.staff": list(range(36, 36 + n)),
            "contact_types.calls.patience.mean": [f"{m}m" for m in range(1, n + 1)]}
    scenario = sim.load_scenario(SCENARIO, overrides={"days": 1})
    units = n * n * args.replications
    print(f"scenario: {scenario.name}, 1 day; {n * n} points x {args.replications} "
          f"replications = {units:,} units; {os.cpu_count()} cores")
    one, cpu_one, table_one = best_of(args.repeat, scenario, grid, args.replications, 1)
    print(f"1 worker:  {one:6.1f} s  ({units / one:,.1f} units/s, {cpu_one:.1f} CPU s)")
    two, cpu_two, table_two = best_of(args.repeat, scenario, grid, args.replications, 2)
    print(f"2 workers: {two:6.1f} s  ({units / two:,.1f} units/s, {cpu_two:.1f} CPU s)")
    pd.testing.assert_frame_equal(table_one, table_two)
    print(f"speed-up 1 -> 2 workers: {one / two:.2f}x (tables identical)")


if __name__ == "__main__":
    main()
