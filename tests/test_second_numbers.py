"""A second leg's numbers, worked out up front by second row (sim.second_numbers).

Worked out only for the contacts that may need them: each must be the number
``keyed.uniform`` gives the contact (a drawn one's, and a comeback's that takes them
over), every drawn contact misrouted or transferred must have its row (else the
shortcut speeds nothing up), and the records must be those of a run where no contact
has a row (every number drawn one at a time) and of the general path.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_invariants import record_differences

import sim
import sim.engine
import sim.second_numbers
from sim import keyed
from sim.contacts import ContactBook, steps
from sim.engine import run_replication
from sim.second_numbers import SECOND

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "refund_vs_relations.yaml"


@pytest.fixture
def books(monkeypatch):
    """The attributes of the books of the runs made while the test runs (emptied after)."""
    made = []

    class Kept(ContactBook):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(dict(vars(self)))

    monkeypatch.setattr(sim.engine, "ContactBook", Kept)
    return made


def test_the_numbers_by_second_row_are_keyed_uniforms_and_cover_the_second_legs(books):
    scenario = sim.load_scenario(SCENARIO, overrides={"days": 2})
    contacts = run_replication(scenario, seed=3).n
    (book,) = books
    rows, n, key = book["second_row"], book["n_drawn"], book["key"]
    assert len(book["second_drawn"]) < n / 2  # compact: the misrouted and transferred
    with_rows = [c for c in range(contacts) if rows[c] >= 0]
    assert any(c >= n for c in with_rows), "no comeback took a second row over"
    for c in with_rows:
        for purpose in SECOND:
            assert book["first_numbers"][purpose][rows[c]] == keyed.uniform(
                key[c], *steps(purpose)), (c, purpose)
    needed = [c for c in range(n) if book["misrouted"][c] or book["transfers"][c]]
    assert needed and all(rows[c] >= 0 for c in needed)


CASES = {  # (an escalation: any contact may have a second leg, every one has a row)
    "refund_vs_relations": ("refund_vs_relations", {}),
    "escalations": ("refund_vs_relations", {
        "agents.refunds.escalate": {"probability": 0.2, "to": "relations"}}),
    "fraud_consult": ("fraud_consult", {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_records_are_those_without_second_rows_and_of_the_general_path(case, monkeypatch):
    name, overrides = CASES[case]
    scenario = sim.load_scenario(SCENARIO.with_name(f"{name}.yaml"),
                                 overrides={"days": 1, **overrides})
    fast = run_replication(scenario, seed=5)
    assert record_differences(fast, run_replication(scenario, seed=5, fast_paths=False)) == []
    monkeypatch.setattr(sim.second_numbers, "may_need",
                        lambda types, *_: types[:0].astype(int))  # no row: keyed.uniform's
    assert record_differences(fast, run_replication(scenario, seed=5)) == []
