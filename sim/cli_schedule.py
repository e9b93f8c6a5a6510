"""The ``ccsim schedule`` command: requirements -> shifts, checked by simulation on fresh seeds.

Parses, calls :func:`sim.shift_loop.schedule`, prints and writes. As everywhere in the
CLI, a problem with the scenario, the templates or the options is one line on stderr
and exit code 2.
"""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
import yaml

from sim.cli_common import (
    SearchLog,
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
    DURATION,
    GOAL_TARGET_HELP,
    GOAL_THRESHOLD_HELP,
    SEED,
    TARGET,
    WORKERS,
    Finite,
    Whole,
    out_option,
    quiet_option,
    replications_option,
    seed_option,
    set_option,
)
from sim.cli_policy import declined_lines, policy_option
from sim.loader import ScenarioError, scenario_document
from sim.output import deferred_signals, write_atomic
from sim.plots.style import render_png
from sim.policy_source import describe, policy_source
from sim.requirement_sources import requirement_from_staffing, requirement_from_table
from sim.scenario import MAX_SEED, Scenario
from sim.schedule import interval_starts
from sim.schedule_outputs import scheduled_document, shifts_table
from sim.shift_loop import ScheduleResult, Settings, plan_days, planning_day, schedule
from sim.shift_templates import default_templates, read_templates
from sim.shifts_plan import ScheduleError
from sim.staffed_file import files_read_from
from sim.staffing import _goal, erlang_requirement, find_staffing
from sim.sweep import local_executor
from sim.units import DAY, counted, format_clock_exact, format_list, parse_duration
from sim.weekdays import day_label, week_plan_days

SOURCES = ("search", "staff", "erlang")


def _lengths(ctx: click.Context, param: click.Parameter, value: str) -> list[float]:
    parts = [part.strip() for part in value.split(",")]
    if len(parts) > 1 and not all(parts):  # (4h,,8h: a length typed, then lost?)
        raise click.BadParameter(f"an empty length in {value!r}: give them as 4h,8h", ctx, param)
    try:
        lengths = [parse_duration(part) for part in parts if part]
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
    if not lengths or any(not 0 < v <= 86400 for v in lengths):
        raise click.BadParameter("give shift lengths between 0 and 24h, e.g. 4h,8h", ctx, param)
    return lengths


@click.command("schedule", short_help="Shifts that cover the staffing requirement, cheapest first.")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--requirement", default="search", show_default=True, metavar="SOURCE",
              help="Agents on the phones per interval: 'search' (sim.find_staffing), "
                   "'staff' (the scenario's own staffing), 'erlang' (Erlang C, corrected by "
                   "the closed loop) or the CSV file `ccsim staff --out` writes.")
@click.option("--lengths", default="4h,6h,8h,10h", show_default=True, callback=_lengths,
              help="Shift lengths allowed, starting anywhere in opening hours (longer than "
                   "5h: an unpaid 30m lunch starting 40-60% into the shift).")
@click.option("--templates", "templates_file", type=click.Path(dir_okay=False),
              help="YAML file of shift templates (start windows, breaks, min/max, cost); "
                   "replaces --lengths.")
@click.option("--part-time-share", type=Finite(0, 1), default=1.0, show_default=True,
              help="Most part-time agents (templates shorter than 6h) as a share of all.")
@click.option("--hourly-cost", type=Finite(0, min_open=True),
              help="Cost of a paid hour, every group (templates may set their own): "
                   "minimise cost instead of paid hours. Default: each group's `hourly` "
                   "in the scenario's `costs:`, if it has one; this option overrides it.")
@click.option("--absenteeism", type=Finite(0, 1, max_open=True), default=0.0,
              show_default=True,
              help="Share of scheduled agents absent on a day, for groups without an "
                   "`absenteeism` field: the requirement is divided by (1 - it). A group's "
                   "own field divides only --requirement erlang: the other sources were "
                   "simulated with its absences.")
@click.option("--days-per-agent", type=Whole(1, 7),
              help="Plan a week (the run's days, by day of the week) instead of one day "
                   "worked every day, each agent working at most this many days (no more "
                   "than the run has days of the week).")
@click.option("--max-agents", type=Whole(min=0),
              help="Most agents per group (the roster).")
@click.option("--target", type=TARGET,
              help=GOAL_TARGET_HELP)
@click.option("--threshold", type=DURATION,
              help=GOAL_THRESHOLD_HELP)
@click.option("--max-abandon", type=Finite(0, 1, min_open=True),
              help="Abandon rate no interval may exceed, e.g. 0.05.")
@replications_option(default=10,
                     note="Of the requirement search and of each hold-out check.")
@seed_option("It seeds the requirement search.")
@click.option("--holdout-seed", type=SEED, help="Seed of the hold-out check (default: the "
              "search seed + 1; give one the requirement was never searched on).")
@click.option("--max-rounds", type=Whole(min=1), default=10, show_default=True,
              help="Most schedules simulated in the closed loop.")
@click.option("--time-limit", type=Finite(0, min_open=True), default=60.0,
              show_default=True, help="Seconds the MILP solver may search per group.")
@set_option("Applied before the search.")
@out_option("Folder for scenario.yaml (the scenario with the shifts), shifts.csv, "
            "coverage.csv, coverage.png and gantt.png.")
@click.option("--workers", "-w", type=WORKERS,
              help="Local processes for the replications (default: one per core).")
@quiet_option("the schedule")
@policy_option("The requirement search and every hold-out check run under it (the "
               "scenario written does not carry it).")
def schedule_command(scenario: str, requirement: str, lengths: list[float],
                     templates_file: str | None, part_time_share: float,
                     hourly_cost: float | None, absenteeism: float,
                     days_per_agent: int | None, max_agents: int | None, target: float | None,
                     threshold: float | None, max_abandon: float | None, replications: int,
                     seed: int | None, holdout_seed: int | None, max_rounds: int,
                     time_limit: float, overrides: tuple[str, ...], out: str | None,
                     workers: int | None, quiet: bool, policy: object | None = None) -> None:
    """Turn a staffing requirement into shifts, and check them by simulation.

    Example: ccsim schedule scenarios/small_bank.yaml --lengths 4h,8h --part-time-share 0.3
    --hourly-cost 25 --out results/bank_shifts

    Chooses how many agents work each shift template at each start (and break
    placement) so that the agents on duty reach the requirement in every interval -
    grossed up for shrinkage and absenteeism (a group's own only for erlang: the other
    sources simulated it), worst day of the run - at the fewest paid
    hours (or least cost: --hourly-cost, else the scenario's `costs:`), with scipy's MILP
    solver (HiGHS); prints the LP lower bound and the gap. Then simulates the shifts on a
    hold-out seed, raises the requirement where an interval misses the goal and solves
    again, until the schedule holds.
    """
    check_work(scenario, [], replications)
    parsed = parse_overrides(scenario, overrides)
    base = load_or_fail(scenario, parsed)
    check_work(scenario, [base], replications)
    if out:
        writable_or_fail(out)
    try:
        # its files read as the scenario reads them, from beside DIR/scenario.yaml
        document = (files_read_from(scenario_document(scenario, parsed), scenario, out)
                    if out else None)
        templates = (read_templates(templates_file) if templates_file
                     else default_templates(lengths, base.interval))
    except ScenarioError as exc:
        fail(exc.lines())
    try:
        goal = _goal(base, target, threshold, max_abandon)
    except ValueError as exc:
        fail([f"{scenario}: {exc}"])
    seed = base.seed if seed is None else seed
    holdout = (seed + 1) % (MAX_SEED + 1) if holdout_seed is None else holdout_seed
    if holdout == seed and requirement == "search":
        fail([f"--holdout-seed: must differ from the search seed ({seed}): the check must "
              "use random numbers the requirement was not fitted to"])
    if days_per_agent is not None:
        _check_days_per_agent(scenario, base, days_per_agent)
    # the option overrides the scenario's `costs:` for every group
    rates = ({g: pay.hourly for g, pay in base.costs.agents.items()}
             if hourly_cost is None and base.costs is not None else None)
    # a group's own absenteeism, as the file gives it: `absenteeism: 0` is its own too
    absent = {g: spec.absenteeism for g, spec in base.agents.items()
              if "absenteeism" in spec.model_fields_set}
    settings = Settings(templates, goal, hourly_cost or 1.0, part_time_share, absenteeism,
                        days_per_agent, max_agents, replications, holdout, max_rounds,
                        time_limit, group_hourly_cost=rates, group_absenteeism=absent,
                        simulated_absences=requirement != "erlang", policy=policy)
    # the policy's file as the search begins (edited later, it is not what ran)
    source = policy_source(policy)
    log = None if quiet else SearchLog()
    executor = local_executor(workers_in_memory(workers, [base], scenario))
    began = time.perf_counter()
    try:
        with sigterm_as_interrupt(), simulating(scenario):
            on_phones = _requirement(scenario, base, requirement, goal, replications, seed,
                                     executor, log, policy)
            result = schedule(base, on_phones, settings, executor, log)
    except (ScheduleError, ValueError) as exc:
        fail([f"{scenario}: {exc}" if not str(exc).startswith(scenario) else str(exc)])
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        sys.exit(130)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    if log is not None:
        log.flush()
    click.echo(format_schedule(result, hourly_cost is not None or rates is not None))
    for line in declined_lines(result.declined, source, replications, "shifts found: "):
        click.echo(line, err=True)
    if not quiet:
        click.echo(f"\n({time.perf_counter() - began:,.1f} s)", err=True)
    if out and document is not None:
        written = write_schedule(out, document, result, source)
        if not quiet:
            click.echo("wrote " + ", ".join(str(p) for p in written), err=True)


def _check_days_per_agent(path: str, scenario: Scenario, days_per_agent: int) -> None:
    """Fail in one line unless the run has a week to plan, of at least ``days_per_agent`` days.

    The week plan has one plan day per weekday of the run (:func:`sim.weekdays.week_plan_days`):
    an agent cannot work more days than that, and a plan made for fewer would not be the
    one asked for.
    """
    if scenario.days < 2:
        fail([f"{path}: --days-per-agent: plans a week, but the scenario runs one day "
              "(set days: 2 or more)"])
    keys, names = week_plan_days(scenario)
    days = int(keys.max()) + 1
    if days_per_agent > days:
        fail([f"{path}: --days-per-agent: {days_per_agent} is more than the {days} days the "
              f"run has{f' ({format_list(list(names))})' if names else ''}"])


def _requirement(path: str, scenario: Scenario, source: str, goal, replications: int,
                 seed: int, executor, log, policy=None) -> np.ndarray:
    """Agents on the phones per group and interval of the run, from ``source``.

    ``policy``: the routing the search runs under (the other sources simulate nothing).
    """
    if source == "search":
        if log is not None:
            log(f"searching the requirement ({counted(replications, 'replication')}, seed {seed})")
        try:
            found = find_staffing(scenario, target=goal.target, threshold=goal.threshold,
                                  max_abandon=goal.max_abandon, replications=replications,
                                  seed=seed, executor=executor, log=log, policy=policy)
        finally:  # the plan it ended on, also above the error that stopped it
            if log is not None:
                log.flush()
        table = found.table
        return np.stack([table.loc[table.group == g, "simulated"].to_numpy()
                         for g in scenario.agents])
    if source == "staff":
        return requirement_from_staffing(scenario)
    if source == "erlang":
        return erlang_requirement(scenario, goal)
    if not Path(source).is_file():
        raise ValueError(f"--requirement: {source!r} is neither {', '.join(SOURCES)} nor a "
                         "file")
    return requirement_from_table(source, scenario)


def format_schedule(result: ScheduleResult, money: bool = False) -> str:
    """What ``ccsim schedule`` prints: per group cost, bound and gap; the check; the shifts.

    ``money``: whether paid hours have a price (``--hourly-cost`` or ``costs:``); a
    template's own ``hourly_cost`` gives them one too.
    """
    goal = result.settings.goal
    # a template's own hourly_cost makes the objective a cost (other hours at 1, or the
    # group's rate): the bound and gap are in it, so it is printed and named as such
    money = money or any(t.hourly_cost is not None for t in result.settings.templates.values())
    lines = [f"{result.scenario.name.removesuffix(' [scheduled]')}: shifts for "
             f"{goal.describe(result.scenario)}" + (  # (as ccsim staff says it)
                 "" if goal.max_abandon is None else
                 f", abandonment <= {goal.max_abandon:g}"), ""]
    unit = "cost" if money else "paid hours"
    per = result.span
    for name, plan in result.plans.items():
        lines.append(f"  {name}: {counted(plan.headcount, 'agent')}, "
                     f"{plan.paid_hours:,.1f} paid hours"
                     f"{f', cost {plan.cost:,.2f}' if money else ''} {per}; LP lower bound "
                     f"{plan.lower_bound:,.2f} {unit}, gap {plan.gap:.2%}")
    total = f"{result.paid_hours:,.1f} paid hours" + (f", cost {result.cost:,.2f}"
                                                       if money else "")
    lines.append(f"  total: {total} {per}")
    policy = result.settings.policy
    check = (f"hold-out check (seed {result.settings.holdout_seed}, "
             f"{counted(result.settings.replications, 'replication')}"
             + (f", policy {type(policy).__qualname__}" if policy is not None else "") + "): ")
    if result.held:
        lines.append(check + f"every interval meets the goal (after "
                     f"{counted(result.rounds, 'schedule')})")
    else:
        lines.append(check + f"NOT HELD: {result.reason}{_furthest_below(result)}")
    lines += ["", shifts_table(result).to_string(index=False)]
    return "\n".join(lines)


def _furthest_below(result: ScheduleResult) -> str:
    """``; furthest below its target: TYPE at day D HH:MM, ...`` (each type's own target)."""
    sl = result.service_level
    targets = result.settings.goal.targets(result.scenario)
    margins = sl - targets[:, None] if sl.size else sl
    if not sl.size or np.isnan(margins).all():
        return ""
    t, i = np.unravel_index(np.nanargmin(margins), margins.shape)
    begin = interval_starts(result.scenario)[i]
    return (f"; furthest below its target: {list(result.scenario.contact_types)[t]} at "
            f"{day_label(result.scenario, int(begin // DAY))} {format_clock_exact(begin % DAY)}, "
            f"service level {sl[t, i]:.3f} against {targets[t]:g}")


def _policy_note(source: dict | None) -> str:
    """Comment lines naming the routing policy the shifts were found under ('' if none)."""
    if source is None:
        return ""
    note = (f"Searched and checked under the {describe(source)}, which this "
            "file does not carry: run it with --policy.")
    lines = textwrap.wrap(note, width=88, break_long_words=False, break_on_hyphens=False)
    return "".join(f"# {line}\n" for line in lines)  # (a path whole, to be found)


def coverage_table(result: ScheduleResult) -> pd.DataFrame:
    """Per group, plan day and interval: required on the phones, on duty, and scheduled."""
    day = planning_day(result.scenario)
    ipd = day.intervals
    rows = []
    for g, (name, plan) in enumerate(result.plans.items()):
        phones = result.on_phones[g].reshape(-1, ipd)
        key = plan_days(result.scenario, plan.week)
        for w in range(plan.need.shape[0]):
            most = phones[key == w].max(axis=0)
            for i in range(ipd):
                rows.append({"group": name, "day": plan.shown_day(w) if plan.week else "all",
                             "interval": day.label(i), "required_on_phones": int(most[i]),
                             "required_on_duty": float(plan.need[w, i]),
                             "scheduled_on_duty": float(plan.coverage[w, i])})
    return pd.DataFrame(rows)


def write_schedule(out: str, document: dict, result: ScheduleResult,
                   policy: dict | None = None) -> list[Path]:
    """Write scenario.yaml, shifts.csv, coverage.csv and the two figures into ``out``.

    ``policy``: the routing policy's :func:`sim.policy_source.policy_source`, taken as the
    search began (None: the scenario's own routing).
    """
    from sim.plots.shifts import coverage_figure, gantt_figure  # matplotlib only when drawing

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    numbered = any(p.week and not p.day_names for p in result.plans.values())
    text = ("# Shifts found by `ccsim schedule` (" + ("held" if result.held else "NOT held")
            + " on the hold-out check).\n"
            + ("# A shift's days count from 0: 0 is the run's first day (day 1 in shifts.csv "
               "and the figures).\n" if numbered else "")
            + _policy_note(policy)
            + yaml.safe_dump(scheduled_document(document, result), sort_keys=False,
                             default_flow_style=None, width=100))
    # the figures drawn first, then the five files written with Ctrl-C and kill held back:
    # never one schedule's scenario.yaml beside another's figures (an outside check)
    pngs = {name: render_png(draw(result))
            for name, draw in (("coverage.png", coverage_figure), ("gantt.png", gantt_figure))}
    tables = {"shifts.csv": shifts_table(result), "coverage.csv": coverage_table(result)}
    with deferred_signals():
        written = [write_atomic(folder / "scenario.yaml",
                                lambda p: p.write_text(text, encoding="utf-8"))]
        written += [write_atomic(folder / name, lambda p, t=table: t.to_csv(p, index=False))
                    for name, table in tables.items()]
        written += [write_atomic(folder / name, lambda p, b=png: p.write_bytes(b))
                    for name, png in pngs.items()]
    return written
