"""A comeback's numbers worked out only for the drawn contacts that may come back.

``ContactBook`` works out a comeback's numbers (its delay, the key of the contact coming
back and that one's first numbers) only for the drawn contacts whose comeback number and
resolution number let them come back (:func:`sim.repeats_again.comeback_bounds`). The
records must be those of working them out for every drawn contact: with repeats (a
misroute's lower chance of resolution), repeats that switch type, retrials (any contact
may come back), by cause too, a handle cap's lower resolution. The book leaves a blank row
for each of them up front, the rows a book grown during the run would add.
"""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np
import pytest
from test_invariants import record_differences

import sim
import sim.engine
from sim import contacts
from sim.engine import run_replication

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
REFUND = "refund_vs_relations.yaml"
CASES = {  # (scenario, days, overrides, whether some drawn contacts are left out)
    "repeats": (REFUND, 3, {}, True),
    "switching_repeats": (REFUND, 3, {"contact_types.relations.repeat.switch_to": "refund",
                                      "contact_types.relations.repeat.switch": 0.5}, True),
    "retrials_by_cause": (REFUND, 3, {"contact_types.refund.retrial": {
        "probability": 0.6, "decay": 0.5, "delay": {"dist": "exponential", "mean": 600}}},
        True),
    "retrials_too": (REFUND, 3, {"contact_types.refund.retrial": {
        "probability": 0.5, "delay": {"dist": "exponential", "mean": 600}}}, True),
    "capped_handle": ("speed_vs_resolution.yaml", 3, {}, True),
    "retrials": ("storm_surge.yaml", 1, {}, False),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_records_of_numbers_for_every_drawn_contact(case, monkeypatch):
    name, days, overrides, fewer = CASES[case]
    scenario = sim.load_scenario(SCENARIOS / name, overrides={"days": days, **overrides})
    rows = []
    may = contacts.may_come_back

    def spy(ctype, firsts, bounds):
        rows.append((may(ctype, firsts, bounds), len(ctype)))
        return rows[-1][0]

    monkeypatch.setattr(contacts, "may_come_back", spy)
    some = run_replication(scenario, seed=4)
    (left, drawn), = rows
    assert left is not None
    assert (left.size < drawn) == fewer, "the case does not test what it says"
    monkeypatch.setattr(sim.engine, "comeback_bounds", lambda *args: None)
    assert record_differences(some, run_replication(scenario, seed=4)) == []
    assert rows[-1][0] is None  # (every drawn contact's numbers, the general rule)


def test_the_blank_rows_made_up_front_are_those_a_grown_book_adds():
    """The book leaves a blank row per drawn contact that may come back; _grow's are the same.

    (The rows are what ``new_contact`` fills; a book without comeback bounds has none and
    grows a block at a time.)
    """
    from sim import keyed
    from sim.contacts import ADOPTED, BLANK, GROWN, ContactBook, ContactDraws

    n = 400
    draws = ContactDraws(np.arange(n, dtype=float), (np.arange(n) % 2).astype(np.int16),
                         np.full(n, 60.0), np.full(n, 300.0))
    purposes = [keyed.COMEBACK, keyed.COMEBACK_DELAY, keyed.OPENING, *ADOPTED]
    children = ((keyed.COMEBACK, 0),)
    sized = ContactBook(draws, 99, purposes, True, children,
                        comeback_bounds=[(0.3, 0.0), (0.0, 1.0)])  # a third of type 0
    spare = sized.capacity - n
    assert spare == sized.comeback_rows.size and 0 < spare < n / 2
    grown = ContactBook(draws, 99, purposes, True, children)
    assert grown.capacity == n
    grown._grow()
    for name in GROWN:  # (bit for bit: NaN for a time not yet known)
        mine, theirs = getattr(sized, name), getattr(grown, name)
        blank = (bytes([BLANK.get(name, 0)]) * spare if isinstance(mine, bytearray)
                 else bytes(array(mine.typecode, [BLANK.get(name, 0)]) * spare))
        assert len(mine) == n + spare and bytes(mine[:n]) == bytes(theirs[:n]), name
        assert bytes(mine[n:]) == bytes(theirs[n:n + spare]) == blank, name
    for (mine, _), (theirs, _) in zip(sized.adoptions, grown.adoptions, strict=True):
        assert len(mine) == n + spare and bytes(mine) == bytes(theirs[:n + spare])
