"""Figures side by side: how much sooner a report is drawn in forked processes than in one.

The command line draws a report's figures in processes forked once the results are in
(:mod:`sim.figure_workers`, one per usable core), where one process drew them one after
the other. This times, in wall-clock seconds (the wait, not the work:
``bench_report.py`` times the work), :func:`sim.report.write_report` of small_bank (5
replications) and of a comparison (storm_surge against ``callbacks_on``, 5 replications)
drawn by 1 process and by every usable core, then the README's main job from the command
line, ``ccsim run scenarios/small_bank.yaml --replications 5``, with ``--workers 1`` (all
in one process) and without (its replications stay in one process anyway: under 100,000
expected contacts, so only the drawing differs). Rounds alternate the two, the median
of ``--rounds`` is kept, and the ratio printed is one process's time over the workers'.
On a machine with other work running the workers wait for cores: measure on a quiet one.

Usage: python benchmarks/bench_figure_workers.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sim.compare import compare, scenarios_from_files
from sim.loader import load_scenario
from sim.parallel import usable_cores
from sim.replicate import run
from sim.report import write_report

ROOT = Path(__file__).resolve().parents[1]
TRACE_EVERY = 60.0  # as `ccsim run` and `ccsim compare` (the day figure's queue trace)


def wall(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def alternate(name: str, one, many, rounds: int) -> None:
    """Time ``one`` and ``many`` in alternating rounds; print medians and the ratio."""
    times: dict[str, list[float]] = {"one": [], "many": []}
    for r in range(rounds):
        pair = (("one", one), ("many", many)) if r % 2 == 0 else (("many", many), ("one", one))
        for key, action in pair:
            times[key].append(wall(action))
    a, b = statistics.median(times["one"]), statistics.median(times["many"])
    print(f"{name}: 1 process {a:.2f} s, {usable_cores()} processes {b:.2f} s: "
          f"{a / b:.2f}x sooner (rounds: {', '.join(f'{t:.2f}' for t in times['one'])} | "
          f"{', '.join(f'{t:.2f}' for t in times['many'])})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (median kept)")
    args = parser.parse_args()
    cores = usable_cores()
    bank = load_scenario(ROOT / "scenarios" / "small_bank.yaml")
    result = run(bank, replications=5, trace_every=TRACE_EVERY)
    storm = ROOT / "scenarios" / "storm_surge.yaml"
    variants, changes = scenarios_from_files([str(storm)], {}, ["callbacks_on"])
    comparison = compare(variants, replications=5, trace_every=TRACE_EVERY, changes=changes)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        write_report(result, out / "warm")  # fonts, caches and imports loaded
        alternate("write_report, small_bank run",
                  lambda: write_report(result, out / "a", workers=1),
                  lambda: write_report(result, out / "b", workers=cores), args.rounds)
        alternate("write_report, storm_surge comparison",
                  lambda: write_report(comparison, out / "c", workers=1),
                  lambda: write_report(comparison, out / "d", workers=cores), args.rounds)
        command = [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "small_bank.yaml"),
                   "--replications", "5", "--quiet"]
        alternate("ccsim run small_bank -r 5, end to end",
                  lambda: subprocess.run([*command, "--out", str(out / "e"), "--workers", "1"],
                                         check=True, stdout=subprocess.DEVNULL),
                  lambda: subprocess.run([*command, "--out", str(out / "f")], check=True,
                                         stdout=subprocess.DEVNULL), args.rounds)


if __name__ == "__main__":
    main()
