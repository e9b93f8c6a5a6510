"""The legs a run recorded, as typed columns at its end, in the order they ended.

Legs are recorded as they end (:class:`sim.legs.Journeys`): each as ten 8-byte numbers in one
array, in :data:`LEG_COLUMNS`' order, except a plain contact's one leg
(:meth:`sim.floor.Floor._talked`), which is the contact's own columns once the run is
over and is not recorded at all during the run (keeping its place cost 8% of a plain
contact's time where legs are recorded): a plain contact is one an agent answered whose
legs were never counted (``served_legs`` 0), where no type has after-call work (with it,
every leg is recorded in full: :func:`sim.wrap_up.talked_then_wrap`). The columns are
cut from the rows here, the plain legs added, and the legs put in the order they ended;
ties by contact, then in the order recorded (so every path of the engine, fast or
general, gives the same table). An abandoned leg is recorded when the abandonment is
noticed, lazily, but ends when the customer hung up: it goes where it ended.
"""

from __future__ import annotations

from array import array

import numpy as np

# the columns of a leg, and their array types (sim.contacts.ContactBook.records)
LEG_COLUMNS = (("contact", "i"), ("queue", "h"), ("enqueued", "d"), ("answered", "d"),
               ("ended", "d"), ("group", "h"), ("agent", "i"), ("hold", "d"), ("reason", "b"),
               ("wrap_up", "d"))

# a leg's row as packed (sim.legs.Journeys.pack_leg): its integers as 8-byte integers (an
# int packed as a double is converted through a float object), its times as doubles
LEG_FORMAT = "<" + "".join("q" if code in "bhi" else "d" for _, code in LEG_COLUMNS)
LEG_ROW = np.dtype([(name, "<i8" if code in "bhi" else "<f8") for name, code in LEG_COLUMNS])


def leg_columns(packed: list[bytes | array], book, completed: int,
                wrap_up: bool) -> dict[str, np.ndarray]:
    """The legs, as typed columns by name (``wrap_up`` where there is one), in order of end.

    Args:
        packed: The legs recorded in full, a :data:`LEG_ROW` each, in buffers (any), in order.
        book: The contacts' columns (``served_legs``, ``answer``, ``qtype``, ``enq``,
            ``end``, ``group``, ``agent``), final; its first ``n`` rows are contacts.
        completed: The code of a completed leg.
        wrap_up: Whether some contact type has after-call work (its column is kept).
    """
    chunks = [np.frombuffer(rows, LEG_ROW) for rows in packed]
    recorded = sum(len(rows) for rows in chunks)
    names = LEG_COLUMNS if wrap_up else LEG_COLUMNS[:-1]
    n = book.n
    # answered, and no leg of it counted: served by the plain path (Floor._serve), one leg
    # (recorded in full where there is after-call work: sim.wrap_up.talked_then_wrap)
    plain = np.flatnonzero((np.frombuffer(book.served_legs, np.uint8, n) == 0)
                           & ~np.isnan(np.frombuffer(book.answer, np.float64, n))
                           & (not wrap_up))
    # a plain leg's values: the contact's own columns, completed, no hold, no wrap-up
    values = dict(zip(range(7), (plain, "qtype", "enq", "answer", "end", "group", "agent")))
    values[8] = completed
    columns = {}
    for i, (name, code) in enumerate(names):
        value = values.get(i, 0)
        if isinstance(value, str):
            value = np.asarray(getattr(book, value))[:n][plain]
        column = columns[name] = np.empty(recorded + plain.size, code)
        start = 0
        for rows in chunks:
            column[start:start + len(rows)] = rows[name]
            start += len(rows)
        column[recorded:] = value
    order = in_order(columns["ended"], columns["contact"])
    return {name: column[order] for name, column in columns.items()}


def in_order(ended: np.ndarray, contact: np.ndarray) -> np.ndarray:
    """The order of legs by the time they ended, ties by contact, then by place.

    One stable sort by the time, then the few ties by contact (a sort by all three keys
    at once, ``np.lexsort``, took five times as long).
    """
    order = np.argsort(ended, kind="stable")
    times = ended[order]
    tied = times[1:] == times[:-1]
    if tied.any():
        slots = np.flatnonzero(np.r_[tied, False] | np.r_[False, tied])
        some = order[slots]  # runs of equal times, each in place order: sort by contact
        order[slots] = some[np.lexsort((some, contact[some], ended[some]))]
    return order
