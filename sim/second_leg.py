"""A numbered contact's second leg without a leg's steps: it ends the call or hands it on cold.

Numbered: a contact with a second row (:mod:`sim.second_numbers`): a drawn contact that may
need its second leg's numbers, worked out up front, or the comeback of one, which takes
them over (``ContactBook.adopt``).

A misrouted call, once the wrong agent has listened, queues again in its own queue; a
call transferred cold queues in the other department's. Its talk there is its second
leg. Where that leg can only end with the customer's problem decided, or with a cold
transfer (no consult; the leg's own transfer number decides, as :mod:`sim.leg_steps`
would; the group neither escalates nor has agents of their own speed), the steps of a
leg (:func:`sim.leg_steps.leg_steps`: ``start``, ``customer``, ``talked``) do nothing but
time the talk, record the leg and complete the contact, or queue it with the other
department (:func:`sim.requeue.requeued`, as a first leg's cold transfer).
:func:`second_legs` does just that, with the same numbers, in the same order and with
the same events: the records are the same, and a quarter of ``refund_vs_relations``'
calls (misrouted) take a shorter path, a tenth of them handed on again too.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from simpy.events import NORMAL

from sim import keyed
from sim.legs import COMPLETED, CUSTOMER
from sim.requeue import requeued, transfer_exits
from sim.ticks import Tick


def second_legs(floor, journeys) -> Callable[[int, int, object, int], bool] | None:
    """``serve(c, q, group, agent_id)``: ``c``'s second leg in queue ``q``, if it ends or goes on.

    True if it did (its talk has begun); False to leave the leg to :mod:`sim.leg_steps`.
    None where no second leg can be served so: a type's after-call work (its wrap-up
    follows the leg), no second-leg numbers worked out up front, or conference transfers.
    The caller checks that the group serves ``q`` plainly (``GroupState.plain``: no
    escalation, one speed, no cap on ``q``'s type) and that one leg was served.
    """
    plans = journeys.plans
    numbers = journeys.first_numbers
    handle_two = numbers.get((keyed.HANDLE, 2))
    transfer_two = numbers.get((keyed.TRANSFER, 2))
    if (journeys.after_call is not None or handle_two is None
            or any(p.transfer is not None and p.transfer.conference is not None
                   for p in plans)):
        return None
    rows, env, record_legs = journeys.second_row, journeys.env, journeys.record_legs
    events, ids, push, new = env._queue, env._eid, heapq.heappush, object.__new__
    kind, misrouted, ctype, served_legs = (journeys.kind, journeys.misrouted, journeys.ctype,
                                           journeys.served_legs)
    handle, talk, transfers = journeys.handle, journeys.talk, journeys.transfers
    enq = journeys.enq
    add_leg, pack_leg, complete = journeys.add_leg, journeys.pack_leg, journeys._complete
    # by type: a consult in its queue (a leg's steps), a cap on its own talks, its transfer
    consults = [p.consult is not None for p in plans]
    capped = [math.isfinite(p.cap) for p in plans]
    transfer_to, exits = [p.transfer for p in plans], transfer_exits(plans)
    max_transfers = [p.max_transfers for p in plans]

    def serve(c: int, q: int, group, agent_id: int) -> bool:
        own, row = ctype[c], rows[c]  # its second row (-1: none, sim.second_numbers)
        if row < 0 or kind[c] != CUSTOMER or consults[q] or capped[own]:
            return False
        if misrouted[c]:
            if q != own:
                return False
            length = handle[c]  # the drawn handle time: its first talk with its own queue
        else:
            length = plans[q].handle(handle_two[row])
        transfer = transfer_to[q]
        ends = step
        if (transfer is not None and transfers[c] < max_transfers[own]
                and transfer_two[row] < transfer.probability):
            if transfer.warm:
                return False  # handed on warm: a leg's steps
            ends = step_handed_on  # handed on cold (sim.requeue: the end of a talk)
        served_legs[c] = 2
        length *= group.slowdown
        talk[c] += length  # counted as it begins (nothing reads it until it ends)
        now = env._now  # at(length, talked, (c, now, ...)), inlined (sim.ticks)
        tick = new(Tick)  # (what its end needs, carried: sim.requeue.requeued)
        tick.callbacks, tick._value = ends, (c, now, q, group, agent_id, exits[q])
        push(events, (now + length, NORMAL, next(ids), tick))
        return True

    def talked(tick) -> None:
        """The second leg's talk is over: record it, complete the contact, free the agent."""
        c, start, q, group, agent, _ = tick._value
        if record_legs:  # never on hold: no hold, and no after-call work
            add_leg(pack_leg(c, q, enq[c], start, env._now, group.index, agent, 0.0,
                             COMPLETED, 0.0))
        complete(c, group, False)
        floor._next_work(group, agent)

    step = (talked,)  # the talk's tick's callbacks
    step_handed_on = requeued(floor, journeys)  # (sim.requeue)

    def release() -> None:
        """After the run: let go of the steps (compiled, they keep their scope in a cycle)."""
        nonlocal step, step_handed_on, complete, new, push
        step = step_handed_on = complete = new = push = None

    journeys.releases.append(release)
    return serve
