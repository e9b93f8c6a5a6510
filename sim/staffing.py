"""Staffing: the fewest agents per interval and agent group that meet a goal, by simulation.

Erlang C answers "how many agents?" for one queue in steady state, with patient callers,
one skill and nothing after the call. Real centers have abandonment, transfers, repeat
contacts, several skills sharing agents, and intervals that hand their queue on to the
next. The search here starts where a planner would, from the Erlang C requirement, and
lets the simulator correct it, one agent at a time:

1. **Start.** For every interval and agent group, the Erlang C requirement for the load
   the group is expected to carry. A contact type's offered load in an interval (its
   expected contacts, day factors included, less those its IVR solves, times its mean
   handle time and wrap-up, over the interval) is shared equally by its *first-line*
   groups: those that take it without waiting (routing steps with ``after: 0``; without
   routing, every group with the skill). Overflow groups get none of it. Each group's
   share is one Erlang C queue. A type's load includes the second legs sent into its
   queue: transfers, escalations and consults from other types
   (:func:`sim.staffing_start.queue_entries`).
2. **Up.** Simulate the whole run (``replications`` replications, the same random
   streams every time: common random numbers). Wherever an interval misses the goal for
   a contact type, its first-line group with the largest share gets one agent more (up
   to five when the service level is far below the target). Repeat until every measured
   interval meets the goal; a contact type the routing policy never chooses, which more
   agents cannot help, or a group past the ceiling ends the search with an error
   (:mod:`sim.staffing_limits`).
3. **Down.** The descent: one agent fewer in the largest group of every block that
   meets the goal, at once; the removals whose block and next interval still meet it
   stay, the plan is raised again where it misses, until nothing is left to try. Then
   the trim: one agent fewer in one group and block at a time while the whole plan
   still meets the goal, the most agent-hours first, within ``trim_budget`` simulated
   plans; unbounded, it ends where one agent fewer in any group and block would miss
   it (:mod:`sim.staffing_search`: a local minimum of the search's own evaluation).
4. **Hold-out.** Simulate the plan on replications the search never drew
   (:class:`HoldOut` says which); add agents where it misses; check again with more new
   replications, judged with the earlier hold-out ones (at most ``holdout_rounds``).
   Besides the goal, the hold-out rejects single intervals more than
   ``holdout_tolerance`` below the target, and all those below it when they are more
   than ``holdout_share`` of the intervals: a plan that merely scrapes the target on its
   own sample would fail a fresh check in a quarter of its intervals. Where agents added
   for the hold-out lower another interval below the goal on the search's replications
   (a queue handed on differently), agents are added there as in step 2, so the plan
   returned meets the goal on the evaluation it reports. Once the check holds, of the
   agents a repair added to a cell several at a time, those neither the search's nor the
   hold-out's replications need are taken off again (:func:`sim.staffing_check.give_back`).

**Blocks.** Steps 1-4 move whole blocks (:func:`load_blocks`): a run of intervals with
the same expected contacts is staffed as one and judged on its intervals pooled, so the
noise of each interval's sample cannot make a flat peak jitter. Pooling is sound there
because those intervals have the same expected service level; the first interval of a
run, whose queue comes from another load, is a block of its own.

The goal per block and contact type: the service level over all replications and the
block's intervals (the scenario's definition, at the type's threshold; answered in time /
offered, both summed, as ``RunResult.intervals`` pools it) at least the type's target;
with ``confidence``, instead, the share of (replication, interval) pairs whose own
service level meets that target at least ``confidence``; with ``max_abandon`` the abandon
rate (pooled alike) at most that. The legs sent into the type's queue (transfers,
escalations, consult requests: :mod:`sim.queue_legs`) must meet the same service goal:
a queue fed only by transfers is judged by them. ``target`` and ``threshold`` replace
the scenario's: a contact type with its own ``service_level`` keeps its threshold and,
where it states one, its target (:class:`Goal`). Intervals without contacts meet it;
intervals that end within the warm-up are not measured and keep the Erlang C requirement.

Counts are agents *on the phones*, and the search simulates exactly them (no shrinkage).
The staffed scenario keeps each group's shrinkage and schedules the fewest agents the
simulator puts that many of on the phones (:func:`scheduled_agents`): a run of it is the
plan the search measured. A group with ``absenteeism`` is simulated as staffed (absences
drawn from the scheduled), its counts on the phones on a day nobody is absent.

Limits: a block's intervals may each fall a little below the target on a given sample
(the hold-out bounds how far); with patient callers near the Erlang C count, a fresh
40-replication check can still find an interval a few points below the target, and a
plan safe against that needs more agent-hours than Erlang C (``confidence`` buys the
margin); the search moves one agent at a time, so in multi-skill centers it finds a
good, not necessarily the cheapest, mix of groups, and a local minimum (no single agent
can go) only with an unbounded trim, about ten times the plans of the rest; it staffs
intervals, it does not build shifts (the staffed scenario has per-interval ``staff`` and
no ``shifts``, and no ``variants``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.plan_evaluation import (  # re-exported: the public API of staffing
    Evaluation,
    Goal,
    evaluate_plan,
    measured_intervals,
    replication_measures,
    scheduled_agents,
    simulated_scenario,  # noqa: F401 (re-exported)
    staffed_scenario,
)
from sim.policy_source import policy_source
from sim.replicate import check_policy
from sim.routing import RoutingPolicy
from sim.scenario import Scenario
from sim.staffed_file import staffed_document, write_staffed
from sim.staffing_check import HoldOut, PlanEvaluator, Repair, hold_out
from sim.staffing_limits import agent_ceiling
from sim.staffing_search import (  # noqa: F401 (step_size re-exported)
    PlanSearch,
    Trim,
    step_size,
)
from sim.staffing_start import erlang_requirement, group_loads, load_blocks, load_shares
from sim.staffing_table import staffing_table

__all__ = ["Evaluation", "Goal", "HoldOut", "StaffingResult", "Trim", "check_on_holdout",
           "erlang_requirement", "evaluate_plan", "find_staffing", "group_loads",
           "load_blocks", "load_shares", "measured_intervals", "replication_measures",
           "scheduled_agents", "staffed_document", "staffed_scenario", "write_staffed"]

@dataclass
class StaffingResult:
    """The outcome of :func:`find_staffing`.

    Attributes:
        scenario: The staffed scenario: each group's ``staff`` per interval (scheduled
            agents), no shifts, the searched service-level goal.
        table: One row per interval and group: ``day`` (from 1), ``clock``, ``start`` (seconds),
            ``group``, ``erlang_c`` and ``simulated`` (agents on the phones), ``scheduled`` (before
            shrinkage, rounded up), ``service_level`` (on the search replications, of the group's
            contact type furthest below its own target, or least above it:
            :func:`sim.plan_evaluation.worst_type`), ``target`` (that type's), ``abandon_rate`` (the
            highest), ``measured``, ``erlang_a`` (agents on the phones), ``block``
            (:func:`load_blocks`) and, after a hold-out check, ``holdout_service_level`` (likewise
            of the type furthest below its target there), ``holdout_ci`` (its 95% half-width),
            ``holdout_target`` (its target), ``holdout_met_share`` (share of hold-out replications
            meeting the type's target, the lowest) and ``holdout_abandon_rate``.
        goal: The goal searched for.
        replications: Replications per evaluation.
        seed: The seed of every evaluation.
        evaluations: Staffing plans simulated on the search replications.
        converged: False if the joint removal rounds ran out while they still removed agents.
        holdout: The hold-out check (None if it was switched off).
        trim: The trim (step 3): whether the plan is a local minimum or the trim stopped at
            its budget, and the agent-hours it saved (None for a plan not searched so).
        policy: The user's routing policy the plans were judged under, if any
            (:func:`sim.policy_source.policy_source`); the staffed scenario does not
            carry it.
        declined: Contact type -> ``{"replications": k, "contacts": n}`` for each type
            the policy never chose in ``k`` of the plan's search replications, its ``n``
            contacts there never answered (as :attr:`sim.replicate.RunResult.declined`).
    """

    scenario: Scenario
    table: pd.DataFrame
    goal: Goal
    replications: int
    seed: int
    evaluations: int
    converged: bool
    holdout: HoldOut | None = None
    trim: Trim | None = None
    policy: dict[str, Any] | None = None
    declined: dict[str, dict[str, int]] = field(default_factory=dict)

    def agent_hours(self, column: str = "simulated") -> float:
        """Agent-hours on the phones over the run (``simulated``, ``erlang_c``, ``erlang_a``)."""
        return float(self.table[column].sum() * self.scenario.interval / 3600.0)



def find_staffing(
    scenario: Scenario,
    target: float | None = None,
    threshold: float | None = None,
    max_abandon: float | None = None,
    replications: int = 10,
    seed: int | None = None,
    executor: Executor | None = None,
    max_rounds: int = 50,
    max_agents: int | None = None,
    log: Callable[[str], None] | None = None,
    *,
    confidence: float | None = None,
    holdout: int | None = None,
    holdout_rounds: int = 5,
    holdout_tolerance: float = 0.02,
    holdout_share: float = 0.10,
    smooth: bool = True,
    trim_budget: float | None = None,
    policy: RoutingPolicy | None = None,
) -> StaffingResult:
    """Find the fewest agents per interval and group that meet a service goal, by simulation.

    See the module docstring for the algorithm and its limits.

    Args:
        scenario: The scenario to staff (its staffing is replaced).
        target: Service level every interval must reach, in (0, 1); default: the
            scenario's target. A contact type whose own ``service_level`` states a
            target keeps it, as it keeps its own threshold.
        threshold: Service-level threshold, seconds; default: the scenario's (a type
            with its own ``service_level`` keeps its own).
        max_abandon: Highest acceptable abandon rate per interval, in (0, 1], if any.
        replications: Replications per evaluated plan.
        seed: Seed of every evaluation (default: the scenario's).
        executor: Runs an evaluation's replications in parallel (default: in turn, here).
        max_rounds: Most joint removal trials (step 3) before the trim.
        max_agents: Give up if a group would need more agents than this in an interval;
            default: 10 times the Erlang C agents of the peak offered load, plus 10
            (:func:`sim.staffing_limits.agent_ceiling`).
        log: Called with a line of text after each new plan is simulated.
        confidence: If given, in (0, 1): the share of replications in which each interval
            must meet the target (instead of the mean over replications).
        holdout: Replications per hold-out round (default: ``replications``; 0: no check).
        holdout_rounds: Most hold-out rounds (each repairs the intervals that missed).
        holdout_tolerance: On the hold-out, besides the goal, no single interval may be
            further below its type's target than this (a block meets the goal pooled).
        holdout_share: On the hold-out, at most this share of the measured intervals (x
            contact types) may be below their target (else all those are repaired).
        smooth: Staff each run of equal load as one block (:func:`load_blocks`).
        trim_budget: Most plans the trim (step 3, cells one at a time) may simulate;
            default: as many as the search simulated before it; 0: no trim;
            ``math.inf``: until the plan is a local minimum (:class:`Trim`).
        policy: A routing policy every evaluation runs under, instead of the
            scenario's ``routing_policy`` (see :func:`sim.replicate.run`); the start
            (Erlang C) knows no routing.

    Returns:
        The staffed scenario and the staffing table next to the Erlang C requirement.

    Raises:
        ValueError: If an argument is out of range or the goal cannot be met: no plan up
            to ``max_agents`` meets it, or a contact type the policy never chooses misses
            it however many agents are added (:class:`sim.errors.SimulationError` naming
            the type, :class:`sim.staffing_limits.Stalls`).
    """
    goal = _goal(scenario, target, threshold, max_abandon, confidence)
    holdout = holdout_replications(replications, holdout, holdout_rounds, holdout_tolerance,
                                   holdout_share)
    if trim_budget is not None and not trim_budget >= 0:
        raise ValueError(f"'trim_budget' must be >= 0, got {trim_budget!r}")
    seed = scenario.seed if seed is None else seed
    check_policy(policy, scenario, local_workers=isinstance(executor, ProcessPoolExecutor))
    source = policy_source(policy)  # its file as the search begins
    evaluate = PlanEvaluator(scenario, goal, replications, seed, executor, log, policy)
    if smooth:
        evaluate.blocks = load_blocks(scenario)
    blocks = evaluate.blocks
    start = erlang_requirement(scenario, goal)
    ceiling = agent_ceiling(scenario, goal, max_agents, start)
    search = PlanSearch(scenario, evaluate, ceiling, blocks)
    # a ceiling given holds from the start: Erlang C may ask more than the goal needs (it
    # was left above it, in the warm-up's cells too, and any agent added then was refused)
    plan, _ = search.raise_until_met(np.minimum(search.tie(start), ceiling.agents))
    plan, converged = search.lower(plan, max_rounds)
    plan, trim = search.trim(plan, evaluate.count if trim_budget is None else trim_budget)
    check = None
    if holdout:
        plan, check = hold_out(search, plan, replications, holdout, holdout_rounds,
                                holdout_tolerance, holdout_share)
    staffed = staffed_scenario(scenario, plan, goal)
    found = evaluate(plan)
    table = staffing_table(scenario, goal, start, plan, found, evaluate.measured,
                           erlang_requirement(scenario, goal, abandonment=True), check, blocks)
    return StaffingResult(staffed, table, goal, replications, seed, evaluate.count, converged,
                          check, trim, source,
                          found.declined)


def holdout_replications(replications: int, holdout: int | None, rounds: int,
                         tolerance: float, share: float) -> int:
    """Hold-out replications per round (default: ``replications``), the arguments checked.

    Raises:
        ValueError: If an argument of :func:`find_staffing` is out of range.
    """
    if replications < 1:
        raise ValueError(f"'replications' must be >= 1, got {replications}")
    holdout = replications if holdout is None else holdout
    if holdout < 0 or rounds < 1:
        raise ValueError(f"'holdout' must be >= 0 and 'holdout_rounds' >= 1, got {holdout} "
                         f"and {rounds}")
    if not (0.0 <= tolerance < 1.0 and 0.0 <= share <= 1.0):
        raise ValueError("'holdout_tolerance' must be in [0, 1) and 'holdout_share' in "
                         f"[0, 1], got {tolerance} and {share}")
    return holdout


def check_on_holdout(scenario: Scenario, plan: np.ndarray, goal: Goal, replications: int,
                     seed: int, executor: Executor | None = None,
                     log: Callable[[str], None] | None = None, *, holdout: int,
                     holdout_rounds: int = 5, holdout_tolerance: float = 0.02,
                     holdout_share: float = 0.10, repair: bool = True,
                     max_agents: int | None = None, first_replication: int | None = None,
                     repair_with: Repair | None = None,
                     policy: RoutingPolicy | None = None) -> tuple[np.ndarray, HoldOut]:
    """Step 4 of the module docstring for any plan: check it on hold-out replications.

    The plan (agents on the phones, groups x intervals) was chosen on replications
    ``0 .. replications - 1`` of ``seed``; it is judged by ``goal`` on runs of equal load
    (:func:`load_blocks`) as :func:`find_staffing` judges, and repaired where it misses
    (at most ``holdout_rounds`` rounds). Without ``repair``, one round and no repair: the
    plan's performance on fresh replications, for a plan that was not searched for the goal.
    The hold-out replications start at ``first_replication`` (default: ``replications``).
    ``repair_with(plan, check, missed)`` says where to add agents (groups x intervals);
    default: each missed type's group of the largest load share, as :func:`find_staffing`.
    ``policy``: the routing policy the plan was found under (as :func:`find_staffing`).
    ``max_agents``: as in :func:`find_staffing` (the same default ceiling).

    Returns:
        The plan (repaired, if it was) and its hold-out check.
    """
    evaluate = PlanEvaluator(scenario, goal, replications, seed, executor, log, policy)
    evaluate.blocks = load_blocks(scenario)
    search = PlanSearch(scenario, evaluate, agent_ceiling(scenario, goal, max_agents),
                        evaluate.blocks)
    first = replications if first_replication is None else first_replication
    return hold_out(search, plan, first, holdout, holdout_rounds if repair else 1,
                    holdout_tolerance, holdout_share, repair_with)


def _goal(scenario: Scenario, target: float | None, threshold: float | None,
          max_abandon: float | None, confidence: float | None = None) -> Goal:
    goal = Goal(scenario.service_level.target if target is None else float(target),
                scenario.service_level.threshold if threshold is None else float(threshold),
                max_abandon, confidence)
    if not 0.0 < goal.target < 1.0:
        raise ValueError(f"'target' must be in (0, 1), got {goal.target!r}")
    for name, ct in scenario.contact_types.items():  # a type's own target, judged as well
        if ct.service_level is not None and not 0.0 < goal.target_of(scenario, name) < 1.0:
            raise ValueError(f"contact_types.{name}.service_level.target: must be in (0, 1) "
                             f"to staff for it, got {ct.service_level.target!r}")
    if not (math.isfinite(goal.threshold) and goal.threshold >= 0.0):
        raise ValueError(f"'threshold' must be >= 0 seconds, got {goal.threshold!r}")
    if max_abandon is not None and not 0.0 < max_abandon <= 1.0:
        raise ValueError(f"'max_abandon' must be in (0, 1], got {max_abandon!r}")
    if confidence is not None and not 0.0 < confidence < 1.0:
        raise ValueError(f"'confidence' must be in (0, 1), got {confidence!r}")
    return goal
