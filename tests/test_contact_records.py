"""The records' customer rows (sim.contact_records): views where the customers come first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_invariants import record_differences

import sim
from sim import contact_records
from sim.engine import run_replication
from sim.legs import CONSULT, CUSTOMER, DUPLICATE

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 6), st.lists(st.sampled_from([CUSTOMER, CONSULT, DUPLICATE]),
                                   max_size=12))
def test_customer_rows_are_the_customers(n_drawn, later):
    """Whatever contacts were made during the run: the customers' rows, slice or not."""
    kind = bytearray([CUSTOMER] * n_drawn + later)
    keep = contact_records.customer_rows(kind, n_drawn)
    expected = np.flatnonzero(np.frombuffer(kind, np.uint8) == CUSTOMER)
    assert np.arange(len(kind))[keep].tolist() == expected.tolist()


def generic_rows(kind, n_drawn):
    """The rows as numbers, always (the path before the slices)."""
    return np.flatnonzero(np.frombuffer(kind, np.uint8) == CUSTOMER)


@pytest.mark.parametrize(("name", "slices"), [
    ("fraud_consult", True),  # drawn customers first, then consult requests only
    ("refund_vs_relations", True),  # every contact a customer
    ("social_backlash", False),  # consult requests among repeats and posts
])
def test_slices_give_the_records_of_row_numbers(name, slices, monkeypatch):
    """The same records (bits and dtypes, legs' contact rows too) as with the row numbers."""
    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml", overrides={"days": 1})
    taken = []

    def spy(kind, n_drawn):
        keep = customer_rows(kind, n_drawn)
        taken.append(isinstance(keep, slice))
        return keep

    customer_rows = contact_records.customer_rows
    monkeypatch.setattr(contact_records, "customer_rows", spy)
    fast = run_replication(scenario, seed=3)
    assert taken == [slices]
    monkeypatch.setattr(contact_records, "customer_rows", generic_rows)
    assert record_differences(fast, run_replication(scenario, seed=3)) == []
