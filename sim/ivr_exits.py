"""Where drawn contacts leave their IVR menu, worked out for all of them before the run.

A drawn contact of a type whose menu folds into its arrival (``sim.engine``,
``RESULTS_VERSION`` 6) leaves the menu for its own queue, a wrong one, or nowhere
(solved there): :meth:`sim.legs.Journeys._after_ivr` decides it from the contact's route
number. For the drawn contacts the same decision is made here with numpy, the same
arithmetic, so that the arrival stream only reads it.
"""

from __future__ import annotations

from array import array

import numpy as np

from sim.contacts import typed


def menu_exits(plans, ctype: array, routes: array, n: int, fold: list[bool]) -> array:
    """By drawn contact (the first ``n``) of a type in ``fold``, where it leaves its menu for.

    Args:
        plans: The compiled contact types (:func:`sim.journey.compile_types`).
        ctype: Each contact's type.
        routes: Each drawn contact's IVR route number (``keyed.IVR_ROUTE``).
        n: The drawn contacts.
        fold: By type, whether its menu folds into the arrival.

    Returns:
        Its queue ``q``, or ``q + types`` if misrouted to queue ``q``; -1 where
        ``_after_ivr`` itself must decide (solved in the menu, or a type not in ``fold``).
    """
    return typed("q", exits_of(plans, np.frombuffer(ctype, np.int16, n),
                               np.frombuffer(routes, np.float64, n), fold))


def exits_of(plans, types: np.ndarray, route: np.ndarray, fold: list[bool]) -> np.ndarray:
    """:func:`menu_exits` of contacts of these ``types`` with these ``route`` numbers, by place."""
    count = len(plans)
    exits = np.full(types.size, -1, np.int64)
    for q, plan in enumerate(plans):
        if not fold[q]:
            continue
        mine = np.flatnonzero(types == q)  # (by place: a mask copies run by run)
        ivr = plan.ivr
        u = route[mine]
        to = np.where(u < ivr.self_service, -1, q)
        wrong = (u >= ivr.self_service) & (u < ivr.self_service + ivr.misroute)
        share = (u[wrong] - ivr.self_service) / ivr.misroute  # as _after_ivr picks
        pick = np.minimum((share * len(ivr.wrong_queues)).astype(np.int64),
                          len(ivr.wrong_queues) - 1)
        to[wrong] = np.asarray(ivr.wrong_queues, np.int64)[pick] + count
        exits[mine] = to
    return exits
