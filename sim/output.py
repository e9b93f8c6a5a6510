"""Output: a run's files on disk, each written atomically.

Every file is written to a temporary name in the same folder and renamed into place
(``os.replace``), so an interrupted run never leaves a half-written file behind: either
the old file or the complete new one is there.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sim.replicate import RunResult


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:  # from here on: an interrupt (Ctrl-C, kill) cannot leave the temporary file
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it owner-only; outputs are to share
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, writer: Callable[[Path], Any]) -> Path:
    """Call ``writer(tmp_path)`` and move the result to ``path``."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def _plain(value: Any) -> Any:
    """JSON-safe value: NaN and infinities become null."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    return value


def summary_dict(result: RunResult) -> dict[str, Any]:
    """The ``summary.json`` document (see DESIGN.md, "Outputs").

    Beyond the contract's keys: ``stopping`` (how many replications a ``--precision`` run
    took and why it stopped) and ``contacts_replications`` (the replications whose raw
    tables were kept, when not all were).
    """
    document = {
        "scenario": result.scenario.name,
        "seed": result.seed,
        "replications": result.n_replications,
        "kpis": result.summary,
        "ci": result.ci,
        "by_type": result.by_type,
        "by_group": result.by_group,
    }
    if result.stopping is not None:
        document["stopping"] = result.stopping.as_dict()
    if not kept_all(result):
        document["contacts_replications"] = result.kept_replications
    return _plain(document)


def kept_all(result: RunResult) -> bool:
    """Whether the result holds the raw tables of every replication."""
    kept = getattr(result, "kept_replications", None)
    return kept is None or len(kept) == result.n_replications


def write_run(result: RunResult, out: str | Path) -> list[Path]:
    """Write summary.json, contacts.parquet, intervals.csv, replications.csv into ``out``.

    Also scenario.json, staff.parquet (agents on duty), legs.parquet (when contacts had
    several legs) and, when the run was traced, traces.parquet: enough to redraw the
    report later (:func:`sim.report.load_run`).
    """
    out = Path(out)
    text = json.dumps(summary_dict(result), indent=2)
    written = [
        write_atomic(out / "summary.json", lambda p: p.write_text(text + "\n", encoding="utf-8")),
        write_atomic(out / "contacts.parquet",
                     lambda p: result.contacts.to_parquet(p, index=False)),
        write_atomic(out / "intervals.csv",
                     lambda p: _round(result.intervals).to_csv(p, index=False)),
        write_atomic(out / "replications.csv",
                     lambda p: result.replications.to_csv(p, index=False)),
        # what `ccsim report DIR` needs to redraw the figures without re-running
        write_atomic(out / "scenario.json", lambda p: p.write_text(
            result.scenario.model_dump_json(indent=2) + "\n", encoding="utf-8")),
        write_atomic(out / "staff.parquet", lambda p: result.staff.to_parquet(p, index=False)),
    ]
    if result.traces:
        written.append(write_atomic(out / "traces.parquet", lambda p: pd.concat(
            result.traces, ignore_index=True).to_parquet(p, index=False)))
    legs = getattr(result, "legs", None)
    if legs is not None and len(legs):
        written.append(write_atomic(out / "legs.parquet",
                                    lambda p: legs.to_parquet(p, index=False)))
    if not kept_all(result):  # what the redraw needs of the replications without contacts
        measures = json.dumps(_plain(replication_measures(result)))
        written += [
            write_atomic(out / "measures.json",
                         lambda p: p.write_text(measures + "\n", encoding="utf-8")),
            write_atomic(out / "intervals_by_replication.parquet",
                         lambda p: result.intervals_by_replication.to_parquet(p, index=False)),
        ]
    return written


def replication_measures(result: RunResult) -> dict[str, Any]:
    """Per replication: its KPIs and its measures by contact type and agent group."""
    return {str(r): {"kpis": kpis, **measures}
            for r, kpis, measures in zip(
                result.replications["replication"],
                result.replications.drop(columns="replication").to_dict("records"),
                result.replication_measures)}


def _round(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.round(4)
