"""Report benchmark: how long each figure of a report takes to make and to render.

The README's main job (``ccsim run scenarios/small_bank.yaml --replications 5``) spent
more time drawing its report than simulating it. This script simulates small_bank (5
replications) and a comparison (storm_surge against its ``callbacks_on`` variant, 5
replications) as the CLI does (queue trace every minute, contacts of the first 100
replications kept), then times, per figure of each report, building the figure
(``make``: our code and matplotlib's artists) and rendering it to PNG bytes (``render``:
:func:`sim.plots.style.render_png`, constrained layout, text, Agg, PNG encoding), and
the whole :func:`sim.report.write_report` into a temporary folder. Times are CPU seconds
of this process (``time.process_time``: other work on the machine stretches them less
than wall time), the median of ``--rounds`` rounds after one warm-up round (fonts,
caches and imports loaded), figures interleaved so a change of load hits all alike.
Everything is drawn in this one process (``write_report``'s default): the work of
drawing, not the wait, which the command line shortens by drawing in forked processes
side by side (:mod:`sim.figure_workers`).

Usage: python benchmarks/bench_report.py [--rounds 5] [--only run|compare]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from sim import plots
from sim.compare import compare, scenarios_from_files
from sim.loader import load_scenario
from sim.replicate import RunResult, run
from sim.report import render_png, write_report

ROOT = Path(__file__).resolve().parents[1]
TRACE_EVERY = 60.0  # as `ccsim run` and `ccsim compare` (the day figure's queue trace)
KEEP_CONTACTS = 100  # the CLI's default --keep-contacts


def _day(result: RunResult) -> Callable[[], Figure]:
    replication = int(result.traces[0]["replication"].iloc[0])
    return lambda: plots.day_figure(result, replication=replication)


def run_makers(result: RunResult) -> dict[str, Callable[[], Figure]]:
    """The figures of a run's report (as :func:`sim.report_figures.run_figures` draws them)."""
    return {"wait_cdf": lambda: plots.wait_cdf(result),
            "intervals": lambda: plots.interval_figure(result),
            "day": _day(result),
            "occupancy": lambda: plots.occupancy_figure(result),
            "journey": lambda: plots.journey_figure(result),
            "fcr": lambda: plots.fcr_figure(result)}


def comparison_makers(comparison) -> dict[str, Callable[[], Figure]]:
    """The figures of a comparison's report (:func:`sim.report_figures.comparison_figures`)."""
    runs = comparison.results
    makers = {"kpis": lambda: plots.kpi_bars(comparison),
              "differences": lambda: plots.difference_figure(comparison),
              "wait_cdf": lambda: plots.wait_cdf(runs),
              "intervals": lambda: plots.interval_figure(runs),
              "occupancy": lambda: plots.occupancy_figure(runs),
              "journey": lambda: plots.journey_figure(runs),
              "fcr": lambda: plots.fcr_figure(runs)}
    makers.update({f"day_{name}": _day(result) for name, result in runs.items()})
    return makers


def cpu(action: Callable[[], object]) -> tuple[float, object]:
    """CPU seconds of ``action`` and what it returned."""
    start = time.process_time()
    value = action()
    return time.process_time() - start, value


def measure(subject, makers: dict[str, Callable[[], Figure]], rounds: int) -> None:
    """Print the median make and render time of each figure, and of ``write_report``."""
    make: dict[str, list[float]] = {name: [] for name in makers}
    render: dict[str, list[float]] = {name: [] for name in makers}
    sizes: dict[str, int] = {}
    report: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for k in range(rounds + 1):  # round 0 warms up
            for name, maker in makers.items():
                made, fig = cpu(maker)
                rendered, png = cpu(lambda fig=fig: render_png(fig))
                sizes[name] = len(png)
                if k:
                    make[name].append(made)
                    render[name].append(rendered)
            took, _ = cpu(lambda: write_report(subject, folder))
            if k:
                report.append(took)
    print(f"{'figure':16} {'make s':>8} {'render s':>9} {'total s':>8} {'PNG kB':>7}")
    totals = [0.0, 0.0]
    for name in makers:
        m, r = statistics.median(make[name]), statistics.median(render[name])
        totals[0] += m
        totals[1] += r
        print(f"{name:16} {m:8.3f} {r:9.3f} {m + r:8.3f} {sizes[name] / 1000:7.0f}")
    print(f"{'sum':16} {totals[0]:8.3f} {totals[1]:9.3f} {sum(totals):8.3f}")
    print(f"write_report: median {statistics.median(report):.3f} s CPU "
          f"(rounds {min(report):.3f} to {max(report):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (median kept)")
    parser.add_argument("--only", choices=("run", "compare"), help="one report only")
    args = parser.parse_args()
    if args.only != "compare":
        scenario = load_scenario(ROOT / "scenarios" / "small_bank.yaml")
        result = run(scenario, replications=5, trace_every=TRACE_EVERY,
                     keep_contacts=KEEP_CONTACTS)
        print(f"small_bank, 5 replications: {len(result.contacts):,} contacts kept")
        measure(result, run_makers(result), args.rounds)
    if args.only != "run":
        scenarios, changes = scenarios_from_files([ROOT / "scenarios" / "storm_surge.yaml"],
                                                  variants=["callbacks_on"])
        comparison = compare(scenarios, replications=5, trace_every=TRACE_EVERY,
                             changes=changes, keep_contacts=KEEP_CONTACTS)
        print(f"\nstorm_surge against callbacks_on, 5 replications: "
              f"{sum(len(r.contacts) for r in comparison.results.values()):,} contacts kept")
        measure(comparison, comparison_makers(comparison), args.rounds)


if __name__ == "__main__":
    main()
