"""A callback offered to a caller who would wait long: the caller hangs up and is called back.

With ``callback:`` set on a contact type, a caller who joins its queue and would wait
longer than the threshold is offered a call back; one who accepts leaves the trunk line
and keeps their place (or waits in the callback queue instead, :mod:`sim.floor`).
"""

from __future__ import annotations

import math

from sim import keyed
from sim.floor_state import QueueState

INF = math.inf


def offer_callback(floor, c: int, ct: QueueState) -> bool:
    """Offer ``c`` a callback if the expected wait is over the threshold; True if accepted.

    Expected wait: :meth:`QueueState.expected_wait` of the callers still waiting ahead
    (not those who hung up, left in the queue until an agent reaches them); not counted
    where even the whole queue's length would not reach the threshold.
    """
    plan = floor.plans[floor.ctype[c]]
    time, talk = plan.mean_handle, plan.mean_talk
    if (ct.expected_wait(len(ct.queue), time, talk) <= plan.callback_threshold
            or ct.expected_wait(ct.waiting(floor.env.now, floor.state, floor.deadline),
                                time, talk) <= plan.callback_threshold
            or keyed.uniform(floor.key[c], keyed.CALLBACK) >= plan.callback_accept):
        return False
    floor.callback[c] = 1
    floor.deadline[c] = INF
    floor._release_line(c)
    return True
