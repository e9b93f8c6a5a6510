"""Journey: a contact type's path beyond one queue, compiled for the engine.

A contact center is not one queue. Before the queue there may be a phone menu (IVR)
that solves some issues and sends some customers to the wrong queue; after talking, an
agent may transfer the contact, consult a specialist while the customer is on hold, or
escalate; an unresolved issue comes back as a repeat contact, and a customer who hung
up may redial. This module turns those scenario options into small objects with the
inverse CDFs of their durations, so the engine only asks "what happens next?".

Every decision and duration is drawn from a number keyed by the customer, the purpose
and the step (:mod:`sim.keyed`); the plans hold the probabilities and the inverse CDFs
of the durations, so the engine turns such a number into a decision or a time. A policy
change then alters waits, not what the customers' calls turn into.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from sim.balking import BalkPlan, balk_plan
from sim.records import BALKED, BLOCKED
from sim.scenario import Scenario
from sim.scenario_contacts import ContactType, misroute_targets
from sim.scenario_journeys import TransferMode

Quantile = Callable[[float], float]  # inverse CDF: a number in (0, 1) -> seconds


def quantile(dist) -> Quantile | None:
    """The distribution's inverse CDF (None stays None: e.g. no patience)."""
    return None if dist is None else dist.quantile_function()


@dataclass
class IvrPlan:
    """Compiled IVR: menu time, self-service and misroute probabilities, wrong queues."""

    time: Quantile
    self_service: float
    misroute: float
    wrong_queues: list[int]
    misroute_talk: Quantile
    misroute_resolution: float = 1.0


@dataclass
class HandoffPlan:
    """A transfer or consult target: a queue (contact type index) and how."""

    probability: float
    to: int
    warm: bool = False
    priority: bool = False
    talk: Quantile | None = None  # consult length
    hold_patience: Quantile | None = None
    conference: Quantile | None = None  # three-way talk of a conference transfer


@dataclass
class ComebackPlan:
    """A repeat contact (after unresolved) or a retrial (after abandoning / busy signal).

    ``probability`` is the chance after an unresolved contact (repeat) or after
    abandoning (retrial); a retrial has its own chances after a busy signal and after
    balking, and each is multiplied by ``decay`` per comeback the issue already made.
    """

    probability: float
    delay: Quantile
    limit: int  # max contacts per issue (repeat) or redials per issue (retrial)
    switch_to: int | None = None
    switch: float = 0.0
    after_busy: float | None = None  # None: ``probability``
    after_balk: float = 0.0
    decay: float = 1.0
    # whether the chance depends on the cause or the attempt (else it is ``probability``)
    by_cause: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.by_cause = ((self.after_busy is not None and self.after_busy != self.probability)
                         or self.after_balk > 0.0 or self.decay != 1.0)

    def chance(self, state: int, made: int) -> float:
        """The chance of the next comeback of a contact that ended in ``state``.

        Args:
            state: How the contact ended (a :mod:`sim.records` state code).
            made: Comebacks of this kind the issue has made so far.
        """
        if state == BLOCKED:
            p = self.probability if self.after_busy is None else self.after_busy
        elif state == BALKED:
            p = self.after_balk
        else:
            p = self.probability
        return p if self.decay == 1.0 else p * self.decay ** made


@dataclass
class ComplaintPlan:
    """When a customer posts publicly, and where the post arrives."""

    probability: float
    to: int
    delay: Quantile
    wait_over: float = math.inf
    hold_over: float = math.inf
    abandoned: bool = False
    transfers_over: float = math.inf
    contacts_over: float = math.inf

    def crossed(self, queue_time: float, hold: float, abandoned: bool, transfers: int,
                contacts: int) -> bool:
        """Whether an experience crossed any of the thresholds."""
        return (queue_time > self.wait_over or hold > self.hold_over
                or (self.abandoned and abandoned) or transfers > self.transfers_over
                or contacts > self.contacts_over)


@dataclass
class TypePlan:
    """Everything the engine needs to know about one contact type's journey."""

    resolution: float
    handle: Quantile  # handle times of contacts created during the run and later legs
    patience: Quantile | None  # patience in queues after the first, and of new contacts
    ivr: IvrPlan | None = None
    transfer: HandoffPlan | None = None
    consult: HandoffPlan | None = None
    cap: float = math.inf
    cap_factor: float = 1.0
    repeat: ComebackPlan | None = None
    retrial: ComebackPlan | None = None
    max_transfers: int = 3
    complaint: ComplaintPlan | None = None
    duplicate: float = 0.0
    callback_threshold: float = math.inf
    callback_accept: float = 0.0
    callback_queue: int | None = None
    mean_handle: float = 0.0
    mean_talk: float = 0.0  # the handle time's mean (of mean_handle): what agents' pace scales
    balking: BalkPlan | None = None
    wrap_up: Quantile | None = None  # the agent's after-call work after a leg of this type

    @property
    def least_resolution(self) -> float:
        """The lowest resolution chance a contact of this type can have (before groups)."""
        chance = self.resolution
        if math.isfinite(self.cap):
            chance *= self.cap_factor
        if self.ivr is not None:
            chance *= self.ivr.misroute_resolution
        return chance

    @property
    def first_talk(self) -> int:
        """How a fresh contact's first talk may be served (:data:`LEGS`, :data:`PLAIN`...).

        ``PLAIN``: one talk, done, always (an unresolved issue's repeat is a new contact);
        ``PLAIN_IF_QUIET``: so, where the contact's first-leg numbers say it neither
        consults nor is transferred; ``LEGS``: a capped talk, always as a leg.
        """
        if math.isfinite(self.cap):
            return LEGS
        return PLAIN_IF_QUIET if self.transfer or self.consult else PLAIN


# how a fresh contact's first talk may be served (TypePlan.first_talk, sim.floor._serve)
LEGS, PLAIN, PLAIN_IF_QUIET = 0, 1, 2


@dataclass
class GroupPlan:
    """A group's effect on journeys: resolution multiplier and escalation."""

    resolution_factor: float = 1.0
    escalate: HandoffPlan | None = None
    escalate_as_consult: bool = False


def compile_types(scenario: Scenario) -> list[TypePlan]:
    """A :class:`TypePlan` per contact type, in the scenario's order."""
    index = {name: i for i, name in enumerate(scenario.contact_types)}
    return [_type_plan(name, ct, index, scenario.contact_types)
            for name, ct in scenario.contact_types.items()]


def _type_plan(name: str, ct: ContactType, index: dict[str, int],
               types: dict[str, ContactType]) -> TypePlan:
    plan = TypePlan(
        resolution=ct.resolution,
        handle=quantile(ct.handle),
        patience=quantile(ct.patience),
        max_transfers=ct.max_transfers,
        mean_handle=ct.agent_seconds,  # an agent's time per contact, wrap-up included
        mean_talk=ct.handle.mean,
        wrap_up=quantile(ct.wrap_up),
    )
    if ct.complaint is not None:
        k = ct.complaint
        plan.complaint = ComplaintPlan(
            k.probability, index[k.to], quantile(k.delay),
            *(math.inf if v is None else v for v in (k.wait_over, k.hold_over)),
            k.abandoned,
            *(math.inf if v is None else v for v in (k.transfers_over, k.contacts_over)))
    plan.duplicate = ct.duplicate_answers
    if ct.callback is not None:
        plan.callback_threshold = ct.callback.threshold
        plan.callback_accept = ct.callback.accept
        plan.callback_queue = index[ct.callback.queue] if ct.callback.queue else None
    if ct.ivr is not None:
        wrong = [index[t] for t in misroute_targets(types, name)]
        plan.ivr = IvrPlan(
            time=quantile(ct.ivr.time),
            self_service=ct.ivr.self_service,
            misroute=ct.ivr.misroute if wrong else 0.0,
            wrong_queues=wrong,
            misroute_talk=quantile(ct.ivr.misroute_talk),
            misroute_resolution=ct.ivr.misroute_resolution,
        )
    if ct.transfer is not None:
        plan.transfer = HandoffPlan(ct.transfer.probability, index[ct.transfer.to],
                                    warm=ct.transfer.mode is not TransferMode.COLD,
                                    priority=ct.transfer.priority,
                                    conference=quantile(ct.transfer.conference))
    if ct.consult is not None:
        plan.consult = HandoffPlan(ct.consult.probability, index[ct.consult.to],
                                   talk=quantile(ct.consult.talk),
                                   hold_patience=quantile(ct.consult.hold_patience))
    if ct.handle_cap is not None:
        plan.cap, plan.cap_factor = ct.handle_cap.max, ct.handle_cap.resolution_factor
    if ct.repeat is not None:
        r = ct.repeat
        plan.repeat = ComebackPlan(r.probability, quantile(r.delay),
                                   r.max_contacts,
                                   index[r.switch_to] if r.switch_to else None, r.switch)
    if ct.retrial is not None:
        r = ct.retrial
        plan.retrial = ComebackPlan(r.chance("abandon"), quantile(r.delay),
                                    r.max_attempts, after_busy=r.chance("busy"),
                                    after_balk=r.after_balk, decay=r.decay)
    if ct.balking is not None:
        plan.balking = balk_plan(ct.balking)
    return plan


def compile_groups(scenario: Scenario) -> list[GroupPlan]:
    """A :class:`GroupPlan` per agent group, in the scenario's order."""
    index = {name: i for i, name in enumerate(scenario.contact_types)}
    plans = []
    for group in scenario.agents.values():
        plan = GroupPlan(resolution_factor=group.resolution_factor)
        if group.escalate is not None:
            e = group.escalate
            plan.escalate = HandoffPlan(e.probability, index[e.to],
                                        talk=quantile(e.talk))
            plan.escalate_as_consult = e.mode == "consult"
        plans.append(plan)
    return plans
