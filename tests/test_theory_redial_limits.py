"""Redials with a cap and a decaying chance against the exact Markov chain that counts them.

2 agents on 4 trunk lines round the clock, 50 calls an hour, exponential handle times (3
min) and patience (4 min). A caller who gets a busy signal redials with chance 0.8, one
who abandons with 0.5, each times 0.7^k where k is the redials its issue has made (README
"Retrials by cause": the k-th redial with the cause's chance x decay^(k-1)), and never a
third time (``max_attempts: 2``), after an exponential delay (mean 2 min). Whether a
caller may redial depends on its issue's count, so the chain
(:class:`markov_attempts.AttemptCenter`, no ccsim code) keeps each waiting caller's
count and the orbit by the redial its callers are due to make; the orbit is cut at 18
callers, whose mass the tests check is under 1e-12. The chain is checked first against
:class:`markov_lines.TrunkCenter` (no cap, no count: the same chain written apart) and
for ``decay: 0`` being the cap of one redial.

The simulated KPIs (busy signals per attempt, redials included; abandonment and mean
wait of the offered; redials per issue: contacts per issue - 1) run 100 replications of
2 days after a 2-hour warm-up, with an hour's cooldown for the last issues' redials.
Tolerance: ``helpers.assert_agrees``, 3 Student-t 95% half-widths over the replications
(not tuned); each check shows it tells the chain from nearby wrong ones: the cap one
redial lower or higher, no decay, a decay of 0.4 (the wrong chains need only be exact
well under the tolerance: the cap of 3's orbit is cut at 9, its mass under 1e-3).
"""

import functools

import pytest
from helpers import assert_agrees, markov_scenario
from markov_attempts import AttemptCenter
from markov_lines import TrunkCenter

import sim

AGENTS, LINES, AHT, PATIENCE, RATE = 2, 4, 180.0, 240.0, 50 / 3600
AFTER_BUSY, AFTER_ABANDON, DELAY, DECAY, CAP = 0.8, 0.5, 120.0, 0.7, 2

SCENARIO = markov_scenario(
    "redial limits", RATE, AHT, PATIENCE, AGENTS, LINES,
    retrial={"after_busy": AFTER_BUSY, "after_abandon": AFTER_ABANDON, "decay": DECAY,
             "delay": {"dist": "exponential", "mean": DELAY}, "max_attempts": CAP})


@functools.cache
def chain(cap: int | None = CAP, decay: float = DECAY, max_orbit: int = 18):
    """The chain's KPIs with ``cap`` redials an issue, each ``decay`` times less likely."""
    return AttemptCenter(RATE, AHT, AGENTS, PATIENCE, LINES, AFTER_BUSY, AFTER_ABANDON, DELAY,
                         decay=decay, max_attempts=cap, max_orbit=max_orbit).solve()


@functools.cache
def simulated():
    """One row per replication; ``retrials_per_issue``: contacts per issue - 1."""
    table = sim.run(sim.scenario_from_dict(SCENARIO), seed=61, replications=100).replications
    return table.assign(retrials_per_issue=table["contacts_per_issue"] - 1.0)


KPIS = ("block_rate", "abandon_rate", "mean_wait", "retrials_per_issue")


class TestChain:
    """The counting chain reproduces the chains it generalises; its cut holds no mass."""

    def test_without_a_count_it_is_the_trunk_chain(self):
        """No cap, no decay: :class:`markov_lines.TrunkCenter`'s answer (written apart)."""
        kw = {"after_busy": AFTER_BUSY, "after_abandon": AFTER_ABANDON, "max_orbit": 18}
        got = AttemptCenter(RATE, AHT, AGENTS, PATIENCE, LINES, retrial_delay=DELAY, **kw).solve()
        want = TrunkCenter(RATE, AHT, AGENTS, PATIENCE, LINES, retrial_delay=DELAY, **kw).solve()
        for kpi in (*KPIS, "occupancy"):
            assert getattr(got, kpi) == pytest.approx(getattr(want, kpi), rel=1e-9), kpi

    def test_no_chance_after_the_first_is_a_cap_of_one(self):
        """``decay`` 0 leaves the first redial alone (0.7^0): the cap of one redial."""
        got, want = chain(CAP, 0.0), chain(1, DECAY)
        for kpi in KPIS:
            assert getattr(got, kpi) == pytest.approx(getattr(want, kpi), rel=1e-12), kpi

    def test_the_orbit_cut_holds_no_mass(self):
        """Callers due to redial past 18: negligible (the chain is exact to that)."""
        got = chain()
        assert got.edge < 1e-12 and got.cut < 1e-12
        assert chain(CAP + 1, DECAY, 9).edge < 1e-3  # the wrong chain, as said above


WRONG = {  # (cap, decay, orbit cut) of the nearby wrong chains each KPI must be told from
    "block_rate": [(CAP - 1, DECAY, 18), (CAP, 1.0, 18), (CAP, 0.4, 18)],
    "abandon_rate": [(CAP - 1, DECAY, 18)],
    "mean_wait": [(CAP - 1, DECAY, 18)],
    "retrials_per_issue": [(CAP - 1, DECAY, 18), (CAP + 1, DECAY, 9), (CAP, 1.0, 18),
                           (CAP, 0.4, 18)],
}


@pytest.mark.parametrize("kpi", list(WRONG))
def test_kpi_matches_the_chain(kpi):
    """Busy signals, abandonment, mean wait and redials per issue: the chain's."""
    assert_agrees(kpi, simulated()[kpi].to_numpy(), getattr(chain(), kpi),
                  wrong=[getattr(chain(*w), kpi) for w in WRONG[kpi]])
