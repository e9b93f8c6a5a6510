"""A consult request's way into the consulted queue, without checks it never needs.

An agent asking a consult (:mod:`sim.consult_hold`) makes a request, a contact of its own,
and puts it in the consulted department's queue. The floor's generic entry
(:meth:`sim.floor.Floor._enqueue`) asks, for every contact, about patience, a trunk line,
a callback offer, a timed abandonment, overflow and groups closed for the night; none of
them applies to a fresh request in a queue without those (about 1,200 instructions per
fraud_consult contact). Here the request goes straight to the idle agent of the queue's
one answering group, as ``_enqueue`` answers a contact never queued before, or waits at
the back of the queue; anything else is ``_enqueue``'s.

The guard (:func:`fast_queues`), decided when the first request is made (after the engine
has installed every hook: a routing policy, balking, real-time rules), conservatively:
the generic entry for every queue if the floor is not a plain :class:`sim.floor.Floor`, or
if any of its steps a hook replaces or wraps is replaced on the instance (``HOOKED``); and
for a queue without one group answering on arrival (``only``: none with a routing policy,
a rule on the queue, a backlog or a reserve to keep), with overflow groups, trunk lines,
callback offers or timed abandonment. At run time, a request that would wait while some
group is closed for the night (who takes it is then the shifts' question) is the generic
entry's too.
"""

from __future__ import annotations

from collections.abc import Callable

from sim.legs import INF
from sim.records import ANSWERED

# the floor's steps a hook may replace or wrap on the instance (sim.routed, sim.balking,
# sim.rules): where one is, the generic entry (which goes through them) for every queue
HOOKED = ("_enqueue", "_answer", "_serve", "_abandon", "_overflow", "_pull", "_pull_backlog",
          "_next_work")


def fast_queues(floor) -> list:
    """By queue, the group a consult request entering it may go straight to, or None."""
    from sim.floor import Floor  # (loaded: the floor is built)

    if type(floor) is not Floor or any(name in vars(floor) for name in HOOKED):
        return [None] * len(floor.types)
    return [ct.only if (ct.only is not None and not ct.overflow and not floor.takes_line[q]
                        and not floor.callback_offered[q] and not floor.timed_abandon[q])
            else None for q, ct in enumerate(floor.types)]


def request_entry(floor) -> Callable[[int, int, float], None]:
    """``enter(request, q, now)``: a request just made for queue ``q`` joins it at ``now``.

    ``floor._enqueue(request, q, now, INF)`` where :func:`fast_queues` gives no group for
    ``q``; else the same done here. The request's row is as
    :meth:`sim.contacts.ContactBook.new_contact` left it: its ``qtype`` is ``q``, its state
    ``WAITING``, its deadline ``inf``, never queued, on no trunk line, neither misrouted nor
    served (so ``_serve`` would start its leg: ``start_leg`` at once).
    """
    onlys = fast_queues(floor)
    if not any(onlys):
        return lambda c, q, now: floor._enqueue(c, q, now, INF)
    enq, queued, answer, wait, state, group, agent = (
        floor.enq, floor.queued, floor.answer, floor.wait, floor.state, floor.group,
        floor.agent)
    # (the floor's steps looked up at each use: a step held here would close a reference
    # cycle through the leg steps, kept until a collection; the floor lets go of its own)
    queues, shifts = [ct.queue for ct in floor.types], floor.shifts

    def enter(c: int, q: int, now: float) -> None:
        best = onlys[q]
        if best is not None:
            idle = best.idle
            if idle:  # _enqueue's answer of a contact never queued, then _serve's leg
                _, agent_id = idle.popleft()
                enq[c] = answer[c] = now
                queued[c] = 1
                wait[c] = 0.0
                state[c] = ANSWERED
                group[c] = best.index
                agent[c] = agent_id
                floor.start_leg(c, best, agent_id)
                return
            if not shifts.closed_groups:  # it waits (its state and deadline are so already)
                enq[c] = now
                queued[c] = 1
                queues[q].append(c)
                return
        floor._enqueue(c, q, now, INF)

    return enter
