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
                wrap_up: bool) -> dict[str, array]:
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
    if plain_legs:
        kept = np.frombuffer(plain_legs, np.int64)
        c, before = kept & 0xFFFFFFFF, (kept >> 32) // width
        plain = np.zeros((c.size, width))
        plain[:, 0], plain[:, 8] = c, completed  # no hold, no wrap-up (Floor._talked)
        for i, name in ((1, "qtype"), (2, "enq"), (3, "answer"), (4, "end"), (5, "group"),
                        (6, "agent")):
            plain[:, i] = np.asarray(getattr(book, name))[c]
        # a plain leg goes after the rows recorded before it, in the order recorded
        order = np.argsort(np.concatenate([2 * np.arange(len(rows)) + 1, 2 * before]),
                           kind="stable")
        rows = np.concatenate([rows, plain])[order]
    names = LEG_COLUMNS if wrap_up else LEG_COLUMNS[:-1]
    # every value is exact as a double (ids and codes are small integers)
    return {name: array(code, rows[:, i].astype(code).tobytes())
            for i, (name, code) in enumerate(names)}
