"""Instructions per contact of the engine, counted by valgrind: a ratio no load can bend.

Timings on a shared or virtual machine scatter (on the 2-core VM of 2026-12-02 the same
code gave 4.2x and 6.6x SimPy an hour apart, as steal time came and went). Instructions
executed by the interpreter do not: this counts them with valgrind's callgrind, for
``run_replication`` only (instrumentation is switched on around it with
``callgrind_control``, so imports and the warm-up are not counted), on plain calls (the
Erlang A scenario) and the journey scenarios, and prints each journey scenario's
instructions per contact against a plain call's: issue #17's "at least half the
plain-call speed", read as instructions (a contact of a journey scenario may cost at most
twice a plain call's).

Instructions are not time (a cache miss costs many), so the timed benchmarks stay the
measure of speed (``bench_engine.py``); this is the steady one to compare code with:
``--code DIR`` counts another checkout (its ``sim`` package first on the path) beside
this one, for an A/B of a change. ``--cache`` also simulates the caches (callgrind's
``--cache-sim=yes``) and prints estimated cycles per contact, KCachegrind's estimate
Ir + 10 x L1 misses + 100 x last-level misses: a journey contact misses the caches about
2.6 times as often as a plain call (more code and more columns per contact), so its
ratio is nearer the timed one than the instructions'. The caches simulated are given
(:data:`CACHES`: the project VM's, as ``lscpu`` reports them), not valgrind's guess from
CPUID: on the AMD VMs it guessed a last level of 256 MiB on one and 512 MiB on another,
where nothing misses, so the estimate changed with the machine, not the code. The three
scenarios run at once (three valgrinds). Needs valgrind (Debian's ``valgrind``); about a
minute, two with ``--cache``.

Usage: python benchmarks/bench_instructions.py [--code ../other-checkout] [--cache]
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# scenario, days: about 10,000 to 15,000 contacts each (under valgrind, ~50x slower)
CASES = (("erlang_a", 1), ("fraud_consult", 5), ("refund_vs_relations", 5))
# the caches simulated with --cache: size, ways, line (bytes); the VM's L1i, L1d and L3
CACHES = {"I1": (32768, 8, 64), "D1": (49152, 12, 64), "LL": (33554432, 16, 64)}


def child(name: str, days: int) -> None:
    """Run one replication with instrumentation on around it; print the contacts."""
    import sim
    from sim.engine import run_replication

    scenario = sim.load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={"days": days})
    run_replication(scenario.model_copy(update={"days": 1}), seed=0)  # warm: lazy imports
    # the garbage the imports and the warm-up left is collected now, not at whatever point
    # of the counted run the collector's threshold falls on: code that imports one module
    # more would move it, ~100 instructions per contact of noise in an A/B
    gc.collect()
    control = ["callgrind_control", "-i"]
    subprocess.run([*control, "on", str(os.getpid())], capture_output=True, check=True)
    n = run_replication(scenario, seed=1).n
    subprocess.run([*control, "off", str(os.getpid())], capture_output=True, check=True)
    print(f"contacts {n}")


def count(name: str, days: int, code: Path, cache: bool = False) -> tuple[int, int, int]:
    """(instructions, estimated cycles or 0, contacts) of one replication of ``name``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(code), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
         f"--cache-sim={'yes' if cache else 'no'}",
         *(f"--{level}={','.join(map(str, geometry))}" for level, geometry in CACHES.items()
           if cache),
         sys.executable, __file__, "--child", name, str(days)],
        capture_output=True, text=True, env=env, check=True)
    events = re.search(r"Events\s*:\s*(.*)", result.stderr)
    collected = re.search(r"Collected\s*:\s*(.*)", result.stderr)
    contacts = re.search(r"contacts (\d+)", result.stdout)
    if events is None or collected is None or contacts is None:
        raise SystemExit(f"bench_instructions: no count for {name}:\n{result.stderr[-2000:]}")
    got = dict(zip(events.group(1).split(), map(int, collected.group(1).split())))
    cycles = 0
    if cache:  # KCachegrind's cycle estimate
        l1 = got["I1mr"] + got["D1mr"] + got["D1mw"]
        last = got["ILmr"] + got["DLmr"] + got["DLmw"]
        cycles = got["Ir"] + 10 * l1 + 100 * last
    return got["Ir"], cycles, int(contacts.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description="instructions per contact (valgrind)")
    parser.add_argument("--code", type=Path, help="another checkout to count beside this one")
    parser.add_argument("--cache", action="store_true",
                        help="simulate the caches too: estimated cycles per contact")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("bench_instructions: needs valgrind (apt-get install valgrind)")
    checkouts = [ROOT] + ([args.code.resolve()] if args.code else [])
    for code in checkouts:
        print(f"code: {code}")
        with ThreadPoolExecutor(len(CASES)) as pool:  # one valgrind (one core) each
            counts = dict(zip((name for name, _ in CASES), pool.map(
                lambda case, code=code: count(*case, code, args.cache), CASES)))
        for measure, column in (("instructions", 0), ("estimated cycles", 1)):
            if measure == "estimated cycles" and not args.cache:
                continue
            per_contact = {name: got[column] / got[2] for name, got in counts.items()}
            for name, _ in CASES:
                line = (f"  {name}: {per_contact[name]:,.0f} {measure} per contact "
                        f"({counts[name][2]:,})")
                if name != "erlang_a":
                    ratio = per_contact["erlang_a"] / per_contact[name]
                    line += (f", {ratio:.2f} of the plain-call speed "
                             f"(goal >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
                print(line)


if __name__ == "__main__":
    main()
