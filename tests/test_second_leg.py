"""A second leg with nothing to follow, served without a leg's steps (sim.second_leg).

The shortcut must be taken where it applies (else it speeds nothing up) and give the
very records of the general path (``fast_paths=False``), legs included, on the bundled
journey scenarios and on variants that push it: transfers only, transfers capped by
``max_transfers``, a queue that consults, and a handle-time cap.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import count_shortcut
from test_invariants import record_differences

import sim
import sim.floor
import sim.second_leg
from sim.engine import run_replication

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
REFUND = {"contact_types.refund.ivr.misroute": 0, "contact_types.relations.ivr.misroute": 0}
CASES = {
    "refund_vs_relations": ("refund_vs_relations", {"days": 1}),
    "transfers_only": ("refund_vs_relations", {"days": 1, **REFUND}),
    "one_transfer_at_most": ("refund_vs_relations", {
        "days": 1, "contact_types.refund.max_transfers": 1,
        "contact_types.relations.max_transfers": 1}),
    "capped_refunds": ("refund_vs_relations", {
        "days": 1, "contact_types.refund.handle_cap": {"max": 600}}),
    "fraud_consult": ("fraud_consult", {"days": 1}),
}


@pytest.fixture
def lean_legs(monkeypatch):
    """Counts the second legs the shortcut served."""
    return count_shortcut(monkeypatch, sim.floor, "second_legs")


@pytest.mark.parametrize("case", sorted(CASES))
def test_second_legs_change_nothing(case, lean_legs):
    name, overrides = CASES[case]
    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml", overrides=overrides)
    fast = run_replication(scenario, seed=5)
    if case in ("refund_vs_relations", "transfers_only", "one_transfer_at_most"):
        assert any(lean_legs), "the shortcut was never taken"
    if case in ("refund_vs_relations", "transfers_only"):  # (at most one transfer: every
        # second leg is quiet, a drawn contact's and its repeat's alike)
        assert not all(lean_legs), "every second leg was quiet: the test cannot tell"
    assert record_differences(fast, run_replication(scenario, seed=5, fast_paths=False)) == []


def test_a_second_leg_handed_on_cold_takes_the_shortcut(monkeypatch):
    """A second leg whose numbers say it is transferred again (cold) ends on the shortcut."""
    ended: list[int] = []
    make = sim.second_leg.requeued  # (the end of a talk handed on cold)

    def counting(floor, journeys):
        (talked,) = make(floor, journeys)

        def spy(tick):
            ended.append(tick._value[0])
            talked(tick)

        return (spy,)

    monkeypatch.setattr(sim.second_leg, "requeued", counting)
    name, overrides = CASES["transfers_only"]
    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml", overrides=overrides)
    fast = run_replication(scenario, seed=5)
    assert ended, "no second leg was handed on by the shortcut"
    assert record_differences(fast, run_replication(scenario, seed=5, fast_paths=False)) == []
