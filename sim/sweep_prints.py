"""What decides a sweep's numbers: the prints a resumable folder compares, and point keys.

Like the label on a sample jar: the folder's ``manifest.json`` holds short hashes of what
every point shares (the scenario, but for its name, seed and variants, which decide no
row, and its values at the grid's paths, which every point sets; the grid's paths, the
seed, the KPI names, the engine's results version and the version of the KPI
definitions, a routing policy; a replayed call log's rows and the order of names given
out of sorted order), and each point's parts are filed under the point's *key*: its
values, and the contents of any file or the order of any names its values bring in.
Replication r of a point draws from the (seed, r) streams whatever the other points
(common random numbers), so a point's parts serve any grid that has the point.

Folders of store format 1 (:mod:`sim.sweep_store`) filed parts by the point's index and
fingerprinted the grid's values: :func:`legacy_fingerprint` is that print, unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from sim.empirical_times import Empirical
from sim.engine import RESULTS_VERSION
from sim.grid import Grid, point_scenarios, run_value
from sim.loader import ScenarioError
from sim.metrics import METRICS_VERSION, kpi_names
from sim.overrides import apply_override, path_keys
from sim.scenario import Scenario
from sim.scenario_contacts import Arrivals
from sim.weekdays import WEEKDAYS, Weekday

RETIRED = ("replications",)  # prints older manifests hold that decide no row's numbers

FileReads = list[dict[str, tuple[str, str]]]
"""What files gave a sweep, the base first then each point: dotted path -> (file, digest)."""


@dataclass(frozen=True)
class LegacyPrints:
    """What a format-1 folder's manifest must hold to be this sweep: its prints and keys.

    Attributes:
        prints: :func:`legacy_fingerprint` of the sweep over the folder's own grid.
        whole: :func:`legacy_prints`, the print a folder older still holds.
        keys: The point key of each of that grid's points, by its index.
    """

    prints: dict[str, str]
    whole: dict[str, str]
    keys: list[str]


@dataclass(frozen=True)
class SweepPrints:
    """What a resumable sweep writes into its manifest and files its parts under.

    Attributes:
        prints: :func:`fingerprint`.
        description: For people, and to name what changed (grid, fields, files read).
        keys: :func:`point_keys`, by point.
        legacy: The old grid (as a manifest of format 1 describes it) -> its
            :class:`LegacyPrints`, or None if that grid cannot be rebuilt.
    """

    prints: dict[str, str]
    description: dict[str, Any]
    keys: list[str]
    legacy: Callable[[Any], LegacyPrints | None]


def sweep_prints(scenario: Scenario, grid: Grid, points: Sequence[Scenario], seed: int,
                 replications: int, policy: dict[str, Any] | None = None,
                 source: str | None = None) -> SweepPrints:
    """The prints, description and point keys of a sweep (``policy``: its source's print)."""
    reads = file_reads(scenario, points)
    part = scenario_part(scenario, grid.paths)  # (once: a model dump and any log's digest)
    about: dict[str, Any] = {"scenario": scenario.name,
                             "grid": {p: list(v) for p, v in grid.parameters}, "seed": seed,
                             "replications": replications,
                             "scenario_fields": scenario_fields(part)}  # (to name changes)
    if policy is not None:
        about["policy"] = policy
    named = files_read(reads)
    if named:  # (as before, without files)
        about["files_read"] = named

    def legacy(old_grid: Any) -> LegacyPrints | None:
        try:
            old = Grid.from_spec(old_grid)
            old_points = points if old == grid else point_scenarios(scenario, old, source
                                                                    ).scenarios
        except (ValueError, TypeError, AttributeError, ScenarioError):
            return None  # (a grid its values no longer make)
        old_reads = reads if old == grid else file_reads(scenario, old_points)
        return LegacyPrints(
            legacy_fingerprint(scenario, old, seed, old_points, policy, old_reads),
            legacy_prints(scenario), point_keys(scenario, old, old_points, old_reads))

    return SweepPrints(fingerprint(scenario, grid, seed, part, policy), about,
                       point_keys(scenario, grid, points, reads), legacy)


def fingerprint(scenario: Scenario, grid: Grid, seed: int, part: Any = None,
                policy: dict[str, Any] | None = None) -> dict[str, str]:
    """Short hashes of what every point of a sweep shares, one per ingredient.

    The grid's values are no ingredient (each point's key holds its own), its paths are:
    the scenario's print blanks the fields there (``part``: :func:`scenario_part`, if the
    caller has it). ``order``: the names of mappings (agent groups, ...) the scenario gives
    out of sorted order (JSON sorts them). ``policy``: the user's routing policy every
    point runs under (:func:`sim.policy_source.policy_source`), by its class and its
    file's digest (not its path: the same file moved is the same policy).
    """
    parts = _shared(scenario, sorted(grid.paths), seed, policy,
                    scenario_part(scenario, grid.paths) if part is None else part)
    orders = name_orders(scenario)
    if orders:
        parts["order"] = orders
    return {name: _digest(value) for name, value in parts.items()}


def _shared(scenario: Scenario, grid: Any, seed: int, policy: dict[str, Any] | None,
            part: Any) -> dict[str, Any]:
    """The ingredients both formats' prints hold, ``grid`` as each makes it."""
    parts: dict[str, Any] = {"scenario": part, "grid": grid, "seed": seed,
                             "kpis": list(kpi_names(scenario)), "engine": RESULTS_VERSION,
                             "metrics": METRICS_VERSION}
    if policy is not None:
        parts["policy"] = {k: policy[k] for k in ("class", "module", "sha256")}
    return parts


def point_keys(scenario: Scenario, grid: Grid, points: Sequence[Scenario],
               reads: FileReads) -> list[str]:
    """The key of each point: its values by path, and what its values bring in.

    A value as it runs (:func:`sim.grid.run_value`: ``4.0`` is ``4``, ``3m`` is ``180s``),
    as the grid tells a value given twice.

    With a path inside another (``agents.pool``, ``agents.pool.staff``), the later one
    wins: the paths' order is in the key too.

    A value naming a file (a call log to replay, an empirical ``file``) brings the file's
    contents; a mapping given out of sorted order, its names' order. Both are in the key
    only where the point's differ from the scenario's (which the fingerprint holds).
    """
    base_files = {path: digest for path, (_, digest) in reads[0].items()}
    base_orders = name_orders(scenario)
    nested = _nested(grid.paths)
    keys = []
    for values, point, found in zip(grid.points(), points, reads[1:]):
        what: dict[str, Any] = {"values": {p: run_value(v) for p, v in values.items()}}
        if nested:  # (the later of agents.pool, agents.pool.staff wins: the order decides)
            what["paths"] = grid.paths
        files = {path: digest for path, (_, digest) in found.items()}
        if files != base_files:
            what["files"] = files
        orders = name_orders(point)
        if orders != base_orders:
            what["order"] = orders
        keys.append(_digest(what))
    return keys


def _nested(paths: Sequence[str]) -> bool:
    """Whether a path lies inside another (``agents.pool``, ``agents.pool.staff[3]``).

    Or is another written otherwise (``x.staff.3``, ``x.staff[3]``): the same field twice.
    """
    keys = [path_keys(path) for path in paths]
    return any(i != j and b[:len(a)] == a for i, a in enumerate(keys)
               for j, b in enumerate(keys))


def legacy_fingerprint(scenario: Scenario, grid: Grid, seed: int,
                points: Sequence[Scenario] = (),
                policy: dict[str, Any] | None = None,
                reads: FileReads | None = None) -> dict[str, str]:
    """The prints of a folder of store format 1, one per ingredient.

    Its parts were filed by point index, so the grid's values were an ingredient.
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
    parts = _shared(scenario, [[path, list(values)] for path, values in grid.parameters],
                    seed, policy, scenario_part(scenario, grid.paths))
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
    return {"scenario": _digest(scenario_part(scenario, None))}


def scenario_part(scenario: Scenario, swept: Sequence[str] | None) -> Any:
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


def scenario_fields(part: Any) -> dict[str, str]:
    """Field (``close``, ``agents.pool``) -> short digest: the manifest's ``scenario_fields``.

    The fields the ``scenario`` print hashes (``part``: :func:`scenario_part`, the grid's
    paths blanked), each named thing of a mapping apart, so that a refused resume can say
    which changed (:meth:`sim.sweep_store.SweepStore.open`).
    """
    fields = {}
    for key, value in part.get("scenario", part).items():  # (a log's rows: files_read)
        for name, sub in value.items() if isinstance(value, dict) and value else [("", value)]:
            fields[f"{key}.{name}" if name else key] = _digest(sub)
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

    Lets a refused resume name the files edited since (:meth:`sim.sweep_store.SweepStore.open`).
    """
    named: dict[str, set[str]] = {}
    for found in reads:
        for name, digest in found.values():
            named.setdefault(name, set()).add(digest[:16])
    return {name: sorted(digests) for name, digests in sorted(named.items())}


def what_changed(old: dict[str, Any], new: dict[str, Any], changed: list[str]) -> str:
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
        pending = old.get("pending")  # (a folder without tables: its sweep's grid only)
        grid = old.get("grid", pending.get("grid") if isinstance(pending, dict) else None)
        swept = set(grid if isinstance(grid, dict) else {}) ^ set(new["grid"])  # (blanked in one)
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


