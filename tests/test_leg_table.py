"""The legs table (sim.leg_table): in the order legs ended, ties by contact, then place.

And the same table whether the legs' rows are joined at the end or a chunk at a time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.leg_table import in_order

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SMALL = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 4)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(SMALL)
def test_in_order_is_the_three_key_sort(legs):
    """Equal to ``np.lexsort`` on (ended, contact, place), ties and all."""
    ended = np.array([e for e, _ in legs], float)
    contact = np.array([c for _, c in legs], float)
    expected = np.lexsort((np.arange(len(legs)), contact, ended))
    assert in_order(ended, contact).tolist() == expected.tolist()


def test_legs_joined_a_chunk_at_a_time_are_those_joined_at_the_end(monkeypatch):
    """Journeys.keep_legs (as comebacks are due): the same records, legs and all."""
    from test_invariants import record_differences

    import sim
    from sim import engine, legs
    from sim.legs import Journeys

    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml", overrides={"days": 2})
    chunks = []
    keep = Journeys.keep_legs

    def counted(journeys):
        chunks.append(len(journeys.leg_rows))
        keep(journeys)

    monkeypatch.setattr(Journeys, "keep_legs", counted)
    monkeypatch.setattr(legs, "KEEP_LEGS", 37)
    often = engine.run_replication(scenario, seed=3)
    assert len(chunks) > 10 and min(chunks) > 0  # (legs were joined a chunk at a time)
    monkeypatch.setattr(legs, "KEEP_LEGS", 10**9)
    assert record_differences(often, engine.run_replication(scenario, seed=3)) == []
    assert len(often.legs["contact"]) > sum(chunks)  # (plain legs, and the last rows)
