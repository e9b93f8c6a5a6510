"""The ``ccsim`` command line: parse, call the Python API, print.

Every scenario problem is printed as one ``file: field.path: reason`` line on stderr and
the command exits with code 2 (click's own usage errors use 2 as well, in one line);
failures nobody expected are caught at one boundary (:mod:`sim.cli_boundary`).
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import click

from sim import limits
from sim.cli_boundary import BoundaryGroup, console
from sim.cli_common import (
    check_work,
    default_workers,
    fail,
    guarded_pool,
    load_or_fail,
    parse_overrides,
    sigterm_as_interrupt,
    simulating,
    unheld_or_fail,
    work_problems,
    worker_pool,
    writable_or_fail,
)
from sim.cli_options import (
    DURATION,
    RATE,
    TARGET,
    Finite,
    Whole,
    out_option,
    quiet_option,
    replications_option,
    seed_option,
    set_option,
)
from sim.cli_policy import declined_warnings, policy_option
from sim.cli_precision import (
    measured_or_fail,
    replication_options,
    targets_or_fail,
    time_left,
)
from sim.loader import ScenarioError, load_scenario, parse_override
from sim.schedule import scenario_warnings
from sim.units import format_duration

if TYPE_CHECKING:
    from sim.replicate import RunResult


class LazyCommands(BoundaryGroup):
    """A group whose commands from other modules are imported only when they run.

    It is a :class:`~sim.cli_boundary.BoundaryGroup`: every command fails in one line.

    ``ccsim --help``, ``ccsim validate`` and ``ccsim erlang`` then start without pandas,
    SciPy's statistics, matplotlib or SimPy. ``LAZY`` maps each such command to its module,
    attribute and the one-line help ``ccsim --help`` lists (tests/test_cli_speed.py checks
    it against the command's own help).
    """

    LAZY: ClassVar[dict[str, tuple[str, str, str]]] = {
        "app": ("sim.cli_app", "app_command",
                "Serve the trainer's live page: change a number, Run, see the..."),
        "animate": ("sim.cli_report", "animate_command",
                    "Animate one day of SCENARIO: agents busy, idle or on hold,..."),
        "backtest": ("sim.cli_fit", "backtest_command",
                     "Simulate SCENARIO over the days of the call LOG and compare,..."),
        "compare": ("sim.cli_report", "compare_command",
                    "Compare a baseline with variants under common random numbers."),
        "fit": ("sim.cli_fit", "fit_command",
                "Estimate a scenario from the call LOG (CSV or Parquet, or..."),
        "report": ("sim.cli_report", "report_command",
                   "Write report.html for a results FOLDER of `ccsim run` or..."),
        "schedule": ("sim.cli_schedule", "schedule_command",
                     "Shifts that cover the staffing requirement, cheapest first."),
        "staff": ("sim.cli_staff", "staff_command",
                  "Fewest agents per interval and group that meet the goal."),
        "sweep": ("sim.cli_sweep", "sweep_command",
                  "Simulate a scenario over a parameter grid (parallel, resumable)."),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, the lazy ones included, in order."""
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, importing its module the first time it is asked for."""
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            module, attribute, _ = self.LAZY[cmd_name]
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The "Commands" section of ``--help``, as click writes it, without the imports."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))  # as click.Group does
        rows = []
        for name in names:
            if name in self.LAZY and name not in self.commands:
                rows.append((name, self.LAZY[name][2]))
            else:
                command = self.get_command(ctx, name)
                if command is not None and not command.hidden:
                    rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ccsim")
@click.option("--debug", is_flag=True,
              help="On an internal error, print the traceback instead of logging it.")
def main(debug: bool) -> None:
    """ccsim: simulate a contact center's queues, waits and staffing.

    Scenarios are YAML files (see scenarios/ for ready ones). Start with
    `ccsim run scenarios/small_bank.yaml --out results/small_bank`.
    """


def progress_line(done: int, total: int, elapsed: float, batches: bool = False) -> str:
    """A replication's progress line; with ``--precision``, ``total`` ends the current batch.

    A precision run plans one batch at a time: its time left is the batch's, and more
    batches follow while a target is not met, so the line says so rather than "0s left".
    """
    left = time_left(elapsed / done * (total - done), batches)
    return f"  replication {done}/{total} done, {elapsed:.1f}s elapsed, {left}"


@main.command("run")
@click.argument("scenario", type=click.Path(dir_okay=False))
@out_option("Folder for summary.json, contacts.parquet, intervals.csv. "
            "Default: results/<scenario file name>.")
@seed_option()
@replications_option(default=1)
@set_option()
@replication_options
@quiet_option("the KPI table")
@click.option("--no-report", is_flag=True, help="Skip report.html and the PNG figures.")
@policy_option()
def run_command(scenario: str, out: str | None, seed: int | None, replications: int,
                overrides: tuple[str, ...], workers: int | None, precision: tuple[str, ...],
                max_replications: int, keep_contacts: int, quiet: bool,
                no_report: bool, policy: object | None) -> None:
    """Simulate SCENARIO and write its results.

    Prints the KPI table (mean over replications, with the 95% confidence half-width)
    and writes summary.json, contacts.parquet (one row per contact), intervals.csv
    (per interval and contact type), replications.csv, report.html (self-contained,
    figures embedded) and the figures as PNG into the --out folder.

    With --precision, replications run in batches until each named KPI is known to the
    given 95% half-width (or --max-replications is reached: a warning says so).
    """
    most = max_replications if precision else replications
    targets = targets_or_fail(scenario, precision, max_replications, replications)
    check_work(scenario, [], most)
    loaded = load_or_fail(scenario, parse_overrides(scenario, overrides))
    if overrides:  # its name describes the file: the header, report and summary say what ran
        loaded = loaded.model_copy(update={"name": f"{loaded.name} --set {' '.join(overrides)}"})
    measured_or_fail(scenario, targets, [loaded])
    check_work(scenario, [loaded], most)
    out_dir = Path(out) if out else Path("results") / Path(scenario).stem
    writable_or_fail(out_dir)
    unheld_or_fail(out_dir, "run")
    started = time.perf_counter()

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        # only runs long enough to wonder about (over ~3 s in all) report progress
        if not quiet and total > 1 and elapsed / done * total > 3.0:
            click.echo(progress_line(done, total, elapsed, batches=bool(targets)), err=True)

    from sim.parallel import usable_cores
    from sim.replicate import run
    from sim.results_folder import table_metadata, write_run
    from sim.table_stream import TableStream

    drawing = workers or usable_cores()  # processes drawing the report's figures (forked)
    workers = default_workers(workers, [loaded], most, scenario)
    # contacts and legs are written while later replications run; a failure, Ctrl-C or
    # `kill` removes them (and a folder made for them), leaving earlier results as they were
    with sigterm_as_interrupt(), TableStream(out_dir, table_metadata(loaded)) as stream:
        with simulating(scenario), guarded_pool(), worker_pool(workers, most) as executor:
            result = run(loaded, seed=seed, replications=replications, progress=progress,
                         trace_every=None if no_report else 60.0,  # the report's queue figure
                         executor=executor, keep_contacts=keep_contacts, precision=targets,
                         max_replications=most, stream=stream, policy=policy)
        written = write_run(result, out_dir, stream)
    click.echo(format_summary(result))
    for line in declined_warnings(result):
        click.echo(line, err=True)
    if result.stopping is not None:
        click.echo(result.stopping.describe(), err=not result.stopping.precise)
    if not no_report:
        from sim.report import write_report  # matplotlib only when drawing

        with sigterm_as_interrupt():  # (kill while drawing: the figures' temporaries go)
            files, problems = write_report(result, out_dir, workers=drawing)
        written += files
        for line in problems:
            click.echo(f"warning: figure not drawn: {line}", err=True)
    if not quiet:
        seconds = time.perf_counter() - started
        click.echo(f"\n{result.n_replications} replications in {seconds:.1f}s; wrote "
                   + ", ".join(p.name for p in written) + f" to {out_dir}/", err=True)


def format_summary(result: RunResult) -> str:
    """The KPI table printed by ``ccsim run``, aligned column by column.

    One format for people, as in the report: shares in %, times in s.
    """
    from sim.cli_common import wrap_note
    from sim.features import left_out, note
    from sim.kpis import format_ci, format_kpi
    from sim.metrics import kpi_names, shown_kpis

    sc = result.scenario
    head = (f"{sc.name}  (seed {result.seed}, {result.n_replications} replication"
            f"{'s' if result.n_replications > 1 else ''}, {sc.days} day"
            f"{'s' if sc.days > 1 else ''}"
            + (f", policy {result.policy['class']}" if result.policy else "") + ")")
    keys = shown_kpis(kpi_names(sc), [sc])
    left = left_out(keys, [sc], [result.summary])  # always 0 here: not modelled
    rows = [(key, format_kpi(key, result.summary[key]), format_ci(key, result.ci[key]))
            for key in keys if key not in left]
    name_w = max(len(key) for key, _, _ in rows)
    value_w = max(len(value) for _, value, _ in rows)
    lines = [head, "-" * len(head)]
    lines += [f"  {key:<{name_w}}  {value:>{value_w}}  {ci}".rstrip() for key, value, ci in rows]
    if left:
        lines += ["", *wrap_note(note(left))]
    return "\n".join(lines)


@main.command("validate")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@set_option("The scenarios are checked with them applied.")
def validate_command(scenarios: tuple[str, ...], overrides: tuple[str, ...]) -> None:
    """Check scenario files and explain every problem, one line each.

    Exits 0 if every file is valid, 2 otherwise.
    """
    failed: list[str] = []
    for path in scenarios:
        parsed = {}
        try:
            parsed = dict(parse_override(text) for text in overrides)
            sc = load_scenario(path, overrides=parsed)
        except ValueError as exc:
            failed += exc.lines() if isinstance(exc, ScenarioError) else [f"{path}: --set: {exc}"]
            continue
        too_big = work_problems(path, [sc], 1)  # what `ccsim run -r 1` would refuse
        if too_big:
            failed += too_big
            continue
        for field, reason in scenario_warnings(sc):
            click.echo(f"{path}: warning: {field}: {reason}", err=True)
        click.echo(f"{path}: ok ({len(sc.contact_types)} contact types, {len(sc.agents)} agent "
                   f"groups, {sc.days} day{'s' if sc.days > 1 else ''})")
    if failed:
        fail(failed)


@main.command("erlang")
@click.option("--rate", type=RATE, required=True, help="Arrival rate, e.g. 600/h or 10/m.")
@click.option("--aht", type=DURATION, required=True, help="Average handle time, e.g. 4m or 240.")
@click.option("--agents", type=Whole(min=1), help="Agents on the phones.")
@click.option("--patience", type=DURATION,
              help="Mean (exponential) patience: gives Erlang A instead of Erlang C.")
@click.option("--threshold", type=DURATION, default="20s", show_default=True,
              help="Service-level threshold.")
@click.option("--target", type=TARGET,
              help="Service-level target: also print the fewest agents that meet it.")
@click.option("--max-abandon", type=Finite(0, 1, min_open=True),
              help="With --patience and --target: abandonment must not exceed this too.")
def erlang_command(rate: float, aht: float, agents: int | None, patience: float | None,
                   threshold: float, target: float | None, max_abandon: float | None) -> None:
    """Closed-form Erlang C (or Erlang A with --patience) figures for one queue.

    Example: ccsim erlang --rate 600/h --aht 4m --agents 42 --patience 3m --target 0.8
    """
    from sim import erlang

    if agents is None and target is None:
        raise click.UsageError("give --agents, --target, or both")
    if aht <= 0 or rate <= 0:
        raise click.UsageError("--rate and --aht must be > 0")
    try:
        too_many, most = limits.AGENTS.problem(agents or 0), limits.AGENTS.value()
    except ValueError as exc:  # CCSIM_MAX_AGENTS is not a number
        fail([f"erlang: {exc}"])
    problems = [("--agents", too_many),
                ("--rate", f"{rate * 3600:.3g}/h x {format_duration(aht)} is {rate * aht:.3g} "
                 f"Erlangs, more than the limit of {most:,} agents could answer; set "
                 f"{limits.AGENTS.env} to raise the limit" if rate * aht > most else None),
                ("--threshold", f"must be >= 0, got {format_duration(threshold)}"
                 if threshold < 0 else None),
                ("--patience", f"must be > 0, got {format_duration(patience)}"
                 if patience is not None and patience <= 0 else None),
                ("--max-abandon", None if max_abandon is None
                 else "needs --target (the cap is on the fewest agents it prints)"
                 if target is None else "needs --patience (Erlang C: nobody abandons)"
                 if patience is None else None)]
    if any(reason for _, reason in problems):
        fail([f"erlang: {option}: {reason}" for option, reason in problems if reason])
    load = rate * aht
    model = "Erlang A" if patience else "Erlang C"
    click.echo(f"{model}: {rate * 3600:g} contacts/h x {format_duration(aht)} = {load:.2f} "
               "Erlangs offered" + (f", mean patience {format_duration(patience)}"
                                    if patience else ""))
    if agents is not None:
        try:
            m = (erlang.erlang_a_metrics(rate, aht, agents, patience, threshold) if patience
                 else erlang.erlang_c_metrics(rate, aht, agents, threshold))
        except ValueError as exc:
            fail([f"erlang: {exc}"])
        click.echo(f"  agents           {agents}")
        click.echo(f"  p_wait           {m.p_wait:.4f}")
        click.echo(f"  asa              {m.asa:.1f} s")
        click.echo(f"  mean_wait        {m.mean_wait:.1f} s")
        click.echo(f"  service_level    {m.service_level:.4f}  (answered within "
                   f"{format_duration(threshold)})")
        if patience:
            click.echo(f"  abandon_rate     {m.abandon_rate:.4f}")
        click.echo(f"  occupancy        {m.occupancy:.4f}")
    if target is not None:
        try:
            need = erlang.required_agents(rate, aht, target, threshold, patience=patience,
                                          max_abandon=max_abandon)
        except ValueError as exc:
            fail([f"erlang: {exc}"])
        goal = f"service level >= {target} within {format_duration(threshold)}"
        if max_abandon is not None:
            goal += f" and abandonment <= {max_abandon:g}"
        click.echo(f"  fewest agents for {goal}: {need}")


def entry() -> None:
    """The ``ccsim`` console script and ``python -m sim``: :func:`main`, then a quick exit."""
    console(main)
