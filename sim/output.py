"""Output: a run's files on disk, each written atomically, sealed by a manifest.

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace``), so an interrupted run never leaves a half-written file behind: either
the old file or the complete new one is there.

A folder holds several files, though, and a run killed between two renames would leave
new files beside old ones (a summary of seed 2 beside the contacts of seed 1). So a run
first removes the folder's ``manifest.json``, then writes its files, and writes the
manifest last: the seal, with the size and SHA-256 digest of every file. A reader
(:func:`verify_run`) accepts a folder only if the seal is there and every file matches
it, like a delivery note checked against the boxes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
"""The seal of a results folder: written last, it lists every file with its digest."""

MANIFEST_FORMAT = 1
COMPARISON_MANIFEST = "comparison.json"
"""A comparison's seal: written last, with what was compared and the digests of its files."""
OPTIONAL = ("traces.parquet", "legs.parquet", "measures.json",
            "intervals_by_replication.parquet", "rules.csv", COMPARISON_MANIFEST)
"""Files a run writes only sometimes (or a comparison's seal): removed first, so none
survives from an older run or comparison into the same folder."""
REPORT = ("report.html", "wait_cdf.png", "intervals.png", "day.png", "day_*.png",
          "occupancy.png", "journey.png", "fcr.png", "kpis.png", "differences.png")
"""A report's page and figures (``day_*``: a comparison's days): removed as a run or a
comparison is written into a folder, so an older one's never sits beside its results."""


class ResultsError(ValueError):
    """A results folder that cannot be trusted or read; ``str()`` is one line."""


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = str(temporary_file(target))
    try:  # from here on: an interrupt (Ctrl-C, kill) cannot leave the temporary file
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        release(tmp)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold Ctrl-C and ``kill`` (SIGINT, SIGTERM) back while the block writes a folder.

    From unsealing a results folder to sealing it, an interrupt left a mix of the old
    run's files and the new one's, unsealed (``ccsim report`` refused it: the earlier run
    was lost). Held back, each signal is raised again as the block ends, under the
    handlers it would have met, with the new results whole and sealed. Only in the main
    thread, where Python handles signals.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    kinds = (signal.SIGINT, signal.SIGTERM)
    before = {kind: signal.signal(kind, lambda signum, _frame: received.append(signum))
              for kind in kinds}
    try:
        yield
    finally:
        for kind in kinds:
            signal.signal(kind, before[kind])
        for signum in received[:1]:  # (one interrupt is enough)
            signal.raise_signal(signum)


def temporary_file(target: str | Path) -> Path:
    """A new empty file next to ``target`` to write it under: ``.NAME.pidPID.XXXX.tmp``.

    The writing process's id is in the name: :func:`clean_stale` removes a temporary only
    once that process has ended (a killed run's), never one another run is still writing;
    this process's own are live until given to :func:`release`.
    """
    target = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.pid{os.getpid()}.", suffix=".tmp",
                               dir=target.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it owner-only; outputs are to share
    _LIVE.add(os.path.abspath(tmp))
    return Path(tmp)


def release(tmp: str | Path) -> None:
    """The temporary ``tmp`` is no longer written (moved into place or removed)."""
    _LIVE.discard(os.path.abspath(tmp))


_LIVE: set[str] = set()
"""This process's temporaries still being written (a stream's last a whole run)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, writer: Callable[[Path], Any]) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``path``."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def plain(value: Any) -> Any:
    """JSON-safe value: NaN and infinities become null."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return plain(value.item())
    return value


_WRITER = re.compile(r"\.pid(\d+)\.[^.]*\.tmp$")


def clean_stale(out: Path) -> None:
    """Remove temporary files (``.NAME.XXXX.tmp``) left in ``out`` by a killed write.

    A temporary still being written is left alone: this process's own
    (:func:`temporary_file`), and one whose writer, named in it, is another process still
    running (a second run into the same folder, still streaming).
    """
    if out.is_dir():
        for stale in out.glob(".*.tmp"):
            writer = _WRITER.search(stale.name)
            if os.path.abspath(stale) in _LIVE or (writer and running(int(writer.group(1)))):
                continue
            stale.unlink(missing_ok=True)


def running(pid: int) -> bool:
    """Whether ``pid`` is another process that is still running."""
    if pid == os.getpid() or os.name != "posix":
        # this process's own leftovers (not live) are stale; elsewhere than POSIX,
        # os.kill(pid, 0) would not ask but stop the process: treated as ended
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, another user's; or no way to tell: keep it
    return True


def unseal(out: Path, names: tuple[str, ...] = ()) -> None:
    """Before writing into ``out``: remove its seal, stale temporaries and ``names`` (globs).

    From here until :func:`seal`, a reader refuses the folder.
    """
    (out / MANIFEST).unlink(missing_ok=True)
    for name in names:  # (a name may be a pattern: day_*.png)
        for path in out.glob(name) if "*" in name else [out / name]:
            path.unlink(missing_ok=True)
    clean_stale(out)


def file_digest(path: Path) -> str:
    """The SHA-256 digest of a file's bytes (hex)."""
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def seal(out: Path, files: list[Path], about: dict[str, Any], name: str = MANIFEST) -> Path:
    """Write the manifest of ``files`` (paths inside ``out``) last; its path.

    Args:
        out: The results folder.
        files: The files written, each in ``out`` or a subfolder of it.
        about: Written into the manifest too, for people (seed, replications).
        name: The manifest's file name.
    """
    entries = {}
    for path in files:
        path = Path(path)
        entries[path.relative_to(out).as_posix()] = {"bytes": path.stat().st_size,
                                                    "sha256": file_digest(path)}
    document = {"format": MANIFEST_FORMAT, **plain(about), "files": entries}
    text = json.dumps(document, indent=2) + "\n"
    return write_atomic(out / name, lambda p: p.write_text(text, encoding="utf-8"))


def verify(out: str | Path, name: str = MANIFEST) -> dict[str, Any]:
    """The manifest of the folder ``out``, after checking every file it lists.

    Raises:
        ResultsError: If the manifest is missing or damaged, or a file it lists is
            missing or differs from it (truncated, emptied, replaced by another run's).
    """
    out = Path(out)
    path = out / name
    if not path.is_file():
        raise ResultsError(f"{out}: no {name}: the run that wrote this folder did not "
                           "finish (or an older ccsim wrote it); run it again")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        files = document["files"]
        if not isinstance(files, dict):
            raise TypeError("'files' is not a mapping")
    except (ValueError, KeyError, TypeError) as exc:
        raise ResultsError(f"{path}: damaged ({exc}); run it again") from None
    for relative, entry in files.items():
        file = out / relative
        if not file.is_file():
            raise ResultsError(f"{file}: missing, though {name} lists it; run it again")
        size, expected = file.stat().st_size, entry.get("bytes")
        if size != expected:
            why = f"{size:,} bytes, {name} says {expected}"
        elif file_digest(file) != entry.get("sha256"):
            why = f"its SHA-256 digest differs from {name}'s"
        else:
            continue
        raise ResultsError(f"{file}: {why}: changed or damaged since the run wrote it; "
                           "run it again")
    return document


_MOVED = ("summary_dict", "kept_all", "write_run", "replication_measures")


def __getattr__(name: str) -> Any:
    """The run-folder functions that moved to :mod:`sim.results_folder`, under old names."""
    if name in _MOVED:
        from sim import results_folder

        return getattr(results_folder, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def held_by(folder: str | Path) -> str | None:
    """The command whose results ``folder`` holds: ``run``, ``compare``, ``sweep``, or None.

    A comparison is sealed by ``comparison.json``; a run's ``manifest.json`` lists its
    files, a sweep's has a fingerprint instead. None: none of them, or a damaged manifest
    (its reader says so).
    """
    folder = Path(folder)
    if (folder / COMPARISON_MANIFEST).is_file():
        return "compare"
    try:
        document = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    if "fingerprint" in document:
        return "sweep"
    return "run" if "files" in document else None
