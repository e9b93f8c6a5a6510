"""A replication's tables handed from a local worker process to the parent through a file.

A :class:`concurrent.futures.ProcessPoolExecutor` sends each result back through a pipe.
For 60 days of ``small_bank`` (25 MB of tables per replication) that took 90 ms, while
the worker waited to send and the parent copied the bytes in 64 KB reads: an eighth of
the replication's own time, lost on every one. Written by the worker to a file in RAM
(``/dev/shm``) with pickle protocol 5 and read back by the parent, the same tables take
15 ms, and their arrays are not copied again on the way in.

Each local pool (:class:`sim.parallel.LocalPool`) has a folder of its own,
``ccsim-handoff.pidPID.XXXX`` (only its user may read or write it), in ``/dev/shm`` where
there is one and in the temporary folder otherwise. The parent removes each file as it
reads it and the folder when the pool shuts down, or, if it was killed outright, the
next pool made on the machine does (:func:`handoff_folder`). When a file cannot be
written (``/dev/shm`` full: Docker gives it 64 MB), the tables go through the pipe as
before. Executors given by the caller (a Dask cluster) always use their own transport:
their workers may be other machines.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

from sim.measure import ReplicationTables
from sim.output import running

PREFIX = "ccsim-handoff."
_OWNER = re.compile(r"^ccsim-handoff\.pid(\d+)\.")


class Handoff(NamedTuple):
    """A worker's tables, waiting in a file for the parent to read (and remove)."""

    path: str


def handoff_root() -> Path:
    """Where handoff folders go: ``/dev/shm`` (RAM) if writable, else the temporary folder."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm
    return Path(tempfile.gettempdir())


def handoff_folder(root: Path | None = None) -> Path:
    """A new private folder for one pool's handoffs, after removing those of ended processes.

    Args:
        root: Where to make it (default :func:`handoff_root`).
    """
    root = handoff_root() if root is None else root
    if os.name == "posix":  # elsewhere no process can be asked whether it still runs
        for stale in root.glob(f"{PREFIX}pid*"):
            if _ended_owner(stale):
                shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}pid{os.getpid()}.", dir=root))


def _ended_owner(folder: Path) -> bool:
    """Whether ``folder`` is this user's handoff folder of a process that has ended.

    Anything else in the shared folder (another user's, a name that is no pid) is left alone.
    """
    owner = _OWNER.match(folder.name)
    try:
        pid = int(owner.group(1)) if owner else 0
        mine = folder.is_dir() and not folder.is_symlink() and folder.stat().st_uid == os.getuid()
        return 0 < pid != os.getpid() and mine and not running(pid)
    except (OSError, OverflowError, ValueError):
        return False


def send(tables: ReplicationTables, folder: str | Path) -> ReplicationTables | Handoff:
    """In a worker: ``tables`` written to a new file in ``folder``.

    If that fails (the folder is full or gone), the tables themselves, for the pipe.
    """
    path = None
    try:
        fd, path = tempfile.mkstemp(prefix="replication.", suffix=".pickle", dir=folder)
        with os.fdopen(fd, "wb") as file:
            pickle.dump(tables, file, protocol=pickle.HIGHEST_PROTOCOL)
    except OSError:
        if path is not None:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return tables
    return Handoff(path)


def discard(result: ReplicationTables | Handoff) -> None:
    """Remove a handoff's file that nobody will read (the run stopped early)."""
    if isinstance(result, Handoff):
        with contextlib.suppress(OSError):
            os.unlink(result.path)


def receive(result: ReplicationTables | Handoff) -> ReplicationTables:
    """In the parent: the tables a worker sent, reading and removing their file if any."""
    if not isinstance(result, Handoff):
        return result
    try:
        with open(result.path, "rb") as file:
            return pickle.load(file)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(result.path)


def remove(folder: str | Path) -> None:
    """Remove a pool's handoff folder and whatever is left in it; never raises."""
    shutil.rmtree(folder, ignore_errors=True)
