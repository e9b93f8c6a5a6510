"""A call's way back into a queue after a short path's talk, without checks it never needs.

A misrouted call, once the wrong agent has listened (:mod:`sim.misroute_legs`), and a call
handed on cold (:mod:`sim.first_leg`, :mod:`sim.second_leg`) queue again: in their own
department's queue, or the other's. The end of either talk is one step, :func:`requeued`'s
(a tick's callbacks): record the leg, count the handoff, queue the call, free the agent;
the tick carries what it needs (its ``exit``: where the call goes, with what priority, and
the leg's ending), so that nothing is read off the columns twice and the entry is not a
call of its own.

The floor's generic entry (:meth:`sim.floor.Floor._enqueue`) asks, for every contact,
about the group to answer it, a trunk line, a callback offer, groups closed for the night,
overflow and a timed abandonment; then, answered at once, the contact goes through
``_answer`` and ``_serve``. For a contact queued and answered before, in a queue with one
group answering on arrival and none of the rest, that is: an idle agent of the group takes
it (``_answer`` of a contact answered before, after no wait: its queue time grows by 0.0,
it is nobody's warm waiter, its state stays answered: it was talking until now) and
``_serve`` serves its next leg; or it waits at the back (the front, for a transfer with
priority) with its patience in this queue. Here that is done in place; anything else is
``_enqueue``'s.

Its patience in the queue (:func:`patience_again`, the generic entry's too) is worked out
only if it waits (``_enqueue`` works it out first, the same number: a function of the
contact's own numbers, no draw from a stream).

The guard is :func:`sim.consult_entry.fast_queues`' (a plain floor, no step hooked; the
queue with one group answering on arrival, no overflow, trunk line, callback offer or
timed abandonment), decided at the first use (after the engine has installed every
hook), and no type takes a trunk line (the contact's own type may not be the queue's). At
run time, a contact that would wait while some group is closed for the night or whose own
type's abandonment is timed (it may wait in another type's queue) is the generic entry's.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim import keyed
from sim.consult_entry import fast_queues
from sim.legs import TRANSFER
from sim.records import WAITING
from sim.third_legs import later_number
from sim.ticks import Tick

INF = math.inf


def patience_again(floor, book) -> Callable[[int, int, int], float]:
    """``patience(c, own, before)``: ``c``'s (of type ``own``) in a queue after ``before``.

    Its own type's patience, of its own number for that queue: a drawn contact's for a
    second queue worked out up front (:mod:`sim.second_numbers`, by second row), else
    :func:`sim.third_legs.later_number`'s; infinite where its type has none.
    """
    draws_of = [plan.patience for plan in floor.plans]
    second, rows = book.first_numbers.get((keyed.PATIENCE, 1)), book.second_row
    later = later_number(floor.third_legs, (keyed.PATIENCE, 2), book.key)

    def patience(c: int, own: int, before: int) -> float:
        draws = draws_of[own]
        return INF if draws is None else draws(
            second[row] if before == 1 and second is not None and (row := rows[c]) >= 0
            else later(c, before))

    return patience


def transfer_exits(plans) -> list[tuple[int, bool, int] | None]:
    """By type, the ``exit`` of a talk its transfer hands on cold (see :func:`requeued`).

    ``(queue, priority, TRANSFER)``: the queue the call goes to, whether at its front, and
    the leg's ending; None for a type that transfers nobody.
    """
    return [None if p.transfer is None else (p.transfer.to, p.transfer.priority, TRANSFER)
            for p in plans]


def requeued(floor, journeys) -> tuple[Callable[[Tick], None]]:
    """The callbacks of a talk's end after which the call queues again: a tick's callbacks.

    The tick's value: ``(c, start, q, group, agent_id, exit)``, the contact, when its talk
    began, in which queue and with whom (its talk is counted when it began), and its
    ``exit``: ``(to, priority, reason)``, the queue it joins, whether at the front, and how
    the leg ended (``MISROUTE``, or ``TRANSFER``: :func:`transfer_exits`). The contact is a
    customer's call, answered (``state``: answered) and served before (``served_legs``: 1
    or more), nobody's warm waiter, not a callback's; the leg had no hold, and the agent
    has no after-call work. What :mod:`sim.leg_steps`' ``talked`` then does: record the
    leg, count the handoff, queue the call (``floor._enqueue(c, to, now,
    priority=priority)``, in fewer steps where it may be), free the agent.
    """
    env, record_legs = journeys.env, journeys.record_legs
    qtype, enq, queued, state, group_of, agent_of, deadline, ctype, transfers = (
        floor.qtype, floor.enq, floor.queued, floor.state, floor.group, floor.agent,
        floor.deadline, floor.ctype, floor.transfers)
    served_legs, patience, add_leg, pack_leg = (floor.served_legs, floor.patience_again,
                                                journeys.add_leg, journeys.pack_leg)
    timed = floor.timed_abandon  # by the contact's own type (a retrial due when it hangs up)
    # by queue, the group it may go straight to, or None; the floor's second-leg shortcut
    # (sim.second_leg, built after this), its queues and shifts: taken at the first use
    onlys = second_leg = queues = shifts = None

    def talked(tick) -> None:
        """The talk is over: record the leg, queue the call again, free the agent."""
        nonlocal onlys, second_leg, queues, shifts
        c, start, q, group, agent, (to, priority, reason) = tick._value
        transfers[c] += 1
        now = env._now
        if record_legs:  # never on hold, no after-call work
            add_leg(pack_leg(c, q, enq[c], start, now, group.index, agent, 0.0, reason, 0.0))
        if onlys is None:  # (the engine has installed every hook by now)
            queues, shifts = [ct.queue for ct in floor.types], floor.shifts
            onlys = [None] * len(queues) if any(floor.takes_line) else fast_queues(floor)
            second_leg = floor.second_leg
        best = onlys[to]
        if best is not None and best.idle:  # _enqueue, _answer after no wait, _serve
            _, agent_id = best.idle.popleft()
            qtype[c] = to
            enq[c] = now
            queued[c] += 1
            group_of[c] = best.index
            agent_of[c] = agent_id
            if not (served_legs[c] == 1 and best.plain[to] and second_leg is not None
                    and second_leg(c, to, best, agent_id)):  # (sim.second_leg, as _serve)
                floor.start_leg(c, best, agent_id)
        elif best is not None and not (shifts.closed_groups or timed[ctype[c]]):
            own = ctype[c]
            before = queued[c]  # it waits, with a new patience
            qtype[c] = to
            enq[c] = now
            queued[c] = before + 1
            state[c] = WAITING
            deadline[c] = now + patience(c, own, before)
            if priority:
                queues[to].appendleft(c)
            else:
                queues[to].append(c)
        else:
            floor._enqueue(c, to, now, priority=priority)
        floor._next_work(group, agent)

    def release() -> None:
        """After the run: let go of the steps (compiled, they keep their scope in a cycle)."""
        nonlocal second_leg, patience, onlys, queues, shifts, add_leg, pack_leg
        second_leg = patience = onlys = queues = shifts = add_leg = pack_leg = None

    journeys.releases.append(release)
    return (talked,)
