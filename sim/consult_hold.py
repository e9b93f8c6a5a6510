"""A consult hold: what the asking leg waits for, and calling the consult off.

An agent puts the customer on hold and asks another department (:mod:`sim.leg_steps`):
a consult request joins that department's queue, and the agent waits on the line until
the consult ends. A customer may hang up on hold (hold patience). Then the consult has
no reason to go on: a request still queued leaves its queue (its leg ``abandoned``), and
a consult being talked ends at once, both agents free, as when the asking agent sees the
held line drop. The consulted agent may be holding a consult of its own (a hold inside
a hold): that one is called off likewise.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from simpy.events import NORMAL

from sim import consult_entry, keyed
from sim.legs import CONSULT, CONSULT_LEG, CUSTOMER, FIRST, HUNG_UP, INF
from sim.records import ANSWERED, WAITING
from sim.ticks import Tick

# what a consult hold waits for: the consult alone, or the consult or the customer's
# patience; FIRED: it has been met (resuming); BACK: off hold, the second half of the talk
ALONE, EITHER, FIRED, BACK = 0, 1, 2, 3
UNUSED = Tick(())  # the hold patience of a leg whose consult surely ends first: never due


def hold_steps(journeys, consulting: dict, free: Callable,
               wrap_up: Callable) -> tuple[tuple, tuple]:
    """``(on_hold, consulted)``, each as an event's callbacks: the steps of a consult hold.

    ``on_hold(leg)``: halfway through its talk (:mod:`sim.leg_steps`' ``hold_halfway``), the
    leg's agent puts the customer on hold and asks; ``consulted(leg)``: a consult request's
    talk is over, and who asked is answered (``back_from_consult``, at once or as an event
    of its own). Then the asking leg's second half (``leg.end``), or the customer hangs up
    on hold.

    Args:
        journeys: The replication's journeys (:class:`sim.legs.Journeys`).
        consulting: By consult request being talked, the consulted agent's leg.
        free: ``free(leg, wrap)``: the leg's agent takes its next work.
        wrap_up: ``wrap_up(leg)``: the agent's after-call work after the leg (seconds).
    """
    j = journeys
    env, floor, consult_waiters = j.env, j.floor, j.consult_waiters
    queue, ids, push, new = env._queue, env._eid, heapq.heappush, object.__new__
    key, kind, issue, hold, talk, enq = j.key, j.kind, j.issue, j.hold, j.talk, j.enq
    state, end = j.state, j.end
    new_contact, uniform, drawn = j._new_contact, keyed.uniform, j.n_drawn
    after_call, record_legs, add_leg, pack_leg = (j.after_call, j.record_legs, j.add_leg,
                                                  j.pack_leg)
    # a drawn contact's first consult's talk, hold patience and request key, worked out at
    # once (ContactBook.first_numbers), or None
    consult_talks = j.first_numbers.get((keyed.CONSULT_TALK, 1))
    hold_patiences = j.first_numbers.get((keyed.HOLD_PATIENCE, 1))
    consult_keys = j.first_children.get((keyed.CONSULT, 1))
    keyed_first = drawn if consult_keys is not None else 0  # contacts below: worked out
    call_off = call_off_step(j, consulting)

    # a request's way into its queue (sim.consult_entry), decided at the first request, the
    # engine's hooks installed by then (a step rebinding itself would be a reference cycle,
    # kept until a collection where no consult is ever asked)
    onlys = queues = shifts = None
    queued, answer, wait, group, agent = j.queued, j.answer, j.wait, j.group, j.agent

    def on_hold(leg) -> None:
        """Halfway: the customer on hold, the agent asks the consult's queue."""
        nonlocal onlys, queues, shifts
        c, consult, number = leg.c, leg.consult, leg.leg
        held = leg.held = env._now
        first = number == 1 and c < keyed_first  # worked out at once
        if first:  # (the key of c read only where needed)
            k = 0
            length = consult.talk(consult_talks[c])
            request_key = consult_keys[c]
        else:
            k = key[c]
            length = consult.talk(uniform(k, keyed.CONSULT_TALK, number))
            request_key = keyed.child(k, keyed.CONSULT, number)
        request = leg.request = new_contact(consult.to, issue[c], FIRST, CONSULT, length, INF,
                                            held, request_key)
        consult_waiters[request] = leg  # answered when the consult ends
        patient = consult.hold_patience is not None and kind[c] == CUSTOMER
        if patient:  # known before the consult is asked: one answered at once reads it
            leg.waits = EITHER
            gives_up = leg.gives_up = held + consult.hold_patience(
                hold_patiences[c] if first else uniform(k, keyed.HOLD_PATIENCE, number))
        else:
            leg.waits = ALONE
        if onlys is None:
            onlys = consult_entry.fast_queues(floor)
            queues, shifts = [ct.queue for ct in floor.types], floor.shifts
        # floor._enqueue(request, q, held, INF), the short way where it applies (see
        # sim.consult_entry): the request's row is as new_contact left it
        q = consult.to
        best = onlys[q]
        if best is not None and best.idle:  # _enqueue's answer of one never queued
            _, agent_id = best.idle.popleft()
            enq[request] = answer[request] = held
            queued[request] = 1
            wait[request] = 0.0
            state[request] = ANSWERED
            group[request] = best.index
            agent[request] = agent_id
            floor.start_leg(request, best, agent_id)  # _serve's leg
        elif best is not None and not shifts.closed_groups:  # it waits (state, deadline: so)
            enq[request] = held
            queued[request] = 1
            queues[q].append(request)
        else:
            floor._enqueue(request, q, held, INF)
        if not patient:
            return
        talked = consulting.get(request)
        if (talked is not None and held + talked.length < gives_up
                and talked.callbacks is step_consulted):
            # answered at once by an agent who will not consult in turn: the consult ends
            # before the patience, whose tick would find the leg back (no event; the hold
            # still waits on either, so it resumes as it would)
            leg.patience = UNUSED
            return
        # at(patience, gave_up, leg), written out; kept on the leg, to be silenced if the
        # consult ends first (then gave_up would do nothing)
        patience = leg.patience = new(Tick)
        patience.callbacks, patience._value = step_gave_up, leg
        push(queue, (gives_up, NORMAL, next(ids), patience))

    def answered(tick: Tick) -> None:
        back_from_consult(tick._value)

    def back_from_consult(leg) -> None:
        """The consult is over (SimPy: its waiter event processed)."""
        if leg.waits == ALONE:
            back(leg)
        elif leg.waits == EITHER:  # the condition is met: resumed one event later
            fired(leg)

    def gave_up(tick: Tick) -> None:
        """The customer's hold patience ran out (maybe after the consult ended)."""
        leg, tick._value = tick._value, None  # (leg <-> tick: a cycle, kept until a collection)
        if leg.waits == EITHER:  # fired(leg), written out
            leg.waits = FIRED
            if queue and queue[0][0] <= env._now:
                leg.callbacks = step_resume
                push(queue, (env._now, NORMAL, next(ids), leg))
            else:
                resume(leg)

    def fired(leg) -> None:
        """The hold's condition is met: resume once the event it succeeded is processed.

        That event would be the next one processed if nothing else is due at this
        instant (the callbacks calling this do nothing after it): then resume at once.
        """
        leg.waits = FIRED
        if queue and queue[0][0] <= env._now:  # after(0.0, step_resume, leg), written out
            leg.callbacks = step_resume
            push(queue, (env._now, NORMAL, next(ids), leg))
        else:
            resume(leg)

    def resume(leg) -> None:
        """Resumed after the consult or the patience: back if the consult is done."""
        c, request = leg.c, leg.request
        if request not in consult_waiters:  # it ended (its waiter was taken)
            back(leg)
            return
        # the customer hung up on hold
        del consult_waiters[request]
        now = env._now
        held = hold[c] = hold[c] + (now - leg.held)
        talk[c] += leg.half
        floor._abandon(c, now, True)  # (on hold)
        wrap = 0.0 if after_call is None else wrap_up(leg)
        if record_legs:  # record(c, leg, HUNG_UP, wrap), written out
            add_leg(pack_leg(c, leg.q, enq[c], leg.start, now, leg.group.index, leg.agent_id,
                             held - leg.hold_before, HUNG_UP, wrap))
        call_off(request)  # queued or being talked, the consult ends (a leg)
        if wrap > 0.0:
            free(leg, wrap)
        else:  # free(leg, 0.0), written out
            floor._next_work(leg.group, leg.agent_id)

    def back(leg) -> None:
        """Off hold: the second half of the talk (the hold patience's tick now does nothing)."""
        hold[leg.c] += env._now - leg.held
        if leg.waits != ALONE:
            # (gave_up would find it BACK), and the tick lets go of the leg (no cycle)
            leg.patience.callbacks = leg.patience._value = ()
        leg.waits = BACK
        leg.callbacks = leg.end  # after(second half, leg.end, leg), written out
        push(queue, (env._now + (leg.length - leg.half), NORMAL, next(ids), leg))

    def consulted(leg) -> None:
        """A consult request's talk is over: the agent who asked is answered.

        The request's one leg ends (its talk and hold are the contact's, from nothing).
        """
        c, now = leg.c, env._now
        talk[c] = leg.length
        del consulting[c]
        if record_legs:  # record(c, leg, CONSULT_LEG, 0.0), written out
            add_leg(pack_leg(c, leg.q, enq[c], leg.start, now, leg.group.index, leg.agent_id,
                             hold[c], CONSULT_LEG, 0.0))
        state[c], end[c] = ANSWERED, now  # Journeys._finish(c), written out
        waiter = consult_waiters.pop(c, None)
        if waiter is None:
            floor._next_work(leg.group, leg.agent_id)  # free(leg, 0.0)
            return
        # the waiter's event, succeeded now: processed after what freeing the agent
        # schedules now with more urgency, and after what was due now already
        mark = next(ids)
        floor._next_work(leg.group, leg.agent_id)  # free(leg, 0.0)
        if queue:
            top = queue[0]
            if top[0] == now and (top[1] != NORMAL or top[2] < mark):
                push(queue, (now, NORMAL, mark, Tick([answered], waiter)))
                return
        # it would be the next event processed: at once (back_from_consult, written out)
        waits = waiter.waits
        if waits == EITHER and queue and queue[0][0] <= now:  # fired: resumed one event later
            waiter.waits, waiter.callbacks = FIRED, step_resume
            push(queue, (now, NORMAL, next(ids), waiter))
        elif waits <= EITHER:  # alone, or resumed at once: resume finds the consult over
            hold[waiter.c] += now - waiter.held  # back(waiter), written out
            if waits == EITHER:
                waiter.patience.callbacks = waiter.patience._value = ()
            waiter.waits, waiter.callbacks = BACK, waiter.end
            push(queue, (now + (waiter.length - waiter.half), NORMAL, next(ids), waiter))

    # each step as an event's callbacks (one tuple for all its events); on_hold tells
    # a consult that will not hold in turn by its step (no step refers back to on_hold)
    step_gave_up, step_resume, step_consulted = (gave_up,), (resume,), (consulted,)

    def release() -> None:
        """After the run: let go of the steps (compiled, they keep their scope in a cycle)."""
        nonlocal answered, back, back_from_consult, fired, resume, call_off, free, wrap_up
        nonlocal step_consulted, step_gave_up, step_resume, new, new_contact, push, answer
        answered = back = back_from_consult = fired = resume = call_off = free = None
        wrap_up = step_consulted = step_gave_up = step_resume = new = new_contact = None
        push = answer = None

    j.releases.append(release)
    return (on_hold,), step_consulted


def call_off_step(journeys, consulting: dict) -> Callable[[int], None]:
    """``call_off(request)``: the consult ``request`` ends now, its asker gone.

    Args:
        journeys: The replication's journeys (:class:`sim.legs.Journeys`): its columns,
            floor and who waits for which consult.
        consulting: By consult request being talked, the consulted agent's leg
            (:class:`sim.leg_steps.Leg`), kept by the leg steps.
    """
    j = journeys
    env, floor, waiters = j.env, j.floor, j.consult_waiters
    state, end, hold, talk, enq = j.state, j.end, j.hold, j.talk, j.enq
    record_legs, add_leg, pack_leg = j.record_legs, j.add_leg, j.pack_leg

    def call_off(request: int) -> None:
        # the chain of consults held one inside the other, outermost first (a loop: a
        # function calling itself through its closure would be a reference cycle, keeping
        # the replication until a collection)
        now, chain = env._now, []
        while state[request] != WAITING:  # being talked: it ends now
            leg = consulting.pop(request)
            leg.callbacks = ()  # its next step, scheduled already, does nothing
            chain.append(leg)
            if leg.waits != ALONE or waiters.pop(leg.request, None) is None:
                break
            request = leg.request  # it holds a consult of its own, not yet over
        else:  # still queued: it leaves its queue (a leg)
            floor._abandon(request, now)
        for leg in reversed(chain):  # each a request's one leg: its talk and hold are c's
            c = leg.c
            held = hold[c]
            if leg.waits == ALONE:  # on hold: its hold ends now
                leg.waits = FIRED  # (its consult's answer, if due now, finds it gone)
                held = hold[c] = held + (now - leg.held)
            talk[c] = now - leg.start - held
            if record_legs:  # its asker hung up: a leg `hung_up` (record, written out)
                add_leg(pack_leg(c, leg.q, enq[c], leg.start, now, leg.group.index,
                                 leg.agent_id, held, HUNG_UP, 0.0))
            state[c], end[c] = ANSWERED, now  # Journeys._finish(c), written out
            floor._next_work(leg.group, leg.agent_id)  # free(leg, 0.0)

    return call_off
