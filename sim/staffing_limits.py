"""When a staffing search must stop adding agents: a ceiling, and a type agents cannot help.

The up step of a search (:meth:`sim.staffing_search.PlanSearch.raise_until_met`) adds
agents wherever the goal is missed, until it is met. Two things make that a search
without end, and both are the input's, so both end it with an error that says why:

- **A type the routing policy never chooses.** Its contacts are never answered, so its
  service level over offered contacts stays where it is whatever the staffing (0, under
  common random numbers exactly the same numbers plan after plan). :class:`Stalls` stops
  the search once such a type was declined in every replication of the plans simulated
  while at least :data:`STALL` agents (or the Erlang C requirement of the peak, if more)
  were added in each interval where it missed the goal, its goal KPIs unchanged to the
  last digit. Why so many: a policy may take a type only once enough agents are free
  (a reserve); the search starts at the Erlang C requirement of the whole load, the
  declined type's included, so agents sit idle from the start, and adding as many
  again as the whole peak needs leaves more agents free than the load keeps busy. A
  policy that still waits is one to fix; one that takes the type sooner moves its KPI
  and the count starts again.
- **Any other search that runs away** (a goal no staffing meets): :func:`agent_ceiling`
  bounds the agents per group and interval at :data:`CEILING_TIMES` times the Erlang C
  requirement of the peak offered load, plus :data:`CEILING_PLUS`, unless the caller
  gives ``max_agents``; the error states that bound and where it comes from. Erlang C
  sees first contacts and their expected repeats (:mod:`sim.start_repeats`), but not
  redials nor public complaints, nor how far a run strays from the expectation, so the
  bound is raised to as many times the peak Erlangs the plan's simulation offered, plus
  as many (:func:`covering`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.errors import SimulationError
from sim.plan_evaluation import Evaluation, Goal
from sim.policy_source import policy_source
from sim.routing import RoutingPolicy
from sim.scenario import Scenario
from sim.staffing_start import erlang_requirement

CEILING_TIMES = 10  # the default ceiling: this many times the peak's Erlang C agents ...
CEILING_PLUS = 10  # ... plus these (a tiny load: Erlang C's 1 agent is no bound)
STALL = 10  # fewest agents added where a declined type missed, its KPIs unchanged


@dataclass(frozen=True)
class Ceiling:
    """Most agents per group and interval a search may staff, and where the number comes from.

    Attributes:
        agents: The bound.
        reason: Why this bound, in words for the error (empty if the caller gave it).
    """

    agents: int
    reason: str = ""


def peak_requirement(scenario: Scenario, goal: Goal, need: np.ndarray | None = None) -> int:
    """Erlang C agents on the phones of the whole center in its busiest interval.

    ``need``: :func:`sim.staffing_start.erlang_requirement` if the caller has it.
    """
    need = erlang_requirement(scenario, goal) if need is None else need
    return int(need.sum(axis=0).max()) if need.size else 0


def agent_ceiling(scenario: Scenario, goal: Goal, max_agents: int | None = None,
                  need: np.ndarray | None = None) -> Ceiling:
    """``max_agents`` if given, else the default ceiling of the offered load (module doc).

    ``need``: as :func:`peak_requirement`'s.
    """
    if max_agents is not None:
        if max_agents < 1:
            raise ValueError(f"'max_agents' must be >= 1, got {max_agents!r}")
        return Ceiling(int(max_agents))
    peak = peak_requirement(scenario, goal, need)
    agents = CEILING_TIMES * peak + CEILING_PLUS
    return Ceiling(agents, f"{agents} is {CEILING_TIMES} times the {peak} agents on the phones "
                           f"Erlang C asks for the peak offered load, plus {CEILING_PLUS} "
                           "(ccsim staff --max-agents, or find_staffing's max_agents, "
                           "sets another)")


def covering(scenario: Scenario, ceiling: Ceiling, result: Evaluation | None) -> Ceiling:
    """The default ``ceiling``, raised to cover the load ``result``'s simulation offered.

    :data:`CEILING_TIMES` times the peak Erlangs of the contacts offered (repeats and
    redials too: :attr:`Evaluation.offered`, each at its type's agent seconds), plus
    :data:`CEILING_PLUS`, if more. A ceiling the caller gave (no reason) stays.
    """
    if not ceiling.reason or result is None or result.offered is None:
        return ceiling
    seconds = np.array([ct.agent_seconds for ct in scenario.contact_types.values()])
    erlangs = float((result.offered * seconds[:, None]).sum(axis=0).max(initial=0.0)
                    / scenario.interval)
    agents = CEILING_TIMES * math.ceil(erlangs) + CEILING_PLUS
    if agents <= ceiling.agents:
        return ceiling
    return Ceiling(agents, f"{agents} is {CEILING_TIMES} times the {erlangs:.1f} Erlangs "
                           f"the simulation offered at the peak (repeats and redials "
                           f"included), plus {CEILING_PLUS} (ccsim staff --max-agents, "
                           "or find_staffing's max_agents, sets another)")


def ceiling_error(scenario: Scenario, goal: Goal, ceiling: Ceiling,
                  result: Evaluation | None) -> ValueError:
    """The error of a plan above ``ceiling``: the type still missing in ``result``, the bound."""
    missed = ([t for t, row in zip(scenario.contact_types, result.ok) if not row.all()]
              if result is not None else [])
    where = f"contact_types.{missed[0]}: " if missed else ""
    return ValueError(f"{where}no staffing up to {ceiling.agents} agents per group meets the goal "
                      f"({goal.describe(scenario)}) in every interval"
                      + (f"; {ceiling.reason}" if ceiling.reason else ""))


def policy_name(policy: RoutingPolicy | None) -> str:
    """``policy CLASS (FILE)`` of a user's policy, or the scenario's ``routing_policy``."""
    if policy is None:
        return "the scenario's routing_policy"
    source = policy_source(policy)
    return f"policy {source['class']} ({source['file'] or source['module']})"


class Stalls:
    """Contact types the policy declines and more agents do not help (module docstring).

    ``check`` every plan the up step simulates, in turn; it raises when one is found.
    """

    def __init__(self, scenario: Scenario, goal: Goal, replications: int,
                 measured: np.ndarray, policy: RoutingPolicy | None):
        self.scenario, self.replications, self.measured = scenario, replications, measured
        self.policy = policy
        groups = list(scenario.agents)
        self.serving = [[groups.index(step.group) for step in scenario.routes(t)]
                        for t in scenario.contact_types]
        self.goal = goal
        self.since: dict[int, tuple[np.ndarray, Evaluation, int]] = {}  # type -> first plan

    @cached_property
    def enough(self) -> int:
        """Agents to add where a declined type misses, its KPIs unchanged, before it stops."""
        return max(STALL, peak_requirement(self.scenario, self.goal))

    def check(self, plan: np.ndarray, result: Evaluation) -> None:
        """Note ``plan``'s ``result``; raise if a declined type has stalled long enough.

        Raises:
            SimulationError: Naming the contact type, the policy and what to do.
        """
        for t, name in enumerate(self.scenario.contact_types):
            missed = self.measured & ~result.ok[t]
            seen = result.declined.get(name)
            if not missed.any() or seen is None or seen["replications"] < self.replications:
                self.since.pop(t, None)
                continue
            first = self.since.get(t)
            if first is None or not _same_kpis(first[1], result, t):
                self.since[t] = plan, result, 1
                continue
            plans = first[2] + 1
            self.since[t] = first[0], first[1], plans
            added = int((plan - first[0])[self.serving[t]].sum(axis=0)[missed].min())
            if added >= self.enough:
                raise SimulationError(f"contact_types.{name}", self._reason(added, plans))

    def _reason(self, added: int, plans: int) -> str:
        definition = self.scenario.service_level.definition.value
        return (f"{policy_name(self.policy)} never chose a contact of this type in any of the "
                f"{self.replications} replications of the last {plans} plans, and its "
                f"service level did not move while the search added {added} agents where it "
                f"missed the goal (service_level.definition: {definition} counts the contacts "
                "never answered, so no staffing meets it): set service_level.definition: "
                "answered, or leave the type out, or fix the policy")


def _same_kpis(first: Evaluation, later: Evaluation, t: int) -> bool:
    """Whether type ``t``'s goal KPIs are the very same numbers in both evaluations."""
    pairs = [(first.service_level, later.service_level), (first.abandon_rate, later.abandon_rate),
             (first.met_share, later.met_share)]
    return all(a is None or b is None or np.array_equal(a[t], b[t], equal_nan=True)
               for a, b in pairs)
