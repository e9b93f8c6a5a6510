"""Scheduling in a closed loop: requirements -> shifts -> simulation on fresh seeds -> repair.

A requirement (agents on the phones per interval and group, from
:func:`sim.find_staffing` or the table ``ccsim staff --out`` writes) is grossed up to
agents on duty - for shrinkage as the simulator rounds it
(:func:`sim.staffing.scheduled_agents`, as ``ccsim staff``), then for absenteeism not
already simulated in it (:meth:`Settings.absenteeism_of`), rounding up once - and the
worst day of the run is taken interval by
interval, since every day works the same shifts. :mod:`sim.shifts_plan` chooses the
shifts; the scenario with those shifts is then simulated on a *hold-out* seed, one the
requirement was never searched on. Where an interval misses the goal for a contact type,
the requirement of one group serving the type goes up by one agent on the phones in that
interval, and the shifts are chosen again; the loop stops when every interval holds, or
says what cannot be covered (the template limits) or that the rounds ran out. That group
is the one where a point of the type's service level costs least
(:mod:`sim.cheapest_repair`, the cost search's rule) when a paid hour of the groups'
shifts costs differently (as the plan prices it, templates' own rates included), else
the one that carries most of the type's load. The requirements come from
:mod:`sim.requirement_sources`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np

from sim.cheapest_repair import cheapest_groups
from sim.limits import AGENTS
from sim.loader import with_overrides
from sim.measure import tally_declined
from sim.plan_evaluation import judge_sums
from sim.plan_measures import SEARCH_SUMS, SETTLED, plan_measures
from sim.replicate import check_policy
from sim.routing import RoutingPolicy
from sim.scenario import Scenario
from sim.shift_templates import Template
from sim.shifts_plan import Day, GroupPlan, ScheduleError, shift_rows, solve
from sim.staffing import (
    Goal,
    evaluate_plan,
    load_shares,
    measured_intervals,
    scheduled_agents,
)
from sim.units import counted
from sim.weekdays import run_weekdays, week_plan_days


@dataclass(frozen=True)
class Settings:
    """How to schedule: templates, limits, cost, the goal and the hold-out check.

    A paid hour costs the template's own ``hourly_cost`` where it has one, else the
    group's entry in ``group_hourly_cost`` (the scenario's ``costs:``), else
    ``hourly_cost`` (1: the schedule minimises paid hours).
    """

    templates: dict[str, Template]
    goal: Goal
    hourly_cost: float = 1.0
    part_time_share: float = 1.0
    absenteeism: float = 0.0  # used where a group has no ``absenteeism`` field of its own
    days_per_agent: int | None = None  # a week plan, each agent working at most this many days
    max_agents: int | None = None  # most agents per group (its roster)
    replications: int = 10
    holdout_seed: int = 1
    max_rounds: int = 10
    time_limit: float = 60.0
    group_hourly_cost: dict[str, float] | None = None  # group -> cost of its paid hour
    # group -> the ``absenteeism`` its scenario file gives it, 0 included (a Scenario has the
    # field either way: only the file tells a group's own 0 from none)
    group_absenteeism: dict[str, float] | None = None
    # the requirement was simulated (a search, the scenario's staffing, ``ccsim staff``'s
    # table): agents before absences, each group's own absenteeism already taken off in
    # the runs it was measured on, so it is not grossed up again (Erlang C: False)
    simulated_absences: bool = False
    # a routing policy every simulation runs under (a copy each), instead of the
    # scenario's ``routing_policy`` (see :func:`sim.replicate.run`)
    policy: RoutingPolicy | None = None

    def hourly_cost_of(self, group: str) -> float:
        """The cost of a paid hour of ``group`` (for templates without their own)."""
        return (self.group_hourly_cost or {}).get(group, self.hourly_cost)

    def absenteeism_of(self, name: str, group: Any) -> float:
        """The share of ``group``'s agents absent on a day, to gross its requirement up by.

        Its own ``absenteeism`` where it has one (``group_absenteeism``, 0 included; else
        its field when above 0), else :attr:`absenteeism` (``--absenteeism``). A group's
        own is 0 here when :attr:`simulated_absences`: the simulator made its agents
        absent in the runs the requirement was measured on, so the requirement counts
        agents before absences already.
        """
        own = self.group_absenteeism or {}
        rate = own.get(name, group.absenteeism)
        if name not in own and not rate:  # no field of its own: the option's margin
            return float(self.absenteeism)
        return 0.0 if self.simulated_absences else float(rate)


@dataclass
class ScheduleResult:
    """The outcome of :func:`schedule`.

    Attributes:
        scenario: The scenario with the shifts (each group ``shifts``, no ``staff``).
        plans: Group name -> its shifts and their cost, lower bound and gap.
        on_phones: Agents on the phones required per group (rows) and interval of the run:
            the requirement ``plans`` were solved for (after the repairs of the rounds
            before the last; a repair after the last round was never solved for).
        service_level: Hold-out service level per contact type (rows) and interval of
            the run, of the last schedule simulated.
        held: Whether every measured interval met the goal on the hold-out.
        rounds: Schedules simulated.
        reason: Why the loop stopped without holding ("" if it held).
        settings: The settings.
        declined: Contact type -> ``{"replications": k, "contacts": n}`` for each type
            the settings' policy never chose in ``k`` of the last schedule's hold-out
            replications, its ``n`` contacts there never answered (as
            :attr:`sim.replicate.RunResult.declined`).
    """

    scenario: Scenario
    plans: dict[str, GroupPlan]
    on_phones: np.ndarray
    service_level: np.ndarray
    held: bool
    rounds: int
    reason: str
    settings: Settings
    declined: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def cost(self) -> float:
        """Paid hours x hourly cost over all groups, over the plan days (:attr:`span`)."""
        return sum(p.cost for p in self.plans.values())

    @property
    def span(self) -> str:
        """What :attr:`paid_hours` and :attr:`cost` cover: :func:`hours_span`."""
        return hours_span(self.scenario, self.plans)

    @property
    def lower_bound(self) -> float:
        """The sum of the groups' LP lower bounds."""
        return sum(p.lower_bound for p in self.plans.values())

    @property
    def paid_hours(self) -> float:
        """Paid hours over all groups, over the plan days (:attr:`span`)."""
        return sum(p.paid_hours for p in self.plans.values())


def hours_span(scenario: Scenario, plans: dict[str, GroupPlan]) -> str:
    """What the plans' paid hours cover, for a label: ``a day``, ``a week`` or ``for N days``.

    A one-day plan is worked every day ("a day"); a week plan has one plan day per day of
    the week the run has: a week when those are all the center's (7, or every weekday its
    day factors name), else only those days (a run shorter than a week).
    """
    days = max((p.need.shape[0] for p in plans.values() if p.week), default=0)
    if not days:
        return "a day"
    week = len(run_weekdays(scenario) or range(7))
    return "a week" if days == week else f"for {days} day{'s' if days > 1 else ''}"


def planning_day(scenario: Scenario) -> Day:
    """The day the shifts are planned on: the scenario's opening hours and interval."""
    return Day(scenario.open, scenario.close, scenario.interval)


def plan_days(scenario: Scenario, week: bool) -> np.ndarray:
    """The plan day of each day of the run: all 0 (one day), or its day of the week.

    In a week plan the days are :func:`sim.weekdays.week_plan_days`' (by weekday when day
    factors name them, else ``d % 7``).
    """
    return week_plan_days(scenario)[0] if week else np.zeros(scenario.days, dtype=int)


def on_duty_need(scenario: Scenario, on_phones: np.ndarray, settings: Settings,
                 week: bool = False) -> np.ndarray:
    """Agents on duty per group, plan day and interval for ``on_phones`` (groups x run).

    Shrinkage is grossed up to the fewest present the simulator puts that many of on the
    phones (:func:`sim.staffing.scheduled_agents`: an exact count, no rounding up); the
    group's absenteeism ``a`` (:meth:`Settings.absenteeism_of`) scales that up by
    1 / (1 - a), the one rounding up: 7 on the phones at 25% and 10% are 9 present (6.75
    rounds to 7), 10 on duty (rounding up for each, ceil(7 / 0.75) then ceil(10 / 0.9),
    made 12). The largest over the run's days of each plan day is kept.
    """
    ipd = scenario.intervals_per_day
    key = plan_days(scenario, week)
    need = np.zeros((len(scenario.agents), key.max() + 1, ipd))
    for g, (name, group) in enumerate(scenario.agents.items()):
        share = settings.absenteeism_of(name, group)
        heads = [scheduled_agents(int(n), group.shrinkage) for n in on_phones[g]]
        heads = np.asarray(heads, dtype=float).reshape(-1, ipd)
        for w in range(key.max() + 1):
            # + 0.0: ceil of -1e-9 is -0.0, which coverage.csv would print as "-0.0" agents
            need[g, w] = np.ceil(heads[key == w].max(axis=0) / (1.0 - share) - 1e-9) + 0.0
    return need


def with_shifts(scenario: Scenario, plans: dict[str, GroupPlan],
                templates: dict[str, Template]) -> Scenario:
    """``scenario`` with each group working its plan's shifts (and no ``staff``)."""
    overrides: dict[str, Any] = {}
    for name in scenario.agents:
        overrides[f"agents.{name}.staff"] = None
        overrides[f"agents.{name}.shifts"] = shift_rows(plans[name], templates,
                                                        group_pay(scenario, name))
    base = scenario.model_copy(update={"variants": {}})
    return with_overrides(base, overrides, source=f"{scenario.name} [scheduled]")


def group_pay(scenario: Scenario, group: str) -> float | None:
    """The group's ``costs`` hourly, None without ``costs:`` (nothing to pay a shift)."""
    return None if scenario.costs is None else scenario.costs.agents[group].hourly


def holdout_service_level(scenario: Scenario, goal: Goal, replications: int, seed: int,
                          executor: Executor | None = None, policy: RoutingPolicy | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Service level per contact type and interval of the run, and where the goal is met.

    Pooled over ``replications`` replications of ``seed``, as ``sim.run`` reports them,
    measured for what the loop reads only (:func:`sim.plan_measures.plan_measures`: the
    interval sums, not every KPI); each contact type judged against its own target
    (:meth:`Goal.target_of`). ``policy``: routing instead of the scenario's.
    """
    return _holdout(scenario, goal, replications, seed, executor, policy)[:2]


def _holdout(scenario: Scenario, goal: Goal, replications: int, seed: int,
             executor: Executor | None, policy: RoutingPolicy | None
             ) -> tuple[np.ndarray, np.ndarray, dict[str, dict[str, int]]]:
    """:func:`holdout_service_level`, and the types the policy never chose (``declined``)."""
    args = (repeat(scenario, replications), repeat(seed, replications), range(replications),
            *(() if policy is None else (repeat(policy, replications),)))
    runs = list((executor.map if executor else map)(plan_measures, *args))
    stacked = np.stack([counts for _, counts, _ in runs])
    # counts summed over the replications; the settle times between them are times (-inf
    # where nothing came, +inf where a contact still waited), not counts: left at 0
    stacked[:, len(SEARCH_SUMS):len(SEARCH_SUMS) + len(SETTLED)] = 0.0
    sl, ok = judge_sums(stacked.sum(axis=0), scenario, goal)
    return (sl, ok | ~measured_intervals(scenario)[None, :],
            tally_declined(never for _, _, never in runs))


def _repair_groups(scenario: Scenario, plan: np.ndarray, missed: np.ndarray,
                   blocks: np.ndarray, primary: list[int], settings: Settings,
                   executor: Executor | None, levels: dict[bytes, np.ndarray],
                   plans: dict[str, GroupPlan]) -> dict[tuple[int, int], int]:
    """The group whose requirement goes up for each missed (contact type, block).

    Where a paid hour of the groups' shifts ``plans`` costs differently: the one where a
    point of the type's service level costs least
    (:func:`sim.cheapest_repair.cheapest_groups`; a scheduled hour priced as the plan
    prices its paid hours, :meth:`GroupPlan.paid_hour_cost` - templates' own
    ``hourly_cost`` included - grossed up for the group's absenteeism), each group's agent
    more on the phones simulated on the hold-out seed's replications. Else (no costs, or
    equal ones) the group of the largest load share, ``primary``, without simulating.
    ``levels`` caches the service level of each requirement simulated (across rounds).
    """
    want = {(int(t), int(blocks[i])): 1 for t, i in missed}
    rates = [plans[name].paid_hour_cost(settings.templates, settings.hourly_cost_of(name))
             for name in scenario.agents]
    if all(math.isclose(rate, rates[0], rel_tol=1e-9) for rate in rates):
        return {key: primary[key[0]] for key in want}
    hourly = [rate / (1.0 - settings.absenteeism_of(name, group))
              for rate, (name, group) in zip(rates, scenario.agents.items())]

    def level_of(trial: np.ndarray) -> np.ndarray:
        key = trial.tobytes()  # a round's trial is often the next round's requirement
        if key not in levels:
            levels[key] = evaluate_plan(scenario, trial, settings.goal, settings.replications,
                                        settings.holdout_seed, executor, full=False,
                                        policy=settings.policy).service_level
        return levels[key]

    return cheapest_groups(scenario, plan, want, blocks, level_of, hourly)


def _check_agents_limit(plans: dict[str, GroupPlan], templates: dict[str, Template]) -> None:
    """Refuse shifts with more agents than :data:`sim.limits.AGENTS`, naming the group.

    As the scenario's validation counts them (every shift's agents, as if all overlapped),
    but before a scenario is made of them: its refusal would name that scenario.

    Raises:
        ScheduleError: If a group's shifts, or all groups' together, are over the limit.
    """
    totals = {name: sum(row["count"] for row in shift_rows(plan, templates))
              for name, plan in plans.items()}
    for name, total in totals.items():
        problem = AGENTS.problem(total)
        if problem is not None:
            raise ScheduleError(f"group {name!r}: agents of the shifts that cover its "
                                f"requirement (grossed up for shrinkage and absenteeism): "
                                f"{problem}")
    problem = AGENTS.problem(sum(totals.values()))
    if problem is not None:
        raise ScheduleError(f"all groups: agents of the shifts that cover the requirement: "
                            f"{problem}")


def schedule(scenario: Scenario, on_phones: np.ndarray, settings: Settings,
             executor: Executor | None = None,
             log: Callable[[str], None] | None = None) -> ScheduleResult:
    """Shifts that cover ``on_phones`` and hold the goal on the hold-out seed.

    Args:
        scenario: The scenario (its staffing is replaced by shifts, its service level by
            the goal's threshold and target).
        on_phones: Agents on the phones required per group (rows, scenario order) and
            interval of the run (all days).
        settings: Templates, limits, goal and hold-out check.
        executor: Runs the hold-out replications (and the additions a repair prices)
            in parallel.
        log: Called with a line of text after each round.

    Raises:
        ScheduleError: If the first requirement cannot be covered at all.
    """
    # the goal's threshold and target are the scenario's service level, as written out
    # (`--threshold 60s` on a scenario at 20 s: the hold-out measures at 60 s)
    goal = settings.goal
    check_policy(settings.policy, scenario,
                 local_workers=isinstance(executor, ProcessPoolExecutor))
    scenario = with_overrides(scenario, {"service_level.threshold": goal.threshold,
                                         "service_level.target": goal.target},
                              source=scenario.name)
    ipd = scenario.intervals_per_day
    groups = list(scenario.agents)
    shares = load_shares(scenario)
    primary = [groups.index(max(shares[t], key=shares[t].get)) for t in scenario.contact_types]
    day = planning_day(scenario)
    need_phones = np.asarray(on_phones, dtype=int).reshape(len(groups), -1).copy()
    week = settings.days_per_agent is not None
    day_names = week_plan_days(scenario)[1] if week else ()
    # a block: one clock interval of every run day worked like it (the same plan day)
    blocks = np.repeat(plan_days(scenario, week) * ipd, ipd) + np.tile(np.arange(ipd),
                                                                      scenario.days)
    plans: dict[str, GroupPlan] = {}
    levels: dict[bytes, np.ndarray] = {}  # requirement -> service level, for the repairs
    staffed, sl, reason, rounds, solved = scenario, np.empty((0, 0)), "", 0, need_phones
    declined: dict[str, dict[str, int]] = {}
    for round_ in range(1, settings.max_rounds + 1):
        need = on_duty_need(scenario, need_phones, settings, week)
        try:
            plans = {name: solve(need[g] if week else need[g, 0], settings.templates, day,
                                 hourly_cost=settings.hourly_cost_of(name),
                                 part_time_share=settings.part_time_share,
                                 days_per_agent=settings.days_per_agent,
                                 max_agents=settings.max_agents,
                                 time_limit=settings.time_limit, name=name,
                                 day_names=day_names)
                     for g, name in enumerate(groups)}
            _check_agents_limit(plans, settings.templates)
        except ScheduleError as exc:
            if round_ == 1:
                raise
            reason = f"the repaired requirement cannot be covered: {exc}"
            break
        rounds, solved = round_, need_phones.copy()  # the requirement ``plans`` cover
        staffed = with_shifts(scenario, plans, settings.templates)
        sl, ok, declined = _holdout(staffed, settings.goal, settings.replications,
                                    settings.holdout_seed, executor, settings.policy)
        missed = np.argwhere(~ok)
        if log is not None:
            hours = sum(p.paid_hours for p in plans.values())
            log(f"round {round_}: {hours:,.1f} paid hours {hours_span(scenario, plans)}, "
                f"{len(missed)} interval x "
                "contact type below the goal on the hold-out")
        if not len(missed):
            return ScheduleResult(staffed, plans, need_phones, sl, True, round_, "", settings,
                                  declined)
        raised = np.zeros_like(need_phones, dtype=bool)
        chosen = _repair_groups(scenario, need_phones, missed, blocks, primary, settings,
                                executor, levels, plans)
        for t, i in missed:
            g = chosen[int(t), int(blocks[i])]
            cells = blocks == blocks[i]
            if not raised[g, cells].any():
                need_phones[g, cells] = need_phones[g, cells].max() + 1
                raised[g, cells] = True
    else:
        reason = f"still below the goal after {counted(settings.max_rounds, 'round')}"
    # not the requirement raised after the last round: no shifts were solved for it
    return ScheduleResult(staffed, plans, solved, sl, False, rounds, reason, settings,
                          declined)
