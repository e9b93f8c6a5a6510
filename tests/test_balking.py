"""Balking, delay announcements and retrials by cause, against answers known beforehand.

- Balking on the queue length (nothing announced) against the Markov chain of an
  M/M/c+M queue whose arrival rate depends on the number waiting, solved here with numpy:
  P(balk), mean queue length and throughput. As in ``test_theory.py`` the chain's value
  must lie within 3 confidence half-widths (95%, Student t over replications) of the
  simulated mean, and each check must tell it from a wrong chain: a rule off by one
  place (P(balk), queue), or no balking (throughput, which is less sensitive).
- Announcements, on a hand-made trace whose outcome is worked out in the docstring: what
  the last caller to enter service waited (LES) against the place in the queue.
- Common random numbers: a caller's decision is its own keyed number, whatever the staff.
- Retrials by cause: the share of busy signals, abandons and balks followed by a redial
  matches each cause's chance, and the second redial's its chance x decay, within 4
  binomial standard deviations; the causes are told apart (each chance is far from the
  others').
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import replay

import sim
from sim import keyed
from sim.balking import balk_plan
from sim.contacts import identities
from sim.engine import run_replication
from sim.records import ABANDONED, ANSWERED, BALKED, BLOCKED
from sim.replicate import half_width
from sim.scenario import Balking
from sim.units import DAY

# M/M/3+M with balking: 48 calls/h, 4 min handle, 5 min mean patience; a caller who
# would be at place k in the queue balks with min(1, 0.15 k)
AGENTS, RATE, HANDLE, PATIENCE, PER_PLACE = 3, 48 / 3600, 240.0, 300.0, 0.15
WARMUP = 3600.0


def chain(per_place: float, offset: int = 1) -> dict[str, float]:
    """Stationary P(balk), mean queue and throughput (per hour) of the birth-death chain.

    State n: callers in the system. Births at rate RATE while an agent is free, and
    RATE x (1 - b) when all are busy, with b = min(1, per_place x (n - AGENTS + offset))
    (``offset`` 1: the caller's place counts itself); deaths at min(n, AGENTS) / HANDLE +
    max(n - AGENTS, 0) / PATIENCE. P(balk) is the arrivals' average b (PASTA).
    """
    balk = [0.0] * AGENTS
    while balk[-1] < 1.0:
        balk.append(min(1.0, per_place * (len(balk) - AGENTS + offset)))
        if len(balk) > AGENTS + 100:  # no balking: a queue beyond 100 has no weight left
            balk[-1] = 1.0
    n = len(balk)  # the last state is full: every arrival there balks
    weights = [1.0]
    for k in range(1, n):
        birth = RATE * (1.0 - balk[k - 1])
        death = min(k, AGENTS) / HANDLE + max(k - AGENTS, 0) / PATIENCE
        weights.append(weights[-1] * birth / death)
    pi = np.array(weights) / sum(weights)
    states = np.arange(n)
    return {
        "p_balk": float(pi @ np.array(balk)),
        "queue": float(pi @ np.maximum(states - AGENTS, 0)),
        "throughput": float(pi @ np.minimum(states, AGENTS)) / HANDLE * 3600,
    }


def assert_agrees(name, simulated, theory, wrong=()):
    """``theory`` within 3 half-widths of the mean of ``simulated``; ``wrong`` values outside."""
    mean, hw = float(np.mean(simulated)), half_width(simulated)
    message = f"{name}: simulated {mean:.5g} ± {hw:.3g}, theory {theory:.5g}"
    assert abs(mean - theory) <= 3 * hw, message
    for other in wrong:
        assert abs(mean - other) > 3 * hw, f"{name}: cannot tell {theory:.5g} from {other:.5g}"


def calls(balking: dict, staff: int = AGENTS, **extra) -> sim.Scenario:
    """One always-open day of the M/M/3+M calls with ``balking``."""
    return sim.scenario_from_dict({
        "name": "balking", "days": 1, "interval": "1h", "warmup": WARMUP,
        "contact_types": {"calls": {
            "arrivals": {"rate": RATE}, "handle": {"dist": "exponential", "mean": HANDLE},
            "patience": {"dist": "exponential", "mean": PATIENCE}, "balking": balking,
            **extra}},
        "agents": {"pool": {"skills": ["calls"], "staff": staff}}})


class TestBalkingOnQueueLength:
    """Nothing announced; the caller balks on its place: the Markov chain's answers."""

    @pytest.fixture(scope="class")
    @classmethod
    def run(cls):
        return sim.run(calls({"per_position": PER_PLACE}), seed=5, replications=20)

    def test_p_balk(self, run):
        """P(balk) is the arrivals' average balking chance (balk_rate: of all who arrived)."""
        assert_agrees("P(balk)", run.replications["balk_rate"],
                      chain(PER_PLACE)["p_balk"], wrong=[chain(PER_PLACE, 0)["p_balk"]])

    def test_mean_queue(self, run):
        """Mean number waiting, by Little's law: offered x mean wait / measured time."""
        measured = DAY - WARMUP
        queue = run.replications["offered"] * run.replications["mean_wait"] / measured
        assert_agrees("mean queue", queue, chain(PER_PLACE)["queue"],
                      wrong=[chain(PER_PLACE, 0)["queue"]])

    def test_throughput(self, run):
        """Answered per hour."""
        per_hour = run.replications["answered"] / ((DAY - WARMUP) / 3600)
        assert_agrees("throughput", per_hour, chain(PER_PLACE)["throughput"],
                      wrong=[chain(0.0)["throughput"]])

    def test_balked_are_apart_from_abandoned(self, run):
        """Balked callers are neither offered nor abandoned, and never answered."""
        contacts = run.contacts
        balked = contacts[contacts["balked"]]
        assert len(balked) > 0
        assert not (balked["answered"] | balked["abandoned"] | balked["blocked"]).any()
        assert (balked["outcome"] == "balked").all()
        assert (balked["queue_time"] == 0).all() and (balked["end"] == balked["arrival"]).all()

    def test_per_interval(self, run):
        """intervals.csv: balked per interval and the pooled balk rate, as counted.

        Counted from the contacts by the hour they arrived in (balked: mean per
        replication); the intervals add up to the KPI.
        """
        rows = run.intervals[run.intervals["contact_type"] == "all"].set_index("start")
        contacts = run.contacts[run.contacts["arrival"] >= WARMUP]
        hour = (contacts["arrival"] // 3600 * 3600).to_numpy()
        balked = contacts["balked"].to_numpy()
        for start in np.unique(hour):
            here = hour == start
            assert rows.at[start, "balked"] == pytest.approx(balked[here].sum() / 20)
            assert rows.at[start, "balk_rate"] == pytest.approx(balked[here].mean())
        assert rows["balked"].sum() == pytest.approx(run.replications["balked"].mean())
        assert rows.loc[rows.index < WARMUP, "balked"].sum() == 0


class TestAnnouncements:
    """One agent, 100 s calls; callers arrive at 0, 10, 20, 30, 110, 120 and 250 s.

    Told the wait of the last caller answered (LES), balking from 50 s on: the callers at
    10, 20 and 30 s hear 0 (only the first, answered at once, has entered service) and
    stay; at 100 s the caller of 10 s is answered after 90 s, so those of 110 and 120 s
    hear 90 s and balk; at 200 s the caller of 20 s is answered after 180 s, and the one
    of 250 s balks. Told their place, balking from place 2 on: the caller of 10 s stays
    (place 1), those of 20 and 30 s balk; the queue is empty again at 100 s, so the
    caller of 110 s stays and the one of 120 s balks; the one of 250 s finds the queue
    empty (the caller of 110 s was answered at 200 s) and stays. The expected wait
    (place x 100 s on one agent), balking from 150 s on, decides as the place does.
    """

    TIMES = (0, 10, 20, 30, 110, 120, 250)

    def outcomes(self, balking: dict) -> list[int]:
        scenario = sim.scenario_from_dict({
            "name": "announce", "interval": "1h",
            "contact_types": {"calls": {
                "arrivals": {"rate": "1/h"},
                "handle": {"dist": "deterministic", "value": 100}, "balking": balking}},
            "agents": {"pool": {"skills": ["calls"], "staff": 1}}})
        records = replay(scenario, [(t, 0, 100.0) for t in self.TIMES])
        balked = records.state == BALKED
        assert np.isnan(records.answer[balked]).all()
        assert (records.end[balked] == records.arrival[balked]).all()
        return records.state.tolist()

    def test_last_to_enter_service(self):
        """LES: the callers who heard 90 s and 180 s balk."""
        got = self.outcomes({"announce": "les", "curve": [["50s", 0], ["50s", 1]]})
        assert got == [ANSWERED] * 4 + [BALKED] * 3

    def test_last_to_enter_service_counts_callers_only(self):
        """A consult request answered from the queue is not a caller: its wait is not told.

        A sales call at 0 s (20 s talk) consults the calls queue at 10 s, while the one
        agent of calls talks to the caller of 0 s until 100 s: the request waits 90 s.
        The caller of 110 s must hear 0 s (the caller of 0 s, answered at once, is the last
        caller to enter service) and stay, not hear the request's 90 s and balk.
        """
        scenario = sim.scenario_from_dict({
            "name": "announce", "interval": "1h",
            "contact_types": {
                "calls": {"arrivals": {"rate": "1/h"},
                          "handle": {"dist": "deterministic", "value": 100},
                          "balking": {"announce": "les", "curve": [["50s", 0], ["50s", 1]]}},
                "sales": {"arrivals": {"rate": "1/h"},
                          "handle": {"dist": "deterministic", "value": 20},
                          "consult": {"probability": 1, "to": "calls",
                                      "talk": {"dist": "deterministic", "value": 100}}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 1},
                       "desk": {"skills": ["sales"], "staff": 1}}})
        records = replay(scenario, [(0, 0, 100.0), (0, 1, 20.0), (110, 0, 100.0)])
        assert records.state.tolist() == [ANSWERED, ANSWERED, ANSWERED]

    def test_place(self):
        """Place in the queue: the second in line balks."""
        got = self.outcomes({"announce": "position", "curve": [[2, 0], [2, 1]]})
        assert got == [ANSWERED, ANSWERED, BALKED, BALKED, ANSWERED, BALKED, ANSWERED]

    def test_nothing_announced_is_the_place(self):
        """With nothing announced the caller balks on the same queue length."""
        assert (self.outcomes({"announce": "none", "per_position": 0.5})
                == self.outcomes({"announce": "position", "per_position": 0.5}))

    def test_expected_wait(self):
        """Place x mean handle / agents: 100 s at place 1 (stays), 200 s at place 2."""
        got = self.outcomes({"announce": "expected_wait", "curve": [["150s", 0], ["150s", 1]]})
        assert got == [ANSWERED, ANSWERED, BALKED, BALKED, ANSWERED, BALKED, ANSWERED]


class TestCommonRandomNumbers:
    def test_a_callers_decision_is_its_own_number(self):
        """With a flat 50% chance, whoever must wait balks iff its keyed number is < 0.5.

        Under 2 and 3 agents different callers wait, but each one's decision is the same
        keyed number: no caller's choice depends on the order of events.
        """
        for staff in (2, 3):
            scenario = calls({"announce": "position", "curve": [[0, 0.5]]}, staff=staff)
            records = run_replication(scenario, seed=3)
            root = keyed.root(3, 0)
            # no retrials: every contact is its issue's first, the type's k-th arrival
            first = identities("calls", False, records.n)
            numbers = keyed.uniforms(keyed.issue_keys(root, first), keyed.BALK)
            waited = (records.state == BALKED) | (records.wait > 0)
            assert waited.sum() > 100
            assert np.array_equal(records.state[waited] == BALKED, numbers[waited] < 0.5)


class TestRules:
    @pytest.mark.parametrize(("spec", "points"), [
        ({"per_position": 0.25}, [(0, 0.0), (1, 0.25), (3, 0.75), (4, 1.0), (9, 1.0)]),
        ({"announce": "les", "per_minute": 0.1}, [(0, 0.0), (60, 0.1), (300, 0.5), (900, 1.0)]),
        ({"announce": "les", "curve": [["1m", 0.1], ["3m", 0.5], ["3m", 0.9]]},
         [(0, 0.1), (60, 0.1), (120, 0.3), (179.9, 0.5 - 0.4 * 0.1 / 120), (180, 0.9),
          (1e6, 0.9)]),
    ])
    def test_chance_of_what_is_announced(self, spec, points):
        """Linear per place or minute (capped at 1); a curve: straight lines, steps, flat ends."""
        plan = balk_plan(Balking(**spec))
        for announced, chance in points:
            assert plan.chance(announced) == pytest.approx(chance), announced


def binomial_ok(hits: int, n: int, p: float) -> bool:
    """``hits`` of ``n`` within 4 binomial standard deviations of ``n p``."""
    return abs(hits - n * p) <= 4 * math.sqrt(n * p * (1 - p))


class TestRetrialsByCause:
    """Busy signals (2 lines), abandons and balks, each redialled with its own chance."""

    BUSY, ABANDON, BALK, DECAY = 0.8, 0.4, 0.6, 0.5

    @pytest.fixture(scope="class")
    @classmethod
    def contacts(cls):
        scenario = sim.scenario_from_dict({
            "name": "retrials", "days": 1, "interval": "1h", "lines": 8,
            "contact_types": {"calls": {
                "arrivals": {"rate": "100/h"}, "handle": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "2m"},
                "balking": {"per_position": 0.2},
                "retrial": {"after_busy": cls.BUSY, "after_abandon": cls.ABANDON,
                            "after_balk": cls.BALK, "decay": cls.DECAY, "max_attempts": 3,
                            "delay": {"dist": "deterministic", "value": 60}}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 5}}})
        result = sim.run(scenario, seed=8, replications=4)
        contacts = result.contacts.sort_values(["replication", "issue_id", "arrival"]).copy()
        # which attempt each contact is (0: first), and whether the issue redialled after it
        contacts["attempt"] = contacts.groupby(["replication", "issue_id"]).cumcount()
        retrials = contacts.groupby(["replication", "issue_id"])["origin"].transform(
            lambda o: (o == "retrial").sum())
        contacts["redialled"] = retrials > contacts["attempt"]
        # a redial due after the end of the day is not made: leave those out
        return contacts[contacts["end"] < DAY - 120]

    @pytest.mark.parametrize(("outcome", "cause"), [
        ("blocked", "BUSY"), ("abandoned", "ABANDON"), ("balked", "BALK")])
    def test_first_redial_by_cause(self, contacts, outcome, cause):
        """After a first contact that ended so, a redial with that cause's chance."""
        mine = contacts[(contacts["outcome"] == outcome) & (contacts["attempt"] == 0)]
        chance = getattr(self, cause)
        hits, n = int(mine["redialled"].sum()), len(mine)
        assert n > 150, n
        assert binomial_ok(hits, n, chance), (outcome, hits, n, chance)
        for other in {self.BUSY, self.ABANDON, self.BALK} - {chance}:
            assert not binomial_ok(hits, n, other), (outcome, "cannot tell", chance, other)

    def test_second_redial_decays(self, contacts):
        """After a failed first redial, the chance is the cause's x decay."""
        failed = contacts[(contacts["attempt"] == 1) & ~contacts["answered"]]
        chance = failed["outcome"].map({"blocked": self.BUSY, "abandoned": self.ABANDON,
                                        "balked": self.BALK}).astype(float) * self.DECAY
        hits, n = int(failed["redialled"].sum()), len(failed)
        expected = float(chance.sum())
        sd = math.sqrt(float((chance * (1 - chance)).sum()))
        assert n > 100, n
        assert abs(hits - expected) <= 4 * sd, (hits, expected, sd)
        undecayed = expected / self.DECAY
        assert abs(hits - undecayed) > 4 * sd, "cannot tell the decay from none"

    def test_states_are_the_causes(self, contacts):
        """The three causes all occur (the fixture exercises each)."""
        states = set(contacts["outcome"].astype(str))
        assert {"blocked", "abandoned", "balked", "completed"} <= states


def test_old_retrial_fields_mean_the_same():
    """``probability`` alone is the chance after a busy signal and after abandoning."""
    old = balk_free = {"probability": 0.7, "delay": {"dist": "exponential", "mean": 60}}
    spec = sim.scenario_from_dict({
        "name": "old", "interval": "1h",
        "contact_types": {"calls": {"arrivals": {"rate": "1/h"},
                                    "handle": {"dist": "exponential", "mean": 60},
                                    "retrial": old}},
        "agents": {"pool": {"skills": ["calls"], "staff": 1}}}).contact_types["calls"].retrial
    assert spec.chance("busy") == spec.chance("abandon") == balk_free["probability"]
    assert spec.chance("balk") == 0.0 and spec.decay == 1.0
    assert BLOCKED != ABANDONED  # the engine tells the causes apart by the contact's state
