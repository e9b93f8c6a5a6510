"""A second leg's numbers, worked out up front for the contacts that may need them only.

A second leg (after a misroute or a transfer) reads four numbers of its contact
(:data:`SECOND`): its patience in the second queue, its talk, its own transfer decision,
and a misrouted call's short talk. Worked out for every drawn contact, they were read for
a third of them in refund_vs_relations (the misrouted and the transferred), four columns
of 1.6 MB at 80 days written at set-up and read much later from memory. They are worked
out for the drawn contacts whose numbers say they may need them (misrouted out of their
menu, or transferred after their first talk), and for the comebacks of those that may
come back likewise, by second row: ``second_row[c]``, -1 for any other contact, which
draws ``keyed.uniform``'s number where it needs one (the same number).
"""

from __future__ import annotations

import numpy as np

from sim import keyed

# the second leg's numbers (ContactBook.first_numbers, by second row)
SECOND = ((keyed.PATIENCE, 1), (keyed.HANDLE, 2), (keyed.TRANSFER, 2), keyed.MISROUTE_TALK)


def second_bands(plans, group_plans) -> list[tuple[float, float, float]] | None:
    """By type, ``(low, high, transfer)``: who may need :data:`SECOND` numbers.

    A contact whose route number is in ``[low, high)`` (misrouted out of its menu, as
    :func:`sim.ivr_exits.exits_of` decides) or whose first leg's transfer number is below
    ``transfer``. None: any contact may (a group escalates: a second leg after any talk).
    """
    if any(g.escalate for g in group_plans):
        return None
    return [(p.ivr.self_service if p.ivr else 0.0,
             p.ivr.self_service + p.ivr.misroute if p.ivr else 0.0,
             p.transfer.probability if p.transfer else 0.0) for p in plans]


def may_need(types: np.ndarray, route: np.ndarray | None, transfer: np.ndarray | None,
             bands: list[tuple[float, float, float]] | None) -> np.ndarray:
    """Places, in order, of the contacts that may need :data:`SECOND` numbers.

    Of these ``types``, with these route and first-leg transfer numbers (or None: not
    worked out), by :func:`second_bands`' rule.
    """
    if bands is None:
        return np.arange(types.size)
    low, high, chance = (np.array(column, np.float64)[types] for column in zip(*bands))
    may = np.zeros(types.size, bool)
    if route is not None:
        may |= (route >= low) & (route < high)
    if transfer is not None:
        may |= transfer < chance
    return np.flatnonzero(may)


def second_rows(book, keys: np.ndarray, back: np.ndarray | None, theirs: dict,
                purposes: list, bands) -> None:
    """Set ``book``'s second rows and numbers (the :data:`SECOND` ones of ``purposes``).

    ``keys``: the drawn contacts'; ``back``: by comeback row, the key of the contact
    coming back (or None), ``theirs`` its first numbers by purpose. Sets ``second_row``
    (by contact, a column: -1 on blank rows), ``second_back`` (by comeback row, the row its
    comeback takes over, or None), ``second_drawn`` (the drawn contacts with a row, in
    order) and the numbers in ``first_numbers``; None (no ``second_drawn``) where none are
    needed.
    """
    from sim.contacts import steps, typed

    purposes = [purpose for purpose in SECOND if purpose in purposes]
    book.second_row = book.second_back = None
    if not purposes:
        return
    n, firsts = book.n_drawn, book.first_numbers
    types = np.frombuffer(book.ctype, np.int16, n)
    route, transfer = (None if firsts.get(p) is None else np.frombuffer(firsts[p], np.float64, n)
                       for p in (keyed.IVR_ROUTE, (keyed.TRANSFER, 1)))
    book.second_drawn = drawn = may_need(types, route, transfer, bands)
    rows = np.full(book.capacity, -1, np.int32)
    rows[drawn] = np.arange(drawn.size, dtype=np.int32)
    mine = keys[drawn]
    if back is not None:
        parents = types if book.comeback_rows is None else types[book.comeback_rows]
        them = may_need(parents, *(theirs.get(p) for p in (keyed.IVR_ROUTE, (keyed.TRANSFER, 1))),
                        bands)
        comebacks = np.full(back.size, -1, np.int32)
        comebacks[them] = np.arange(drawn.size, drawn.size + them.size, dtype=np.int32)
        book.second_back = typed("i", comebacks)
        mine = np.concatenate((mine, back[them]))
    book.second_row = typed("i", rows)
    for purpose in purposes:
        firsts[purpose] = typed("d", keyed.uniforms(mine, *steps(purpose)))

