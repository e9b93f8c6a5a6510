"""The resumable store of a sweep: a manifest and one file per finished work unit.

Like a lab notebook with one page per finished unit: each result is written to
``parts/`` the moment it arrives (atomically), under a ``manifest.json`` that fingerprints
what determines the results (the scenario, but for its name, seed and variants, which
decide no row; the grid, the seed, the KPI names, the engine's results version and the
version of the KPI definitions; a replayed call log's rows, the contents of any file the
grid names, and the order of names given out of sorted order).
Running the same sweep again finds the finished pages, with more replications too (each
draws its own streams, whatever their number); a different sweep in the same folder is
refused (:class:`SweepConflictError`) instead of being mixed with them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from sim.empirical_times import Empirical
from sim.engine import RESULTS_VERSION
from sim.grid import Grid
from sim.metrics import KPIS, METRICS_VERSION, kpi_names
from sim.output import COMPARISON_MANIFEST, clean_stale, write_atomic
from sim.overrides import apply_override
from sim.scenario import Scenario
from sim.scenario_contacts import Arrivals
from sim.weekdays import WEEKDAYS, Weekday

TABLE = "sweep.parquet"
SUMMARY = "sweep_summary.csv"
MANIFEST = "manifest.json"
CURVES, HEATMAP = "sweep_curves.png", "sweep_heatmap.png"  # (drawn by sim.sweep_plots)
PARTS = "parts"
STORE_FORMAT = 1
RETIRED = ("replications",)  # prints older manifests hold that decide no row's numbers


class SweepConflictError(ValueError):
    """The output folder holds a different sweep (another scenario, grid, seed, ...)."""


FileReads = list[dict[str, tuple[str, str]]]
"""What files gave a sweep, the base first then each point: dotted path -> (file, digest)."""


def fingerprint(scenario: Scenario, grid: Grid, seed: int,
                points: Sequence[Scenario] = (),
                policy: dict[str, Any] | None = None,
                reads: FileReads | None = None) -> dict[str, str]:
    """Short hashes of what determines a sweep's results, one per ingredient.

    ``points``: the scenario of each point (:func:`sim.grid.point_scenarios`). Where the
    grid names files (another call log to replay, an empirical ``file``) their contents
    are an ingredient too, ``files``: the grid holds their names only. So is ``order``,
    the names of mappings (agent groups, ...) given out of sorted order: JSON sorts them.
    The scenario's name (it titles the figures), its seed (``seed`` is the one the
    points draw from), its ``variants`` (no point runs them: ``ccsim compare`` does) and
    its values at the grid's paths (every point sets its own) are no ingredient
    (:func:`legacy_prints`: the print older folders hold). ``policy``: the user's routing
    policy every point runs under (:func:`sim.policy_source.policy_source`), by its class
    and its file's digest (not its path: the same file moved is the same policy); without
    one, no ``policy`` print, as before policies could be swept. ``reads``:
    :func:`file_reads` of the scenario and its points, if the caller has them already
    (default: read here).
    """
    parts: dict[str, Any] = {
        "scenario": _scenario_part(scenario, grid.paths),
        "grid": [[path, list(values)] for path, values in grid.parameters],
        "seed": seed,
        "kpis": list(kpi_names(scenario)),
        "engine": RESULTS_VERSION,
        "metrics": METRICS_VERSION,
    }
    if policy is not None:
        parts["policy"] = {k: policy[k] for k in ("class", "module", "sha256")}
    base, *read = [{path: digest for path, (_, digest) in found.items()} for found in (
        file_reads(scenario, points) if reads is None else reads)]
    if any(files != base for files in read):  # (only then: older folders resume as before)
        parts["files"] = read
    orders, point_orders = name_orders(scenario), [name_orders(sc) for sc in points]
    if any(order != orders for order in point_orders):  # a grid value that is a mapping
        parts["order"] = [orders, *point_orders]
    elif orders:  # (likewise)
        parts["order"] = orders
    return {name: _digest(value) for name, value in parts.items()}


def legacy_prints(scenario: Scenario) -> dict[str, str]:
    """The prints a folder older than this :func:`fingerprint` holds for the same sweep.

    Its ``scenario`` print held the whole scenario, name, seed and variants too; its
    ``replications`` print (:data:`RETIRED`) is no longer compared.
    """
    return {"scenario": _digest(_scenario_part(scenario, None))}


def _scenario_part(scenario: Scenario, swept: Sequence[str] | None) -> Any:
    """The scenario as the fingerprint hashes it, its fields at the ``swept`` paths blanked.

    Every point is the scenario's dump with the grid's values set at those paths, then
    validated (:func:`sim.loader.with_overrides`): what the scenario held there decides
    no point. ``swept`` None: as the fingerprint hashed it before, every field.
    """
    dump: dict[str, Any] = scenario.model_dump(mode="json")
    if swept is not None:  # what decides no row (see fingerprint)
        dump.update(name="", seed=0, variants={})
        for path in swept:  # (the points were made: it applies; if not, keep it all)
            with contextlib.suppress(ValueError):
                apply_override(dump, path, "(swept)")
    logs = {name: ct.arrivals.trace_digest() for name, ct in scenario.contact_types.items()
            if ct.arrivals.trace is not None}
    # a replayed log's rows, which the dump names by path only (others: as before)
    return {"scenario": dump, "logs": logs} if logs else dump


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def scenario_fields(scenario: Scenario, swept: Sequence[str]) -> dict[str, str]:
    """Field (``close``, ``agents.pool``) -> short digest: the manifest's ``scenario_fields``.

    The fields the ``scenario`` print hashes (``swept``: the grid's paths, blanked), each
    named thing of a mapping apart, so that a refused resume can say which changed
    (:meth:`SweepStore.open`).
    """
    dump = _scenario_part(scenario, swept)
    fields = {}
    for key, value in dump.get("scenario", dump).items():  # (a log's rows: files_read)
        for name, part in value.items() if isinstance(value, dict) and value else [("", value)]:
            fields[f"{key}.{name}" if name else key] = _digest(part)
    return fields


def _nodes(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every model, mapping, list and value in a scenario, by its dotted path."""
    yield path, node
    if isinstance(node, BaseModel):
        items: Iterable[tuple[Any, Any]] = ((k, getattr(node, k)) for k in type(node).model_fields)
    elif isinstance(node, dict):
        items = node.items()
    elif isinstance(node, (list, tuple)):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        yield from _nodes(value, f"{path}.{key}" if path else str(key))


def file_reads(scenario: Scenario, points: Sequence[Scenario] = ()) -> FileReads:
    """What files gave the scenario, then each point (:data:`FileReads`)."""
    return [_read_from_files(sc) for sc in (scenario, *points)]


def _read_from_files(scenario: Scenario) -> dict[str, tuple[str, str]]:
    """Dotted path -> (file as written, digest of what it gave), found anywhere in it.

    A replayed log's rows and an empirical distribution's values read from its ``file``:
    the scenario's dump names a log by its path only, and a file by nothing.
    """
    found = {}
    for path, node in _nodes(scenario):
        if isinstance(node, Arrivals) and node.trace is not None:
            found[path] = (node.trace, node.trace_digest())
        elif isinstance(node, Empirical) and node.file is not None:
            values = np.asarray(node.values, dtype=float)
            found[path] = (node.file, hashlib.sha256(values.tobytes()).hexdigest())
    return found


def files_read(reads: FileReads) -> dict[str, list[str]]:
    """File as written -> short digests of what it gave (the manifest's ``files_read``).

    Lets a refused resume name the files edited since (:meth:`SweepStore.open`).
    """
    named: dict[str, set[str]] = {}
    for found in reads:
        for name, digest in found.values():
            named.setdefault(name, set()).add(digest[:16])
    return {name: sorted(digests) for name, digests in sorted(named.items())}


def _what_changed(old: dict[str, Any], new: dict[str, Any], changed: list[str]) -> str:
    """'scenario, grid; fields changed: ...; edited since its parts were computed: FILE'.

    ``changed``: the prints that differ. From the manifests' ``scenario_fields`` (any field
    added, removed or changed, but for those at a path only the old or the new grid
    sweeps: blanked in one, they differ with the grid) and
    ``files_read`` (a file both read); a folder written before they were listed: neither.
    """
    said, edited = "", []
    before, now = old.get("files_read"), new.get("files_read")
    if isinstance(before, dict) and isinstance(now, dict):
        edited = [name for name in now if name in before and before[name] != now[name]]
    before, now = old.get("scenario_fields"), new.get("scenario_fields")
    if isinstance(before, dict) and isinstance(now, dict):
        swept = set(old.get("grid") or {}) ^ set(new["grid"])  # (blanked in one only)
        fields = [k for k in [*now, *(k for k in before if k not in now)]
                  if before.get(k) != now.get(k) and not any(
                      k == p or p.startswith(f"{k}.") or k.startswith(f"{p}.") for p in swept)]
        said += f"; fields changed: {', '.join(fields)}" if fields else ""
        if not fields and not edited and "grid" in changed:  # (the grid's paths, blanked)
            changed = [name for name in changed if name != "scenario"]
    said += f"; edited since its parts were computed: {', '.join(edited)}" if edited else ""
    return ", ".join(changed) + said


def name_orders(scenario: Scenario) -> dict[str, list[str]]:
    """Dotted path -> names of each mapping the user ordered otherwise than sorted.

    The order of agent groups and contact types decides who takes a contact several
    could take; the fingerprint's JSON sorts keys (and keeps doing so: the sweeps whose
    names are in sorted order resume as before).
    """
    # (not within variants: no point runs them)
    return {path: [str(k) for k in node] for path, node in _nodes(scenario)
            if isinstance(node, dict) and list(node) != sorted(node, key=_in_order)
            and path.split(".")[0] != "variants"}


def _in_order(key: Any) -> tuple[int, str]:
    """Names in sorted order; days of the week Monday first (as the loader keeps them)."""
    return (WEEKDAYS.index(key), "") if isinstance(key, Weekday) else (7, str(key))


def _part_row(path: Path) -> dict[str, Any] | None:
    """The row a part file holds, or None if it is not the row its name promises."""
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(row, dict):
        return None
    name = f"p{row.get('point', -1):06d}-r{row.get('replication', -1):04d}.json" if all(
        type(row.get(key)) is int for key in ("point", "replication")) else None
    return row if name == path.name else None


def _has_numbers(row: dict[str, Any], kpis: Sequence[str]) -> bool:
    """Whether ``row`` holds every KPI of ``kpis``, each a number (or None: undefined)."""
    return all(kpi in row and (isinstance(row[kpi], (int, float)) or row[kpi] is None)
               for kpi in kpis)


class SweepStore:
    """The output folder of a resumable sweep: ``manifest.json`` and one file per unit.

    Args:
        out: The folder (created if needed).
    """

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.parts = self.out / PARTS

    def open(self, prints: dict[str, str], description: dict[str, Any],
             fresh: bool = False, kpis: Sequence[str] = KPIS,
             units: tuple[int, int] | None = None,
             point_kpis: Sequence[Sequence[str]] | None = None,
             legacy: dict[str, str] | None = None,
             ) -> dict[tuple[int, int], dict[str, Any]]:
        """Start or resume: check the manifest and return the finished units' rows.

        Args:
            prints: The sweep's :func:`fingerprint`.
            description: Written into the manifest for people (grid, seed, ...), at every
                start or resume (a resume may ask for more replications).
            fresh: Forget whatever the folder holds and start over.
            kpis: The KPIs every finished unit's row must hold (:func:`kpi_names`).
            units: ``(points, replications)`` of the sweep: a part of a unit outside them
                is no row of it (:meth:`finished`). None: any unit.
            point_kpis: The KPIs of each point, by point, instead of ``kpis`` (a grid
                may switch costs on or off: :func:`sim.metrics.kpi_names` of its scenario).
            legacy: Prints an older manifest may hold instead for the same sweep
                (:func:`legacy_prints`); the manifest is then written with ``prints``.

        Raises:
            SweepConflictError: If the folder holds another sweep (and not ``fresh``).
        """
        other = self._other_results()
        if other:  # --fresh would delete their seal (manifest.json): not ours to remove
            raise SweepConflictError(f"{self.out}: holds the results of {other}, not a "
                                     "sweep; use another --out")
        if fresh:
            self.clear()
        manifest = self.out / MANIFEST
        if manifest.exists():
            try:
                document = json.loads(manifest.read_text(encoding="utf-8"))
                old = document["fingerprint"]
                if not isinstance(old, dict):
                    raise TypeError("'fingerprint' is not a mapping")
            except (ValueError, KeyError, TypeError) as exc:
                raise SweepConflictError(f"{manifest}: damaged ({type(exc).__name__}: {exc}); "
                                         "use --fresh to start over or another --out"
                                         ) from None
            # both ways: a print only one of them has (a policy) is a change too
            legacy = legacy or {}
            changed = [name for name in [*prints, *(k for k in old if k not in prints
                                                    and k not in RETIRED)]
                       if old.get(name) != prints.get(name)
                       and not (name in legacy and old.get(name) == legacy[name])]
            if changed:
                raise SweepConflictError(
                    f"{self.out}: holds a different sweep (changed: "
                    f"{_what_changed(document, description, changed)}); "
                    "use --fresh to start over or another --out")
        elif self.parts.exists() and any(self.parts.glob("p*.json")):
            raise SweepConflictError(f"{self.out}: has finished parts but no {MANIFEST}; "
                                "use --fresh to start over or another --out")
        # (again on a resume: it may ask for another number of replications)
        document = {"format": STORE_FORMAT, "fingerprint": prints, **description}
        text = json.dumps(document, indent=2, default=str) + "\n"
        write_atomic(manifest, lambda p: p.write_text(text, encoding="utf-8"))
        self.parts.mkdir(parents=True, exist_ok=True)
        for folder in (self.out, self.parts):  # left by a run killed mid-write (a table,
            clean_stale(folder)                # a figure, a part), not one still writing
        return self.finished(kpis, units, point_kpis)

    def _other_results(self) -> str | None:
        """The command whose results the folder holds (run, compare), or None.

        Their manifests list their files; a sweep's has a fingerprint instead.
        """
        if (self.out / COMPARISON_MANIFEST).is_file():
            return "a ccsim compare"
        try:
            document = json.loads((self.out / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # none, or damaged: open() says so
        if isinstance(document, dict) and "fingerprint" not in document and "files" in document:
            return "a ccsim run"
        return None

    def finished(self, kpis: Sequence[str] = KPIS, units: tuple[int, int] | None = None,
                 point_kpis: Sequence[Sequence[str]] | None = None,
                 ) -> dict[tuple[int, int], dict[str, Any]]:
        """Rows of the units written so far, by ``(point, replication)``.

        A damaged part (not JSON, another unit's row, a KPI missing or not a number) is
        removed, so its unit is computed again; :attr:`damaged` names such files. So is a
        part of a point the sweep does not have (``units``: its points and replications);
        one of a replication beyond its number is kept, for a sweep that asks for more,
        but no row of this one. The KPIs a row must hold are its point's (``point_kpis``),
        else ``kpis``.
        """
        rows = {}
        self.damaged: list[Path] = []
        for path in sorted(self.parts.glob("p*-r*.json")):
            row = _part_row(path)
            if row is not None and units is not None and not (
                    0 <= row["point"] < units[0] and row["replication"] >= 0):
                row = None  # (put there by hand: the fingerprint fixes the grid's size)
            if row is not None and not _has_numbers(row, kpis if point_kpis is None or not (
                    0 <= row["point"] < len(point_kpis)) else point_kpis[row["point"]]):
                row = None
            if row is None:
                self.damaged.append(path)
                path.unlink(missing_ok=True)
                continue
            if units is None or row["replication"] < units[1]:
                rows[(row["point"], row["replication"])] = row
        return rows

    def save(self, row: dict[str, Any]) -> None:
        """Write one unit's row (atomically: a killed run never leaves half a file)."""
        name = f"p{row['point']:06d}-r{row['replication']:04d}.json"
        text = json.dumps(row)
        write_atomic(self.parts / name, lambda p: p.write_text(text, encoding="utf-8"))

    def write_results(self, table: pd.DataFrame, summary: pd.DataFrame) -> list[Path]:
        """Write ``sweep.parquet`` and ``sweep_summary.csv`` (atomically)."""
        return [write_atomic(self.out / TABLE, lambda p: table.to_parquet(p, index=False)),
                write_atomic(self.out / SUMMARY, lambda p: summary.to_csv(p, index=False))]

    def clear(self) -> None:
        """Remove the sweep's own files (parts, manifest, tables, figures); nothing else."""
        shutil.rmtree(self.parts, ignore_errors=True)
        for name in (MANIFEST, TABLE, SUMMARY, CURVES, HEATMAP):
            (self.out / name).unlink(missing_ok=True)
