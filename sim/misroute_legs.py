"""A misrouted call's short talk in the wrong queue, without a leg's steps.

One caller in four picks the wrong department in ``refund_vs_relations``' menu: the
wrong agent listens a short while, then the call queues again in its own department.
Where no leg has after-call work (the routing table's ``plain_misroute``), that first
leg does nothing but time the short talk, record the leg and queue the call again:
:mod:`sim.leg_steps`' ``customer`` then ``misrouted_talk`` for a first leg, with the same
numbers, in the same order and with the same events. The talk is recorded when it
begins (nothing reads it before it ends), its leg when it ends, by :func:`sim.requeue.requeued`
(the end of a cold transfer's talk too), which queues the call again.

Built as a closure over the columns (as :mod:`sim.second_leg`): every column is a local
of the closure, not an attribute read off the journeys at each use, and the talk's end
is scheduled in place (:func:`sim.ticks.scheduler`'s ``at``, inlined).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from simpy.events import NORMAL

from sim import keyed
from sim.legs import MISROUTE
from sim.requeue import requeued
from sim.ticks import Tick


def misroute_legs(floor, journeys) -> Callable[[int, int, object, int], None]:
    """``talk(c, q, group, agent_id)``: misrouted ``c``, just answered, starts its short talk.

    The caller checks that ``c`` was misrouted, that no leg of it was served yet and that
    the routing table allows it (``plain_misroute``).
    """
    env, plans = journeys.env, journeys.plans
    events, ids, push, new = env._queue, env._eid, heapq.heappush, object.__new__
    served_legs, talks, rows, key = (journeys.served_legs,
                                     journeys.first_numbers.get(keyed.MISROUTE_TALK),
                                     journeys.second_row, journeys.key)  # (sim.second_numbers)
    ctype, talk, uniform = journeys.ctype, journeys.talk, keyed.uniform

    # by type, its menu's misroute talk (a quantile), or None (no menu); and the talk's
    # exit (sim.requeue.requeued): its own queue, at the back, the leg misrouted
    talk_of = [None if p.ivr is None else p.ivr.misroute_talk for p in plans]
    exits = [(own, False, MISROUTE) for own in range(len(plans))]

    def start(c: int, q: int, group, agent_id: int) -> None:
        """The wrong agent (``agent_id`` of ``group``, queue ``q``) starts listening."""
        served_legs[c] = 1
        pace = group.slowdown if group.factors is None else group.factors[agent_id]
        own = ctype[c]
        talk[c] = length = talk_of[own](
            talks[row] if talks is not None and (row := rows[c]) >= 0
            else uniform(key[c], keyed.MISROUTE_TALK)) * pace  # pace: GroupState.pace
        now = env._now  # (answered now: its first answer)
        tick = new(Tick)  # at(length, talked, ...), inlined (sim.ticks)
        # what its end needs, carried rather than read off the columns again
        tick.callbacks, tick._value = step, (c, now, q, group, agent_id, exits[own])
        push(events, (now + length, NORMAL, next(ids), tick))

    step = requeued(floor, journeys)  # the talk's tick's callbacks
    return start
