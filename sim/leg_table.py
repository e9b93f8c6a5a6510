"""The legs a run recorded, as typed columns at its end.

Legs are recorded as they end (:class:`sim.legs.Journeys`): each as ten doubles in one
array, in :data:`LEG_COLUMNS`' order, except a plain contact's one leg
(:meth:`sim.floor.Floor._talked`), which is the contact's own columns once the run is
over: only where it falls among the others is kept. The columns are cut from the rows
here, with the plain legs put back where they were recorded.
"""

from __future__ import annotations

from array import array

import numpy as np

# the columns of a leg, and their array types (sim.contacts.ContactBook.records)
LEG_COLUMNS = (("contact", "i"), ("queue", "h"), ("enqueued", "d"), ("answered", "d"),
               ("ended", "d"), ("group", "h"), ("agent", "i"), ("hold", "d"), ("reason", "b"),
               ("wrap_up", "d"))


def leg_columns(doubles: array, plain_legs: array, book, completed: int,
                wrap_up: bool) -> dict[str, np.ndarray]:
    """The legs recorded, as typed columns by name (``wrap_up`` where there is one).

    Args:
        doubles: The legs recorded in full, ten doubles each.
        plain_legs: The plain contacts' legs: ``(doubles recorded before) << 32 | contact``.
        book: The contacts' columns (``qtype``, ``enq``, ``answer``, ``end``, ``group``,
            ``agent``), final.
        completed: The code of a completed leg.
        wrap_up: Whether some contact type has after-call work (its column is kept).
    """
    width = len(LEG_COLUMNS)
    rows = np.frombuffer(doubles, np.float64).reshape(-1, width)
    names = LEG_COLUMNS if wrap_up else LEG_COLUMNS[:-1]
    # every value is exact as a double (ids and codes are small integers)
    if not plain_legs:
        return {name: rows[:, i].astype(code) for i, (name, code) in enumerate(names)}
    kept = np.frombuffer(plain_legs, np.int64)
    c, before = kept & 0xFFFFFFFF, (kept >> 32) // width
    # a plain leg goes after the rows recorded before it (and the plain legs before it)
    at = before + np.arange(c.size)
    recorded = np.ones(len(rows) + c.size, bool)
    recorded[at] = False
    # a plain leg's values: the contact's own columns, completed, no hold, no wrap-up
    plain = dict(zip(range(7), (c, "qtype", "enq", "answer", "end", "group", "agent")))
    plain[8] = completed
    columns = {}
    for i, (name, code) in enumerate(names):
        column = columns[name] = np.empty(recorded.size, code)
        column[recorded] = rows[:, i]
        value = plain.get(i, 0)
        column[at] = np.asarray(getattr(book, value))[c] if isinstance(value, str) else value
    return columns
