"""Start-up benchmark: how long the quick commands take against a bare import.

Issue #17's goal: ``ccsim --help``, ``ccsim validate`` and ``ccsim erlang`` within 4x of
``python -c "import pydantic, yaml, click"`` (the libraries every command needs), and
``import sim`` within it too. Each command is started ``--repeat`` times as a fresh
process (``sys.executable -m sim ...``), interleaved so that a change of load hits every
command alike; the median and best wall times are printed with the ratio of the medians
to the bare import. Also prints which heavy libraries ``import sim`` and ``ccsim validate``
load (none of pandas, SciPy, matplotlib and SimPy should be among them).

Run it on a quiet machine (check ``uptime``): start-up times are mostly disk cache and
CPU, and a loaded machine stretches them all.

Usage: python benchmarks/bench_startup.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "small_bank.yaml")
GOAL = 4.0
HEAVY = ("pandas", "scipy", "matplotlib", "simpy")
COMMANDS = {
    "bare import (pydantic, yaml, click)": ["-c", "import pydantic, yaml, click"],
    "import sim": ["-c", "import sim"],
    "ccsim --help": ["-m", "sim", "--help"],
    "ccsim validate small_bank": ["-m", "sim", "validate", SCENARIO],
    "ccsim erlang (C)": ["-m", "sim", "erlang", "--rate", "600/h", "--aht", "4m",
                         "--agents", "42"],
    "ccsim erlang --patience (A)": ["-m", "sim", "erlang", "--rate", "600/h", "--aht", "4m",
                                    "--agents", "42", "--patience", "3m"],
}


def wall(args: list[str]) -> float:
    """Wall seconds of one fresh ``python`` process with these arguments."""
    started = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - started


def heavy_modules(code: str) -> list[str]:
    """The heavy libraries loaded after running ``code`` in a fresh process."""
    probe = (f"{code}\nimport sys\n"
             f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    print(describe())
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for args in COMMANDS.values():  # warm the disk cache once
        wall(args)
    for _ in range(repeat):
        for name, args in COMMANDS.items():
            times[name].append(wall(args))
    bare = statistics.median(times[next(iter(COMMANDS))])
    print(f"{'':38} {'median s':>9} {'best s':>8} {'x bare':>7}")
    worst = 0.0
    for name, values in times.items():
        median = statistics.median(values)
        ratio = median / bare
        if name.startswith("ccsim"):
            worst = max(worst, ratio)
        print(f"{name:38} {median:9.3f} {min(values):8.3f} {ratio:7.2f}")
    validate = (f"import contextlib, io, sys; sys.argv = ['ccsim', 'validate', {SCENARIO!r}]\n"
                "from sim.cli import main\nwith contextlib.redirect_stdout(io.StringIO()):\n"
                "    try:\n        main()\n    except SystemExit:\n        pass")
    print(f"heavy libraries after `import sim`: {heavy_modules('import sim') or 'none'}")
    print(f"heavy libraries after `ccsim validate`: {heavy_modules(validate) or 'none'}")
    met = worst <= GOAL
    print(f"slowest quick command: {worst:.2f}x the bare import (goal <= {GOAL:g}x: "
          f"{'met' if met else 'NOT met'})")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
