"""After-call work (wrap-up): what an agent does once the customer has gone.

Think of an agent who hangs up and then types the notes, files the case and sets the
disposition code before taking the next call: busy, but no longer with the customer.
A contact type's ``wrap_up`` distribution gives that time after every leg of its
contacts an agent served (the leg's queue decides: a misrouted call's first leg wraps
up as the wrong queue's type). The customer's talk (``handle``, AHT, customer effort)
does not include it; the agent's busy time (occupancy) does.

Each wrap-up is drawn from a number keyed by the contact and the leg
(:mod:`sim.keyed`, ``WRAP_UP``), so more or fewer agents change when it happens, not
how long it lasts. :class:`AfterCall` holds the draws and what each contact's legs were
followed by (seconds, summed per contact: the ``wrap_up`` column of the records); the
engine builds one only when some contact type has a wrap-up, so a scenario without one
does no work for it at all.
"""

from __future__ import annotations

import numpy as np

from sim import keyed
from sim.journey import Quantile, TypePlan
from sim.legs import COMPLETED

FIRST_LEG = 1  # the step of a contact's first leg (the engine counts served legs from 1)


class AfterCall:
    """The agents' after-call work of one replication: draws, and the seconds per contact.

    Args:
        plans: The compiled contact types (their ``wrap_up`` inverse CDFs, or None).
    """

    __slots__ = ("draws", "per_contact")

    def __init__(self, plans: list[TypePlan]):
        self.draws: list[Quantile | None] = [plan.wrap_up for plan in plans]
        self.per_contact: dict[int, float] = {}

    @classmethod
    def of(cls, plans: list[TypePlan]) -> AfterCall | None:
        """An :class:`AfterCall` if any contact type has a wrap-up, else None."""
        return cls(plans) if any(plan.wrap_up is not None for plan in plans) else None

    def after(self, c: int, queue: int, key: int, leg: int) -> float:
        """Seconds of after-call work that follow leg ``leg`` of contact ``c`` (keyed ``key``).

        Args:
            c: The contact's row in the engine's columns.
            queue: The contact type whose queue the leg was answered from.
            key: The contact's key (:mod:`sim.keyed`).
            leg: Which of the contact's legs (1 for the first).

        Returns:
            The wrap-up, seconds (0.0 where the queue's type has none).
        """
        draw = self.draws[queue]
        if draw is None:
            return 0.0
        seconds = draw(keyed.uniform(key, keyed.WRAP_UP, leg))
        if seconds > 0.0:
            self.per_contact[c] = self.per_contact.get(c, 0.0) + seconds
        return seconds

    def column(self, n: int) -> np.ndarray:
        """Wrap-up seconds after each of the ``n`` contacts' legs, summed per contact."""
        out = np.zeros(n)
        if self.per_contact:
            rows = np.fromiter(self.per_contact.keys(), dtype=np.int64)
            out[rows] = np.fromiter(self.per_contact.values(), dtype=np.float64)
        return out


def talked_then_wrap(rep, event) -> None:
    """A plain contact's talk ended: the customer leaves, the agent wraps up, then is free.

    The fast path's end of talk (:meth:`sim.workforce.Workforce._talked`) for a scenario
    with wrap-up: the contact ends now, as without one (its trunk line, resolution,
    complaint and repeat contact happen at the end of the talk), and the agent takes
    more work once the wrap-up is done (one more light event, only where there is one).
    The general path (:mod:`sim.legs`) does the same steps in the same order.

    Args:
        rep: The engine's replication.
        event: The talk's timeout; its value is the contact.
    """
    c = event._value
    group = rep.groups[rep.group[c]]
    agent = rep.agent[c]
    wrap = rep.after_call.after(c, rep.qtype[c], rep.key[c], FIRST_LEG)
    if rep.record_legs:
        rep._record_leg(c, rep.answer[c], COMPLETED, wrap=wrap)
    rep._complete(c, group, False)
    if wrap > 0.0:
        rep.at(wrap, lambda _event: rep._next_work(group, agent))
    else:
        rep._next_work(group, agent)
