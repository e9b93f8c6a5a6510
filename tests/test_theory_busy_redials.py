"""Redials after a busy signal against the exact Markov chain: the retrial queue on trunk lines.

4 agents on 6 trunk lines round the clock, 90 calls an hour (4.5 Erlangs: a third of the
attempts get a busy signal), exponential handle times (3 min) and patience (4 min). A
caller who gets a busy signal redials with chance 0.7, one who abandons with 0.3, after
an exponential delay (mean 2 min), as a new contact of the same issue (the cap, 100
redials an issue, is reached with chance under 0.7^100). The redialling callers are an
infinite-server delay station (an orbit), so the chain (:class:`markov_lines.TrunkCenter`,
no ccsim code) has the state (busy agents, callers waiting, callers due to redial); it
is cut at 40 callers due, whose mass the tests check is negligible, and checked first
against Erlang B and against :class:`markov.CallCenter`, the chain of redials after
abandoning written apart.

The simulated KPIs (busy signals per attempt, redials included; abandonment and mean
wait of the offered; redials per issue: contacts per issue - 1) run 60 replications of 2
days after a 2-hour warm-up, with an hour's cooldown so that the last issues' redials
are made. Tolerance: ``helpers.assert_agrees``, 3 Student-t 95% half-widths over the
replications (about 6 standard errors of the mean; the chain itself is exact to its cut,
under 1e-9), so a false alarm is far under 1% per check over the suite's many checks
(not tuned); each check shows it tells the chain from nearby wrong ones: no redial after
a busy signal, a redial chance 0.1 lower or higher, one line fewer or more.
"""

import functools

import pytest
from helpers import assert_agrees, markov_scenario
from markov import CallCenter
from markov_lines import TrunkCenter

import sim
from sim import erlang

AGENTS, LINES, AHT, PATIENCE, RATE = 4, 6, 180.0, 240.0, 90 / 3600
AFTER_BUSY, AFTER_ABANDON, DELAY = 0.7, 0.3, 120.0

SCENARIO = markov_scenario(
    "busy redials", RATE, AHT, PATIENCE, AGENTS, LINES,
    retrial={"after_busy": AFTER_BUSY, "after_abandon": AFTER_ABANDON,
             "delay": {"dist": "exponential", "mean": DELAY}, "max_attempts": 100})


@functools.cache
def chain(after_busy: float = AFTER_BUSY, lines: int = LINES):
    """The chain's KPIs, with a redial chance ``after_busy`` after a busy signal."""
    return TrunkCenter(RATE, AHT, AGENTS, PATIENCE, lines, after_busy=after_busy,
                       after_abandon=AFTER_ABANDON, retrial_delay=DELAY, max_orbit=40).solve()


@functools.cache
def simulated():
    """One row per replication; ``retrials_per_issue``: contacts per issue - 1."""
    table = sim.run(sim.scenario_from_dict(SCENARIO), seed=53, replications=60).replications
    return table.assign(retrials_per_issue=table["contacts_per_issue"] - 1.0)


class TestChain:
    """The chain reproduces the answers it generalises."""

    def test_lines_for_the_agents_alone_is_erlang_b(self):
        """As many lines as agents, no redial: nobody waits, busy signals are Erlang B's."""
        got = TrunkCenter(RATE, AHT, AGENTS, PATIENCE, AGENTS).solve()
        assert got.block_rate == pytest.approx(erlang.erlang_b(AGENTS, RATE * AHT), rel=1e-9)
        assert got.mean_wait == 0.0

    def test_lines_never_full_is_the_redials_after_abandoning(self):
        """Lines never all taken (the queue cut first): :class:`markov.CallCenter`'s answer."""
        got = TrunkCenter(RATE, AHT, AGENTS, PATIENCE, 100, after_abandon=AFTER_ABANDON,
                          retrial_delay=DELAY, max_queue=40, max_orbit=40).solve()
        want = CallCenter(RATE, AHT, AGENTS, PATIENCE, max_queue=40, retrial=AFTER_ABANDON,
                          retrial_delay=DELAY, max_orbit=40).solve(20.0)
        assert got.block_rate == 0.0
        for kpi in ("abandon_rate", "mean_wait"):
            assert getattr(got, kpi) == pytest.approx(getattr(want, kpi), rel=1e-9), kpi
        assert got.retrials_per_issue == pytest.approx(
            want.retrial_share * want.offered / RATE, rel=1e-9)

    def test_the_orbit_cut_holds_no_mass(self):
        """Callers due to redial past 40: negligible (the chain is exact to that)."""
        got = chain()
        assert got.edge < 1e-12 and got.cut < 1e-12


WRONG = {  # the nearby wrong chains each KPI must be told from
    "block_rate": [(0.0, LINES), (AFTER_BUSY - 0.1, LINES), (AFTER_BUSY + 0.1, LINES),
                   (AFTER_BUSY, LINES - 1), (AFTER_BUSY, LINES + 1)],
    "abandon_rate": [(0.0, LINES), (AFTER_BUSY, LINES - 1), (AFTER_BUSY, LINES + 1)],
    "mean_wait": [(0.0, LINES), (AFTER_BUSY, LINES - 1), (AFTER_BUSY, LINES + 1)],
    "retrials_per_issue": [(0.0, LINES), (AFTER_BUSY - 0.1, LINES), (AFTER_BUSY + 0.1, LINES),
                           (AFTER_BUSY, LINES - 1), (AFTER_BUSY, LINES + 1)],
}


@pytest.mark.parametrize("kpi", list(WRONG))
def test_kpi_matches_the_chain(kpi):
    """Busy signals, abandonment, mean wait and redials per issue: the chain's."""
    assert_agrees(kpi, simulated()[kpi].to_numpy(), getattr(chain(), kpi),
                  wrong=[getattr(chain(*w), kpi) for w in WRONG[kpi]])
