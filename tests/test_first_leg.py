"""A first leg that ends in a cold transfer, served without a leg's steps (sim.first_leg).

The shortcut must be taken where it applies (else it speeds nothing up), declined where a
leg's steps are needed, and give the very records of the general path
(``fast_paths=False``), legs included: on the bundled transfer scenario and on variants
that push it (transfers only, one transfer at most, priority into the other queue, repeats
of repeats whose numbers are drawn one at a time) or that it must leave alone (warm
transfers, a capped talk, a queue that consults).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import count_shortcut
from test_invariants import record_differences

import sim
import sim.floor
from sim.engine import run_replication

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TYPES = ("refund", "relations")
NO_MISROUTE = {f"contact_types.{t}.ivr.misroute": 0 for t in TYPES}
CASES = {  # case: (scenario, overrides, whether the shortcut serves some legs)
    "refund_vs_relations": ("refund_vs_relations", {"days": 2}, True),
    "transfers_only": ("refund_vs_relations", {"days": 2, **NO_MISROUTE}, True),
    "one_transfer_at_most": ("refund_vs_relations", {
        "days": 2, **{f"contact_types.{t}.max_transfers": 1 for t in TYPES}}, True),
    "priority_transfers": ("refund_vs_relations", {
        "days": 2, **{f"contact_types.{t}.transfer.priority": True for t in TYPES}}, True),
    "repeats_of_repeats": ("refund_vs_relations", {  # comebacks of comebacks, not numbered
        "days": 3, **{f"contact_types.{t}.resolution": 0.2 for t in TYPES},
        **{f"contact_types.{t}.repeat.delay.mean": "2h" for t in TYPES}}, True),
    "warm_transfers": ("refund_vs_relations", {
        "days": 2, **{f"contact_types.{t}.transfer.mode": "warm" for t in TYPES}}, False),
    "capped_talks": ("refund_vs_relations", {
        "days": 2, **{f"contact_types.{t}.handle_cap": {"max": 600} for t in TYPES}}, False),
    "fraud_consult": ("fraud_consult", {"days": 2}, False),
}


@pytest.fixture
def lean_legs(monkeypatch):
    """The first legs offered to the shortcut: True where it served them."""
    return count_shortcut(monkeypatch, sim.floor, "first_transfers")


@pytest.mark.parametrize("case", sorted(CASES))
def test_first_transfers_change_nothing(case, lean_legs):
    name, overrides, taken = CASES[case]
    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml", overrides=overrides)
    fast = run_replication(scenario, seed=5)
    assert any(lean_legs) == taken, "the shortcut was taken where it must not be, or never"
    if case == "repeats_of_repeats":  # some comebacks of comebacks decide one at a time
        assert not all(lean_legs), "every leg offered was transferred: the test cannot tell"
    assert record_differences(fast, run_replication(scenario, seed=5, fast_paths=False)) == []
