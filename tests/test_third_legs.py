"""A drawn contact's third-leg numbers worked out up front (sim.third_legs).

They must be the numbers ``keyed.uniform`` draws one at a time, for every contact and
step (drawn where not worked out), and change no record: the refund/relations
scenario (misrouted, then transferred: a third leg) gives the very records without them.
"""

from __future__ import annotations

from array import array
from pathlib import Path

from test_invariants import record_differences

import sim
import sim.floor
import sim.leg_steps
import sim.requeue
import sim.third_legs
from sim import keyed
from sim.engine import run_replication
from sim.third_legs import THIRD, later_number

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_numbers_are_keyed_uniforms(monkeypatch):
    """Every number read is keyed.uniform's, worked out or not, at every step."""
    seen = {}

    def keep(book, plans):
        seen["key"], seen["drawn"] = book.key, book.n_drawn  # (the book lets them go)
        seen["numbers"] = sim.third_legs.third_leg_numbers(book, plans)
        return seen["numbers"]

    monkeypatch.setattr(sim.floor, "third_leg_numbers", keep)
    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml", overrides={"days": 1})
    run_replication(scenario, seed=3)
    key, numbers = seen["key"], seen["numbers"]
    rows, by_purpose = numbers
    assert len(rows) == seen["drawn"]
    worked_out = sum(row >= 0 for row in rows)
    assert worked_out == len(by_purpose[THIRD[0]])
    assert 0 < worked_out < seen["drawn"] / 2  # some, not all (else: no test of the NaN path)
    for purpose in THIRD:
        number = later_number(numbers, purpose, key)
        for c in range(0, len(key), 7):
            for step in (1, 2, 3, 4):
                assert number(c, step) == keyed.uniform(key[c], purpose[0], step)


def test_third_legs_change_nothing(monkeypatch):
    """The same records with the numbers worked out up front as without (all drawn)."""
    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml", overrides={"days": 3})
    read = []
    make = later_number

    def counting(third, purpose, key):
        number = make(third, purpose, key)
        rows, worked_out = third[0], third[1].get(purpose)

        def spy(c, step):
            read.append(step == purpose[1] and worked_out is not None and c < len(rows)
                        and rows[c] >= 0)
            return number(c, step)
        return spy

    monkeypatch.setattr(sim.requeue, "later_number", counting)  # (a later patience)
    monkeypatch.setattr(sim.leg_steps, "later_number", counting)
    fast = run_replication(scenario, seed=7)
    assert read.count(True) > 100, "(almost) no third-leg number read: the test cannot tell"
    monkeypatch.setattr(sim.floor, "third_leg_numbers", lambda book, plans: (array("i"), {}))
    assert record_differences(fast, run_replication(scenario, seed=7)) == []
