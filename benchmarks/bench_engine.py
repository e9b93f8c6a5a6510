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
machine), best of ``--repeat``.

Usage: python benchmarks/bench_engine.py [--calls 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from idiomatic_simpy import simpy_erlang_a

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
    parser.add_argument("--repeat", type=int, default=3, help="timed repetitions (best kept)")
    args = parser.parse_args()
    days = max(1, round(args.calls / (600 * 24)))
    scenario = sim.load_scenario(SCENARIO, overrides={"days": days})
    # warm imports and caches: sim.run imports pandas and the KPI code lazily, on first use,
    # so a one-day run of each path first keeps one-time imports out of the timings and the
    # memory figures
    one_day = scenario.model_copy(update={"days": 1})
    run_replication(one_day, seed=0)
    sim.run(one_day, seed=0, replications=1)

    before = rss_mib()
    best = float("inf")
    for r in range(args.repeat):
        start = time.process_time()
        records = run_replication(scenario, seed=r)
        best = min(best, time.process_time() - start)
        n = records.n
        del records
    engine_peak = peak_rss_mib()

    simpy_best, simpy_n = float("inf"), 0
    for r in range(args.repeat):
        start = time.process_time()
        simpy_n = simpy_erlang_a(days * 86400.0, seed=r).n
        simpy_best = min(simpy_best, time.process_time() - start)

    start = time.process_time()
    result = sim.run(scenario, seed=0, replications=1)
    end_to_end = time.process_time() - start
    total_peak = peak_rss_mib()
    contacts = len(result.contacts)

    print(f"scenario: {scenario.name}, {days} days, {n:,} calls per replication")
    print(f"engine (run_replication):  {n / best:,.0f} calls/s  "
          f"(best of {args.repeat}: {best:.2f} s)")
    ratio = (n / best) / (simpy_n / simpy_best)
    print(f"idiomatic SimPy, same center: {simpy_n / simpy_best:,.0f} calls/s  "
          f"(best of {args.repeat}: {simpy_best:.2f} s); ccsim engine / SimPy: {ratio:.1f}x "
          f"(goal >= 4x: {'met' if ratio >= 4 else 'NOT met'})")
    print(f"end to end (sim.run + KPIs): {contacts / end_to_end:,.0f} calls/s  "
          f"({end_to_end:.2f} s)")
    print(f"RSS before run: {before:.0f} MiB; peak engine only: {engine_peak:.0f} MiB; "
          f"peak with tables: {total_peak:.0f} MiB")
    print(f"memory per recorded contact: engine {(engine_peak - before) * 2**20 / n:.0f} B, "
          f"with contacts table and KPIs {(total_peak - before) * 2**20 / contacts:.0f} B")
    print(f"KPIs: abandon_rate {result.summary['abandon_rate']:.4f}, "
          f"mean_wait {result.summary['mean_wait']:.1f} s, "
          f"service_level {result.summary['service_level']:.4f}")
    for name in JOURNEYS:
        speed, contacts = journey_speed(name, args.calls, args.repeat)
        print(f"journeys, {name}: {speed:,.0f} contacts/s ({contacts:,} contacts), "
              f"{speed / (n / best):.2f} of the plain-call speed (goal >= 0.5)")


def journey_speed(name: str, calls: int, repeat: int) -> tuple[float, int]:
    """Best contacts per CPU second of the engine on a bundled journey scenario."""
    path = SCENARIO.with_name(f"{name}.yaml")
    one_day = sim.load_scenario(path, overrides={"days": 1})
    per_day = run_replication(one_day, seed=0).n
    scenario = sim.load_scenario(path, overrides={"days": max(1, round(calls / per_day))})
    best, n = float("inf"), 0
    for r in range(repeat):
        start = time.process_time()
        n = run_replication(scenario, seed=r).n
        best = min(best, time.process_time() - start)
    return n / best, n


if __name__ == "__main__":
    main()
