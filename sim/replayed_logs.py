"""Replayed call logs: where a run's logs are, and whether they are still what it read.

A scenario may replay a call log (``arrivals: {trace: calls.csv}``), a path relative to
the scenario file. The run's ``scenario.json`` keeps that relative path, so a redraw
(``ccsim report DIR``) started in another folder would read another file of that name,
or none. The run's manifest therefore names each replayed log by its absolute path and
the SHA-256 digest of its bytes (:func:`log_entries`), and a reader reads the logs from
there, refusing one that is gone or changed since the run (:func:`run_logs`): its rows
are part of what the run was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.output import ResultsError, file_digest
from sim.scenario import Scenario


def log_entries(scenario: Scenario) -> dict[str, dict[str, str]]:
    """Contact type -> ``{"path": absolute path, "sha256": digest}`` of each replayed log."""
    entries = {}
    for name, ct in scenario.contact_types.items():
        arrivals = ct.arrivals
        if arrivals.trace is None:
            continue
        path = (Path(arrivals.base_dir) / arrivals.trace).resolve()
        entries[name] = {"path": str(path), "sha256": file_digest(path)}
    return entries


def run_logs(data: dict[str, Any], logs: Any, manifest: Path) -> dict[str, Any]:
    """``scenario.json``'s fields with each replayed log's path made the run's own.

    Args:
        data: The scenario's fields as saved (changed in place and returned).
        logs: The manifest's ``logs`` (absent: an older run, its paths are kept).
        manifest: The manifest's path, for messages.

    Raises:
        ResultsError: If the manifest's ``logs`` is damaged, or a log is missing or its
            bytes differ from the digest the run recorded.
    """
    if logs is None:
        return data
    if not isinstance(logs, dict):
        raise ResultsError(f"{manifest}: damaged ('logs' is not a mapping); run it again")
    for name, entry in logs.items():
        where = f"contact_types.{name}.arrivals.trace"
        try:
            path, digest = Path(entry["path"]), entry["sha256"]
            arrivals = data["contact_types"][name]["arrivals"]
        except (KeyError, TypeError):
            raise ResultsError(f"{manifest}: damaged (no valid log of {where}); "
                               "run it again") from None
        if not path.is_file():
            raise ResultsError(f"{path}: the call log this run replayed ({where}) is gone; "
                               "put it back or run again")
        if file_digest(path) != digest:
            raise ResultsError(f"{path}: the call log this run replayed ({where}) changed "
                               f"since the run (its SHA-256 digest differs from {manifest}'s); "
                               "restore it or run again")
        arrivals["trace"] = str(path)
    return data
