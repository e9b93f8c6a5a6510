"""A call queued again after a short path's talk, without the generic entry (sim.requeue).

After a misrouted call's short talk (sim.misroute_legs) or a cold transfer's talk
(sim.first_leg, sim.second_leg), the talk's end (sim.requeue.requeued) queues the call
again in fewer steps than
``Floor._enqueue``'s. The shortcut must be taken where it applies (both ways: answered at
once, and waiting), left to the generic entry where its guard says so (trunk lines, an
overflow group, groups closed for the night), and give the very records of the general
path (``fast_paths=False``), legs included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_invariants import record_differences

import sim
import sim.first_leg
import sim.misroute_legs
import sim.requeue
import sim.second_leg
from sim.engine import run_replication
from sim.floor import Floor

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
# the modules whose talks end in sim.requeue.requeued
USERS = (sim.misroute_legs, sim.first_leg, sim.second_leg)
TYPES = ("refund", "relations")
CASES = {  # case: (overrides, whether the shortcut must answer some at once / keep some waiting)
    "refund_vs_relations": ({"days": 2}, True),
    "priority_transfers": ({"days": 2, **{f"contact_types.{t}.transfer.priority": True
                                          for t in TYPES}}, True),
    # a phone call on a trunk line waits with its line (the floor's deadline heap), in
    # the queue of a type that takes none too (relations: chats, no line)
    "trunk_lines": ({"days": 2, "lines": 20, "contact_types.relations.channel": "chat",
                     # (named: a misroute's default stays within its channel)
                     "contact_types.refund.ivr.misroute_to": ["relations"],
                     "contact_types.relations.ivr.misroute_to": ["refund"]}, False),
    # refund's callers retry after hanging up (a timed abandonment), in either queue
    "refund_retrials": ({"days": 2, "contact_types.refund.retrial": {
        "probability": 0.5, "delay": {"dist": "exponential", "mean": 600}}}, True),
    # an overflow group for relations' queue: a timer per waiting call
    "overflow": ({"days": 2, "agents.refunds.skills": TYPES, "routing": {
        "refund": ["refunds"],
        "relations": ["relations_team", {"group": "refunds", "after": "90s"}]}}, None),
}


@pytest.fixture
def entries(monkeypatch):
    """``(shortcut, generic)``: the calls queued again on the shortcut and by ``_enqueue``."""
    counts = [0, 0]
    generic, next_work = Floor._enqueue, Floor._next_work
    inside = [False]
    make = sim.requeue.requeued

    def counting_requeued(floor, journeys):
        (talked,) = make(floor, journeys)

        def spy(tick):
            inside[0] = True
            before = counts[1]
            talked(tick)
            counts[0] += counts[1] == before
        return (spy,)

    def counting_enqueue(self, c, q, now, patience=None, priority=False):
        counts[1] += inside[0]
        inside[0] = False  # (only the entry itself, not what its answer leads to)
        generic(self, c, q, now, patience, priority)

    def after_entry(self, group, agent_id):
        inside[0] = False  # (the agent's next work: not the entry)
        next_work(self, group, agent_id)

    for module in USERS:
        monkeypatch.setattr(module, "requeued", counting_requeued)
    monkeypatch.setattr(Floor, "_enqueue", counting_enqueue)
    monkeypatch.setattr(Floor, "_next_work", after_entry)
    return counts


@pytest.mark.parametrize("case", sorted(CASES))
def test_requeues_change_nothing(case, entries):
    overrides, taken = CASES[case]
    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml", overrides=overrides)
    fast = run_replication(scenario, seed=5)
    shortcut, generic = entries
    if taken is True:
        assert shortcut > 0 and generic > 0, "never on the shortcut, or never off it"
    elif taken is False:
        assert shortcut == 0, "the shortcut was taken where its guard says not to"
    else:  # one queue has an overflow group, the other not
        assert shortcut > 0 and generic > 0
    assert record_differences(fast, run_replication(scenario, seed=5, fast_paths=False)) == []


def test_both_ways_are_taken(monkeypatch):
    """Calls queued again are answered at once and also wait, on the shortcut."""
    seen = {"idle": 0, "waits": 0}
    make = sim.requeue.requeued

    def counting_requeued(floor, journeys):
        (talked,) = make(floor, journeys)
        idle_of = [ct.only for ct in floor.types]

        def spy(tick):
            to = tick._value[-1][0]  # (its exit: the queue it joins)
            seen["idle" if idle_of[to].idle else "waits"] += 1
            talked(tick)
        return (spy,)

    for module in USERS:
        monkeypatch.setattr(module, "requeued", counting_requeued)
    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml", overrides={"days": 1})
    run_replication(scenario, seed=5)
    assert seen["idle"] > 0 and seen["waits"] > 0, seen
