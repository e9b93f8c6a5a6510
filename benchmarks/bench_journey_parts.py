"""What each journey feature of ``refund_vs_relations`` costs per contact, beside plain calls.

Issue #17 asks the journey scenarios for at least half the plain-call speed.
``bench_engine.py`` measures the whole scenario; this takes it apart, to show where its
time per contact goes: the scenario with its misroutes, transfers and repeats switched
off (two types, an IVR, no handoffs), then each of the three on alone, then all. Each
variant's microseconds per contact (CPU time of ``run_replication``) are printed beside
the plain-call speed (the Erlang A scenario, timed in the same rounds), with what the
feature adds to the bare variant, per contact and per contact it touches (a misrouted
call, a transferred call, a repeat: counted from the records). If the parts add up to
the whole, nothing is lost between them; what a part adds per contact it touches,
against a plain call's time, says how far a journey step is from a plain one's cost.
What a feature adds includes the load it brings: a misrouted call's short talk and a
transferred call's second talk keep agents busier, so every contact waits and abandons
more; a repeat is a contact of its own, so what it adds is its cost beyond a bare one.

Usage: python benchmarks/bench_journey_parts.py [--days 40] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from machine import describe

import sim
from sim.engine import run_replication

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
TYPES = ("refund", "relations")
OFF = {  # each feature switched off, in both contact types
    "misroutes": {f"contact_types.{t}.ivr.misroute": 0 for t in TYPES},
    "transfers": {f"contact_types.{t}.transfer.probability": 0 for t in TYPES},
    "repeats": {f"contact_types.{t}.repeat.probability": 0 for t in TYPES},
}


def variants() -> dict[str, dict]:
    """Overrides by variant: all off, each feature alone, all on."""
    every = {k: v for off in OFF.values() for k, v in off.items()}
    out = {"bare (IVR, two types)": every}
    for feature in OFF:
        out[f"{feature} only"] = {k: v for name, off in OFF.items() if name != feature
                                  for k, v in off.items()}
    out["all (the scenario)"] = {}
    return out


def touched(records, feature: str) -> int:
    """Contacts a feature touched in a run: misrouted, transferred, or a repeat."""
    if feature == "misroutes":
        return int(np.count_nonzero(records.misrouted))
    if feature == "transfers":  # transfers counts misroutes too: those not misrouted
        return int(np.count_nonzero((records.transfers > 0) & (records.misrouted == 0)))
    return int(np.count_nonzero(records.origin != 0))


def main() -> None:
    parser = argparse.ArgumentParser(description="journey features' cost per contact")
    parser.add_argument("--days", type=int, default=40, help="days of each run")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds (medians kept)")
    args = parser.parse_args()
    print(describe())
    plain = sim.load_scenario(ROOT / "erlang_a.yaml", overrides={"days": max(1, args.days // 3)})
    scenarios = {name: sim.load_scenario(ROOT / "refund_vs_relations.yaml",
                                         overrides={"days": args.days, **overrides})
                 for name, overrides in variants().items()}
    for scenario in (plain, *scenarios.values()):  # warm: lazy imports and caches
        run_replication(scenario.model_copy(update={"days": 1}), seed=0)
    times: dict[str, list[float]] = {name: [] for name in ("plain", *scenarios)}
    last = {}
    for r in range(args.repeat):  # interleaved rounds: a drifting machine disturbs all alike
        for name, scenario in (("plain", plain), *scenarios.items()):
            start = time.process_time()
            records = run_replication(scenario, seed=r)
            times[name].append((time.process_time() - start) / records.n * 1e6)
            last[name] = records
    us = {name: statistics.median(each) for name, each in times.items()}
    bare = next(iter(scenarios))
    print(f"plain calls (erlang_a): {us['plain']:.2f} us per contact "
          f"({1e6 / us['plain']:,.0f} contacts/s)")
    for name in scenarios:
        line = (f"{name}: {us[name]:.2f} us per contact, {us['plain'] / us[name]:.2f} of the "
                f"plain-call speed")
        feature = name.split()[0]
        if feature in OFF:
            added = us[name] - us[bare]
            share = touched(last[name], feature) / last[name].n
            line += (f"; adds {added:+.2f} us per contact, {share:.0%} of contacts touched: "
                     f"{added / share:.1f} us each ({added / share / us['plain']:.1f} plain "
                     f"calls)" if share else "")
        print(line)
    parts = us[bare] + sum(us[f"{feature} only"] - us[bare] for feature in OFF)
    print(f"bare + what each adds alone: {parts:.2f} us per contact, against "
          f"{us['all (the scenario)']:.2f} measured with all on")


if __name__ == "__main__":
    main()
