"""Sweeps: one scenario run over a grid of parameter values, in parallel and resumable.

A sweep is a factorial experiment. The *grid* names scenario fields by dotted path and
lists values for each (``agents.pool.staff: 36..48``, ``contact_types.calls.patience.mean:
1m, 3m, 10m``); every combination is a *point*, a scenario of its own
(:func:`sim.loader.with_overrides`). The *work unit* is one replication of one point:
it simulates and returns a small row of KPIs, so the units can run anywhere, in any
order: in this process, on every local core (the default) or on a Dask cluster, through
any :class:`concurrent.futures.Executor`.

Replication ``r`` of every point draws from the same ``(seed, r)`` streams: the points
are compared under common random numbers, and a unit's result does not depend on which
worker ran it, nor when. The table is sorted by ``(point, replication)``, so it is the
same whatever the number of workers.

With an output folder the sweep is resumable: each unit's result is written the moment it
arrives, and running the sweep again computes only the units not yet written, the grid's
values grown, shrunk or reordered too (a point's units serve any grid that has it); a
sweep that differs in what its points share is refused (:mod:`sim.sweep_store`). Grids and the
scenario of every point: :mod:`sim.grid`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.grid import Grid, GridPoints, GridSpec, point_scenarios
from sim.loader import Problem, ScenarioError
from sim.measure import replication_tables, tally_declined
from sim.metrics import COST_KPIS, KPIS, kpi_names
from sim.parallel import explained_broken_pool, local_executor, usable_cores
from sim.policy_source import policy_source
from sim.replicate import check_policy
from sim.routing import RoutingPolicy, replication_copy
from sim.scenario import Scenario
from sim.sweep_prints import name_orders, sweep_prints
from sim.sweep_store import SweepStore
from sim.sweep_summary import summarize  # also importable from here, its home before

# --- work units ---------------------------------------------------------------------------

NEVER_CHOSEN = "never_chosen"  # a row's types its policy never chose (not a table column)


@dataclass(frozen=True)
class Unit:
    """One replication of one point: everything a worker needs, nothing more."""

    point: int
    replication: int
    seed: int
    values: tuple[tuple[str, Any], ...]
    scenario: Scenario = field(repr=False)
    policy: RoutingPolicy | None = field(default=None, repr=False)


def run_unit(unit: Unit) -> dict[str, Any]:
    """Simulate one work unit; return its row: point, grid values, replication, seed, KPIs.

    The KPIs are those ``sim.run`` reports for the same replication (:mod:`sim.measure`),
    under the unit's routing policy if it has one (a copy of it, as each replication of
    ``sim.run`` gets). A row whose policy never chose a contact type also has
    ``never_chosen`` (:attr:`sim.measure.ReplicationTables.never_chosen`), kept in the
    store's part for a resumed sweep to tell too, not a column of the table.
    """
    policy = None if unit.policy is None else replication_copy(unit.policy)
    tables = replication_tables(unit.scenario, unit.seed, unit.replication, policy=policy)
    row = {"point": unit.point, **dict(unit.values), "replication": unit.replication,
           "seed": unit.seed, **{k: _plain(tables.kpis[k]) for k in kpi_names(unit.scenario)}}
    if tables.never_chosen:
        row[NEVER_CHOSEN] = dict(tables.never_chosen)
    return row


def _plain(value: Any) -> Any:
    """Python int/float from numpy scalars, so rows pickle and serialise the same everywhere."""
    return value.item() if hasattr(value, "item") else value


# --- executors ---------------------------------------------------------------------------

def _execute(units: Sequence[Unit], executor: Executor, window: int,
             on_row: Callable[[dict[str, Any]], None]) -> None:
    """Run the units, at most ``window`` in flight; call ``on_row`` as each one finishes.

    On any error or interrupt the units not started are cancelled and the error is
    raised; rows already handed to ``on_row`` stay handed.
    """
    todo = iter(units)
    pending: set[Future] = set()

    def fill() -> None:
        while len(pending) < window:
            unit = next(todo, None)
            if unit is None:
                return
            pending.add(executor.submit(run_unit, unit))

    try:
        fill()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            failed = [f for f in done if f.exception() is not None]
            for future in done:  # keep every finished unit before raising a failure
                if future not in failed:
                    on_row(future.result())
            if failed:
                raise failed[0].exception()
            fill()
    except BaseException:
        for future in pending:
            future.cancel()
        raise


# --- the sweep ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    """How far a sweep is: work units and points (all replications) finished."""

    units_done: int
    units_total: int
    points_done: int
    points_total: int
    computed: int  # units computed by this run (the rest were resumed from the store)


@dataclass
class SweepResult:
    """A finished sweep.

    Attributes:
        table: One row per point and replication: ``point``, one column per grid path,
            ``replication``, ``seed`` and every KPI (sorted by point, replication).
        summary: One row per point: grid values, ``replications``, and for each KPI its
            mean and ``<kpi>_ci``, the 95% confidence half-width (Student t).
        grid: The grid.
        computed: ``(point, replication)`` of the units this run computed.
        resumed: Number of units taken from the store instead.
        out: The output folder, if any.
        declined: Point -> contact type -> ``{"replications": k, "contacts": n}`` for each
            point and type its routing policy never chose (as
            :attr:`sim.replicate.RunResult.declined`, over the point's replications); no
            entry for a point whose policy chose every type.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    grid: Grid
    computed: list[tuple[int, int]]
    resumed: int
    out: Path | None = None
    declined: dict[int, dict[str, dict[str, int]]] = field(default_factory=dict)


def run_sweep(
    scenario: Scenario,
    grid: GridSpec | Grid,
    replications: int = 10,
    seed: int | None = None,
    executor: Executor | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    fresh: bool = False,
    progress: Callable[[Progress], None] | None = None,
    source: str | None = None,
    *,
    points: GridPoints | None = None,
    policy: RoutingPolicy | None = None,
) -> SweepResult:
    """Simulate every point of ``grid`` ``replications`` times (see the module docstring).

    Args:
        scenario: The base scenario.
        grid: Dotted path -> values, e.g. ``{"agents.pool.staff": [40, 41, 42]}`` or
            ``{"agents.pool.staff": "36:48:2"}``.
        replications: Replications per point (>= 1).
        seed: Seed of every random stream (default: the scenario's).
        executor: Where units run: any :class:`concurrent.futures.Executor` (e.g. a Dask
            ``Client(...).get_executor()``); it is not shut down. Default: a pool of
            ``workers`` local processes.
        workers: Local processes when ``executor`` is None (default: one per usable core).
        out: Folder for the resumable store and the tables; None keeps nothing on disk.
        fresh: Discard what ``out`` holds and start over.
        progress: Called with a :class:`Progress` at the start and after each unit.
        source: Name used in error messages (e.g. the scenario file).
        points: The points already validated, ``sim.grid.point_scenarios(scenario,
            grid)``, by a caller that needed them first (``ccsim sweep`` checks each
            one's size): they are not validated again. Default: validated here.
        policy: A routing policy every point runs under, instead of the scenario's
            ``routing_policy`` (see :func:`sim.replicate.run`); part of the store's
            fingerprint, by its class and its file's digest (:mod:`sim.policy_source`).

    Returns:
        The tables and what was computed.

    Raises:
        ScenarioError: If any point is invalid (nothing runs).
        SweepConflictError: If ``out`` holds a different sweep.
        ValueError: If the grid or ``replications`` is malformed, or ``points`` were
            validated for another grid or scenario.
    """
    if replications < 1:
        raise ValueError(f"'replications' must be >= 1, got {replications}")
    try:
        grid = Grid.from_spec(grid)
    except ValueError as exc:
        raise ScenarioError(source or scenario.name, [Problem("", str(exc))]) from None
    if points is None:
        points = point_scenarios(scenario, grid, source)
    else:
        _check_points(points, scenario, grid)
    seed = scenario.seed if seed is None else seed
    check_policy(policy, scenario, local_workers=executor is None and workers != 1)
    values = grid.points()
    units = [Unit(p, r, seed, tuple(values[p].items()), sc, policy)
             for p, sc in enumerate(points.scenarios) for r in range(replications)]
    # a grid may switch costs on or off: each point has its own KPIs, the table them all
    point_kpis = [kpi_names(sc) for sc in points.scenarios]
    kpis = [k for k in KPIS + COST_KPIS if any(k in names for names in point_kpis)]
    store = SweepStore(out) if out is not None else None
    prints = sweep_prints(scenario, grid, points.scenarios, seed, replications,
                          policy_source(policy), source
                          ) if store else None
    rows = store.open(prints, replications, point_kpis, fresh) if store and prints else {}
    for (point, _), row in rows.items():  # (as this grid gives them: JSON made tuples lists)
        row.update(values[point])
    todo = [u for u in units if (u.point, u.replication) not in rows]
    tracker = _Tracker(len(values), replications, rows, progress)
    tracker.report()

    def on_row(row: dict[str, Any]) -> None:
        if store is not None and prints is not None:
            store.save({**row, "point_key": prints.keys[row["point"]]})
        tracker.add(row)

    if todo:
        _run_units(todo, executor, workers, on_row)
    table = sweep_table([rows[key] for key in sorted(rows)], grid, kpis)
    result = SweepResult(table, summarize(table, grid.paths), grid, tracker.computed,
                         len(units) - len(todo), Path(out) if out is not None else None,
                         _declined(rows))
    if store is not None:
        store.write_results(result.table, result.summary)
    return result


def _declined(rows: dict[tuple[int, int], dict[str, Any]]
              ) -> dict[int, dict[str, dict[str, int]]]:
    """:attr:`SweepResult.declined` from the units' rows (a part's: as JSON read it)."""
    per_point: dict[int, list[dict[str, int]]] = {}
    for (point, _), row in sorted(rows.items()):
        never = row.get(NEVER_CHOSEN)
        if isinstance(never, dict):  # (a part edited by hand: its numbers only)
            never = {str(k): n for k, n in never.items() if type(n) is int and n > 0}
            if never:
                per_point.setdefault(point, []).append(never)
    return {point: tally_declined(never) for point, never in per_point.items()}


def _check_points(points: GridPoints, scenario: Scenario, grid: Grid) -> None:
    """Refuse points made for another sweep: the wrong scenarios would run, unseen."""
    if points.grid != grid:
        raise ValueError("'points' were validated for another grid "
                         f"({_difference(points.grid, grid)}): pass "
                         "sim.grid.point_scenarios(scenario, grid) of this sweep")
    if points.base is scenario:
        return
    # as the store fingerprints it (a trace's rows, numpy arrays, do not compare with ==)
    given, wanted = points.base.model_dump(mode="json"), scenario.model_dump(mode="json")
    given["variants"] = wanted["variants"] = {}  # (no point runs them: point_scenarios)
    if given != wanted or name_orders(points.base) != name_orders(scenario):  # (== ignores it)
        field = next((k for k in wanted if given.get(k) != wanted[k] or (
            isinstance(wanted[k], dict) and list(given.get(k) or {}) != list(wanted[k]))),
            "a field")
        raise ValueError(f"'points' were validated from another scenario (its {field} differs"
                         " from this sweep's): pass sim.grid.point_scenarios(scenario, grid) "
                         "of this sweep")


def _difference(given: Grid, wanted: Grid) -> str:
    """Where two grids part: their parameters, or the first parameter's values that differ."""
    if given.paths != wanted.paths:
        return f"parameters {', '.join(given.paths)}, not {', '.join(wanted.paths)}"
    path, values, other = next((path, values, other) for (path, values), (_, other)
                               in zip(given.parameters, wanted.parameters) if values != other)

    def few(vals: tuple[Any, ...]) -> str:
        return ", ".join(map(repr, vals[:4])) + (", ..." if len(vals) > 4 else "")

    return f"{path}: {few(values)}, not {few(other)}"


def _run_units(todo: list[Unit], executor: Executor | None, workers: int | None,
               on_row: Callable[[dict[str, Any]], None]) -> None:
    """Run on the given executor (all submitted) or on a local pool of our own."""
    if executor is not None:
        _execute(todo, executor, len(todo), on_row)
        return
    workers = min(workers or usable_cores(), len(todo))
    own = local_executor(workers)
    try:
        with explained_broken_pool():
            _execute(todo, own, 1 if workers == 1 else 2 * workers, on_row)
    except BaseException:
        own.shutdown(wait=False, cancel_futures=True)  # running units finish, then exit
        raise
    own.shutdown(wait=True)


class _Tracker:
    """Collects rows as they arrive and reports progress."""

    def __init__(self, points: int, replications: int, rows: dict[tuple[int, int], dict],
                 progress: Callable[[Progress], None] | None):
        self.points, self.replications, self.rows = points, replications, rows
        self.progress = progress
        self.computed: list[tuple[int, int]] = []
        self.per_point = np.zeros(points, dtype=int)
        for point, _ in rows:
            self.per_point[point] += 1

    def add(self, row: dict[str, Any]) -> None:
        key = (row["point"], row["replication"])
        self.rows[key] = row
        self.computed.append(key)
        self.per_point[key[0]] += 1
        self.report()

    def report(self) -> None:
        if self.progress is not None:
            self.progress(Progress(
                units_done=len(self.rows), units_total=self.points * self.replications,
                points_done=int(np.count_nonzero(self.per_point == self.replications)),
                points_total=self.points, computed=len(self.computed)))


def sweep_table(rows: Iterable[dict[str, Any]], grid: Grid,
                kpis: Sequence[str] = KPIS) -> pd.DataFrame:
    """The tidy table from unit rows: grid values as numbers (or text), sorted by point.

    ``kpis``: the KPI columns (:func:`sim.metrics.kpi_names` of the scenario).
    """
    frame = pd.DataFrame(list(rows), columns=["point", *grid.paths, "replication", "seed",
                                              *kpis])
    for path in grid.paths:
        labels = grid.labels(path)
        frame[path] = [labels.get(repr(v), v) for v in frame[path]]
    return frame.sort_values(["point", "replication"], ignore_index=True)


def sweep(
    scenario: Scenario,
    grid: GridSpec | Grid,
    replications: int = 10,
    executor: Executor | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Simulate every grid point ``replications`` times; one row per point and replication.

    Example: ``sim.sweep(scenario, grid={"agents.pool.staff": [40, 41, 42]}, replications=10)``.
    Takes the options of :func:`run_sweep` (``seed``, ``workers``, ``out``, ``fresh``,
    ``progress``) and returns its ``table``.
    """
    return run_sweep(scenario, grid, replications, executor=executor, **options).table
