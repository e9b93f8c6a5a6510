"""The machine a benchmark runs on, in one line: ratios move from one VM to the next.

On 2026-12-07 the project moved to a faster VM (same "AMD EPYC" name, other caches) and
the journeys' ratio to plain calls fell from about 0.5 to 0.41 with no change of code.
Each timing script prints this line first, so figures from different machines are not
compared by mistake.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def describe() -> str:
    """CPU model, cores, cache sizes (Linux sysfs), Python, and the load average now."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    caches = []
    for index in sorted(Path("/sys/devices/system/cpu/cpu0/cache").glob("index*")):
        try:
            level = (index / "level").read_text().strip()
            kind = (index / "type").read_text().strip()
            size = (index / "size").read_text().strip()
        except OSError:
            continue
        name = f"L{level}" + {"Data": "d", "Instruction": "i"}.get(kind, "")
        caches.append(f"{name} {size}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    from sim.compiled import describe as compiled  # (ccsim's, beside the machine's)

    return (f"machine: {model}, {os.cpu_count()} cores"
            + (f", {', '.join(caches)}" if caches else "")
            + f"; Python {platform.python_version()}; load average {load}; {compiled()}")


if __name__ == "__main__":
    print(describe())
