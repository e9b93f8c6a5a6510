"""Shrinkage undone: the agents to schedule for a count on the phones.

A group's ``shrinkage`` takes a fixed share of every scheduled hour off the phones; the
simulator puts ``round_half_up(n x (1 - shrinkage))`` of ``n`` scheduled agents on them
(:func:`sim.schedule.on_phones`). A plan counts agents on the phones, and a scenario
staffs scheduled agents: :func:`scheduled_agents` turns the one into the other by that
same rule, so that a file written for a plan (``ccsim staff --out``, ``ccsim schedule``'s
requirement) runs exactly the plan that was simulated and priced.
"""

from __future__ import annotations

import math

from sim.schedule import on_phones


def scheduled_agents(on_phone: int, shrinkage: float) -> int:
    """Fewest agents on duty the simulator puts ``on_phone`` of on the phones.

    The simulator's own rule, :func:`sim.schedule.on_phones` (``n x (1 - shrinkage)``
    rounded half up), which steps by at most one agent as ``n`` grows: so exactly
    ``on_phone`` work. 23 on the phones at 10% shrinkage are 25 scheduled (22.5 rounds to
    23), 7 at 25% are 9 (6.75 -> 7; ``ceil(7 / 0.75)`` = 10 put 8 to work).
    """
    if not on_phone:
        return 0
    count = max(math.ceil((on_phone - 0.5) / (1.0 - shrinkage)) - 1, 0)  # at most one short
    while on_phones(count, shrinkage) < on_phone:
        count += 1
    while count > 0 and on_phones(count - 1, shrinkage) >= on_phone:  # float slack
        count -= 1
    return count
