"""The ``ccsim sweep`` and ``ccsim staff`` commands: parse, call the Python API, print.

``sweep`` runs :func:`sim.sweep.run_sweep` (local processes or a Dask cluster, resumable
in the ``--out`` folder) and draws :mod:`sim.sweep_plots`; ``staff`` runs
:func:`sim.staffing.find_staffing`. As everywhere in the CLI, a problem with the scenario
or the options is one line on stderr and exit code 2.
"""

from __future__ import annotations

import math
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import click
import pandas as pd

from sim.cli_common import (
    SEED,
    TARGET,
    check_work,
    fail,
    load_or_fail,
    parse_overrides,
    sigterm_as_interrupt,
    simulating,
    writable_or_fail,
)
from sim.grid import parse_grid_option, size_problem
from sim.loader import ScenarioError, scenario_document
from sim.staffing import StaffingResult, find_staffing, staffed_document, write_staffed
from sim.sweep import Progress, SweepResult, local_executor, run_sweep
from sim.sweep_plots import plot_sweep
from sim.sweep_store import SweepConflictError
from sim.units import format_duration, parse_duration

SHOWN_KPIS = ("service_level", "abandon_rate", "asa", "occupancy")








def _duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """Click callback: a duration option (``20s``, ``1m``, a bare number of seconds)."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


# --- ccsim sweep ---------------------------------------------------------------------------

@click.command("sweep",
               short_help="Simulate a scenario over a parameter grid (parallel, resumable).")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--grid", "-g", "grids", multiple=True, required=True, metavar="PATH=VALUES",
              help="A swept scenario field and its values: PATH=a:b:step (inclusive range; "
                   "integers stay integers) or PATH=v1,v2,... (read like --set, so 3m is a "
                   "duration). Repeat for more parameters; every combination is a point.")
@click.option("--replications", "-r", type=click.IntRange(min=1), default=10, show_default=True,
              help="Replications per point (the same random streams at every point).")
@click.option("--seed", type=SEED,
              help="Seed of every random stream (default: the scenario's `seed`).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field for every point (as in `ccsim run`).")
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Folder for sweep.parquet, sweep_summary.csv, figures and the resumable "
                   "parts/. Default: results/<scenario file name>_sweep.")
@click.option("--workers", "-w", type=click.IntRange(min=1),
              help="Local worker processes (default: one per core; 1 runs in this process).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on an existing Dask distributed cluster instead, e.g. "
                   "tcp://HOST:8786 (needs: pip install 'ccsim[cluster]').")
@click.option("--fresh", is_flag=True,
              help="Discard the finished parts in --out and start over.")
@click.option("--no-figures", is_flag=True, help="Write the tables only.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def sweep_command(scenario: str, grids: tuple[str, ...], replications: int, seed: int | None,
                  overrides: tuple[str, ...], out: str | None, workers: int | None,
                  scheduler: str | None, fresh: bool, no_figures: bool, quiet: bool) -> None:
    """Simulate SCENARIO at every point of a parameter grid, in parallel and resumable.

    Example: ccsim sweep scenarios/erlang_a.yaml --grid agents.pool.staff=36:48:1
    --grid contact_types.calls.patience.mean=1m,3m,10m --replications 10 --out results/sw

    Writes into --out: sweep.parquet (one row per point and replication: grid values,
    replication, seed, every KPI), sweep_summary.csv (per point: each KPI's mean and 95%
    confidence half-width, as <kpi>_ci), sweep_curves.png (KPIs against the first
    parameter) and, with two parameters, sweep_heatmap.png. Each finished unit is kept
    in parts/: run the same command again after an interruption and only the rest is
    computed. A changed scenario, grid, seed or replication count is refused (use
    --fresh or another --out). Results are the same for any number of workers.
    """
    check_work(scenario, [], replications)
    parsed = parse_overrides(scenario, overrides)
    grid = _grid(scenario, grids)
    base = load_or_fail(scenario, parsed)
    check_work(scenario, [base], replications, runs=math.prod(len(v) for v in grid.values()))
    out_dir = Path(out) if out else Path("results") / f"{Path(scenario).stem}_sweep"
    writable_or_fail(out_dir)
    executor, client = _executor(scenario, scheduler)
    bar = _ProgressBar(quiet)
    started = time.perf_counter()
    try:
        with sigterm_as_interrupt(), simulating(scenario):
            result = run_sweep(base, grid, replications, seed=seed, executor=executor,
                               workers=workers, out=out_dir, fresh=fresh, progress=bar,
                               source=scenario)
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
    finally:
        bar.close()
        if client is not None:
            client.close()
    figures = [] if no_figures else plot_sweep(
        result.summary, result.grid.paths, out_dir, target=base.service_level.target,
        title=f"Sweep of '{base.name}'\n{replications} replications",
        threshold_s=base.service_level.threshold)
    click.echo(format_sweep(result))
    if not quiet:
        click.echo(f"\n{len(result.computed)} units computed, {result.resumed} resumed, in "
                   f"{time.perf_counter() - started:.1f}s; wrote sweep.parquet, "
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
            if resumed:
                click.echo(f"resuming: {resumed} of {progress.units_total} units already done",
                           err=True)
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


def format_sweep(result: SweepResult) -> str:
    """The per-point table printed by ``ccsim sweep``: grid values and main KPIs ± 95% CI."""
    summary = result.summary
    frame = pd.DataFrame({path: summary[path] for path in result.grid.paths})
    for kpi in SHOWN_KPIS:
        frame[kpi + (" (s)" if kpi == "asa" else "")] = [
            _mean_ci(kpi, m, c) for m, c in zip(summary[kpi], summary[f"{kpi}_ci"])]
    return frame.to_string(index=False)


def _mean_ci(kpi: str, mean: float, ci: float) -> str:
    if mean is None or math.isnan(mean):
        return "-"
    digits = 1 if kpi == "asa" else 3
    text = f"{mean:.{digits}f}"
    return text if ci is None or math.isnan(ci) else f"{text} ± {ci:.{digits}f}"


# --- ccsim staff ---------------------------------------------------------------------------

@click.command("staff",
               short_help="Fewest agents per interval and group that meet the goal.")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--target", type=TARGET,
              help="Service level every interval must reach (default: the scenario's).")
@click.option("--threshold", callback=_duration, metavar="DURATION",
              help="Service-level threshold, e.g. 20s (default: the scenario's).")
@click.option("--max-abandon", type=click.FloatRange(0, 1, min_open=True),
              help="Abandon rate no interval may exceed, e.g. 0.05.")
@click.option("--replications", "-r", type=click.IntRange(min=1), default=10, show_default=True,
              help="Replications per simulated staffing plan.")
@click.option("--seed", type=SEED,
              help="Seed of every random stream (default: the scenario's `seed`).")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field first (as in `ccsim run`).")
@click.option("--out", "-o", type=click.Path(dir_okay=False),
              help="Write the staffed scenario (a valid scenario file) to this YAML file, "
                   "and the staffing table next to it (same name, .csv).")
@click.option("--workers", "-w", type=click.IntRange(min=1),
              help="Local processes for the replications (default: one per core).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the staffing table.")
def staff_command(scenario: str, target: float | None, threshold: float | None,
                  max_abandon: float | None, replications: int, seed: int | None,
                  overrides: tuple[str, ...], out: str | None, workers: int | None,
                  quiet: bool) -> None:
    """Find the fewest agents per interval and group that meet the service goal.

    Example: ccsim staff scenarios/small_bank.yaml --target 0.8 --threshold 20s
    --max-abandon 0.05 --out results/bank_staffed.yaml

    Starts from the Erlang C requirement of each interval and agent group and corrects
    it by simulation (adding agents where an interval misses the goal, removing them
    where it is met without them), so abandonment, overflow, multi-skill sharing and
    queues carried from one interval to the next are accounted for. Prints, per interval
    and group, the Erlang C requirement and the simulated one (agents on the phones),
    the scheduled agents (before shrinkage) and the simulated service level.
    """
    check_work(scenario, [], replications)
    parsed = parse_overrides(scenario, overrides)
    base = load_or_fail(scenario, parsed)
    check_work(scenario, [base], replications)
    if out:
        writable_or_fail(out, folder=False)
    try:  # read now: the file may be edited while the search runs
        document = scenario_document(scenario, parsed) if out else None
    except ScenarioError as exc:
        fail(exc.lines())
    executor = local_executor(workers)
    log = None if quiet else (lambda line: click.echo("  " + line, err=True))
    try:
        with sigterm_as_interrupt():
            result = find_staffing(base, target=target, threshold=threshold,
                                   max_abandon=max_abandon, replications=replications,
                                   seed=seed, executor=executor, log=log)
    except ScenarioError as exc:
        fail(exc.lines())
    except ValueError as exc:
        fail([f"{scenario}: {exc}"])
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        sys.exit(130)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    click.echo(format_staffing(result))
    if document is not None:
        staffed = staffed_document(document, result)
        written = [write_staffed(out, staffed, result), Path(out).with_suffix(".csv")]
        result.table.to_csv(written[1], index=False)
        if not quiet:
            click.echo(f"\nwrote {written[0]} (the staffed scenario) and {written[1]}",
                       err=True)


def format_staffing(result: StaffingResult) -> str:
    """The staffing table printed by ``ccsim staff``, with agent-hour totals."""
    table = result.table.copy()
    table["vs_erlang"] = [f"{d:+d}" if d else "" for d in table.simulated - table.erlang_c]
    for column in ("service_level", "abandon_rate"):
        table[column] = [f"{v:.3f}" if not math.isnan(v) else "-" for v in table[column]]
    table.loc[~table.measured, ["service_level", "abandon_rate"]] = "(warm-up)"
    columns = ["day", "clock", "group", "erlang_c", "simulated", "vs_erlang", "scheduled",
               "service_level", "abandon_rate"]
    goal = result.goal
    wanted = f"service level >= {goal.target:g} within {format_duration(goal.threshold)}"
    if goal.max_abandon is not None:
        wanted += f", abandonment <= {goal.max_abandon:g}"
    erlang_h, simulated_h = result.agent_hours("erlang_c"), result.agent_hours()
    lines = [
        f"{result.scenario.name}: fewest agents per interval for {wanted}",
        f"({result.replications} replications per plan, seed {result.seed}, "
        f"{result.evaluations} plans simulated; agents on the phones, scheduled = before "
        "shrinkage)",
        "",
        table[columns].to_string(index=False),
        "",
        f"agent-hours on the phones: Erlang C {erlang_h:,.1f}, simulation {simulated_h:,.1f} "
        f"({(simulated_h - erlang_h) / erlang_h:+.1%})" if erlang_h else "",
    ]
    if not result.converged:
        lines.append("note: the removal rounds ran out; some intervals may be overstaffed")
    return "\n".join(lines)
