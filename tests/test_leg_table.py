"""The legs table's order (sim.leg_table): by the time a leg ended, ties by contact, then place."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.leg_table import in_order

SMALL = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(SMALL)
def test_in_order_is_the_three_key_sort(legs):
    """Equal to ``np.lexsort`` on (ended, contact, place), ties and all."""
    ended = np.array([e for e, _ in legs], float)
    contact = np.array([c for _, c in legs], float)
    expected = np.lexsort((np.arange(len(legs)), contact, ended))
    assert in_order(ended, contact).tolist() == expected.tolist()
