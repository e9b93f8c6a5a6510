"""A call's way back into a queue after a short path's talk, without checks it never needs.

A misrouted call, once the wrong agent has listened (:mod:`sim.misroute_legs`), and a call
handed on cold (:func:`sim.first_leg.handed_on`) queue again: in their own department's
queue, or the other's. The floor's generic entry (:meth:`sim.floor.Floor._enqueue`) asks,
for every contact, about the group to answer it, a trunk line, a callback offer, groups
closed for the night, overflow and a timed abandonment; then, answered at once, the
contact goes through ``_answer`` and ``_serve``. For a contact queued and answered before,
in a queue with one group answering on arrival and none of the rest, that is: an idle
agent of the group takes it (``_answer`` of a contact answered before, after no wait:
its queue time grows by 0.0, it is nobody's warm waiter) and ``_serve`` serves its next
leg; or it waits at the back (the front, for a transfer with priority) with its patience
in this queue. Here that is done with one call; anything else is ``_enqueue``'s.

Its patience in the queue (:func:`patience_again`, the generic entry's too) is worked out
only if it waits (``_enqueue`` works it out first, the same number: a function of the
contact's own numbers, no draw from a stream).

The guard is :func:`sim.consult_entry.fast_queues`' (a plain floor, no step hooked; the
queue with one group answering on arrival, no overflow, trunk line, callback offer or
timed abandonment), decided at the first use (after the engine has installed every
hook), and no type takes a trunk line (the contact's own type may not be the queue's). At
run time: a contact never queued before, or one that would wait while some group is closed
for the night or whose own type's abandonment is timed (it may wait in another type's
queue), is the generic entry's.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim import keyed
from sim.consult_entry import fast_queues
from sim.records import ANSWERED, WAITING
from sim.third_legs import later_number

INF = math.inf


def patience_again(floor, book) -> Callable[[int, int, int], float]:
    """``patience(c, own, before)``: ``c``'s (of type ``own``) in a queue after ``before``.

    Its own type's patience, of its own number for that queue: a drawn contact's for a
    second queue worked out up front (:class:`sim.contacts.ContactBook`), else
    :func:`sim.third_legs.later_number`'s; infinite where its type has none.
    """
    draws_of, numbered = [plan.patience for plan in floor.plans], book.numbered
    second = book.first_numbers.get((keyed.PATIENCE, 1))
    later = later_number(floor.third_legs, (keyed.PATIENCE, 2), book.key)

    def patience(c: int, own: int, before: int) -> float:
        draws = draws_of[own]
        return INF if draws is None else draws(
            second[c] if before == 1 and numbered[c] and second is not None
            else later(c, before))

    return patience


def requeue_entry(floor) -> Callable[[int, int, float, bool], None]:
    """``enter(c, q, now, priority)``: ``c``, queued before, joins queue ``q`` at ``now``.

    ``floor._enqueue(c, q, now, priority=priority)``, in fewer steps where it may be. The
    caller's ``c`` is a customer's call, answered and served before (``served_legs``: 1 or
    more), misrouted or handed on cold: nobody's warm waiter, not a callback's.
    """
    onlys = fast_queues(floor)
    if any(floor.takes_line) or not any(onlys):
        return lambda c, q, now, priority: floor._enqueue(c, q, now, priority=priority)
    qtype, enq, queued, state, group, agent, deadline = (
        floor.qtype, floor.enq, floor.queued, floor.state, floor.group, floor.agent,
        floor.deadline)
    served_legs, ctype, patience = floor.served_legs, floor.ctype, floor.patience_again
    timed = floor.timed_abandon  # by the contact's own type (a retrial due when it hangs up)
    queues, shifts = [ct.queue for ct in floor.types], floor.shifts
    second_leg = floor.second_leg

    def enter(c: int, q: int, now: float, priority: bool) -> None:
        best = onlys[q]
        before = queued[c]
        if best is not None and before:
            idle = best.idle
            if idle:  # _enqueue, then _answer after no wait (queue_time += 0.0), _serve
                _, agent_id = idle.popleft()
                qtype[c] = q
                enq[c] = now
                queued[c] = before + 1
                state[c] = ANSWERED
                group[c] = best.index
                agent[c] = agent_id
                if not (served_legs[c] == 1 and best.plain[q] and second_leg is not None
                        and second_leg(c, q, best, agent_id)):  # (sim.second_leg, as _serve)
                    floor.start_leg(c, best, agent_id)
                return
            own = ctype[c]
            if not (shifts.closed_groups or timed[own]):  # it waits, with a new patience
                qtype[c] = q
                enq[c] = now
                queued[c] = before + 1
                state[c] = WAITING
                deadline[c] = now + patience(c, own, before)
                if priority:
                    queues[q].appendleft(c)
                else:
                    queues[q].append(c)
                return
        floor._enqueue(c, q, now, priority=priority)

    return enter
