"""The two record tables of a run tell one story: each contact is the sum of its legs.

``contacts.parquet`` has one row per contact, ``legs.parquet`` one per queue visit (README,
the outputs table and "Journeys"). Whatever the scenario, a customer contact with legs is
what its legs add up to:

- ``hold`` = the sum of its legs' ``hold``; ``wrap_up`` = the sum of their ``wrap_up``;
- ``handle`` = the sum of its legs' ``talk``, less the time a warm or conference transfer
  kept the first agent on the line after the next queue took the customer (the wait for
  the next agent and the three-way talk, which the next leg counts: once);
- ``queue_time`` = the sum of its legs' waits (a called-back caller's first wait, off the
  phone, left out);
- ``transfers`` = its legs that ended in a transfer, an escalation or a misroute;
- ``answer`` is its first answered leg's, ``end``, ``group`` and ``agent`` its last leg's;
  the outcome is its last leg's ending (completed; hung_up: hung up on hold or in a queue
  after an answer; abandoned: one unanswered leg);
- a consult request's leg (``contact_id`` -1) lies within the hold of a leg that asked it:
  the asking agent is on the line with the consulted one until the consult ends.

Checked on random scenarios (:mod:`strategies`, derandomized) and every bundled scenario
with legs, on the engine's fast paths and its general path (``fast_paths=False``).

Found here and fixed: a customer who hung up on hold while the consulted agent was
already talking freed the asking agent, but the consult talk went on to its end, with
nobody on the other line (``fraud_consult``, seed 1: 112 of 699 consult requests
outlived their hold): the consult is now called off when the customer hangs up,
answered or not (its leg then ends ``hung_up``).
"""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import scenarios
from test_invariants import simulate

import sim
from sim import records as codes
from sim.engine import ContactDraws, run_replication
from sim.records import ABANDONED, ANSWERED, HUNG_UP, UNFINISHED, WAITING, Records

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
EPS = 1e-6  # seconds: sums of float times
REASON = codes.LEG_REASONS.index
HANDOFFS = [REASON(r) for r in ("transfer", "escalation", "misroute")]
LAST_LEG = {ANSWERED: {"completed"}, HUNG_UP: {"hung_up", "abandoned"},
            ABANDONED: {"abandoned"}}


def contact_problems(records: Records) -> list[str]:
    """Where a customer contact is not the sum of its legs (see the module docstring)."""
    legs = records.legs
    if not legs:
        return []
    row, enq, ans, ended, hold, reason = (legs[k] for k in (
        "contact_row", "enqueued", "answered", "ended", "hold", "reason"))
    wrap = legs.get("wrap_up", np.zeros(row.size))
    # each contact's legs in the order it joined their queues
    order = np.lexsort((ended, enq, row))
    order = order[row[order] >= 0]
    bounds = np.searchsorted(row[order], np.arange(records.n + 1))
    problems = []
    for c in range(records.n):
        mine = order[bounds[c]:bounds[c + 1]]
        if not mine.size:
            if records.answer[c] == records.answer[c]:
                problems.append(f"contact {c}: answered, without a leg")
            continue
        state = int(records.state[c])
        what = f"contact {c} ({codes.OUTCOMES[state]})"
        talked = ~np.isnan(ans[mine])
        sums = {"hold": (records.hold[c], hold[mine].sum())}
        if records.wrap_up is not None:
            sums["wrap_up"] = (records.wrap_up[c], wrap[mine].sum())
        if state not in (WAITING, UNFINISHED):  # else its last queue visit has no leg yet
            # a warm transfer's first leg ends after the next leg began
            kept = sum(max(0.0, ended[a] - enq[b]) for a, b in pairwise(mine))
            talk = (ended[mine] - ans[mine] - hold[mine])[talked].sum() - kept
            waits = np.where(talked, ans[mine], ended[mine]) - enq[mine]
            sums["handle"] = (records.talk[c], talk)
            sums["queue_time"] = (records.queue_time[c], waits[1:].sum() if records.callback[c]
                                  else waits.sum())
            sums["end"] = (records.end[c], ended[mine[-1]])
            sums["transfers"] = (records.transfers[c], np.isin(reason[mine], HANDOFFS).sum())
            last = codes.LEG_REASONS[reason[mine[-1]]]
            if last not in LAST_LEG.get(state, {last}):
                problems.append(f"{what}: its last leg ended '{last}'")
            if state == ABANDONED and mine.size > 1:
                problems.append(f"{what}: abandoned after {mine.size} queue visits")
            if talked[-1]:
                sums["group"] = (records.group[c], legs["group"][mine[-1]])
                sums["agent"] = (records.agent[c], legs["agent"][mine[-1]])
        first = ans[mine][talked][0] if talked.any() else math.nan
        sums["answer"] = (records.answer[c], first)
        for name, (own, of_legs) in sums.items():
            if not (abs(own - of_legs) <= EPS or (math.isnan(own) and math.isnan(of_legs))):
                problems.append(f"{what}: {name} {own} but its legs' {of_legs}")
    return problems


def consult_problems(records: Records) -> list[str]:
    """Consult request legs (answered) that lie within no asking leg's hold.

    Answered: talked to its end (``consult``), or called off as its asker's customer hung
    up on hold (``hung_up``). The asking leg was answered before the request joined its
    queue, ends no earlier than the consult, and held its customer at least from the
    request's queueing to its end.
    """
    legs = records.legs
    if not legs:
        return []
    enq, ans, ended, hold = (legs[k] for k in ("enqueued", "answered", "ended", "hold"))
    held = np.flatnonzero(hold > 0)
    problems = []
    talked = np.isin(legs["reason"], [REASON("consult"), REASON("hung_up")])  # or called off
    for k in np.flatnonzero((legs["contact_row"] < 0) & talked):
        if not ((ans[held] <= enq[k] + EPS) & (ended[held] >= ended[k] - EPS)
                & (hold[held] >= ended[k] - enq[k] - EPS)).any():
            problems.append(f"consult leg {k} (queued {enq[k]:.3f}, answered {ans[k]:.3f}, "
                            f"ended {ended[k]:.3f}) outlives every hold that may have asked it")
    return problems


def both_paths(scenario: sim.Scenario, seed: int, replication: int = 0, **options):
    """The records of the fast paths and of the general path."""
    return [run_replication(scenario, seed, replication, fast_paths=fast, **options)
            for fast in (True, False)]


@SETTINGS
@given(scenarios(), st.integers(0, 10_000), st.integers(0, 2))
def test_contacts_are_the_sums_of_their_legs(data, seed, replication):
    """Hold, handle, waits, wrap-up, transfers, answer, end, last handler, outcome; consults.

    On both engine paths; no consult talk goes on after its customer on hold (and the
    asking agent) left.
    """
    scenario, records = simulate(data, seed, replication)
    slow = run_replication(scenario, seed, replication, fast_paths=False)
    for path in (records, slow):
        assert contact_problems(path) == []
        assert consult_problems(path) == []


@pytest.mark.parametrize("name", ["fraud_consult", "refund_vs_relations", "social_backlash",
                                  "wrap_up", "self_service_shift"])
def test_bundled_journeys(name):
    """Two hours of each bundled scenario with legs, on both engine paths."""
    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml", overrides={"close": "10:00"})
    for records in both_paths(scenario, 1):
        assert records.legs
        assert contact_problems(records) == []
        assert consult_problems(records) == []


def test_hang_up_on_hold_calls_off_a_consult_in_progress():
    """The customer hangs up 20 s into a 60 s consult: the consulted agent is free then too.

    One billing agent answers at 0, asks the fraud desk halfway through a 100 s talk (at 50),
    whose one agent answers at once; the customer's hold patience is 20 s. A second
    consult request (a second customer at 60, on hold at 110) finds the fraud agent free
    at 70, not at 110.
    """
    det = {"dist": "deterministic"}
    scenario = sim.scenario_from_dict({
        "name": "consult called off", "interval": "1h",
        "contact_types": {
            "billing": {"arrivals": {"rate": "2/h"}, "handle": {**det, "value": 100},
                        "consult": {"probability": 1.0, "to": "fraud",
                                    "talk": {**det, "value": 60},
                                    "hold_patience": {**det, "value": 20}}},
            "fraud": {"arrivals": {"rate": 0}, "handle": {**det, "value": 60}}},
        "agents": {"billing_team": {"skills": ["billing"], "staff": 2},
                   "fraud_desk": {"skills": ["fraud"], "staff": 1}}})
    draws = ContactDraws(arrival=np.array([0.0, 60.0]), contact_type=np.zeros(2, np.int16),
                         handle=np.full(2, 100.0), patience=np.full(2, np.inf))
    for records in both_paths(scenario, 0, draws=draws):
        legs = records.legs
        consults = np.flatnonzero(legs["contact_row"] < 0)
        assert records.state.tolist() == [HUNG_UP, HUNG_UP]
        assert records.end.tolist() == [70.0, 130.0]
        assert legs["answered"][consults].tolist() == [50.0, 110.0]
        assert legs["ended"][consults].tolist() == [70.0, 130.0]
        assert legs["reason"][consults].tolist() == [REASON("hung_up")] * 2
        assert consult_problems(records) == []
