"""Side by side: idiomatic SimPy, Ciw and ccsim on one Erlang A center, in one process run.

The scenario is ``scenarios/erlang_a.yaml``: M/M/42+M, 600 calls/h, mean handle time
4 min, mean patience 3 min (40 Erlangs on 42 agents), run for whole days (about
``--calls`` calls). Three implementations simulate it:

- **SimPy, idiomatic**: one process per caller, agents as ``simpy.Resource(capacity=42)``,
  the caller waits on ``request | timeout(patience)``; one number drawn at a time, from
  ``random.Random`` (as SimPy's own examples do, and the faster) or from a numpy
  ``Generator`` (two rows; the speed goal is judged against the faster);
- **Ciw 3.2**: ``ciw.create_network`` with exponential arrivals, service and reneging;
- **ccsim**: :func:`sim.run_replication` (drawing, the SimPy run and the numpy records).

Each is timed on the same work in CPU seconds of this process (all three are
single-threaded, so this is the wall time on an idle machine, and other jobs on a shared
one disturb it less): ``--repeat`` rounds, interleaved, the best time of each kept. The
callers of each are checked against the closed-form Erlang A values
(:func:`sim.erlang.erlang_a_metrics`): abandon rate, mean wait of all callers (abandoned
ones until they hang up), P(wait > 0) and the service level at 20 s. Every implementation
leaves out callers arriving in the first 2 h (the scenario's warm-up) and after the last
day, the same way.

Agreement: the callers after the warm-up are cut by arrival time into ``--batches`` equal
batches (batch means; each holds hundreds of mean handle times, so batches are nearly
independent). A metric agrees with theory when the closed-form value lies in the 99.9%
confidence interval of the mean of the batch values (Student t, batches - 1 degrees of
freedom): with 16 checks, a correct model fails one by chance less than 2% of the time.
The script exits with status 1 if any check fails.

Usage: python benchmarks/bench_compare.py [--calls 200000] [--repeat 2] [--batches 20]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import ciw
import numpy as np
from idiomatic_simpy import AGENTS, AHT, PATIENCE, RATE, Callers, simpy_erlang_a
from machine import describe
from scipy import stats

import sim
from sim.erlang import erlang_a_metrics
from sim.records import ABANDONED

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "erlang_a.yaml"
THRESHOLD = 20.0
DRAIN = 3600.0  # Ciw runs on this long after the last arrival so every caller finishes
CONFIDENCE = 0.999
METRICS = ("abandon_rate", "mean_wait", "p_wait", "service_level")


def ciw_erlang_a(horizon: float, seed: int) -> Callers:
    """Ciw 3.2 M/M/c+M: exponential arrivals, service and reneging on one node."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=RATE)],
        service_distributions=[ciw.dists.Exponential(rate=1 / AHT)],
        number_of_servers=[AGENTS],
        reneging_time_distributions=[ciw.dists.Exponential(rate=1 / PATIENCE)],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(horizon + DRAIN)
    records = [r for r in simulation.get_all_records() if r.record_type in ("service", "renege")]
    return Callers(
        np.array([r.arrival_date for r in records]),
        np.array([r.waiting_time for r in records]),
        np.array([r.record_type == "renege" for r in records], dtype=bool),
    )


def ccsim_erlang_a(scenario: sim.Scenario, seed: int) -> Callers:
    """The ccsim engine on the bundled scenario: one replication's records."""
    records = sim.run_replication(scenario, seed)
    return Callers(records.arrival, records.wait, records.state == ABANDONED)


def batch_means(callers: Callers, warmup: float, horizon: float,
                batches: int) -> dict[str, tuple[float, float]]:
    """Per metric: the estimate over every counted caller and its CI half-width."""
    counted = (callers.arrival >= warmup) & (callers.arrival < horizon)
    arrival, wait = callers.arrival[counted], callers.wait[counted]
    abandoned = callers.abandoned[counted]
    values = {
        "abandon_rate": abandoned.astype(float),
        "mean_wait": wait,
        "p_wait": (wait > 0).astype(float),
        "service_level": (~abandoned & (wait <= THRESHOLD)).astype(float),
    }
    batch = np.minimum(((arrival - warmup) / (horizon - warmup) * batches).astype(int),
                       batches - 1)
    size = np.bincount(batch, minlength=batches)
    t = stats.t.ppf(0.5 + CONFIDENCE / 2, batches - 1)
    out = {}
    for name, v in values.items():
        per_batch = np.bincount(batch, weights=v, minlength=batches) / size
        out[name] = (float(v.mean()), float(t * per_batch.std(ddof=1) / math.sqrt(batches)))
    return out


def timed(run: Callable[[], Callers]) -> tuple[float, Callers]:
    """CPU seconds of this process taken by ``run`` (all three are single-threaded)."""
    start = time.process_time()
    callers = run()
    return time.process_time() - start, callers


def main() -> int:
    parser = argparse.ArgumentParser(
        description="Idiomatic SimPy, Ciw and ccsim on the Erlang A scenario: speed and "
                    "agreement with the closed form, in one process run.")
    parser.add_argument("--calls", type=int, default=200_000,
                        help="about this many calls (whole days of 14,400 calls; default "
                             "200000)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="timed rounds of all three, interleaved; the best time of each "
                             "is kept (default 2)")
    parser.add_argument("--batches", type=int, default=20,
                        help="batches for the batch-means confidence intervals (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="seed of all three (default 1)")
    args = parser.parse_args()
    print(describe())
    days = max(1, round(args.calls / (RATE * 86400)))
    scenario = sim.load_scenario(SCENARIO, overrides={"days": days})
    horizon, warmup = days * 86400.0, scenario.warmup
    theory = erlang_a_metrics(RATE, AHT, AGENTS, PATIENCE, THRESHOLD)
    sim.run_replication(scenario.model_copy(update={"days": 1}), 0)  # warm caches

    runners = {
        "SimPy (random)": lambda: simpy_erlang_a(horizon, args.seed, "random"),
        "SimPy (numpy)": lambda: simpy_erlang_a(horizon, args.seed, "numpy"),
        "Ciw 3.2": lambda: ciw_erlang_a(horizon, args.seed),
        "ccsim": lambda: ccsim_erlang_a(scenario, args.seed),
    }
    best = dict.fromkeys(runners, math.inf)
    results: dict[str, Callers] = {}
    for _ in range(args.repeat):
        for name, run in runners.items():
            seconds, results[name] = timed(run)
            best[name] = min(best[name], seconds)

    print(f"scenario: {scenario.name}; {days} days, warm-up {warmup / 3600:g} h excluded; "
          f"seed {args.seed}; best of {args.repeat} timings (CPU time)")
    print(f"agreement: theory inside the {CONFIDENCE:.1%} batch-means interval "
          f"({args.batches} batches, Student t); value ± half-width")
    header = (f"{'':17s}{'calls':>9s}{'CPU s':>9s}{'calls/s':>10s}  "
              f"{'abandon rate':>17s}{'mean wait (s)':>16s}{'P(wait)':>17s}"
              f"{'SL 20 s':>17s}")
    print(header)
    print(f"{'Erlang A (exact)':17s}{'':28s}  {theory.abandon_rate:17.4f}"
          f"{theory.mean_wait:16.2f}{theory.p_wait:17.4f}{theory.service_level:17.4f}")
    failures = []
    for name, callers in results.items():
        estimates = batch_means(callers, warmup, horizon, args.batches)
        cells = []
        for metric in METRICS:
            value, half = estimates[metric]
            ok = abs(value - getattr(theory, metric)) <= half
            if not ok:
                failures.append(f"{name}: {metric}")
            digits = 2 if metric == "mean_wait" else 4
            cells.append(f"{value:.{digits}f}±{half:.{digits}f}{' ' if ok else '!'}")
        print(f"{name:17s}{callers.n:9,d}{best[name]:9.2f}{callers.n / best[name]:10,.0f}  "
              + "".join(f"{cell:>17s}" if i != 1 else f"{cell:>16s}"
                        for i, cell in enumerate(cells)))
    speed = {name: results[name].n / best[name] for name in runners}
    simpy_best = max(speed["SimPy (random)"], speed["SimPy (numpy)"])
    to_simpy = speed["ccsim"] / simpy_best
    print(f"ccsim / SimPy: {to_simpy:.1f}x the faster SimPy model, "
          f"{speed['ccsim'] / min(speed['SimPy (random)'], speed['SimPy (numpy)']):.1f}x the "
          f"slower (goal >= 4x: {'met' if to_simpy >= 4 else 'NOT met'}); ccsim / Ciw: "
          f"{speed['ccsim'] / speed['Ciw 3.2']:.1f}x")
    if failures:
        print("DISAGREE with Erlang A (marked !): " + ", ".join(failures))
        return 1
    print(f"all {len(METRICS) * len(runners)} checks agree with Erlang A")
    return 0


if __name__ == "__main__":
    sys.exit(main())
