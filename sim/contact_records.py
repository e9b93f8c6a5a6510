"""A replication's records from its contacts' columns, at the end of the run.

:class:`sim.contacts.ContactBook`'s typed columns become :class:`sim.records.Records`'
numpy columns: customer contacts only (not consult requests nor second answers), views of
the columns, not copies, where the customers are the first rows.
"""

from __future__ import annotations

from array import array

import numpy as np

from sim.legs import CUSTOMER
from sim.records import Records


def book_records(book, type_names: list[str], group_names: list[str], slots: list[int],
                 staff_log: tuple[array, array, array], legs: dict[str, np.ndarray] | None,
                 wrap_up: np.ndarray | None, trace: dict[str, list[float]]) -> Records:
    """The replication's :class:`Records`: customer contacts only, numpy views where possible.

    ``book``: the contacts' columns (:class:`sim.contacts.ContactBook`), final; ``legs``: the
    leg columns, if legs were recorded; ``wrap_up``: each contact's
    after-call work (every contact, consult requests included), if any type has one.
    """
    book._trim()
    times, groups, counts = staff_log

    def column(values, dtype):
        return np.frombuffer(values, dtype=dtype) if len(values) else np.zeros(0, dtype)

    keep = customer_rows(book.kind, book.n_drawn)
    contacts = {
        name: column(getattr(book, name), dtype)[keep] for name, dtype in (
            ("arrival", np.float64), ("answer", np.float64), ("end", np.float64),
            ("wait", np.float64), ("queue_time", np.float64), ("talk", np.float64),
            ("hold", np.float64), ("issue", np.int32), ("state", np.uint8),
            ("origin", np.uint8), ("transfers", np.uint8), ("resolved", np.uint8),
            ("misrouted", np.uint8), ("callback", np.uint8), ("group", np.int16),
            ("agent", np.int32))
    }
    contact_type = column(book.ctype, np.int16)[keep]
    leg_columns = {}
    if legs is not None:
        leg_columns = dict(legs)
        # leg contact ids -> row numbers of customer contacts (-1: a consult request)
        contact = leg_columns["contact"]
        if isinstance(keep, slice):  # the customers are the first rows (or all)
            leg_columns["contact_row"] = np.where(
                contact < (book.n if keep.stop is None else keep.stop), contact, np.int64(-1))
        else:
            row = np.full(book.n, -1, dtype=np.int64)
            row[keep] = np.arange(keep.size)
            leg_columns["contact_row"] = row[contact]
    return Records(
        type_names=type_names,
        group_names=group_names,
        contact_type=contact_type,
        staff_time=column(times, np.float64),
        staff_group=column(groups, np.int16),
        staff_count=column(counts, np.int32),
        slots=slots,
        wrap_up=None if wrap_up is None else wrap_up[keep],
        trace={k: np.asarray(v, dtype=float) for k, v in trace.items()},
        legs=leg_columns,
        **contacts,
    )


def customer_rows(kind: bytearray, n_drawn: int) -> slice | np.ndarray:
    """The rows of customer contacts (not consult requests nor second answers), in order.

    A slice where they are the first rows, for views, not copies, of the columns: all rows
    without such work items, the drawn contacts (all customers) where work items were the
    only contacts created during the run (fraud_consult: a gather of each column was a
    third of its records' instructions); else their row numbers.
    """
    later = np.frombuffer(kind, np.uint8)[n_drawn:] == CUSTOMER
    if later.all():
        return slice(None)
    return slice(None, n_drawn) if not later.any() else np.flatnonzero(
        np.frombuffer(kind, np.uint8) == CUSTOMER)
