"""One leg served by an agent, as a chain of scheduled steps (no SimPy process).

A contact with a journey (:mod:`sim.legs`) used to be served by a SimPy process: a
generator resumed after each timeout, hold and warm transfer. That costs a process, its
start event, its end event and a generator resume per step, about six times a plain
call's time. A :class:`Leg` does the same steps as callbacks of the floor's light ticks
(:mod:`sim.ticks`), each scheduling the next one, and so in exactly the order SimPy gave
them (the records are the same, to the bit):

- the leg starts where SimPy started the process: with ``URGENT`` priority at the instant
  it was answered, or, for a contact *handed* to an idle agent, after the events already
  due then (the process waited on an event succeeded at once);
- each ``yield timeout`` is a tick scheduled at the same moment;
- a waiter event succeeded by someone else (a consult answered, a warm transfer taken)
  is a tick scheduled where ``succeed`` was called: the waiter is the callback itself;
- a consult hold with hold patience waited on ``done | gave_up``: SimPy resumed the
  process one event after the first of the two was processed, and then asked whether
  the consult was done (it may have been by then). The same here: whichever fires
  first schedules the resumption, which asks the same question.
"""

from __future__ import annotations

from sim import keyed
from sim.legs import (
    COMPLETED,
    CONSULT,
    CONSULT_LEG,
    CUSTOMER,
    DUPLICATE,
    DUPLICATE_LEG,
    FIRST,
    HUNG_UP,
    INF,
    MISROUTE,
)
from sim.records import ABANDONED, WAITING

# what a consult hold waits for: the consult alone, or the consult or the customer's patience
ALONE, EITHER, FIRED = 0, 1, 2


class Leg:
    """Contact ``c`` with agent ``agent_id`` of ``group``: its steps until the agent is free.

    Args:
        journeys: The contacts' journeys (:class:`sim.legs.Journeys`): columns, plans and
            the endings the leg calls.
        c: The contact (already answered: its queue, group and agent are set).
        group: The answering agent's group (:class:`sim.floor_state.GroupState`).
        agent_id: The answering agent.
    """

    __slots__ = (
        "agent_id",
        "at_agent",
        "at_group",
        "c",
        "capped",
        "consult",
        "entered",
        "group",
        "half",
        "held",
        "hold_before",
        "j",
        "leg",
        "length",
        "on_hold",
        "q",
        "queue",
        "reason",
        "request",
        "start",
        "then",
        "three_way",
        "waits",
    )

    def __init__(self, journeys, c: int, group, agent_id: int):
        self.j, self.c, self.group, self.agent_id = journeys, c, group, agent_id

    # ---- the talk --------------------------------------------------------------------

    def begin(self, _tick=None) -> None:
        """The agent has the contact: a work item, a consult request, or the customer."""
        j, c = self.j, self.c
        self.start = j.env._now
        self.hold_before = j.hold[c]  # this leg's hold is what it adds
        q = self.q = j.qtype[c]
        j.served_legs[c] += 1
        self.leg = j.served_legs[c]  # this leg's number (the next agent's may follow first)
        kind = j.kind[c]
        if kind == DUPLICATE:
            group = self.group
            j.at(j.handle[c] * (group.slowdown if group.factors is None
                                else group.factors[self.agent_id]), self._duplicated)
            return
        if kind == CONSULT:
            self._talk(j.plans[q], j.handle[c], self._consulted)
            return
        if j.conferences:  # joined by a conference transfer: three-way talk first
            three_way = j.conferences.pop(c, 0.0)
            if three_way > 0.0:
                self.three_way = three_way
                j.at(three_way, self._conferred)
                return
        self._customer()

    def _conferred(self, _tick) -> None:
        self.j.talk[self.c] += self.three_way
        self._customer()

    def _customer(self) -> None:
        """The customer's own talk: a misrouted call's short one, or the handle time."""
        j, c = self.j, self.c
        own_plan = j.plans[j.ctype[c]]
        legs = j.served_legs[c]
        if j.misrouted[c] and legs == 1:  # the wrong queue from the IVR
            self.length = own_plan.ivr.misroute_talk(
                keyed.uniform(j.key[c], keyed.MISROUTE_TALK))
            j.at(self.length, self._misrouted)
            return
        queue_plan = j.plans[self.q]
        if legs == 1 + j.misrouted[c]:  # the first talk: the drawn handle time
            length = j.handle[c]
        else:
            length = queue_plan.handle(keyed.uniform(j.key[c], keyed.HANDLE, legs))
        group = self.group
        length *= group.slowdown if group.factors is None else group.factors[self.agent_id]
        self.capped = length > own_plan.cap
        if self.capped:
            length = own_plan.cap
        self._talk(queue_plan, length, self._talked)

    def _talk(self, queue_plan, length: float, then) -> None:
        """Talk for ``length`` seconds, maybe with a consult hold halfway; then ``then(stayed)``."""
        j, c = self.j, self.c
        key, leg = j.key[c], j.served_legs[c]
        self.then, self.length = then, length
        consult = None
        if queue_plan.consult and (keyed.uniform(key, keyed.CONSULT, leg)
                                   < queue_plan.consult.probability):
            consult = queue_plan.consult
        else:
            gp = j.group_plans[self.group.index]
            if gp.escalate_as_consult and (keyed.uniform(key, keyed.ESCALATE, leg)
                                           < gp.escalate.probability):
                consult = gp.escalate
        if consult is None:
            j.at(length, self._spoken)
            return
        self.consult, self.on_hold = consult, leg
        self.half = length / 2.0
        j.at(self.half, self._hold)

    def _spoken(self, _tick) -> None:
        self.j.talk[self.c] += self.length
        self.then(True)

    def _hold(self, _tick) -> None:
        """Halfway: the customer on hold, the agent asks the consult's queue."""
        j, c, consult, leg = self.j, self.c, self.consult, self.on_hold
        key = j.key[c]
        held = self.held = j.env._now
        talk = consult.talk(keyed.uniform(key, keyed.CONSULT_TALK, leg))
        request = self.request = j._new_contact(
            consult.to, j.issue[c], FIRST, CONSULT, talk, INF, held,
            keyed.child(key, keyed.CONSULT, leg))
        j.consult_waiters[request] = self._answered  # scheduled when the consult ends
        j.floor._enqueue(request, consult.to, held, patience=INF)
        if consult.hold_patience is not None and j.kind[c] == CUSTOMER:
            self.waits = EITHER
            j.at(consult.hold_patience(keyed.uniform(key, keyed.HOLD_PATIENCE, leg)),
                 self._gave_up)
        else:
            self.waits = ALONE

    def _answered(self, _tick) -> None:
        """The consult is over (SimPy: its waiter event processed)."""
        if self.waits == ALONE:
            self._back()
        elif self.waits == EITHER:  # the condition is met: resumed one event later
            self.waits = FIRED
            self.j.at(0.0, self._either)

    def _gave_up(self, _tick) -> None:
        """The customer's hold patience ran out (maybe after the consult ended)."""
        if self.waits == EITHER:
            self.waits = FIRED
            self.j.at(0.0, self._either)

    def _either(self, _tick) -> None:
        """Resumed after the consult or the patience: back if the consult is done."""
        j, c = self.j, self.c
        request = self.request
        if request not in j.consult_waiters:  # it ended (its waiter was taken)
            self._back()
            return
        # the customer hung up on hold
        del j.consult_waiters[request]
        if j.state[request] == WAITING:
            j.state[request] = ABANDONED  # the consult is called off
        now = j.env._now
        j.hold[c] += now - self.held
        j.talk[c] += self.half
        j.floor._abandon(c, now, on_hold=True)
        self.then(False)

    def _back(self) -> None:
        """Off hold: the second half of the talk."""
        j = self.j
        j.hold[self.c] += j.env._now - self.held
        j.at(self.length - self.half, self._spoken)

    # ---- how the leg ends ------------------------------------------------------------

    def _duplicated(self, _tick) -> None:
        j, c = self.j, self.c
        j._record_leg(c, self.start, DUPLICATE_LEG, j.hold[c] - self.hold_before)
        j._finish(c)
        self._free(0.0)

    def _consulted(self, _stayed: bool) -> None:
        """A consult request's talk is over: the agent who asked is answered."""
        j, c = self.j, self.c
        j._record_leg(c, self.start, CONSULT_LEG, j.hold[c] - self.hold_before)
        j._finish(c)
        waiter = j.consult_waiters.pop(c, None)
        if waiter is not None:
            j.at(0.0, waiter)
        self._free(0.0)

    def _misrouted(self, _tick) -> None:
        j, c = self.j, self.c
        j.talk[c] += self.length
        wrap = j._wrap_up(c, self.q, self.leg)
        j._record_leg(c, self.start, MISROUTE, j.hold[c] - self.hold_before, wrap=wrap)
        j.transfers[c] += 1
        j.floor._enqueue(c, j.ctype[c], j.env._now)
        self._free(wrap)

    def _talked(self, stayed: bool) -> None:
        """The customer's talk is over (or they hung up on hold): complete or hand on."""
        j, c = self.j, self.c
        if not stayed:
            wrap = j._wrap_up(c, self.q, self.leg)
            j._record_leg(c, self.start, HUNG_UP, j.hold[c] - self.hold_before, wrap=wrap)
            self._free(wrap)
            return
        own_plan = j.plans[j.ctype[c]]
        handoff, reason = j._handoff(c, self.group, j.plans[self.q], own_plan)
        if handoff is None:
            wrap = j._wrap_up(c, self.q, self.leg)
            j._record_leg(c, self.start, COMPLETED, j.hold[c] - self.hold_before, wrap=wrap)
            j._complete(c, self.group, self.capped)
            self._free(wrap)
            return
        j.transfers[c] += 1
        if not handoff.warm:
            wrap = j._wrap_up(c, self.q, self.leg)
            j._record_leg(c, self.start, reason, j.hold[c] - self.hold_before, wrap=wrap)
            j.floor._enqueue(c, handoff.to, j.env._now, priority=handoff.priority)
            self._free(wrap)
            return
        # warm: the first agent stays on the line until someone answers
        j.warm_waiters[c] = self._taken  # scheduled when the next agent answers
        self.queue, self.entered = j.qtype[c], j.enq[c]
        self.at_group, self.at_agent = j.group[c], j.agent[c]
        self.reason = reason
        self.three_way = 0.0
        if handoff.conference is not None:  # the next agent owes it too
            self.three_way = handoff.conference(
                keyed.uniform(j.key[c], keyed.CONFERENCE_TALK, self.leg))
            j.conferences[c] = self.three_way
        j.floor._enqueue(c, handoff.to, j.env._now, patience=INF, priority=handoff.priority)
        self.held = j.hold[c] - self.hold_before

    def _taken(self, _tick) -> None:
        """The warm transfer is answered: in a conference, both agents talk first."""
        if self.three_way > 0.0:
            self.j.at(self.three_way, self._handed_on)
        else:
            self._handed_on(None)

    def _handed_on(self, _tick) -> None:
        j = self.j
        wrap = j._wrap_up(self.c, self.q, self.leg)
        j._append_leg(self.c, self.queue, self.entered, self.start, self.at_group,
                      self.at_agent, self.reason, self.held, wrap=wrap)
        self._free(wrap)

    def _free(self, wrap: float) -> None:
        """The agent's after-call work (:mod:`sim.wrap_up`), then the next work."""
        if wrap > 0.0:
            self.j.at(wrap, self._next_work)
        else:
            self.j.floor._next_work(self.group, self.agent_id)

    def _next_work(self, _tick) -> None:
        self.j.floor._next_work(self.group, self.agent_id)
