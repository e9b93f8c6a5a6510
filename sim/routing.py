"""Routing policies: who answers an arriving contact, and what a free agent takes next.

A contact center's router makes two decisions, over and over:

1. **Which idle agent gets an arriving contact?** (among the idle agents of the groups
   that may answer its type now; also when a contact waited long enough to overflow to
   a group that has idle agents);
2. **Which waiting contact does a free agent take?** (among the heads of the queues its
   group may serve now: its skills, once each has waited its overflow delay ``after``).

A :class:`RoutingPolicy` is any object with the two methods :meth:`~RoutingPolicy.
choose_agent` and :meth:`~RoutingPolicy.choose_contact`. Each gets the candidates as a
tuple of small named tuples and returns the index of its choice, or ``None`` to
choose nobody (the contact waits; the agent stays idle). Within a contact type the
queue is first come, first served: a policy picks the queue, the engine takes its head.

Today's routing (longest-idle agent; the best skill priority first, then the longest
waiting, with the overflow delays) is the default and runs on the engine's own fast code:
a scenario without ``routing_policy`` records exactly what it always did. Any other
policy, a built-in one chosen in the scenario (``routing_policy:``, :class:`BuiltinPolicy`)
or a user's object given to ``sim.run(scenario, policy=...)``, runs on a general path
(:mod:`sim.routed`) that asks the policy at every decision; it is slower, not different:
a policy that decides as the default does gives the very same records (tested).

A user's policy runs in worker processes too (``workers=``), so it must be picklable: a
class defined at the top level of a module (not in a function or a notebook cell's
closure), holding plain data. Each replication of ``sim.run`` gets its own copy of it
(:func:`replication_copy`), in this process as in a worker: state it keeps between calls
(a round-robin turn) starts afresh with every replication, so a replication's results
never depend on which ran before it in the same process.

Random choices use :attr:`Arrival.draw` (choosing an agent) and :attr:`WaitingQueue.draw`
(choosing a queue: its head's), numbers keyed by the customer and the decision
(:mod:`sim.keyed`), so a random policy sends the same customer the same way whatever the
other customers did, and whatever the staffing.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from sim.scenario import Scenario
from sim.scenario_routing import RoutingPolicySpec


class Arrival(NamedTuple):
    """A contact looking for an agent (on arrival, or when it may overflow).

    Attributes:
        contact_type: Its contact type's name.
        waited: Seconds it has waited in this queue (0 on arrival).
        draw: A number in (0, 1) keyed by the customer and this decision, for random
            choices that stay the same customer's whatever the policy.
    """

    contact_type: str
    waited: float
    draw: float


class IdleAgent(NamedTuple):
    """An idle agent who may take the contact.

    Attributes:
        group: The agent's group.
        agent: The agent's number (the ``agent`` column of the records).
        idle_since: When the agent became idle, seconds.
        speed: How many times faster than the drawn handle time the agent talks.
        skills: How many contact types the agent's group has as skills.
        rank: Position of the agent's group in the contact type's routing (0: first).
        idle_in_group: How many agents of the group are idle (this one included).
    """

    group: str
    agent: int
    idle_since: float
    speed: float
    skills: int
    rank: int
    idle_in_group: int


class FreeAgent(NamedTuple):
    """An agent who has just become free (or came on duty) and looks for work.

    Attributes:
        group: The agent's group.
        idle_in_group: How many other agents of the group are idle now.
    """

    group: str
    idle_in_group: int


class WaitingQueue(NamedTuple):
    """A queue the free agent may take its head contact from.

    Attributes:
        contact_type: The queue's contact type.
        priority: The agent group's skill priority for it (1 first; a blending
            backlog comes after every skill).
        since: When the contact at its head entered the queue, seconds.
        length: How many contacts wait in it.
        draw: A number in (0, 1) keyed by the contact at its head and its entry in this
            queue (:mod:`sim.keyed`): the same customer's every time it is offered, under
            any staffing or policy, for random choices with common random numbers (a
            lottery: the queue whose head drew the least).
    """

    contact_type: str
    priority: int
    since: float
    length: int
    draw: float


@runtime_checkable
class RoutingPolicy(Protocol):
    """The two routing decisions; return an index into the candidates, or None."""

    def choose_agent(self, contact: Arrival, agents: Sequence[IdleAgent],
                     now: float) -> int | None:
        """Which of the idle ``agents`` (never empty) gets ``contact``; None: it waits."""
        ...

    def choose_contact(self, agent: FreeAgent, queues: Sequence[WaitingQueue],
                       now: float) -> int | None:
        """From which of ``queues`` (never empty) the free agent takes the head; None: idle."""
        ...


def _longest_idle(agent: IdleAgent) -> tuple[float, ...]:
    return (agent.idle_since,)


AGENT_ORDERS = {
    "longest_idle": _longest_idle,
    "fastest_first": lambda a: (-a.speed, a.idle_since),
    "least_skilled_first": lambda a: (a.skills, a.idle_since),
    "group_order": lambda a: (a.rank, a.idle_since),
}
"""Agent rules as sort keys (the smallest wins; ties go to the earlier candidate)."""


class BuiltinPolicy:
    """The built-in rules of ``routing_policy`` (see README, "Routing policies").

    Args:
        agent: ``longest_idle``, ``fastest_first`` (highest speed, then longest idle),
            ``least_skilled_first`` (fewest skills, then longest idle), ``random`` or
            ``group_order`` (strict: the first group in the type's routing that has an
            idle agent, its longest idle).
        contact: ``priority_fifo`` (the longest waiting), ``longest_queue`` or
            ``weighted_wait`` (the largest weight x wait of the head), each after the
            group's skill priorities.
        weights: Contact type -> weight for ``weighted_wait`` (1 if not given).
        reserve: ``(group, contact type, k)``: an agent of ``group`` takes a contact of
            another type only while more than ``k`` of its agents are free (idle, or the
            one deciding), keeping ``k`` for ``contact type``.
    """

    def __init__(self, agent: str = "longest_idle", contact: str = "priority_fifo",
                 weights: dict[str, float] | None = None,
                 reserve: Sequence[tuple[str, str, int]] = ()):
        if agent != "random" and agent not in AGENT_ORDERS:
            raise ValueError(f"unknown agent rule {agent!r}")
        if contact not in ("priority_fifo", "longest_queue", "weighted_wait"):
            raise ValueError(f"unknown contact rule {contact!r}")
        self.agent, self.contact = agent, contact
        self.weights = dict(weights or {})
        # group -> [(protected type, agents kept)]
        self.reserve: dict[str, list[tuple[str, int]]] = {}
        for group, contact_type, k in reserve:
            self.reserve.setdefault(group, []).append((contact_type, k))

    def __repr__(self) -> str:
        return (f"BuiltinPolicy(agent={self.agent!r}, contact={self.contact!r}, "
                f"weights={self.weights!r}, reserve={self.reserve!r})")

    def _allowed(self, group: str, contact_type: str, free: int) -> bool:
        """Whether a contact of ``contact_type`` may take one of ``free`` agents of ``group``."""
        return all(free > k for kept, k in self.reserve.get(group, ()) if kept != contact_type)

    def choose_agent(self, contact: Arrival, agents: Sequence[IdleAgent],
                     now: float) -> int | None:
        """The agent by the agent rule, among those a reservation does not keep."""
        allowed = [i for i, a in enumerate(agents)
                   if self._allowed(a.group, contact.contact_type, a.idle_in_group)]
        if not allowed:
            return None
        if self.agent == "random":
            return allowed[min(int(contact.draw * len(allowed)), len(allowed) - 1)]
        order = AGENT_ORDERS[self.agent]
        return min(allowed, key=lambda i: order(agents[i]))

    def choose_contact(self, agent: FreeAgent, queues: Sequence[WaitingQueue],
                       now: float) -> int | None:
        """The queue by the contact rule, best skill priority first."""
        allowed = [i for i, q in enumerate(queues)
                   if self._allowed(agent.group, q.contact_type, agent.idle_in_group + 1)]
        if not allowed:
            return None
        top = min(queues[i].priority for i in allowed)
        allowed = [i for i in allowed if queues[i].priority == top]
        if self.contact == "longest_queue":  # ties: the longest waiting
            return min(allowed, key=lambda i: (-queues[i].length, queues[i].since))
        if self.contact == "weighted_wait":
            weights = self.weights
            return max(allowed, key=lambda i: (
                weights.get(queues[i].contact_type, 1.0) * (now - queues[i].since),
                -queues[i].since))
        return min(allowed, key=lambda i: queues[i].since)


def scenario_policy(spec: RoutingPolicySpec) -> BuiltinPolicy | None:
    """The policy a scenario's ``routing_policy`` asks for; None for today's default."""
    if spec.is_default:
        return None
    return BuiltinPolicy(spec.agent, spec.contact, spec.weights,
                         [(r.group, r.type, r.agents) for r in spec.reserve])


def policy_for(scenario: Scenario, policy: RoutingPolicy | None = None) -> RoutingPolicy | None:
    """The policy a run uses: the user's ``policy`` if given, else the scenario's.

    Raises:
        TypeError: If ``policy`` lacks one of the two methods.
    """
    if policy is None:
        return scenario_policy(scenario.routing_policy)
    if not isinstance(policy, RoutingPolicy):
        raise TypeError(f"policy must have choose_agent and choose_contact methods "
                        f"(sim.routing.RoutingPolicy), got {type(policy).__name__}")
    return policy


def replication_copy(policy: RoutingPolicy) -> RoutingPolicy:
    """A copy of a user's ``policy`` for one replication, as a worker process receives it.

    Without it, a policy that keeps state (a counter, a log) carried it from one
    replication to the next in this process, but not into a worker: the same seed gave
    other results run twice, or with another number of workers.

    Raises:
        TypeError: In one line, if the policy cannot be copied.
    """
    try:
        return copy.deepcopy(policy)
    except Exception as exc:  # what it holds cannot be copied: say which policy, in one line
        said = " ".join(str(exc).split())
        raise TypeError(f"policy {type(policy).__name__} cannot be copied for each "
                        f"replication ({type(exc).__name__}: {said}); hold plain data "
                        "in it") from None
