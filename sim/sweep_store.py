"""The resumable store of a sweep: a manifest and one file per finished work unit.

Like a lab notebook with one page per finished unit: each result is written to
``parts/`` the moment it arrives (atomically), filed under its point's key and its
replication (``pt-KEY-r0003.json``), beneath a ``manifest.json`` that fingerprints what
every point shares (:mod:`sim.sweep_prints`). Running the sweep again finds the finished
pages of every point it still has, whatever the grid's other values and their order, and
with more replications too (each draws its own streams, whatever their number); the
pages of a point the grid no longer has stay, for when it returns. A sweep that differs
in what the points share (the scenario, the seed, the grid's paths, a file read) is
refused (:class:`SweepConflictError`) instead of being mixed with them.

The manifest describes the tables beside it (``sweep.parquet``, ``sweep_summary.csv``):
its ``grid`` and ``replications`` are theirs. A sweep asking for others (a grid grown,
more replications) names them ``pending`` while it runs; it writes its tables, then the
manifest without ``pending``. An interrupted one leaves the earlier tables and their
manifest, ``pending`` saying what the same command again completes (a folder without
tables: ``pending`` only).

A folder of format 1 filed pages by point index (``p000002-r0003.json``): resumed with
the grid its manifest names (the prints it holds, :class:`sim.sweep_prints.LegacyPrints`),
its pages are filed again under their points' keys and the folder becomes format 2.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.output import clean_stale, deferred_signals, held_by, write_atomic
from sim.sweep_prints import RETIRED, LegacyPrints, SweepPrints, what_changed

TABLE = "sweep.parquet"
SUMMARY = "sweep_summary.csv"
MANIFEST = "manifest.json"
CURVES, HEATMAP = "sweep_curves.png", "sweep_heatmap.png"  # (drawn by sim.sweep_plots)
PARTS = "parts"
STORE_FORMAT = 2  # (1: parts filed by point index; resumed and filed again by key)
PART = re.compile(r"pt-([0-9a-f]{16})-r(\d{4,})\.json")
LEGACY_PART = re.compile(r"p(\d{6,})-r(\d{4,})\.json")
ASKED = ("grid", "replications")  # what a sweep asks for: the shape of its tables


class SweepConflictError(ValueError):
    """The output folder holds a different sweep (another scenario, grid, seed, ...)."""


def part_name(key: str, replication: int) -> str:
    """The file of replication ``replication`` of the point keyed ``key``."""
    return f"pt-{key}-r{replication:04d}.json"


def _part_row(path: Path, key: str, replication: int) -> dict[str, Any] | None:
    """The row a part file holds, or None if it is not the unit its name promises."""
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(row, dict) or row.get("point_key") != key or type(
            row.get("replication")) is not int or row["replication"] != replication:
        return None
    return row


def _has_numbers(row: dict[str, Any], kpis: Sequence[str]) -> bool:
    """Whether ``row`` holds every KPI of ``kpis``, each a number (or None: undefined)."""
    return all(kpi in row and (isinstance(row[kpi], (int, float)) or row[kpi] is None)
               for kpi in kpis)


def _changed(old: dict[str, Any], prints: dict[str, str],
             whole: dict[str, str] | None = None) -> list[str]:
    """The prints that differ, both ways (a print only one has, a policy, is a change too).

    ``whole``: prints an older manifest may hold instead for the same sweep.
    """
    whole = whole or {}
    return [name for name in [*prints, *(k for k in old if k not in prints and k not in RETIRED)]
            if old.get(name) != prints.get(name)
            and not (name in whole and old.get(name) == whole[name])]


class SweepStore:
    """The output folder of a resumable sweep: ``manifest.json`` and one file per unit.

    Args:
        out: The folder (created if needed).
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.parts = self.out / PARTS
        self.damaged: list[Path] = []
        self.sealed: dict[str, Any] | None = None  # the manifest of the finished sweep

    def open(self, sweep: SweepPrints, replications: int,
             point_kpis: Sequence[Sequence[str]], fresh: bool = False,
             ) -> dict[tuple[int, int], dict[str, Any]]:
        """Start or resume: check the manifest and return the finished units' rows.

        Args:
            sweep: The sweep's prints, description (written into the manifest for people,
                at every start or resume) and point keys.
            replications: Replications per point: a part beyond them is kept, for a
                sweep that asks for more, but no row of this one.
            point_kpis: The KPIs each point's rows must hold, by point (a grid may switch
                costs on or off: :func:`sim.metrics.kpi_names` of its scenario).
            fresh: Forget whatever the folder holds and start over.

        Returns:
            ``(point, replication)`` -> row, ``point`` the index in this sweep's grid.

        Raises:
            SweepConflictError: If the folder holds another sweep (and not ``fresh``).
        """
        other = self._other_results()
        if other:  # --fresh would delete their seal (manifest.json): not ours to remove
            raise SweepConflictError(f"{self.out}: holds the results of {other}, not a "
                                     "sweep; use another --out")
        if fresh:
            self.clear()
        description = dict(sweep.description)
        document: dict[str, Any] = {}
        if (self.out / MANIFEST).exists():
            document = self._manifest()
            if document.get("format") == STORE_FORMAT:
                self._check(document, sweep.prints, description)
            else:
                self._refile(self._check_legacy(document, sweep, description))
        elif self.parts.exists() and any(self.parts.glob("p*.json")):
            raise SweepConflictError(f"{self.out}: has finished parts but no {MANIFEST}; "
                                     "use --fresh to start over or another --out")
        # (again on a resume: the scenario's name, a file read may be new)
        self.sealed = {"format": STORE_FORMAT, "fingerprint": sweep.prints, **description}
        self._write_manifest(self._under_way(document))
        self.parts.mkdir(parents=True, exist_ok=True)
        for folder in (self.out, self.parts):  # left by a run killed mid-write (a table,
            clean_stale(folder)                # a figure, a part), not one still writing
        return self.finished(sweep.keys, replications, point_kpis)

    def _under_way(self, before: dict[str, Any]) -> dict[str, Any]:
        """The manifest while the sweep runs: the tables' grid and replications, its own pending.

        ``before``: the folder's manifest (its ``grid`` and ``replications`` are those of
        the tables beside it, if any; empty if none). A sweep asking for what the tables
        hold has nothing pending: they stay true whenever it stops.
        """
        asked = json.loads(json.dumps({k: self.sealed[k] for k in ASKED}, default=str))
        shown = {k: before[k] for k in ASKED if k in before} if (
            self.out / TABLE).exists() else {}
        if shown == asked:
            return self.sealed
        return {**{k: shown[k] if k in ASKED else v for k, v in self.sealed.items()
                   if k not in ASKED or k in shown}, "pending": asked}

    def _write_manifest(self, document: dict[str, Any]) -> None:
        text = json.dumps(document, indent=2, default=str) + "\n"
        write_atomic(self.out / MANIFEST, lambda p: p.write_text(text, encoding="utf-8"))

    def _manifest(self) -> dict[str, Any]:
        manifest = self.out / MANIFEST
        try:
            document = json.loads(manifest.read_text(encoding="utf-8"))
            if not isinstance(document["fingerprint"], dict):
                raise TypeError("'fingerprint' is not a mapping")
        except (ValueError, KeyError, TypeError) as exc:
            raise SweepConflictError(f"{manifest}: damaged ({type(exc).__name__}: {exc}); "
                                     "use --fresh to start over or another --out") from None
        return document

    def _refuse(self, document: dict[str, Any], description: dict[str, Any],
                changed: list[str]) -> None:
        raise SweepConflictError(
            f"{self.out}: holds a different sweep (changed: "
            f"{what_changed(document, description, changed)}); "
            "use --fresh to start over or another --out")

    def _check(self, document: dict[str, Any], prints: dict[str, str],
               description: dict[str, Any]) -> None:
        """Refuse another sweep; keep the files read by points this grid no longer has.

        A file a point of both sweeps reads, edited since: refused (``files``), though
        the point's key would file its parts apart (its contents are in the key).
        """
        changed = _changed(document["fingerprint"], prints)
        before, now = document.get("files_read"), description.get("files_read", {})
        if isinstance(before, dict):
            edited = [name for name in now if name in before and before[name] != now[name]]
            if edited and "scenario" not in changed:  # (the scenario's own log: its print)
                changed.append("files")
            kept = {name: d for name, d in before.items() if name not in now}
            if kept:  # (a dropped point's file, to compare when it returns)
                description["files_read"] = dict(sorted({**now, **kept}.items()))
        if changed:
            self._refuse(document, description, changed)

    def _check_legacy(self, document: dict[str, Any], sweep: SweepPrints,
                      description: dict[str, Any]) -> LegacyPrints:
        """A format-1 folder: its prints over its own grid; refused as before if they differ."""
        legacy = sweep.legacy(document.get("grid"))
        if legacy is None:
            self._refuse(document, description, ["grid"])
        changed = _changed(document["fingerprint"], legacy.prints, legacy.whole)
        if changed:
            self._refuse(document, description, changed)
        return legacy

    def _refile(self, legacy: LegacyPrints) -> None:
        """File a format-1 folder's parts under their points' keys (before its manifest)."""
        for path in sorted(self.parts.glob("p*-r*.json")):
            match = LEGACY_PART.fullmatch(path.name)
            if match is None:
                continue
            point, replication = int(match[1]), int(match[2])
            if point >= len(legacy.keys):
                continue  # (put there by hand: left as it is)
            try:
                row = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                row = None
            if isinstance(row, dict) and (row.get("point"), row.get("replication")) == (
                    point, replication):
                self.save({**row, "point_key": legacy.keys[point]})
            path.unlink()  # (damaged: computed again, as before)

    def _other_results(self) -> str | None:
        """The command whose results the folder holds (run, compare), or None."""
        other = held_by(self.out)
        return None if other in (None, "sweep") else f"a ccsim {other}"

    def finished(self, keys: Sequence[str], replications: int,
                 point_kpis: Sequence[Sequence[str]],
                 ) -> dict[tuple[int, int], dict[str, Any]]:
        """Rows of this sweep's units written so far, by ``(point, replication)``.

        ``keys``: each point's key. A damaged part of one of its points (not JSON,
        another unit's row, a KPI of its point missing or not a number) is removed, so
        its unit is computed again; :attr:`damaged` names such files. The parts of
        points the sweep does not have are left as they are; one of a replication beyond
        ``replications`` is kept, for a sweep that asks for more, but no row of this one.
        """
        rows = {}
        self.damaged = []
        index = {key: point for point, key in enumerate(keys)}
        for path in sorted(self.parts.glob("pt-*-r*.json")):
            match = PART.fullmatch(path.name)
            point = index.get(match[1]) if match else None
            if point is None:
                continue  # (a point of another grid: kept for when it returns)
            row = _part_row(path, match[1], int(match[2]))
            if row is None or not _has_numbers(row, point_kpis[point]):
                self.damaged.append(path)
                path.unlink(missing_ok=True)
            elif row["replication"] < replications:
                rows[(point, row["replication"])] = {**row, "point": point}
        return rows

    def save(self, row: dict[str, Any]) -> None:
        """Write one unit's row, filed by its ``point_key`` (atomically: never half a file)."""
        text = json.dumps(row)
        write_atomic(self.parts / part_name(row["point_key"], row["replication"]),
                     lambda p: p.write_text(text, encoding="utf-8"))

    def write_results(self, table: pd.DataFrame, summary: pd.DataFrame) -> list[Path]:
        """Write ``sweep.parquet`` and ``sweep_summary.csv``, then the manifest that names them.

        Each file atomically; Ctrl-C and ``kill`` held back until all are written, so the
        manifest never names a grid the tables do not hold (``pending`` ends here). The
        figures of the tables before go first: drawn again from these (:mod:`sim.cli_sweep`),
        never left beside them, also when a signal held back stops the command here.
        """
        with deferred_signals():
            for name in (CURVES, HEATMAP):
                (self.out / name).unlink(missing_ok=True)
            written = [
                write_atomic(self.out / TABLE, lambda p: table.to_parquet(p, index=False)),
                write_atomic(self.out / SUMMARY, lambda p: summary.to_csv(p, index=False))]
            if self.sealed is not None:  # (opened: the sweep these tables are)
                self._write_manifest(self.sealed)
            return written

    def clear(self) -> None:
        """Remove the sweep's own files (parts, manifest, tables, figures); nothing else."""
        shutil.rmtree(self.parts, ignore_errors=True)
        for name in (MANIFEST, TABLE, SUMMARY, CURVES, HEATMAP):
            (self.out / name).unlink(missing_ok=True)
