"""Cost search: the staffing plan of least cost, with or without a service goal.

:func:`sim.staffing.find_staffing` finds the fewest agents per interval that meet a
service goal. With a ``costs:`` block (:mod:`sim.costs`) a planner asks two other
questions, answered here from that plan:

- ``objective="cost"``: the plan of least ``total_cost`` that still meets the goal in
  every interval. With one agent group this is the fewest agents; with several groups
  paid differently, an agent of a cheaper group may replace a dearer one.
- ``sl_goal=False``: the plan of least ``total_cost``, whatever the service level: wages
  against what abandons, waiting, busy signals, callbacks and complaints cost. Revenue is
  not in it (an agent more never earns less in this model; use ``profit`` in ``compare``).

The search is a coordinate descent on the plan (agents on the phones per group and
interval), every plan simulated with the same seeds (common random numbers, so two
plans differ by their staffing, not by their luck). Its cells are a group and a run of
equal load (:func:`sim.staffing.load_blocks`), staffed as one and judged on its intervals
pooled, as ``find_staffing`` staffs and judges them. For each measured cell in turn it
walks one agent at a time in the direction that lowers the mean total cost over the
replications, and goes on ``lookahead`` + 1 steps past the best count before it stops (a
cost curve that is flat for one step does not stop it). With the goal, a move that
breaks it is not taken. With or without it, an agent on the phones of one group may be
traded for one of a group cheaper on the phones (hourly rate over the share of time on
them, shrinkage paid) in the same run: a move of two cells that one agent more or fewer
in either cannot make when each alone costs more than it saves. Rounds repeat until no
cell moves.

The plan found is then checked on replications the search never drew, as
``find_staffing`` checks its own (:func:`sim.staffing.check_on_holdout`), numbered after
those the starting plan's check drew (that check repaired the start): with the goal,
repaired where it misses; without one, measured there once (nothing to repair), so that
its service and costs are also known on fresh random numbers. Where the plan found is the
starting plan itself, that plan's own check stands (checking it again on other
replications would only give it a second chance to miss at the margin).

Limits: the optimum is that of the simulated sample (more replications give a tighter
answer; the hold-out's costs say how far the sample flattered it); a coordinate descent
finds a local optimum when intervals interact strongly (a queue carried from one
interval to the next); staff cost counts scheduled agents and overtime, so shrinkage and
absences are paid. A hold-out repair adds agents where a point of service level costs
the least wages (:meth:`_Costs.repair`, by :mod:`sim.cheapest_repair`'s rule), each
group's addition simulated on the search's replications; the savings it brings (fewer
abandons, less waiting) do not enter that choice, which weighs only what the repair must
buy: the service level that missed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np

from sim.cheapest_repair import cheapest_groups
from sim.costs import COST_PARTS, scheduled_seconds
from sim.metrics import measured_window
from sim.routing import RoutingPolicy
from sim.scenario import Scenario
from sim.staffing import (
    Evaluation,
    Goal,
    HoldOut,
    StaffingResult,
    check_on_holdout,
    evaluate_plan,
    find_staffing,
    load_blocks,
    measured_intervals,
    scheduled_agents,
    simulated_scenario,
    staffed_scenario,
    step_size,
)
from sim.staffing_limits import agent_ceiling, covering
from sim.staffing_table import HOLDOUT_COLUMNS, holdout_columns, service_columns

MONEY = (*COST_PARTS, "total_cost", "revenue", "profit")


@dataclass
class CostResult:
    """The outcome of :func:`find_cost_staffing`.

    Attributes:
        staffing: The plan found, as ``find_staffing`` reports one (its table has the
            simulated service level and abandon rate of this plan).
        start: The service-goal plan the search started from.
        costs: Mean cost KPIs of the plan found (``staff_cost`` ... ``profit``).
        start_costs: The same for the starting plan.
        sl_goal: Whether every interval had to meet the goal.
        evaluations: Plans simulated by the cost search (after the start).
        holdout_costs: The plan's mean cost KPIs on its hold-out replications
            (``staffing.holdout``; None without a hold-out check).
        round_plans: The plan after each round over the cells, in order (groups x
            intervals, as :func:`plan_of`): the last is the one the hold-out check then
            judged (and may have repaired); each costs no more than the one before it on
            the search's replications (``benchmarks/cost_rounds.py`` measures them on others).
    """

    staffing: StaffingResult
    start: StaffingResult
    costs: dict[str, float]
    start_costs: dict[str, float]
    sl_goal: bool
    evaluations: int
    holdout_costs: dict[str, float] | None = None
    round_plans: list[np.ndarray] = field(default_factory=list)


def plan_of(result: StaffingResult) -> np.ndarray:
    """Agents on the phones per group (rows, scenario order) and interval, from a result."""
    groups = list(result.scenario.agents)
    return (result.table["simulated"].to_numpy(dtype=int)
            .reshape(-1, len(groups)).T.copy())


class _Costs:
    """Simulates each plan once (same seeds): its mean costs, whether it meets the goal."""

    def __init__(self, scenario: Scenario, goal: Goal, replications: int, seed: int,
                 executor: Executor | None, log: Callable[[str], None] | None,
                 blocks: np.ndarray, policy: RoutingPolicy | None = None):
        self.scenario, self.goal, self.blocks, self.policy = scenario, goal, blocks, policy
        self.replications, self.seed, self.executor, self.log = replications, seed, executor, log
        self.cache: dict[bytes, Evaluation] = {}
        self.extra: dict[bytes, float] = {}  # shrinkage wages per plan

    def evaluation(self, plan: np.ndarray) -> Evaluation:
        key = plan.tobytes()
        if key not in self.cache:
            result = evaluate_plan(self.scenario, plan, self.goal, self.replications,
                                   self.seed, self.executor, blocks=self.blocks, full=False,
                                   policy=self.policy)
            self.cache[key] = result
            if self.log is not None:
                self.log(f"plan {len(self.cache)}: {int(plan.sum())} agent-intervals, total "
                         f"cost {self.total(plan):,.2f}, goal "
                         f"{'met' if result.ok.all() else 'missed'}")
        return self.cache[key]

    def total(self, plan: np.ndarray) -> float:
        return self.means(plan)["total_cost"]

    def means(self, plan: np.ndarray, evaluation: Evaluation | None = None) -> dict[str, float]:
        """Mean cost KPIs of ``plan`` as staffed: its scheduled agents paid, shrinkage too.

        Over the search's replications, or those of ``evaluation`` (a hold-out's).
        """
        reps = (evaluation or self.evaluation(plan)).replications
        out = {k: float(reps[k].mean()) for k in MONEY}
        extra = self.shrinkage_wages(plan)
        out["staff_cost"] += extra
        out["total_cost"] += extra
        out["profit"] -= extra
        return out

    def shrinkage_wages(self, plan: np.ndarray) -> float:
        """:func:`shrinkage_wages` of ``plan``, worked out once."""
        key = plan.tobytes()
        if key not in self.extra:
            self.extra[key] = shrinkage_wages(self.scenario, plan, self.goal)
        return self.extra[key]

    def allowed(self, plan: np.ndarray, sl_goal: bool) -> bool:
        return plan.min() >= 0 and (not sl_goal or bool(self.evaluation(plan).ok.all()))

    def repair(self, plan: np.ndarray, check: Evaluation, missed: np.ndarray) -> np.ndarray:
        """Agents the hold-out repair adds (groups x intervals): where service costs least.

        Each contact type x run of equal load that ``check`` missed gets its step of agents
        (:func:`sim.staffing.step_size`) in the group that serves the type where a point
        of its service level costs the least wages (:func:`sim.cheapest_repair.cheapest_groups`),
        each group's addition simulated on the search's replications (common random numbers).
        """
        targets = self.goal.targets(self.scenario)
        want: dict[tuple[int, int], int] = {}  # (type, block) -> agents
        for t, i in zip(*np.nonzero(missed)):
            key = (int(t), int(self.blocks[i]))
            want[key] = max(want.get(key, 0), step_size(targets[t] - check.service_level[t, i]))
        hourly = [self.scenario.costs.agents[name].hourly for name in self.scenario.agents]
        chosen = cheapest_groups(self.scenario, plan, want, self.blocks,
                                 lambda trial: self.evaluation(trial).service_level, hourly)
        out = np.zeros_like(plan)
        for (t, b), step in want.items():
            cells = self.blocks == b
            out[chosen[t, b], cells] = np.maximum(out[chosen[t, b], cells], step)
        return out


def shrinkage_wages(scenario: Scenario, plan: np.ndarray, goal: Goal) -> float:
    """Wages of the agents ``plan`` schedules beyond those on the phones (shrinkage).

    A plan is simulated with exactly its agents on the phones and no shrinkage
    (:func:`sim.staffing.evaluate_plan`), so its run's ``total_cost`` pays only those;
    the staffed scenario schedules more (:func:`sim.staffing.scheduled_agents`), all paid.
    """
    if not any(group.shrinkage for group in scenario.agents.values()):
        return 0.0
    window = measured_window(scenario)
    staffed = staffed_scenario(scenario, plan, goal)
    simulated = simulated_scenario(scenario, plan, goal)
    return sum(pay.hourly * (scheduled_seconds(staffed, g, window)
                             - scheduled_seconds(simulated, g, window)) / 3600.0
               for g, pay in scenario.costs.agents.items())


def _line_search(costs: _Costs, plan: np.ndarray, cell: tuple[int, np.ndarray], sl_goal: bool,
                 lookahead: int, max_agents: int) -> np.ndarray:
    """The best count for one cell (a group, a run's intervals), the others fixed.

    Walks while it pays, and looks ahead.
    """
    best, best_cost = plan, costs.total(plan)
    for step in (-1, 1):
        trial, misses = plan, 0
        while misses <= lookahead:
            trial = trial.copy()
            trial[cell] += step
            if (trial[cell].min() < 0 or trial[cell].max() > max_agents
                    or not costs.allowed(trial, sl_goal)):
                break
            cost = costs.total(trial)
            if cost < best_cost - 1e-9:
                best, best_cost, misses = trial, cost, 0
            else:
                misses += 1
        if best is not plan:
            return best  # going down paid: no need to try up
    return best


def _swaps(costs: _Costs, plan: np.ndarray, run: np.ndarray, wages: list[float],
           sl_goal: bool) -> np.ndarray:
    """Trade an agent on the phones of a dearer group for one of a cheaper group, if it pays.

    In every interval of ``run`` (a run of equal load) alike; with the goal, only a
    trade that keeps it. ``wages``: each group's pay for an hour of an agent on the phones
    (its hourly rate over the share of its time on them). Without the goal too: one
    agent more or fewer can each cost more than it saves where the trade saves.
    """
    best, best_cost = plan, costs.total(plan)
    for dear in range(plan.shape[0]):
        for cheap in range(plan.shape[0]):
            if wages[cheap] >= wages[dear] or best[dear, run].min() == 0:
                continue
            trial = best.copy()
            trial[dear, run] -= 1
            trial[cheap, run] += 1
            if costs.allowed(trial, sl_goal) and costs.total(trial) < best_cost - 1e-9:
                best, best_cost = trial, costs.total(trial)
    return best


def find_cost_staffing(
    scenario: Scenario,
    sl_goal: bool = True,
    target: float | None = None,
    threshold: float | None = None,
    max_abandon: float | None = None,
    replications: int = 10,
    seed: int | None = None,
    executor: Executor | None = None,
    lookahead: int = 2,
    max_rounds: int = 20,
    max_agents: int | None = None,
    log: Callable[[str], None] | None = None,
    *,
    confidence: float | None = None,
    holdout: int | None = None,
    holdout_rounds: int = 5,
    holdout_tolerance: float = 0.02,
    holdout_share: float = 0.10,
    trim_budget: float | None = None,
    policy: RoutingPolicy | None = None,
) -> CostResult:
    """The staffing plan of least total cost, meeting the service goal or (``sl_goal=False``) not.

    Starts from :func:`sim.staffing.find_staffing`'s plan for the goal (the scenario's
    unless ``target``/``threshold``/``max_abandon``/``confidence`` say otherwise; found
    with the same hold-out options), improves it by the coordinate descent of the module
    docstring, every plan on the same ``replications`` and ``seed``, and checks the plan
    found on hold-out replications. Without the goal, the goal only shapes the starting
    plan the costs are compared against.

    Args:
        scenario: The scenario to staff; it must have ``costs:``.
        sl_goal: Whether every interval must still meet the goal.
        target: Service-level target, in (0, 1); default: the scenario's (a contact type
            whose own ``service_level`` states one keeps it, as in ``find_staffing``).
        threshold: Service-level threshold, seconds; default: the scenario's (likewise).
        max_abandon: Highest acceptable abandon rate per interval, if any.
        replications: Replications per evaluated plan.
        seed: Seed of every evaluation (default: the scenario's).
        executor: Runs an evaluation's replications in parallel.
        lookahead: Misses allowed past the best count of a cell: lookahead + 1 steps tried.
        max_rounds: Most rounds over all cells.
        max_agents: Most agents per group and interval; default: as ``find_staffing``'s
            (:func:`sim.staffing_limits.agent_ceiling`), for the search and its start.
        log: Called with a line of text after each new plan is simulated, and after each
            round over the cells (its saving, the plans simulated so far).
        confidence: If given, in (0, 1): the share of replications in which each interval
            must meet the target (as in ``find_staffing``).
        holdout: Replications per hold-out round (default: ``replications``; 0: no check).
        holdout_rounds: Most hold-out rounds (with the goal; without it, one).
        holdout_tolerance: As in ``find_staffing``.
        holdout_share: As in ``find_staffing``.
        trim_budget: The start plan's trim, as in ``find_staffing``.
        policy: A routing policy every plan is judged under, as in ``find_staffing``.

    Raises:
        ValueError: If the scenario has no ``costs:`` or an argument is out of range.
    """
    if scenario.costs is None:
        raise ValueError("costs: a cost objective needs a `costs:` block in the scenario")
    if lookahead < 0:
        raise ValueError(f"'lookahead' must be >= 0, got {lookahead}")
    options = {"holdout": holdout, "holdout_rounds": holdout_rounds,
               "holdout_tolerance": holdout_tolerance, "holdout_share": holdout_share}
    start = find_staffing(scenario, target=target, threshold=threshold,
                          max_abandon=max_abandon, replications=replications, seed=seed,
                          executor=executor, max_agents=max_agents, log=log,
                          confidence=confidence, trim_budget=trim_budget, policy=policy,
                          **options)
    goal, seed = start.goal, start.seed
    blocks = load_blocks(scenario)
    costs = _Costs(scenario, goal, replications, seed, executor, log, blocks, policy)
    first = plan_of(start)
    # (as find_staffing's: raised by the load the start's simulation offered, repeats too)
    most = covering(scenario, agent_ceiling(scenario, goal, max_agents),
                    costs.evaluation(first)).agents
    plan = first
    # an agent on the phones is paid for the scheduled time shrinkage takes off them too
    wages = [scenario.costs.agents[g].hourly / (1.0 - group.shrinkage)
             for g, group in scenario.agents.items()]
    measured = measured_intervals(scenario)
    runs = [members for b in range(blocks.max() + 1)
            if measured[members := np.flatnonzero(blocks == b)].all()]
    converged, rounds = False, []
    for round_number in range(1, max_rounds + 1):
        before = plan
        for run in runs:
            for g in range(plan.shape[0]):
                plan = _line_search(costs, plan, (g, run), sl_goal, lookahead, most)
            if plan.shape[0] > 1:
                plan = _swaps(costs, plan, run, wages, sl_goal)
        rounds.append(plan)
        converged = np.array_equal(plan, before)
        if log is not None:  # a round over every cell: what it saved, how far the search is
            was, now = costs.total(before), costs.total(plan)
            log(f"cost search round {round_number} of at most {max_rounds} over "
                f"{len(runs) * plan.shape[0]:,} cells: total cost {now:,.2f} "
                f"({(now - was) / abs(was) if was else 0.0:+.2%}), {len(costs.cache):,} plans "
                f"simulated" + ("; no cell moved: a local optimum" if converged else ""))
        if converged:
            break
    check, held_costs = None, None
    if start.holdout is not None and np.array_equal(plan, first):  # the start plan, checked
        check = start.holdout  # (a second check on other replications: a second chance to
        held_costs = costs.means(plan, check.evaluation)  # miss at the margin, no new fact)
    elif start.holdout is not None:  # find_staffing checked its plan: so is this one
        options["holdout"] = start.holdout.replications
        # on replications after the start's check too: that one repaired the start plan
        plan, check = check_on_holdout(scenario, plan, goal, replications, seed, executor, log,
                                       repair=sl_goal, max_agents=max_agents,
                                       first_replication=start.holdout.last_replication + 1,
                                       repair_with=costs.repair, policy=policy, **options)
        held_costs = costs.means(plan, check.evaluation)
    staffing = _result(scenario, start, plan, costs.evaluation(plan), len(costs.cache),
                       converged, check)
    return CostResult(staffing=staffing, start=start, costs=costs.means(plan),
                      start_costs=costs.means(first), sl_goal=sl_goal,
                      evaluations=len(costs.cache), holdout_costs=held_costs,
                      round_plans=rounds)


def _result(scenario: Scenario, start: StaffingResult, plan: np.ndarray, evaluation: Evaluation,
            evaluations: int, converged: bool, check: HoldOut | None) -> StaffingResult:
    """``start``'s result with ``plan``, its simulated service and its hold-out in the table."""
    # the start's hold-out columns measured its plan, not this one: replaced or left out
    table = start.table.drop(columns=[c for c in HOLDOUT_COLUMNS if c in start.table])
    flat = plan.T.ravel()
    table["simulated"] = flat
    table["scheduled"] = [scheduled_agents(int(n), scenario.agents[g].shrinkage)
                          for n, g in zip(flat, table["group"])]
    for column, values in service_columns(scenario, start.goal, evaluation).items():
        table[column] = values  # as find_staffing's table, each type's own target
    if check is not None:
        for column, values in holdout_columns(scenario, start.goal, check).items():
            table[column] = values
    return StaffingResult(staffed_scenario(scenario, plan, start.goal), table, start.goal,
                          start.replications, start.seed, start.evaluations + evaluations,
                          converged, check, start.trim, start.policy, evaluation.declined)
