"""One leg served by an agent, as a chain of scheduled steps (no SimPy process).

A SimPy process per leg (a generator resumed after each timeout, hold and warm transfer)
cost about six times a plain call. Here the same steps are callbacks of the floor's light
ticks (:mod:`sim.ticks`), each scheduling the next, in the order SimPy gave them but one:

- a leg begins when it is answered, in the step that answered it (a process began one
  event later: nothing in between read or changed what its first step does, but on an
  exact tie the talk's end came after the other event; RESULTS_VERSION 5);
- each ``yield timeout`` is an event at the same moment: the leg itself (it has what
  SimPy's loop needs of an event: a leg waits for one thing at a time);
- a waiter event succeeded by someone else (a consult answered, a warm transfer taken)
  is a tick scheduled where ``succeed`` was called, with the leg as its value;
- a consult hold with hold patience waited on ``done | gave_up``: SimPy resumed the
  process one event after the first of the two was processed, and then asked whether
  the consult was done (it may have been by then). The same here: whichever fires
  first schedules the resumption, which asks the same question (at once, when that
  resumption would be the very next event anyway).

The steps are closures made once per replication (:func:`leg_steps`) over the contacts'
columns and the plans, as the floor's plain path is a bound method: a step reads its
leg and no attribute of a part but the floor's steps, which hooks (real-time rules, a
routing policy, balking) may replace and are looked up at each use.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from simpy.events import NORMAL

from sim import keyed
from sim.consult_hold import BACK, EITHER, hold_steps
from sim.legs import (
    COMPLETED,
    CONSULT,
    DUPLICATE,
    DUPLICATE_LEG,
    ESCALATION,
    INF,
    MISROUTE,
    TRANSFER,
)
from sim.third_legs import later_number
from sim.ticks import Tick


class Leg:
    """Where one leg is: contact ``c`` with agent ``agent_id`` of ``group``, and its times.

    Filled in by the steps as the leg goes (``start``: answered; ``leg``: its number among
    the contact's legs; ``length``/``half``: the talk and its first half when a consult
    interrupts it; ``waits``: what a consult hold waits for, ``gives_up``: when its customer's
    hold patience runs out). Also the event its next step
    is scheduled as (``callbacks``, ``_ok``); made by ``start`` without ``__init__``.
    """

    __slots__ = ("agent_id", "c", "callbacks", "capped", "consult", "end", "entered", "gives_up",
                 "group", "half", "held", "hold_before", "leg", "length", "patience", "q", "queue",
                 "reason", "request", "start", "three_way", "to_agent", "to_group", "waits")
    _ok = True  # SimPy's loop asks (sim.ticks.run_events): a leg's step never fails


def leg_steps(journeys) -> Callable[..., None]:
    """``start(c, group, agent_id)``: serve ``c``'s leg, then free the agent.

    Args:
        journeys: The replication's journeys (:class:`sim.legs.Journeys`): its columns,
            plans, waiters and the endings the legs call (bound once: never hooked).
    """
    j = journeys
    floor, env = j.floor, j.env
    queue, ids, push, new = env._queue, env._eid, heapq.heappush, object.__new__
    plans, group_plans, after_call = j.plans, j.group_plans, j.after_call
    key, kind, qtype, ctype, handle = j.key, j.kind, j.qtype, j.ctype, j.handle
    hold, talk, served_legs, misrouted = j.hold, j.talk, j.served_legs, j.misrouted
    transfers, enq = j.transfers, j.enq
    groups, agents, numbered = j.group, j.agent, j.numbered
    consult_waiters, warm_waiters, conferences = (j.consult_waiters, j.warm_waiters,
                                                  j.conferences)
    append_leg, complete, finish = j._append_leg, j._complete, j._finish
    uniform = keyed.uniform
    # a drawn contact's first consult request's own consult decision (or None)
    request_consults = j.request_consults
    record_legs = j.record_legs
    # the drawn contacts' numbers worked out at once (ContactBook.first_numbers, or None): a
    # first leg's consult and transfer decisions (a drawn contact's comeback's too, where
    # ``numbered``); a second leg's talk and transfer decision, a misrouted call's talk (by
    # second row, where it has one: sim.second_numbers); a first consult's: sim.consult_hold
    numbers, drawn, consult_one, transfer_one = (j.first_numbers, j.n_drawn, j.consult_one,
                                                 j.transfer_one)
    handle_two, transfer_two = numbers.get((keyed.HANDLE, 2)), numbers.get((keyed.TRANSFER, 2))
    misroute_talks = numbers.get(keyed.MISROUTE_TALK)
    second_row = j.second_row  # (those three by second row: sim.second_numbers)
    # a third leg's, where it may have one (sim.third_legs); else keyed.uniform's
    later_handle, later_transfer = (later_number(j.floor.third_legs, purpose, key) for purpose
                                    in ((keyed.HANDLE, 3), (keyed.TRANSFER, 3)))
    add_leg, pack_leg = j.add_leg, j.pack_leg  # a leg's row (sim.leg_table.LEG_ROW)
    # a talk may end in a handoff: its type's transfer, its group's escalation (or None);
    # by group, the escalation that is a consult (on hold), or None
    transfers_to = [plan.transfer for plan in plans]
    escalates = [g.escalate if not g.escalate_as_consult else None for g in group_plans]
    escalates_as_consult = [g.escalate if g.escalate_as_consult else None for g in group_plans]

    def after(delay: float, step: tuple[Callable[[Leg], None]], leg: Leg) -> None:
        """``step`` (a step's callbacks) ``delay`` seconds from now: the leg is the event."""
        leg.callbacks = step
        push(queue, (env._now + delay, NORMAL, next(ids), leg))

    def record(c: int, leg: Leg, reason: int, wrap: float) -> None:
        """Append the leg of ``c`` that ends now (:meth:`sim.legs.Journeys._record_leg`).

        Its queue, group and agent are the leg's (``qtype[c]``, ``group[c]``, ``agent[c]``:
        ``c`` has not joined a queue again since it was answered).
        """
        if record_legs:
            add_leg(pack_leg(c, leg.q, enq[c], leg.start, env._now, leg.group.index,
                             leg.agent_id, hold[c] - leg.hold_before, reason, wrap))

    def wrap_up(leg: Leg) -> float:
        """The agent's after-call work after this leg (seconds; :mod:`sim.wrap_up`)."""
        return 0.0 if after_call is None else after_call.after(leg.c, leg.q, key[leg.c], leg.leg)

    def free(leg: Leg, wrap: float) -> None:
        """The agent's after-call work, then the next work."""
        if wrap > 0.0:
            after(wrap, step_next_work, leg)
        else:
            floor._next_work(leg.group, leg.agent_id)

    consulting: dict[int, Leg] = {}  # request being talked -> its leg (sim.consult_hold)
    # a consult request's talk: its hold halfway, and its end (which answers who asked)
    step_on_hold, step_consulted = hold_steps(j, consulting, free, wrap_up)

    def next_work(leg: Leg) -> None:
        floor._next_work(leg.group, leg.agent_id)

    # ---- the talk --------------------------------------------------------------------

    def start(c: int, group, agent_id: int) -> None:
        """The agent has the contact: a work item, a consult request, or the customer."""
        leg = new(Leg)  # Leg(): no __init__ to call
        leg.c, leg.group, leg.agent_id = c, group, agent_id
        leg.start = env._now
        what = kind[c]
        if what == CONSULT:  # a consult request's one leg, its talk written out here
            consulting[c] = leg
            leg.waits = BACK  # not on hold (yet): what call_off reads (no getattr's exception)
            # a contact made at the hold: its first leg, never on hold before
            leg.hold_before = 0.0
            leg.leg = served_legs[c] = 1
            q = leg.q = qtype[c]
            # the one consulted; group.pace(agent_id), written out
            length = leg.length = handle[c] * (
                group.slowdown if group.factors is None else group.factors[agent_id])
            asker = consult_waiters.get(c)
            consult = plans[q].consult
            if consult is not None and (
                    request_consults[asker.c]  # Journeys._consult_number, written out
                    if (request_consults is not None and asker is not None
                        and asker.leg == 1 and asker.c < drawn)
                    else uniform(key[c], keyed.CONSULT, 1)) >= consult.probability:
                consult = None
            if consult is None:
                escalate = escalates_as_consult[group.index]
                if escalate is not None and (uniform(key[c], keyed.ESCALATE, 1)
                                             < escalate.probability):
                    consult = escalate
                elif asker is not None and (asker.waits == EITHER
                                            and asker.gives_up < env._now + length):
                    # its asker hangs up on hold first, calling it off (sim.consult_hold):
                    # its end would do nothing (no event)
                    return
                else:  # after(length, step_consulted, leg), written out
                    leg.callbacks = step_consulted
                    push(queue, (env._now + length, NORMAL, next(ids), leg))
                    return
            hold_halfway(leg, consult, step_consulted)
            return
        leg.hold_before = hold[c]  # this leg's hold is what it adds
        leg.q = qtype[c]
        # this leg's number (the next agent's may follow first)
        leg.leg = served_legs[c] = served_legs[c] + 1
        if what == DUPLICATE:
            after(handle[c] * group.pace(agent_id), step_duplicated, leg)
            return
        if conferences:  # joined by a conference transfer: three-way talk first
            three_way = conferences.pop(c, 0.0)
            if three_way > 0.0:
                leg.three_way = three_way
                after(three_way, step_conferred, leg)
                return
        customer(leg)

    def conferred(leg: Leg) -> None:
        talk[leg.c] += leg.three_way
        customer(leg)

    def customer(leg: Leg) -> None:
        """The customer's own talk: a misrouted call's short one, or the handle time.

        Maybe with a consult hold halfway (the queue's consult, or the group's escalation
        as one), then ``talked``.
        """
        c, group = leg.c, leg.group
        own_plan = plans[ctype[c]]
        legs = leg.leg  # (served_legs[c]: nobody else has served c since this leg began)
        # group.pace(agent_id), written out
        pace = group.slowdown if group.factors is None else group.factors[leg.agent_id]
        if legs == 1 and misrouted[c]:  # the wrong queue from the IVR
            leg.length = own_plan.ivr.misroute_talk(
                misroute_talks[row] if misroute_talks is not None and (row := second_row[c]) >= 0
                else uniform(key[c], keyed.MISROUTE_TALK)) * pace
            after(leg.length, step_misrouted_talk, leg)
            return
        queue_plan = plans[leg.q]
        if legs == 1 + misrouted[c]:  # the first talk: the drawn handle time
            length = handle[c] * pace
        else:
            length = queue_plan.handle(
                handle_two[row] if legs == 2 and handle_two is not None
                and (row := second_row[c]) >= 0 else later_handle(c, legs)) * pace
        leg.capped = length > own_plan.cap
        if leg.capped:
            length = own_plan.cap
        leg.length = length
        consult = queue_plan.consult
        if consult is not None and (consult_one[c] if legs == 1 and numbered[c]
                                    else uniform(key[c], keyed.CONSULT, legs)
                                    ) >= consult.probability:
            consult = None
        if consult is None:
            escalate = escalates_as_consult[group.index]
            if escalate is None or uniform(key[c], keyed.ESCALATE, legs) >= escalate.probability:
                leg.callbacks = step_talked  # after(length, step_talked, leg), written out
                push(queue, (env._now + length, NORMAL, next(ids), leg))
                return
            consult = escalate
        leg.consult, leg.end = consult, step_talked  # hold_halfway(leg, consult, step_talked)
        half = leg.half = length / 2.0
        leg.callbacks = step_on_hold
        push(queue, (env._now + half, NORMAL, next(ids), leg))

    def hold_halfway(leg: Leg, consult, ends: tuple) -> None:
        """The leg's talk (``leg.length``) has a consult hold halfway, then ``ends``."""
        leg.consult = consult
        # the step after the second half: kept on the leg, so that no step refers back
        # to one that refers to it (a cycle would keep this replication until a collection)
        leg.end = ends
        leg.half = leg.length / 2.0
        leg.callbacks = step_on_hold  # after(half, step_on_hold, leg), written out
        push(queue, (env._now + leg.half, NORMAL, next(ids), leg))

    # ---- how the leg ends ------------------------------------------------------------

    def duplicated(leg: Leg) -> None:
        c = leg.c
        record(c, leg, DUPLICATE_LEG, 0.0)
        finish(c)
        free(leg, 0.0)

    def misrouted_talk(leg: Leg) -> None:
        c = leg.c
        talk[c] += leg.length
        wrap = wrap_up(leg)
        record(c, leg, MISROUTE, wrap)
        transfers[c] += 1
        floor._enqueue(c, ctype[c], env._now)
        free(leg, wrap)

    def talked(leg: Leg) -> None:
        """The customer's talk is over: complete, or hand on."""
        c = leg.c
        talk[c] += leg.length
        to = reason = None
        transfer = transfers_to[leg.q]
        escalate = escalates[leg.group.index]
        if (transfer is not None or escalate is not None) and (
                transfers[c] < plans[ctype[c]].max_transfers):  # a handoff may happen
            number = served_legs[c]
            if transfer is not None and (
                    transfer_one[c] if number == 1 and numbered[c]
                    else transfer_two[row] if number == 2 and transfer_two is not None
                    and (row := second_row[c]) >= 0 else later_transfer(c, number)
                    ) < transfer.probability:
                to, reason = transfer, TRANSFER
            elif escalate is not None and (uniform(key[c], keyed.ESCALATE, number)
                                           < escalate.probability):
                to, reason = escalate, ESCALATION
        if to is None:  # the most common end: record, complete and free written out
            wrap = 0.0 if after_call is None else wrap_up(leg)
            if record_legs:
                add_leg(pack_leg(c, leg.q, enq[c], leg.start, env._now, leg.group.index,
                                 leg.agent_id, hold[c] - leg.hold_before, COMPLETED, wrap))
            complete(c, leg.group, leg.capped)
            if wrap > 0.0:
                after(wrap, step_next_work, leg)
            else:
                floor._next_work(leg.group, leg.agent_id)
            return
        transfers[c] += 1
        if not to.warm:
            wrap = wrap_up(leg)
            record(c, leg, reason, wrap)
            floor._enqueue(c, to.to, env._now, priority=to.priority)
            free(leg, wrap)
            return
        # warm: the first agent stays on the line until someone answers
        warm_waiters[c] = (taken, leg)  # scheduled when the next agent answers
        leg.queue, leg.entered = qtype[c], enq[c]
        leg.to_group, leg.to_agent = groups[c], agents[c]
        leg.reason = reason
        leg.three_way = 0.0
        if to.conference is not None:  # the next agent owes it too; this one leads it
            leg.three_way = to.conference(uniform(key[c], keyed.CONFERENCE_TALK, leg.leg)
                                          ) * leg.group.pace(leg.agent_id)
            conferences[c] = leg.three_way
        floor._enqueue(c, to.to, env._now, patience=INF, priority=to.priority)
        leg.held = hold[c] - leg.hold_before

    def taken(tick: Tick) -> None:
        """The warm transfer is answered: in a conference, both agents talk first."""
        leg = tick._value
        if leg.three_way > 0.0:
            after(leg.three_way, step_handed_on, leg)
        else:
            handed_on(leg)

    def handed_on(leg: Leg) -> None:
        wrap = wrap_up(leg)
        append_leg(leg.c, leg.queue, leg.entered, leg.start, leg.to_group, leg.to_agent,
                   leg.reason, leg.held, wrap=wrap)
        free(leg, wrap)

    # each step as an event's callbacks: one tuple for all its events, not a list each
    (step_duplicated, step_conferred, step_misrouted_talk, step_talked, step_next_work,
     step_handed_on) = ((step,) for step in (
         duplicated, conferred, misrouted_talk, talked, next_work, handed_on))

    def release() -> None:
        """After the run: let go of the steps (compiled, they keep their scope in a cycle)."""
        nonlocal after, complete, customer, finish, free, handed_on, hold_halfway, record
        nonlocal taken, wrap_up, step_conferred, step_consulted, step_duplicated
        nonlocal step_handed_on, step_misrouted_talk, step_next_work, step_on_hold
        nonlocal step_talked, later_handle, later_transfer, new, push, add_leg, append_leg
        after = complete = customer = finish = free = handed_on = hold_halfway = None
        record = taken = wrap_up = step_conferred = step_consulted = None
        step_duplicated = step_handed_on = step_misrouted_talk = step_next_work = None
        step_on_hold = step_talked = later_handle = later_transfer = new = push = None
        add_leg = append_leg = None

    j.releases.append(release)
    return start
