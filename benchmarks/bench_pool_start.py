"""What starting worker processes costs a script: ``sim.run(..., workers=2)``, call after call.

A script or a notebook that calls ``sim.run(..., workers=N)`` gets a new pool of local
worker processes at every call (the command line forks its own: ``bench_workers.py``).
Timed here, in this one process as a user's script would: ``--calls`` calls of
``sim.run`` of a small job (``--replications`` replications of one day of
``small_bank``, a tenth of a second of simulation) on ``--workers`` processes, each beside
the same call in this process (``workers=1``, alternated); the difference is what
starting the pool and sending the work costs. Prints the first call (which also starts
whatever the pool needs once per process) and the median of the later ones, wall clock.

Usage: python benchmarks/bench_pool_start.py [--calls 5] [--workers 2] [--replications 4]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from machine import describe

import sim

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "small_bank.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description="cost of starting worker pools from a script")
    parser.add_argument("--calls", type=int, default=5, help="calls of sim.run of each kind")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--replications", type=int, default=4, help="replications a call")
    args = parser.parse_args()
    print(describe())
    scenario = sim.load_scenario(SCENARIO, overrides={"days": 1})
    pooled, alone = [], []
    for call in range(args.calls):
        for workers, times in ((args.workers, pooled), (1, alone)):
            start = time.perf_counter()
            sim.run(scenario, seed=call, replications=args.replications, workers=workers)
            times.append(time.perf_counter() - start)
        print(f"  call {call + 1}: {pooled[-1]:.3f} s on {args.workers} workers, "
              f"{alone[-1]:.3f} s in this process")
    later = [p - a for p, a in zip(pooled[1:], alone[1:])]
    print(f"{args.replications} replications of a small_bank day, sim.run(..., workers="
          f"{args.workers}) in a script: first call {pooled[0]:.3f} s "
          f"({pooled[0] - alone[0]:+.3f} s against this process), later calls median "
          f"{statistics.median(pooled[1:]):.3f} s "
          f"({statistics.median(later):+.3f} s against this process)")


if __name__ == "__main__":
    main()
