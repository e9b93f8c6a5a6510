"""A drawn contact's third leg: its numbers worked out before the run, where it may have one.

A contact handed on twice (misrouted then transferred, or transferred twice) is talked a
third time: its handle time and transfer decision there, and its patience in the queue it
joins, are keyed numbers at step 3 (step 2 for the patience in a third queue). Drawn one
at a time they were the most drawn keyed numbers of ``refund_vs_relations`` (a third of
them). They are worked out with numpy before the run, the same doubles
(:func:`sim.keyed.uniforms`), but only for the drawn contacts whose second leg may hand
them on (its transfer number below the highest chance of a transfer: a tenth of them; for
all it would cost more than it saves). Any other contact has NaN there, and draws it.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np

from sim import keyed

# (purpose, step) of the numbers worked out
THIRD = ((keyed.HANDLE, 3), (keyed.TRANSFER, 3), (keyed.PATIENCE, 2))


def third_leg_numbers(book, plans) -> dict[tuple[int, int], array]:
    """By ``(purpose, step)`` of :data:`THIRD`, by drawn contact: its number, or NaN.

    Empty where no second leg is decided up front or no type transfers.
    """
    transfer_two = book.first_numbers.get((keyed.TRANSFER, 2))
    chances = [p.transfer.probability for p in plans if p.transfer is not None]
    if transfer_two is None or not chances:
        return {}
    n = book.n_drawn
    who = np.flatnonzero(np.frombuffer(transfer_two, np.float64, n) < max(chances))
    keys = np.frombuffer(book.key, np.uint64, n)[who]
    numbers = {}
    for purpose in THIRD:
        full = np.full(n, np.nan)
        full[who] = keyed.uniforms(keys, *purpose)
        numbers[purpose] = array("d", full.tobytes())
    return numbers


def later_number(numbers: dict[tuple[int, int], array], purpose: tuple[int, int],
                 key: array) -> Callable[[int, int], float]:
    """``number(c, step)``: ``keyed.uniform(key[c], purpose[0], step)``, read where worked out.

    ``numbers``: :func:`third_leg_numbers`' (read at ``purpose``'s step only).
    """
    what, at = purpose
    worked_out = numbers.get(purpose)
    drawn = 0 if worked_out is None else len(worked_out)
    uniform = keyed.uniform

    def number(c: int, step: int) -> float:
        if step == at and c < drawn:
            u = worked_out[c]
            if u == u:  # (NaN: not worked out)
                return u
        return uniform(key[c], what, step)

    return number
