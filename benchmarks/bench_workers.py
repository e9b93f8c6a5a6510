"""Speed-up of replications on several processes, end to end from the command line.

Times ``ccsim run SCENARIO -r 8 --no-report`` with ``--workers 1`` and with
``--workers N`` (default 2), each started as a user would (``python -m sim``, a fresh
interpreter: imports, spawning the workers, simulating and writing the results all
count), and prints the ratio; the goal is at least 1.7x on 2 workers. The load average
is printed before and after: on a machine busy with other work the ratio says little.

Usage: python benchmarks/bench_workers.py [--scenario scenarios/small_bank.yaml]
       [--replications 8] [--workers 2] [--repeat 1] [--set days=1 ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wall_seconds(args: list[str]) -> float:
    """Wall-clock seconds of one CLI run (it must succeed)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", *args], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def load() -> str:
    """The 1, 5 and 15 minute load averages and the usable cores."""
    one, five, fifteen = os.getloadavg()
    cores = len(os.sched_getaffinity(0))
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {cores} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/small_bank.yaml")
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each; best is kept")
    parser.add_argument("--set", dest="overrides", action="append", default=["days=1"],
                        metavar="PATH=VALUE", help="scenario overrides (default: days=1)")
    args = parser.parse_args()
    print(f"before: {load()}")
    times: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as out:
        common = ["run", args.scenario, "-r", str(args.replications), "--no-report", "-q",
                  "--out", out, *(x for o in args.overrides for x in ("--set", o))]
        for _ in range(args.repeat):
            for workers in (1, args.workers):
                seconds = wall_seconds([*common, "--workers", str(workers)])
                times[workers] = min(times.get(workers, seconds), seconds)
                print(f"  --workers {workers}: {seconds:.1f} s")
    print(f"after:  {load()}")
    ratio = times[1] / times[args.workers]
    print(f"{args.replications} replications of {args.scenario} ({', '.join(args.overrides)}): "
          f"{times[1]:.1f} s on 1 worker, {times[args.workers]:.1f} s on {args.workers}: "
          f"{ratio:.2f}x (goal >= 1.7x on 2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
