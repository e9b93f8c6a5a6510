"""The ``ccsim staff`` command: parse, call :func:`sim.staffing.find_staffing`, print.

With ``--objective cost`` it calls :func:`sim.cost_search.find_cost_staffing`. As
everywhere in the CLI, a problem with the scenario or the options is one line on stderr
and exit code 2.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click
import pandas as pd

from sim.cli_common import (
    SearchLog,
    check_work,
    fail,
    load_or_fail,
    parse_overrides,
    sigterm_as_interrupt,
    workers_in_memory,
    writable_or_fail,
)
from sim.cli_options import (
    DURATION,
    GOAL_TARGET_HELP,
    GOAL_THRESHOLD_HELP,
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
from sim.cost_search import CostResult, find_cost_staffing
from sim.costs import COST_PARTS
from sim.features import left_out, note
from sim.loader import ScenarioError, scenario_document
from sim.output import write_atomic
from sim.staffed_file import files_read_from
from sim.staffing import StaffingResult, find_staffing, staffed_document, write_staffed
from sim.sweep import local_executor
from sim.units import counted


class TrimBudget(Whole):
    """A whole number of plans >= 0, or ``all`` (no bound: math.inf)."""

    name = "trim_budget"

    def __init__(self) -> None:
        super().__init__(min=0)

    def convert(self, value, param, ctx):
        """The budget; ``all`` is infinite; anything else a one-line refusal."""
        if isinstance(value, str) and value.strip().lower() == "all":
            return math.inf
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"must be a whole number of plans >= 0 or 'all', got {value!r}", param,
                      ctx)


TRIM_BUDGET = TrimBudget()


@click.command("staff",
               short_help="Fewest agents per interval and group that meet the goal.")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--target", type=TARGET,
              help=GOAL_TARGET_HELP)
@click.option("--threshold", type=DURATION,
              help=GOAL_THRESHOLD_HELP)
@click.option("--max-abandon", type=Finite(0, 1, min_open=True),
              help="Abandon rate no interval may exceed, e.g. 0.05.")
@replications_option(default=10, note="Per simulated staffing plan.")
@seed_option()
@set_option("Applied before the search.")
@out_option("Write the staffed scenario (a valid scenario file) to this YAML file, "
            "and the staffing table next to it (same name, .csv).", folder=False)
@click.option("--confidence", type=Finite(0, 1, min_open=True, max_open=True),
              help="Meet the target in each interval in this share of replications, e.g. "
                   "0.9 (default: the mean over replications meets it).")
@click.option("--holdout", type=Whole(min=0), metavar="N",
              help="Replications per hold-out round: the plan is checked on replications "
                   "the search never drew, repaired where it misses, and checked again on "
                   "new ones (default: --replications; 0: no check).")
@click.option("--trim-budget", type=TRIM_BUDGET, metavar="N",
              help="Most plans the trim may simulate (one agent fewer in one group and run "
                   "of equal load at a time, the most agent-hours first; default: as many "
                   "as the search before it; 0: no trim; all: until no agent can go).")
@click.option("--workers", "-w", type=WORKERS,
              help="Local processes for the replications (default: one per core).")
@click.option("--full", is_flag=True,
              help="Print every interval (the CSV of --out always has them all).")
@quiet_option("the staffing table")
@click.option("--objective", type=click.Choice(["agents", "cost"]), default="agents",
              show_default=True,
              help="agents: fewest agents meeting the goal; cost: least total cost (needs "
                   "`costs:`) meeting it.")
@click.option("--no-sl-goal", is_flag=True,
              help="With --objective cost: no service goal, the plan of least total cost "
                   "(wages against abandonment and waiting); the hold-out measures it, "
                   "without repair.")
@click.option("--max-agents", type=Whole(min=1), metavar="N",
              help="Most agents per group and interval the search may staff (default: 10 "
                   "times the Erlang C requirement of the peak offered load, plus 10; "
                   "raised to cover what the simulation offers, repeats and redials "
                   "included).")
@click.option("--rounds", type=Whole(min=1),
              metavar="N", help="With --objective cost: most rounds over the cells (each "
                                "cell walked one agent at a time; a round is a line; "
                                "default 20).")
@policy_option("Every plan is judged under it (the staffed file does not carry it).")
def staff_command(scenario: str, target: float | None, threshold: float | None,
                  max_abandon: float | None, replications: int, seed: int | None,
                  overrides: tuple[str, ...], out: str | None, confidence: float | None,
                  holdout: int | None, workers: int | None, full: bool, quiet: bool,
                  objective: str = "agents", no_sl_goal: bool = False,
                  trim_budget: float | None = None, policy: object | None = None,
                  max_agents: int | None = None, rounds: int | None = None) -> None:
    """Find the fewest agents per interval and group that meet the service goal.

    Example: ccsim staff scenarios/small_bank.yaml --target 0.8 --threshold 20s
    --max-abandon 0.05 --out results/bank_staffed.yaml

    With --objective cost (a scenario with `costs:`), the plan found is then improved
    for least total cost (sim.cost_search): meeting the goal, or with --no-sl-goal
    whatever the service level (the goal options then shape only the starting plan the
    costs are compared against). Its hold-out check is the same, with --holdout and
    --confidence meaning the same; without a goal the plan is measured there, not
    repaired, and its costs on the hold-out are printed too.

    Starts from the Erlang C requirement of each interval and agent group and corrects
    it by simulation (adding agents where an interval misses the goal, removing them
    where it is met without them), so abandonment, overflow, multi-skill sharing and
    queues carried from one interval to the next are accounted for. Runs of equal load
    are staffed alike. The plan is then checked on fresh replications (the hold-out) and
    repaired where it misses. Prints, per day and group, the peak, the lowest count and
    the agent-hours next to Erlang C and Erlang A, and the hold-out service level.
    """
    check_work(scenario, [], replications + 5 * (replications if holdout is None else holdout))
    parsed = parse_overrides(scenario, overrides)
    base = load_or_fail(scenario, parsed)
    check_work(scenario, [base], replications)
    if no_sl_goal and objective != "cost":
        fail([f"{scenario}: --no-sl-goal goes with --objective cost"])
    if rounds is not None and objective != "cost":
        fail([f"{scenario}: --rounds goes with --objective cost"])
    if objective == "cost" and base.costs is None:
        fail([f"{scenario}: costs: --objective cost needs a `costs:` block"])
    if out:  # the scenario and its table beside it: both checked before the search
        for path in (out, Path(out).with_suffix(".csv")):
            writable_or_fail(path, folder=False, inputs=(scenario,))
        if Path(out).suffix.lower() == ".csv":  # (the table would overwrite the scenario)
            fail([f"--out: {out}: the staffed scenario is YAML and its table goes beside it "
                  f"as {Path(out).with_suffix('.csv').name}: give a .yaml name"])
    try:  # read now: the file may be edited while the search runs
        # its files read as the scenario reads them, from beside the file written
        document = (files_read_from(scenario_document(scenario, parsed), scenario,
                                    Path(out).parent) if out else None)
    except ScenarioError as exc:
        fail(exc.lines())
    executor = local_executor(workers_in_memory(workers, [base], scenario))
    log = None if quiet else SearchLog()
    try:
        with sigterm_as_interrupt():
            if objective == "cost":
                costed = find_cost_staffing(base, sl_goal=not no_sl_goal, target=target,
                                            threshold=threshold, max_abandon=max_abandon,
                                            replications=replications, seed=seed,
                                            executor=executor, log=log,
                                            confidence=confidence, holdout=holdout,
                                            trim_budget=trim_budget, policy=policy,
                                            max_agents=max_agents,
                                            **({} if rounds is None else {"max_rounds": rounds}))
                result = costed.staffing
            else:
                costed, result = None, find_staffing(
                    base, target=target, threshold=threshold, max_abandon=max_abandon,
                    replications=replications, seed=seed, executor=executor, log=log,
                    confidence=confidence, holdout=holdout, trim_budget=trim_budget,
                    policy=policy, max_agents=max_agents)
    except ScenarioError as exc:
        fail(exc.lines())
    except ValueError as exc:
        if log is not None:  # the plan the search stopped at, above its reason
            log.flush()
        fail([f"{scenario}: {exc}"])
    except KeyboardInterrupt:
        click.echo("\ninterrupted", err=True)
        sys.exit(130)
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
    if log is not None:
        log.flush()
    click.echo(format_staffing(result, full=full, costed=costed))
    for line in declined_lines(result.declined, result.policy, result.replications,
                               "plan found: "):
        click.echo(line, err=True)
    if costed is not None:
        click.echo(format_costs(costed))
    if document is not None:
        staffed = staffed_document(document, result)
        kind = "agents" if costed is None else "cost" if costed.sl_goal else "cost_no_goal"
        table = write_atomic(Path(out).with_suffix(".csv"),  # first: no YAML without it
                             lambda path: result.table.to_csv(path, index=False))
        written = [write_staffed(out, staffed, result, kind), table]
        if not quiet:
            click.echo(f"\nwrote {written[0]} (the staffed scenario) and {written[1]}",
                       err=True)


def format_costs(costed: CostResult) -> str:
    """The cost lines ``ccsim staff --objective cost`` prints under the table."""
    what = "meeting the goal" if costed.sl_goal else "without a service goal"
    check = costed.staffing.holdout
    if (costed.sl_goal and check is not None and check.rounds > 1
            and check is not costed.start.holdout):  # repaired after the search
        what += (" (the search's plan with the agents its hold-out check added, so it may "
                 "cost more than the start)")
    text = (f"\nleast total cost {what}: total cost {costed.costs['total_cost']:,.2f} "
            f"({_cost_parts(costed.costs)}) against {costed.start_costs['total_cost']:,.2f} "
            f"for the fewest agents meeting the goal; mean per replication over the measured "
            f"window of the search's replications, {costed.evaluations} plans simulated by "
            "the cost search" + ("; a local optimum: no cell moved in its last round"
                                 if costed.staffing.converged else "; it stopped at its most "
                                 "rounds (--rounds) with cells still moving"))
    if check is not None and costed.holdout_costs is not None:
        text += (f"\non the hold-out replications {check.first_replication}-"
                 f"{check.last_replication} (never drawn by the search) the plan's total "
                 f"cost is {costed.holdout_costs['total_cost']:,.2f} "
                 f"({_cost_parts(costed.holdout_costs)})")
    return text


def _cost_parts(costs: dict[str, float]) -> str:
    return ", ".join(f"{k.removesuffix('_cost')} {costs[k]:,.2f}"
                     for k in COST_PARTS if costs[k]) or "nothing"


def format_staffing(result: StaffingResult, full: bool = False,
                    costed: CostResult | None = None) -> str:
    """The staffing summary printed by ``ccsim staff`` (every interval with ``full``).

    ``costed``: the plan is that of least cost (``--objective cost``).
    """
    goal = result.goal
    wanted = goal.describe(result.scenario)
    if goal.confidence is not None:
        wanted += f" in {goal.confidence:.0%} of replications"
    if goal.max_abandon is not None:
        wanted += f", abandonment <= {goal.max_abandon:g}"
    if costed is None:
        title = f"fewest agents per interval for {wanted}"
    elif costed.sl_goal:
        title = f"least total cost meeting {wanted} in every interval"
    else:
        title = f"least total cost, no service goal (starting from the fewest agents for {wanted})"
    rows = _interval_rows(result) if full else _day_rows(result)
    absent = any(group.absenteeism for group in result.scenario.agents.values())
    lines = [
        f"{result.scenario.name}: {title}",
        f"({counted(result.replications, 'replication')} per plan, seed {result.seed}, "
        f"{counted(result.evaluations, 'plan')} simulated; agents on the phones"
        f"{' before absences' * absent}, scheduled = before shrinkage)",
        "",
        rows.to_string(index=False),
    ]
    lines.append("")
    if full and "abandon_rate" not in rows:
        lines += [note(["abandon_rate"]), ""]
    hours = {column: result.agent_hours(column)
             for column in ("erlang_c", "erlang_a", "simulated")}
    if hours["erlang_c"]:
        lines.append(
            f"agent-hours on the phones: Erlang C {hours['erlang_c']:,.1f}, Erlang A "
            f"{hours['erlang_a']:,.1f}, simulation {hours['simulated']:,.1f} "
            f"({(hours['simulated'] - hours['erlang_c']) / hours['erlang_c']:+.1%} vs "
            "Erlang C)")
    lines += _trim_lines(result, costed is not None,
                         (costed.start if costed is not None else result).converged)
    lines += _holdout_lines(result, repaired=costed is None or costed.sl_goal)
    return "\n".join(lines)


def _trim_lines(result: StaffingResult, costed: bool, removed_all: bool) -> list[str]:
    """Whether the plan the trim left is a local minimum, and what the trim saved.

    ``removed_all``: whether the fewest-agents search's joint removal rounds ended with
    nothing left to remove (a cost search's own rounds are its cost line's).
    """
    trim, lines = result.trim, []
    if not removed_all:
        lines.append("note: the joint removal rounds ran out; some intervals may be "
                     "overstaffed")
    if trim is None:
        return lines
    start = "the start plan (the fewest agents): " if costed else ""
    check = result.holdout
    after = (", then the hold-out added agents" if check is not None and check.rounds > 1
             and not costed else "")
    if trim.minimum:
        what = ("a local minimum: one agent fewer in any group and run of equal load misses "
                "the goal on the search's replications")
    elif trim.budget == 0:
        what = "none (--trim-budget 0), so not shown to be a local minimum"
    else:
        what = (f"stopped at its budget, {trim.open} group x run cells untried, so not shown "
                "to be a local minimum (--trim-budget all: until no agent can go)")
    lines.append(f"trim: {start}{what}; it simulated {counted(trim.plans, 'plan')} and saved "
                 f"{trim.saved:,.1f} agent-hours{after}")
    return lines


def _interval_rows(result: StaffingResult) -> pd.DataFrame:
    """Every interval and group: the requirements, the plan and its service levels."""
    table = result.table.copy()
    table["vs_erlang"] = [f"{d:+d}" if d else "" for d in table.simulated - table.erlang_c]
    columns = ["day", "clock", "group", "erlang_c", "erlang_a", "simulated", "vs_erlang",
               "scheduled", "service_level", "abandon_rate"]
    own = bool((table.target != result.goal.target).any())  # types with their own target
    if own:
        columns.insert(columns.index("service_level") + 1, "target")
    if "holdout_service_level" in table:
        table["holdout_sl"] = [_level(v, c) for v, c in
                               zip(table.holdout_service_level, table.holdout_ci)]
        columns += ["holdout_sl", "holdout_target"] if own else ["holdout_sl"]
    if left_out(["abandon_rate"], [result.scenario],
                [{"abandon_rate": v} for v in table.abandon_rate[table.measured]]):
        columns.remove("abandon_rate")  # nobody abandons without patience: always 0
    for column in ("service_level", "abandon_rate"):
        table[column] = [_level(v) for v in table[column]]
    table.loc[~table.measured, ["service_level", "abandon_rate"]] = "(warm-up)"
    if "holdout_sl" in table:
        table.loc[~table.measured, "holdout_sl"] = "(warm-up)"
    return table[columns]


def _day_rows(result: StaffingResult) -> pd.DataFrame:
    """Per day and group: peak and lowest agents, agent-hours, the worst hold-out interval."""
    table, hours = result.table, result.scenario.interval / 3600.0
    rows = []
    for (day, group), part in table.groupby(["day", "group"], sort=False):
        measured = part[part.measured]
        row = {"day": day, "group": group, "peak": part.simulated.max(),
               "lowest": part.simulated.min(), "scheduled_peak": part.scheduled.max(),
               "agent_hours": part.simulated.sum() * hours,
               "erlang_c_hours": part.erlang_c.sum() * hours,
               "erlang_a_hours": part.erlang_a.sum() * hours}
        held = "holdout_service_level" in part
        levels = measured["holdout_service_level" if held else "service_level"]
        targets = measured["holdout_target" if held else "target"]
        row["lowest_sl"] = _level(levels.min()) if levels.notna().any() else "-"
        row["below_target"] = int((levels < targets - 1e-12).sum())  # each type's own
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("agent_hours", "erlang_c_hours", "erlang_a_hours"):
        frame[column] = frame[column].map("{:,.1f}".format)
    return frame


def _holdout_lines(result: StaffingResult, repaired: bool = True) -> list[str]:
    check = result.holdout
    if check is None:
        return ["no hold-out check (--holdout 0): the plan is fitted to its own replications"]
    last = f"{check.first_replication}-{check.last_replication}"
    if not repaired:
        return [f"hold-out: the plan measured on replications {last} (the search used "
                f"0-{result.replications - 1}); no service goal, so nothing repaired; "
                "lowest_sl and below_target are single intervals on the hold-out"]
    if check.held:
        return [f"hold-out: the plan met the goal on replications {last} (round "
                f"{check.rounds}; the search used 0-{result.replications - 1}), each run of "
                "equal load judged on its pooled intervals; lowest_sl and below_target are "
                "single intervals on the hold-out"]
    table = result.table
    missed = table[table.measured
                   & (table.holdout_service_level < table.holdout_target - 1e-12)]
    count = missed.start.nunique()
    return [f"warning: after {counted(check.rounds, 'hold-out round')} the plan still missed "
            f"the goal on replications {last} in {counted(count, 'interval')} (see "
            "below_target): use more --replications or --holdout"]


def _level(value: float, ci: float = math.nan) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.3f}" if math.isnan(ci) else f"{value:.3f} ± {ci:.3f}"
