"""Memory: a run whose replications would not fit in this machine's memory is refused.

The limits in :mod:`sim.limits` bound the work (days, contacts, replications); none bounds
what one replication holds at once. A replication keeps every contact in memory until it
ends (its columns, then its tables), so a contact rate in the wrong unit that passes the
contact limit could still need tens of GB: on Linux the system then kills the process
(no message, nothing written) after minutes of work. So, before any work, the expected
contacts of one replication times :data:`BYTES_PER_CONTACT` (and that times the workers
running at once) are compared with the memory available now (``MemAvailable``, and a
container's own limit where there is one), or with ``CCSIM_MAX_MEMORY_MB`` where set: the
memory to plan with, MB (to try anyway on a machine that swaps, or to plan for less).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from sim.limits import format_count

BYTES_PER_CONTACT = 1_000
"""Peak memory per expected contact of a replication, bytes: measured end to end (engine,
contacts and legs tables, KPIs) 224 B for plain calls and 500 to 560 B for the journey
scenarios (repeats, transfers, consults), doubled for what the estimate leaves out."""
ENV = "CCSIM_MAX_MEMORY_MB"
MB = 2**20


def available_bytes() -> float | None:
    """Memory to plan with, bytes: ``CCSIM_MAX_MEMORY_MB``, else what the system has free.

    None where it is not known (not Linux): nothing is checked then.

    Raises:
        ValueError: If ``CCSIM_MAX_MEMORY_MB`` is set to something other than a positive
            number.
    """
    raw = os.environ.get(ENV, "").strip()
    if raw:
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number > 0):
            raise ValueError(f"{ENV} must be a positive number, got {raw!r}")
        return number * MB
    free = _meminfo_available()
    if free is None:
        return None
    room = _cgroup_room()
    return free if room is None else min(free, room)


def _meminfo_available() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room() -> float | None:
    """What a container's memory limit leaves (cgroup v2), or None without one."""
    base = Path("/sys/fs/cgroup")
    try:
        limit = (base / "memory.max").read_text().strip()
        if limit == "max":
            return None
        return float(limit) - float((base / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return None


def size(n_bytes: float) -> str:
    """Bytes as people read them: ``117 MB``, ``2.3 GB``."""
    if n_bytes < 10 * 2**30:
        return (f"{n_bytes / MB:,.0f} MB" if n_bytes < 2**30 else f"{n_bytes / 2**30:.1f} GB")
    return f"{n_bytes / 2**30:,.0f} GB"


def replication_problem(contacts: float) -> str | None:
    """Why one replication of about ``contacts`` contacts would not fit, or None."""
    available = available_bytes()
    need = contacts * BYTES_PER_CONTACT
    if available is None or need <= available:
        return None
    return (f"about {format_count(contacts)} contacts in one replication need about "
            f"{size(need)} of memory (about 1 KB a contact), more than the {size(available)} "
            f"available: make the run smaller (days, contact rates), or set {ENV} to try "
            "anyway")


def workers_problem(contacts: float, workers: int) -> str | None:
    """Why ``workers`` replications of about ``contacts`` contacts at once would not fit."""
    available = available_bytes()
    need = contacts * BYTES_PER_CONTACT
    if available is None or workers <= 1 or workers * need <= available:
        return None
    fit = max(1, int(available // need)) if need > 0 else workers
    return (f"{workers} workers at once need about {size(workers * need)} of memory "
            f"({size(need)} each), more than the {size(available)} available: use "
            f"--workers {fit} or fewer")


def workers_that_fit(contacts: float, workers: int) -> int:
    """``workers``, or fewer (one at least) so that their replications fit in memory."""
    available = available_bytes()
    need = contacts * BYTES_PER_CONTACT
    if available is None or need <= 0:
        return workers
    return max(1, min(workers, int(available // need)))
