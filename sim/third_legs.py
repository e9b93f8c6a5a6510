"""A drawn contact's third leg: its numbers worked out before the run, where it may have one.

A contact handed on twice (misrouted then transferred, or transferred twice) is talked a
third time: its handle time and transfer decision there, and its patience in the queue it
joins, are keyed numbers at step 3 (step 2 for the patience in a third queue). Drawn one
at a time they were the most drawn keyed numbers of ``refund_vs_relations`` (a third of
them). They are worked out with numpy before the run, the same doubles
(:func:`sim.keyed.uniforms`), but only for the drawn contacts whose second leg may hand
them on (its transfer number below the highest chance of a transfer: a tenth of them; for
all it would cost more than it saves). Any other contact draws them.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np

from sim import keyed
from sim.contacts import typed

# (purpose, step) of the numbers worked out
THIRD = ((keyed.HANDLE, 3), (keyed.TRANSFER, 3), (keyed.PATIENCE, 2))


def third_leg_numbers(book, plans) -> tuple[array, dict[tuple[int, int], array]]:
    """``(rows, numbers)``: by drawn contact its row or -1; by ``THIRD`` item, its numbers.

    Few rows (a tenth of the drawn contacts'), so that they stay in the caches, made
    without filling a column per drawn contact for each. ``numbers`` empty where no second
    leg is decided up front or no type transfers.
    """
    transfer_two = book.first_numbers.get((keyed.TRANSFER, 2))
    chances = [p.transfer.probability for p in plans if p.transfer is not None]
    if transfer_two is None or not chances:
        return array("i"), {}
    n, drawn = book.n_drawn, book.second_drawn  # (by second row: sim.second_numbers)
    who = drawn[np.frombuffer(transfer_two, np.float64, drawn.size) < max(chances)]
    keys = np.frombuffer(book.key, np.uint64, n)[who]
    rows = np.full(n, -1, np.int32)
    rows[who] = np.arange(who.size, dtype=np.int32)
    return typed("i", rows), {
        purpose: typed("d", keyed.uniforms(keys, *purpose)) for purpose in THIRD}


def later_number(third: tuple[array, dict[tuple[int, int], array]], purpose: tuple[int, int],
                 key: array) -> Callable[[int, int], float]:
    """``number(c, step)``: ``keyed.uniform(key[c], purpose[0], step)``, read where worked out.

    ``third``: :func:`third_leg_numbers`' (read at ``purpose``'s step only).
    """
    what, at = purpose
    rows, numbers = third
    worked_out = numbers.get(purpose)
    drawn = 0 if worked_out is None else len(rows)
    uniform = keyed.uniform

    def number(c: int, step: int) -> float:
        if step == at and c < drawn:
            row = rows[c]
            if row >= 0:
                return worked_out[row]
        return uniform(key[c], what, step)

    return number
