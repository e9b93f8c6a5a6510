"""Engine benchmark: calls simulated per second, against idiomatic SimPy, and memory.

The Erlang A scenario (40 Erlangs on 42 agents, mean patience 3 min) run long enough
for about 200,000 calls in one replication, one process. Prints:

- engine speed: calls per second of ``run_replication`` (draws, SimPy run, records);
- the idiomatic SimPy model of the same center (a process per caller, ``Resource``,
  ``request | timeout(patience)``: ``idiomatic_simpy.py``) in the same run, and the
  ratio (goal: at least 4x); ``bench_compare.py`` adds Ciw and checks all against theory;
- end-to-end speed: the same plus the contacts table and every KPI (``sim.run``);
- peak RSS and the memory added per recorded contact (peak RSS minus RSS before the run,
  divided by the number of contacts);
- journeys: contacts per second of the engine on ``fraud_consult`` (consults on hold) and
  ``refund_vs_relations`` (transfers bouncing between departments), beside plain calls
  (issue #17's goal: at least half the plain-call speed).

Speeds are CPU seconds of this process (single-threaded: the wall time on an idle
machine), in ``--repeat`` rounds that each time every model once, each model between two
runs of the engine (a VM's speed drifts within seconds, with steal time: a model set
against the plain-call runs on either side of it, not against one run seconds earlier,
is compared at the same moment): the median speed, and each ratio as the median of the
rounds' ratios (the model's speed against the mean of the two engine runs around it) with
their range (for the journeys also the best round of each against the best of plain
calls: what the code can do when the VM lets it, timeit's way).
``bench_instructions.py`` counts instructions instead, which no load changes.

Usage: python benchmarks/bench_engine.py [--calls 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from pathlib import Path

from idiomatic_simpy import simpy_erlang_a
from machine import describe

import sim
from sim.engine import run_replication

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "erlang_a.yaml"
JOURNEYS = ("fraud_consult", "refund_vs_relations")


def rss_mib() -> float:
    """Resident memory now, MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="ccsim engine benchmark (Erlang A scenario)")
    parser.add_argument("--calls", type=int, default=200_000, help="about this many calls")
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (medians kept)")
    args = parser.parse_args()
    print(describe())
    days = max(1, round(args.calls / (600 * 24)))
    scenario = sim.load_scenario(SCENARIO, overrides={"days": days})
    # warm imports and caches: sim.run imports pandas and the KPI code lazily, on first use,
    # so a one-day run of each path first keeps one-time imports out of the timings and the
    # memory figures
    one_day = scenario.model_copy(update={"days": 1})
    run_replication(one_day, seed=0)
    sim.run(one_day, seed=0, replications=1)

    # memory: one run of the engine alone, then one end to end
    before = rss_mib()
    n = run_replication(scenario, seed=0).n
    engine_peak = peak_rss_mib()
    start = time.process_time()
    result = sim.run(scenario, seed=0, replications=1)
    end_to_end = time.process_time() - start
    total_peak = peak_rss_mib()
    contacts = len(result.contacts)

    # speeds: rounds that each time every model once, each between two runs of the engine
    # (E S E F E R E): a VM's speed drifts within seconds (steal time), so each model is
    # set against the plain-call runs on either side of it, not one taken seconds before
    journeys = {name: journey_scenario(name, args.calls) for name in JOURNEYS}
    models = {"simpy": lambda r: simpy_erlang_a(days * 86400.0, seed=r).n}
    models.update({name: (lambda r, s=s: run_replication(s, seed=r).n)
                   for name, s in journeys.items()})
    speeds: dict[str, list[float]] = {label: [] for label in ("engine", *models)}
    beside: dict[str, list[float]] = {label: [] for label in models}  # the engine's around it
    counts = dict.fromkeys(speeds, 0)

    def timed(label: str, model, r: int) -> float:
        start = time.process_time()
        counts[label] = model(r)
        speed = counts[label] / (time.process_time() - start)
        speeds[label].append(speed)
        return speed

    engine = lambda r: run_replication(scenario, seed=r).n  # noqa: E731
    for r in range(args.repeat):
        earlier = timed("engine", engine, r)
        for label, model in models.items():
            timed(label, model, r)
            later = timed("engine", engine, r)
            beside[label].append((earlier + later) / 2)
            earlier = later
    n = counts["engine"]

    def ratios(label: str, inverse: bool = False) -> str:
        """Median and range, by round, of a model's speed against the engine runs around it.

        ``inverse``: theirs against the model's.
        """
        each = sorted((b / a if inverse else a / b) for a, b in zip(speeds[label], beside[label]))
        return f"{statistics.median(each):.2f} (rounds: {', '.join(f'{x:.2f}' for x in each)})"

    def speed(label: str) -> str:
        return f"{statistics.median(speeds[label]):,.0f}"

    print(f"scenario: {scenario.name}, {days} days, {n:,} calls per replication")
    print(f"engine (run_replication):  {speed('engine')} calls/s (median of {args.repeat})")
    ratio = statistics.median(b / a for a, b in zip(speeds["simpy"], beside["simpy"]))
    print(f"idiomatic SimPy, same center: {speed('simpy')} calls/s; ccsim engine / SimPy: "
          f"{ratios('simpy', inverse=True)} (goal >= 4x: {'met' if ratio >= 4 else 'NOT met'})")
    print(f"end to end (sim.run + KPIs): {contacts / end_to_end:,.0f} calls/s  "
          f"({end_to_end:.2f} s)")
    print(f"RSS before run: {before:.0f} MiB; peak engine only: {engine_peak:.0f} MiB; "
          f"peak with tables: {total_peak:.0f} MiB")
    print(f"memory per recorded contact: engine {(engine_peak - before) * 2**20 / n:.0f} B, "
          f"with contacts table and KPIs {(total_peak - before) * 2**20 / contacts:.0f} B")
    print(f"KPIs: abandon_rate {result.summary['abandon_rate']:.4f}, "
          f"mean_wait {result.summary['mean_wait']:.1f} s, "
          f"service_level {result.summary['service_level']:.4f}")
    for name in JOURNEYS:  # the median of the rounds' ratios decides; best of each beside
        best = max(speeds[name]) / max(speeds["engine"])
        met = statistics.median(a / b for a, b in zip(speeds[name], beside[name])) >= 0.5
        print(f"journeys, {name}: {speed(name)} contacts/s ({counts[name]:,} contacts), "
              f"{ratios(name)} of the plain-call speed; best against best "
              f"{best:.2f} (goal >= 0.5: {'met' if met else 'NOT met'})")


def journey_scenario(name: str, calls: int) -> sim.Scenario:
    """A bundled journey scenario, long enough for about ``calls`` contacts."""
    path = SCENARIO.with_name(f"{name}.yaml")
    per_day = run_replication(sim.load_scenario(path, overrides={"days": 1}), seed=0).n
    return sim.load_scenario(path, overrides={"days": max(1, round(calls / per_day))})


if __name__ == "__main__":
    main()
