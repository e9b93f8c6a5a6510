"""A consult request's way into the consulted queue, without checks it never needs.

An agent asking a consult (:mod:`sim.consult_hold`) makes a request, a contact of its own,
and puts it in the consulted department's queue. The floor's generic entry
(:meth:`sim.floor.Floor._enqueue`) asks, for every contact, about patience, a trunk line,
a callback offer, a timed abandonment, overflow and groups closed for the night; none of
them applies to a fresh request in a queue without those (about 1,200 instructions per
fraud_consult contact). There (:mod:`sim.consult_hold`'s ``on_hold``, written out: a
call fewer per consult) the request goes straight to the idle agent of the queue's one
answering group, as ``_enqueue`` answers a contact never queued before, or waits at the
back of the queue; anything else is ``_enqueue``'s. The request's row is as
:meth:`sim.contacts.ContactBook.new_contact` left it: its ``qtype`` is the queue's, its
state ``WAITING``, its deadline ``inf``, never queued, on no trunk line, neither misrouted
nor served (so ``_serve`` would start its leg: ``start_leg`` at once).

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
