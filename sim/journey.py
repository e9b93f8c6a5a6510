"""Journey: a contact type's path beyond one queue, compiled for the engine.

A contact center is not one queue. Before the queue there may be a phone menu (IVR)
that solves some issues and sends some customers to the wrong queue; after talking, an
agent may transfer the contact, consult a specialist while the customer is on hold, or
escalate; an unresolved issue comes back as a repeat contact, and a customer who hung
up may redial. This module turns those scenario options into small objects with the
random streams they need, so the engine only asks "what happens next?".

Every decision and duration has its own stream per contact type (see
:mod:`sim.streams`), drawn in numpy blocks: policies still compare under common random
numbers, and a replication does not depend on how the draws are batched.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.scenario import ContactType, Scenario, TransferMode
from sim.streams import stream

BLOCK = 1024


class Draws:
    """Numbers from one stream, drawn ``BLOCK`` at a time."""

    __slots__ = ("_buffer", "_fill", "_next")

    def __init__(self, fill: Callable[[int], np.ndarray]):
        self._fill = fill
        self._buffer: list[float] = []
        self._next = 0

    def next(self) -> float:
        """The next number of the stream."""
        if self._next >= len(self._buffer):
            self._buffer = self._fill(BLOCK).tolist()
            self._next = 0
        value = self._buffer[self._next]
        self._next += 1
        return value


class Streams:
    """Factory of :class:`Draws` for one replication, keyed by purpose and contact type."""

    def __init__(self, seed: int, replication: int):
        self.seed, self.replication = seed, replication

    def uniform(self, purpose: str, name: str) -> Draws:
        """Uniform(0, 1) draws for decisions."""
        rng = stream(self.seed, self.replication, purpose, name)
        return Draws(rng.random)

    def of(self, dist, purpose: str, name: str) -> Draws | None:
        """Draws from a distribution (None stays None: e.g. no patience)."""
        if dist is None:
            return None
        rng = stream(self.seed, self.replication, purpose, name)
        return Draws(lambda n: dist.sample(rng, n))


@dataclass
class IvrPlan:
    """Compiled IVR: menu time, self-service and misroute probabilities, wrong queues."""

    time: Draws
    self_service: float
    misroute: float
    wrong_queues: list[int]
    misroute_talk: Draws
    misroute_resolution: float = 1.0


@dataclass
class HandoffPlan:
    """A transfer or consult target: a queue (contact type index) and how."""

    probability: float
    to: int
    warm: bool = False
    priority: bool = False
    talk: Draws | None = None  # consult length
    hold_patience: Draws | None = None


@dataclass
class ComebackPlan:
    """A repeat contact (after unresolved) or a retrial (after abandoning / busy signal)."""

    probability: float
    delay: Draws
    limit: int  # max contacts per issue (repeat) or redials per issue (retrial)
    switch_to: int | None = None
    switch: float = 0.0


@dataclass
class ComplaintPlan:
    """When a customer posts publicly, and where the post arrives."""

    probability: float
    to: int
    delay: Draws
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
    decide: Draws  # uniform draws for every decision on this type's contacts
    handle: Draws  # handle times of contacts created during the run and later legs
    patience: Draws | None
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
    def after_talk(self) -> bool:
        """Whether anything but a plain talk can happen once answered."""
        return bool(self.transfer or self.consult or math.isfinite(self.cap) or self.repeat)


@dataclass
class GroupPlan:
    """A group's effect on journeys: resolution multiplier and escalation."""

    resolution_factor: float = 1.0
    escalate: HandoffPlan | None = None
    escalate_as_consult: bool = False
    decide: Draws | None = None


def compile_types(scenario: Scenario, streams: Streams) -> list[TypePlan]:
    """A :class:`TypePlan` per contact type, in the scenario's order."""
    index = {name: i for i, name in enumerate(scenario.contact_types)}
    return [_type_plan(name, ct, index, streams) for name, ct in scenario.contact_types.items()]


def _type_plan(name: str, ct: ContactType, index: dict[str, int], streams: Streams) -> TypePlan:
    plan = TypePlan(
        resolution=ct.resolution,
        decide=streams.uniform("routing", name),
        handle=streams.of(ct.handle, "handle.later", name),
        patience=streams.of(ct.patience, "patience.later", name),
        max_transfers=ct.max_transfers,
        mean_handle=ct.handle.mean,
    )
    if ct.complaint is not None:
        k = ct.complaint
        plan.complaint = ComplaintPlan(
            k.probability, index[k.to], streams.of(k.delay, "complaint", name),
            *(math.inf if v is None else v for v in (k.wait_over, k.hold_over)),
            k.abandoned,
            *(math.inf if v is None else v for v in (k.transfers_over, k.contacts_over)))
    plan.duplicate = ct.duplicate_answers
    if ct.callback is not None:
        plan.callback_threshold = ct.callback.threshold
        plan.callback_accept = ct.callback.accept
        plan.callback_queue = index[ct.callback.queue] if ct.callback.queue else None
    if ct.ivr is not None:
        own = index[name]
        wrong = [index[t] for t in ct.ivr.misroute_to] or [i for i in index.values() if i != own]
        plan.ivr = IvrPlan(
            time=streams.of(ct.ivr.time, "ivr", name),
            self_service=ct.ivr.self_service,
            misroute=ct.ivr.misroute if wrong else 0.0,
            wrong_queues=wrong,
            misroute_talk=streams.of(ct.ivr.misroute_talk, "misroute", name),
            misroute_resolution=ct.ivr.misroute_resolution,
        )
    if ct.transfer is not None:
        plan.transfer = HandoffPlan(ct.transfer.probability, index[ct.transfer.to],
                                    warm=ct.transfer.mode is TransferMode.WARM,
                                    priority=ct.transfer.priority)
    if ct.consult is not None:
        plan.consult = HandoffPlan(ct.consult.probability, index[ct.consult.to],
                                   talk=streams.of(ct.consult.talk, "consult", name),
                                   hold_patience=streams.of(ct.consult.hold_patience,
                                                            "hold_patience", name))
    if ct.handle_cap is not None:
        plan.cap, plan.cap_factor = ct.handle_cap.max, ct.handle_cap.resolution_factor
    if ct.repeat is not None:
        r = ct.repeat
        plan.repeat = ComebackPlan(r.probability, streams.of(r.delay, "repeat", name),
                                   r.max_contacts,
                                   index[r.switch_to] if r.switch_to else None, r.switch)
    if ct.retrial is not None:
        r = ct.retrial
        plan.retrial = ComebackPlan(r.probability, streams.of(r.delay, "retrial", name),
                                    r.max_attempts)
    return plan


def compile_groups(scenario: Scenario, streams: Streams) -> list[GroupPlan]:
    """A :class:`GroupPlan` per agent group, in the scenario's order."""
    index = {name: i for i, name in enumerate(scenario.contact_types)}
    plans = []
    for name, group in scenario.agents.items():
        plan = GroupPlan(resolution_factor=group.resolution_factor)
        if group.escalate is not None:
            e = group.escalate
            plan.escalate = HandoffPlan(e.probability, index[e.to],
                                        talk=streams.of(e.talk, "escalate.talk", name))
            plan.escalate_as_consult = e.mode == "consult"
            plan.decide = streams.uniform("escalate", name)
        plans.append(plan)
    return plans
