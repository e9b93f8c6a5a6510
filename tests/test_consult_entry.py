"""A consult request's short way into its queue (sim.consult_entry) changes no record.

The short way must be taken where it applies (else it speeds nothing up), left where the
generic entry does more (a routing policy, real-time rules, balking, overflow from the
consulted queue, groups closed for the night), and give the very records of the general
path (``fast_paths=False``, where no queue has one answering group: every request takes
the generic entry), legs and rule log included. Three cases fail without their part of the
guard: ``fraud_consult`` (requests that wait while a group is closed for the night),
``overflow`` (from the consulted queue) and ``rules`` (a hook on the floor's steps); balking
and a policy are left to the generic entry as a precaution.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import NewestFirst
from test_invariants import record_differences

import sim
import sim.consult_entry
from sim.engine import run_replication

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "fraud_consult.yaml"
# the fraud desk is short of staff: requests wait, some while groups are closed
SHORT = {"agents.fraud_desk.staff": 2}
CASES = {  # case: (overrides, policy, queues the short way takes: billing, fraud, cloning)
    "fraud_consult": ({}, None, (True, True, True)),  # some wait after closing
    "overflow": ({**SHORT, "agents.cloning_specialist.skills": ["cloning", "fraud"],
                  "routing": {"fraud": ["fraud_desk", {"group": "cloning_specialist",
                                                       "after": "20s"}]}},
                 None, (True, False, True)),
    # a rule on idle agents hooks the floor's steps (no queue of it is gated or timed)
    "rules": ({"rules": {"spare": {
        "when": {"idle_agents": "fraud_desk", "at_least": 3, "clear_at": 0},
        "then": {"move": {"agents": 1, "from": "fraud_desk", "to": "billing_team"}}}}},
              None, (False, False, False)),
    "balking": ({**SHORT, "contact_types.billing.balking": {"announce": "position",
                                                            "per_position": 0.1}},
                None, (False, False, False)),
    "policy": (SHORT, NewestFirst(), (False, False, False)),
}


@pytest.fixture
def guard(monkeypatch):
    """What the guard said, by run: for each queue, whether the short way takes it."""
    said: list[tuple[bool, ...]] = []
    decide = sim.consult_entry.fast_queues

    def spy(floor):
        onlys = decide(floor)
        said.append(tuple(group is not None for group in onlys))
        return onlys

    monkeypatch.setattr(sim.consult_entry, "fast_queues", spy)
    return said


@pytest.mark.parametrize("case", sorted(CASES))
def test_consult_requests_enter_as_the_generic_entry_would(case, guard):
    """Taken where the guard allows it; the records are the general path's."""
    overrides, policy, taken = CASES[case]
    scenario = sim.load_scenario(SCENARIO, overrides={"days": 1, **overrides})
    fast = run_replication(scenario, seed=5, policy=policy)
    general = run_replication(scenario, seed=5, fast_paths=False, policy=policy)
    assert record_differences(fast, general) == []
    assert guard == [taken, (False, False, False)]  # (no `only` without the fast paths)
