"""A fresh contact's first leg that ends in a cold transfer, without a leg's steps.

A call of a type that transfers (``transfer:``) is served as one plain talk where its
first-leg numbers say it is not handed on (``PLAIN_IF_QUIET``, :mod:`sim.floor`). The
others, a tenth to a sixth of ``refund_vs_relations``' calls, went through the steps of a
leg (:func:`sim.leg_steps.leg_steps`: ``start``, ``customer``, ``talked``, ``record``,
``free``), which for a cold transfer with no consult, no cap, no wrap-up and one speed
in the group do nothing but time the talk, record the leg and queue the call in the
other department. :func:`first_transfers` does just that, with the same numbers, in the
same order and with the same events, so the records are the same (the tests run every
scenario with the fast paths off too and compare).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from simpy.events import NORMAL

from sim import keyed
from sim.legs import TRANSFER
from sim.requeue import requeue_entry
from sim.ticks import Tick


def first_transfers(floor, journeys) -> Callable[[int, int, object, int], bool] | None:
    """``serve(c, q, group, agent_id)``: fresh ``c``'s first leg, if it ends in a cold transfer.

    ``q`` is ``c``'s own type's queue. True if it did (its talk has begun); False to leave
    the leg to :mod:`sim.leg_steps` (a consult may come, the talk may be capped, the
    transfer is warm, or the numbers say it is not handed on). None where no leg can be
    served so: after-call work (a wrap-up follows the leg), or no type transfers cold. The
    caller checks that the group serves ``q`` plainly (``GroupState.plain``: no escalation,
    one speed, no cap) and that ``c`` is a fresh customer contact in its own type's queue.
    """
    plans = journeys.plans
    lean = [p.transfer is not None and not p.transfer.warm and p.consult is None
            and not math.isfinite(p.cap) and p.max_transfers > 0 for p in plans]
    if journeys.after_call is not None or not any(lean):
        return None
    env = journeys.env
    events, ids, push, new = env._queue, env._eid, heapq.heappush, object.__new__
    key, numbered, served_legs = journeys.key, journeys.numbered, journeys.served_legs
    handle, transfer_one, uniform = journeys.handle, journeys.transfer_one, keyed.uniform
    transfer_to = [p.transfer for p in plans]

    def serve(c: int, q: int, group, agent_id: int) -> bool:
        if not lean[q]:
            return False
        transfer = transfer_to[q]
        # the first leg's transfer number, as sim.leg_steps' ``talked`` reads it
        if (transfer_one[c] if numbered[c] else uniform(key[c], keyed.TRANSFER, 1)
                ) >= transfer.probability:
            return False  # not handed on: a leg's steps (a comeback not numbered)
        served_legs[c] = 1
        length = handle[c] * group.slowdown
        now = env._now  # at(length, talked, (c, now, ...)), inlined (sim.ticks)
        tick = new(Tick)
        tick.callbacks, tick._value = step, (c, now, length, q, group, agent_id)
        push(events, (now + length, NORMAL, next(ids), tick))
        return True

    step = handed_on(floor, journeys)  # the talk's tick's callbacks
    return serve


def handed_on(floor, journeys) -> tuple[Callable[[Tick], None]]:
    """The callbacks of a talk's end that hands the call on cold: its tick's callbacks.

    The tick's value: ``(c, start, length, q, group, agent_id)``, the contact, when its
    talk began, how long, in which queue and with whom (carried: not read off the columns).
    What :mod:`sim.leg_steps`' ``talked`` does for a cold transfer where the leg had no
    hold and the agent no after-call work: record the leg, queue the call with the other
    department (its own type's transfer, from the queue it was talked in), free the agent.
    """
    env, record_legs, plans = journeys.env, journeys.record_legs, journeys.plans
    talk, transfers, enq = journeys.talk, journeys.transfers, journeys.enq
    add_leg, pack_leg = journeys.add_leg, journeys.pack_leg
    transfer_to = [p.transfer for p in plans]
    requeue = None  # floor._enqueue in fewer steps (sim.requeue), made at the first use

    def talked(tick) -> None:
        """The talk is over: record the leg, queue the call with the other department."""
        nonlocal requeue
        c, start, length, q, group, agent = tick._value
        talk[c] += length
        transfers[c] += 1
        now = env._now
        if record_legs:  # never on hold, no after-call work
            add_leg(pack_leg(c, q, enq[c], start, now, group.index, agent, 0.0, TRANSFER,
                             0.0))
        to = transfer_to[q]
        if requeue is None:
            requeue = requeue_entry(floor)
        requeue(c, to.to, now, to.priority)  # floor._enqueue(c, to.to, now, priority=...)
        floor._next_work(group, agent)

    return (talked,)
