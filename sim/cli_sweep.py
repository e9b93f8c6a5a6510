"""The ``ccsim sweep`` command: parse, call the Python API, print.

``sweep`` runs :func:`sim.sweep.run_sweep` (local processes or a Dask cluster, resumable
in the ``--out`` folder) and draws :mod:`sim.sweep_plots` (``ccsim staff`` is in
:mod:`sim.cli_staff`). As everywhere in the CLI, a problem with the scenario
or the options is one line on stderr and exit code 2.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import click
import pandas as pd

from sim.cli_common import (
    check_work,
    fail,
    load_or_fail,
    parse_overrides,
    sigterm_as_interrupt,
    simulating,
    workers_in_memory,
    writable_or_fail,
)
from sim.cli_options import (
    WORKERS,
    out_option,
    quiet_option,
    replications_option,
    seed_option,
    set_option,
)
from sim.cli_policy import policy_option, sweep_declined_warnings
from sim.features import left_out, note
from sim.grid import Grid, parse_grid_option, point_scenarios, size_problem
from sim.kpis import format_ci, format_kpi
from sim.loader import ScenarioError
from sim.sweep import Progress, SweepResult, run_sweep
from sim.sweep_plots import CURVE_KPIS, kpi_list, kpi_style, plot_sweep
from sim.sweep_store import SweepConflictError
from sim.units import counted

SHOWN_KPIS = CURVE_KPIS  # the table shows what the curves draw (and leaves out the same)


# --- ccsim sweep ---------------------------------------------------------------------------

@click.command("sweep",
               short_help="Simulate a scenario over a parameter grid (parallel, resumable).")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--grid", "-g", "grids", multiple=True, required=True, metavar="PATH=VALUES",
              help="A swept scenario field and its values: PATH=a:b:step (inclusive range; "
                   "integers stay integers) or PATH=v1,v2,... (read like --set, so 3m is a "
                   "duration; a clock field's 08:00:30 is one clock time, not a range). "
                   "Repeat for more parameters; every combination is a point.")
@replications_option(default=10,
                     note="Per point; every point draws the same random streams.")
@seed_option()
@set_option("Applied to every point.")
@out_option("Folder for sweep.parquet, sweep_summary.csv, figures and the resumable "
            "parts/. Default: results/<scenario file name>_sweep.")
@click.option("--workers", "-w", type=WORKERS,
              help="Local worker processes (default: one per core; 1 runs in this process).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on an existing Dask distributed cluster instead, e.g. "
                   "tcp://HOST:8786 (needs: pip install 'ccsim[cluster]').")
@click.option("--fresh", is_flag=True,
              help="Start over: remove the sweep's parts, tables and figures in --out, "
                   "those of points no longer in the grid too (filed by their values alone, "
                   "they would come back as a changed sweep's). Not needed to grow or "
                   "shrink the grid.")
@click.option("--no-figures", is_flag=True, help="Write the tables only.")
@quiet_option()
@policy_option("Every point runs under it (not with --scheduler).")
def sweep_command(scenario: str, grids: tuple[str, ...], replications: int, seed: int | None,
                  overrides: tuple[str, ...], out: str | None, workers: int | None,
                  scheduler: str | None, fresh: bool, no_figures: bool, quiet: bool,
                  policy: object | None = None) -> None:
    """Simulate SCENARIO at every point of a parameter grid, in parallel and resumable.

    Example: ccsim sweep scenarios/erlang_a.yaml --grid agents.pool.staff=36:48:1
    --grid contact_types.calls.patience.mean=1m,3m,10m --replications 10 --out results/sw

    Writes into --out: sweep.parquet (one row per point and replication: grid values,
    replication, seed, every KPI), sweep_summary.csv (per point: each KPI's mean and 95%
    confidence half-width, as <kpi>_ci), sweep_curves.png (KPIs against the first
    parameter, bands drawn within what each KPI can be) and, with two parameters,
    sweep_heatmap.png. With few replications a share's half-width can pass 100 points:
    printed as computed, with a line saying so. Each finished unit is kept
    in parts/: run the same command again after an interruption and only the rest is
    computed; more --replications, or more values in --grid (fewer, reordered), compute
    only the new units. A changed scenario, grid parameter or seed is refused (use --fresh
    or another --out). Results are the same for any number of workers.
    """
    check_work(scenario, [], replications)
    if policy is not None and scheduler is not None:
        fail([f"{scenario}: --policy with --scheduler: the cluster's workers cannot import "
              "the policy's file; run the sweep on local workers (--workers)"])
    parsed = parse_overrides(scenario, overrides)
    grid = _grid(scenario, grids)
    base = load_or_fail(scenario, parsed)
    try:  # every point, each of its own size (a grid may raise the days or the rates)
        points = point_scenarios(base, Grid.from_spec(grid), source=scenario)
    except ScenarioError as exc:
        fail(exc.lines())
    except ValueError as exc:  # (values the grid cannot hold)
        fail([f"{scenario}: {exc}"])
    scenarios = list(points.scenarios)
    check_work(scenario, scenarios, replications, per=f"in a replication of all "
               f"{len(scenarios):,} points" if len(scenarios) > 1 else "per replication")
    out_dir = Path(out) if out else Path("results") / f"{Path(scenario).stem}_sweep"
    writable_or_fail(out_dir)
    if scheduler is None:  # (a cluster's workers have their own memory)
        workers = workers_in_memory(workers, scenarios, scenario)
    executor, client = _executor(scenario, scheduler)
    bar = _ProgressBar(quiet)
    started = time.perf_counter()
    try:
        with sigterm_as_interrupt(), simulating(scenario):
            result = run_sweep(base, points.grid, replications, seed=seed,
                               executor=executor, workers=workers, out=out_dir, fresh=fresh,
                               progress=bar, source=scenario, points=points,
                               policy=policy)
    except ScenarioError as exc:
        fail(exc.lines())
    except SweepConflictError as exc:
        fail([str(exc)])
    except KeyboardInterrupt:
        bar.close()
        click.echo(f"\ninterrupted: {bar.kept} of {bar.total} units kept in {out_dir}/parts; "
                   "run the same command again to resume", err=True)
        sys.exit(130)
    except BrokenProcessPool:
        bar.close()
        click.echo(f"a worker process died: {bar.kept} of {bar.total} units kept in "
                   f"{out_dir}/parts; run the same command again to resume", err=True)
        sys.exit(1)
    except Exception as exc:
        if scheduler is None or not _lost_cluster(exc):
            raise
        bar.close()  # (it was 'internal error ... a bug in ccsim', a Dask traceback too)
        click.echo(f"the cluster lost a worker or its scheduler ({type(exc).__name__}): "
                   f"{bar.kept} of {bar.total} units kept in {out_dir}/parts; run the same "
                   "command again to resume", err=True)
        sys.exit(1)
    finally:
        bar.close()
        if client is not None:
            client.close()
    left = left_out(SHOWN_KPIS, scenarios, result.summary[list(SHOWN_KPIS)].to_dict("records"))
    try:
        with sigterm_as_interrupt():  # (kill, like Ctrl-C, removes a figure's temporary)
            figures = [] if no_figures else plot_sweep(
                result.summary, result.grid.paths, out_dir, target=base.service_level.target,
                title=f"Sweep of '{base.name}'\n{replications} replications",
                threshold_s=base.service_level.threshold, leave_out=left)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted while drawing the figures: the results are kept in "
                   f"{out_dir}; run the same command again to draw them", err=True)
        sys.exit(130)
    click.echo(format_sweep(result, left))
    wide = wide_intervals_note(result.summary, [k for k in SHOWN_KPIS if k not in left],
                               replications)
    if wide:
        click.echo(wide, err=True)
    if policy is not None:
        for line in sweep_declined_warnings(result, policy, replications):
            click.echo(line, err=True)
    if not quiet:
        click.echo(f"\n{counted(len(result.computed), 'unit')} computed, {result.resumed} "
                   f"resumed, in {time.perf_counter() - started:.1f}s; wrote sweep.parquet, "
                   + ", ".join(["sweep_summary.csv", *(p.name for p in figures)])
                   + f" to {out_dir}/", err=True)


def _grid(scenario: str, grids: tuple[str, ...]) -> dict[str, list[Any]]:
    parsed: dict[str, list[Any]] = {}
    for text in grids:
        try:
            path, values = parse_grid_option(text)
        except ValueError as exc:
            fail([f"{scenario}: {exc}"])
        if path in parsed:
            fail([f"{scenario}: --grid: {path} is given twice"])
        parsed[path] = values
    try:
        too_many = size_problem([len(values) for values in parsed.values()])
    except ValueError as exc:  # CCSIM_MAX_GRID_POINTS is not a number
        too_many = str(exc)
    if too_many:
        fail([f"{scenario}: --grid: {too_many}"])
    return parsed


def _lost_cluster(exc: BaseException) -> bool:
    """Whether ``exc`` is Dask's word for a lost worker or scheduler (a task cancelled)."""
    import concurrent.futures

    return (type(exc).__module__.split(".")[0] == "distributed"
            or isinstance(exc, concurrent.futures.CancelledError))


def _executor(scenario: str, scheduler: str | None):
    """(executor, client): a Dask cluster's executor, or (None, None) for local processes."""
    if scheduler is None:
        return None, None
    try:
        from distributed import Client
    except ImportError:
        fail([f"{scenario}: --scheduler needs Dask distributed: pip install 'ccsim[cluster]'"])
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        fail([f"--scheduler: cannot reach the Dask scheduler at {scheduler}: {exc}"])
    return client.get_executor(), client


class _ProgressBar:
    """A progress callback that draws click's progress bar (units, points done, ETA)."""

    def __init__(self, quiet: bool):
        self.quiet, self.bar = quiet, None
        self.kept = self.total = 0

    def __call__(self, progress: Progress) -> None:
        self.kept, self.total = progress.units_done, progress.units_total
        if self.quiet:
            return
        if self.bar is None:
            resumed = progress.units_done - progress.computed
            if resumed == progress.units_total:  # no bar at 0% for nothing to do
                click.echo(f"resuming: all {counted(resumed, 'unit')} already done, nothing "
                           "to compute", err=True)
                return
            if resumed:
                click.echo(f"resuming: {resumed} of {progress.units_total} units already done "
                           f"(reused), {progress.units_total - resumed} to compute", err=True)
            self.bar = click.progressbar(
                length=progress.units_total - resumed, label="sweep", show_eta=True,
                show_percent=True, file=sys.stderr,
                item_show_func=lambda p: p and f"points {p.points_done}/{p.points_total}")
            self.bar.__enter__()
        if progress.computed:
            self.bar.update(1, progress)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def wide_intervals_note(summary: pd.DataFrame, kpis: Sequence[str], replications: int) -> str:
    """One line if some point's 95% half-width of a KPI is wider than all it can be, else "".

    With 2 replications a t interval is 12.7 standard errors each way (t(0.975, 1)): a
    share's half-width can pass 100 points. The number is right and printed as computed,
    and the figures draw the band within the KPI's range (:func:`sim.sweep_plots.kpi_style`);
    this line says why it is so wide and what narrows it. A KPI without an upper bound
    (a time) is never wider than its range.
    """
    wide = []
    for kpi in kpis:  # (only shares have a finite range: 0..100%)
        style = kpi_style(kpi)
        span = (style.high - style.low) / style.scale  # (in the KPI's unit)
        if math.isfinite(span) and (summary[f"{kpi}_ci"].to_numpy(dtype=float) > span).any():
            wide.append(kpi)
    if not wide:
        return ""
    return (f"{counted(replications, 'replication')} per point give wide 95% intervals: "
            f"{kpi_list(wide)} ± over 100 pts at some points (the figures draw them within "
            "0-100%); add replications with -r")


def format_sweep(result: SweepResult, left: Sequence[str] = ()) -> str:
    """The per-point table printed by ``ccsim sweep``: grid values and main KPIs ± 95% CI.

    ``left``: KPIs no point models (:func:`sim.features.left_out`), left out with a line
    saying so, as ``ccsim run`` does (an abandon rate without patience is always 0).
    """
    summary = result.summary
    frame = pd.DataFrame({path: summary[path] for path in result.grid.paths})
    for kpi in SHOWN_KPIS:  # in the registry's formats, as `ccsim run` prints them
        if kpi not in left:
            frame[kpi] = [f"{format_kpi(kpi, m)} {format_ci(kpi, c)}".rstrip()
                          for m, c in zip(summary[kpi], summary[f"{kpi}_ci"])]
    line = note([k for k in SHOWN_KPIS if k in left], "any point")
    return frame.to_string(index=False) + (f"\n{line}" if line else "")
