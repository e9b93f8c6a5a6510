"""A fresh contact's first leg that ends in a cold transfer, without a leg's steps.

A call of a type that transfers (``transfer:``) is served as one plain talk where its
first-leg numbers say it is not handed on (``PLAIN_IF_QUIET``, :mod:`sim.floor`). The
others, a tenth to a sixth of ``refund_vs_relations``' calls, went through the steps of a
leg (:func:`sim.leg_steps.leg_steps`: ``start``, ``customer``, ``talked``, ``record``,
``free``), which for a cold transfer with no consult, no cap, no wrap-up and one speed
in the group do nothing but time the talk, record the leg and queue the call in the
other department. :func:`first_transfers` does just that (the talk's end:
:func:`sim.requeue.requeued`), with the same numbers, in the same order and with the same
events, so the records are the same (the tests run every scenario with the fast paths off
too and compare).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable

from simpy.events import NORMAL

from sim import keyed
from sim.requeue import requeued, transfer_exits
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
    talk, transfer_to, exits = journeys.talk, [p.transfer for p in plans], transfer_exits(plans)

    def serve(c: int, q: int, group, agent_id: int) -> bool:
        if not lean[q]:
            return False
        transfer = transfer_to[q]
        # the first leg's transfer number, as sim.leg_steps' ``talked`` reads it
        if (transfer_one[c] if numbered[c] else uniform(key[c], keyed.TRANSFER, 1)
                ) >= transfer.probability:
            return False  # not handed on: a leg's steps (a comeback not numbered)
        served_legs[c] = 1
        # its talk, counted as it begins (none before it; nothing reads it until it ends)
        length = talk[c] = handle[c] * group.slowdown
        now = env._now  # at(length, talked, (c, now, ...)), inlined (sim.ticks)
        tick = new(Tick)
        tick.callbacks, tick._value = step, (c, now, q, group, agent_id, exits[q])
        push(events, (now + length, NORMAL, next(ids), tick))
        return True

    step = requeued(floor, journeys)  # the talk's tick's callbacks (sim.requeue)
    return serve
