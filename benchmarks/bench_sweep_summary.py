"""Sweep summary benchmark: sim.sweep.summarize on a large per-replication table.

A synthetic table as a sweep with costs leaves it (``point``, a staffing and a patience
column, the latter as text such as "3m", ``replication``, ``seed`` and every KPI, a few of
them with missing values), 10,000 points x 2 replications by default. Nothing is simulated:
this is the time a resumed or finished sweep spends on its ``sweep_summary.csv`` (a loop
over the points took about 30 s for 10,000 points; whole columns, well under a second).

Usage: python benchmarks/bench_sweep_summary.py [--points 10000] [--replications 2]
       [--repeat 3]   (best of that many)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from sim.metrics import COST_KPIS, KPIS
from sim.sweep_summary import summarize

PATHS = ["agents.pool.staff", "contact_types.calls.patience.mean"]


def sweep_table(points: int, replications: int, seed: int = 1) -> pd.DataFrame:
    """A per-replication table of ``points`` x ``replications`` rows, random KPIs."""
    rng = np.random.default_rng(seed)
    rows = points * replications
    point = np.repeat(np.arange(points), replications)
    kpis = {k: rng.random(rows) * 100 for k in KPIS + COST_KPIS}
    for k in ("asa", "callback_wait", "live_asa"):  # e.g. nothing answered, no callbacks
        kpis[k][rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame({"point": point, PATHS[0]: point % 100 + 1,
                         PATHS[1]: [f"{m}m" for m in point // 100 + 1],
                         "replication": np.tile(np.arange(replications), points), "seed": 1,
                         **kpis})


def main() -> None:
    parser = argparse.ArgumentParser(description="sim.sweep.summarize on a synthetic table")
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--replications", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs (best kept)")
    args = parser.parse_args()
    table = sweep_table(args.points, args.replications)
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        summary = summarize(table, PATHS)
        times.append(time.perf_counter() - start)
    print(f"{args.points:,} points x {args.replications} replications, "
          f"{len(KPIS + COST_KPIS)} KPIs: {min(times):.3f} s "
          f"({len(summary):,} rows x {summary.shape[1]} columns)")


if __name__ == "__main__":
    main()
