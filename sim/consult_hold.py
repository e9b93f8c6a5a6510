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

from collections.abc import Callable

from sim.legs import HUNG_UP
from sim.records import WAITING

# what a consult hold waits for: the consult alone, or the consult or the customer's
# patience; FIRED: it has been met (resuming); BACK: off hold, the second half of the talk
ALONE, EITHER, FIRED, BACK = 0, 1, 2, 3


def call_off_step(journeys, consulting: dict, record: Callable, free: Callable
                  ) -> Callable[[int], None]:
    """``call_off(request)``: the consult ``request`` ends now, its asker gone.

    Args:
        journeys: The replication's journeys (:class:`sim.legs.Journeys`): its columns,
            floor and who waits for which consult.
        consulting: By consult request being talked, the consulted agent's leg
            (:class:`sim.leg_steps.Leg`), kept by the leg steps.
        record: ``record(c, leg, reason, wrap)``: append the leg of ``c`` ending now.
        free: ``free(leg, wrap)``: the leg's agent takes its next work.
    """
    j = journeys
    env, floor, waiters = j.env, j.floor, j.consult_waiters
    state, hold, talk = j.state, j.hold, j.talk

    def call_off(request: int) -> None:
        # the chain of consults held one inside the other, outermost first (a loop: a
        # function calling itself through its closure would be a reference cycle, keeping
        # the replication until a collection)
        now, chain = env._now, []
        while state[request] != WAITING:  # being talked: it ends now
            leg = consulting.pop(request)
            leg.callbacks = ()  # its next step, scheduled already, does nothing
            chain.append(leg)
            if getattr(leg, "waits", BACK) != ALONE or waiters.pop(leg.request, None) is None:
                break
            request = leg.request  # it holds a consult of its own, not yet over
        else:  # still queued: it leaves its queue (a leg)
            floor._abandon(request, now)
        for leg in reversed(chain):
            c = leg.c
            if getattr(leg, "waits", BACK) == ALONE:  # on hold: its hold ends now
                leg.waits = FIRED  # (its consult's answer, if due now, finds it gone)
                hold[c] += now - leg.held
            talk[c] += now - leg.start - (hold[c] - leg.hold_before)
            record(c, leg, HUNG_UP, 0.0)  # its asker hung up: a leg `hung_up`
            j._finish(c)
            free(leg, 0.0)

    return call_off
