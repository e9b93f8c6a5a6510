"""Retrials against the exact Markov chain: Erlang A with callers who redial.

A center of 5 agents (exponential handle times and patience, round the clock) whose
callers, on abandoning, redial with chance 0.5 after an exponential delay, as a new
contact of the same type (the cap, 100 redials an issue, is reached with chance 2^-100).
The redialling callers are an infinite-server delay station (an orbit), so the chain
(:mod:`markov`, no ccsim code) has the state (busy agents, callers waiting, callers due
to redial). Redials are not Poisson (their rate follows the orbit), so Erlang A at the
offered rate is not the answer; the chain weighs each state by its arrival rate.

The simulated KPIs (abandonment, service level and mean wait of all offered contacts,
redials included, and the redials per offered contact) run 20 replications of 2 days
after a 2-hour warm-up; tolerances are those of ``tests/test_theory.py`` (3 Student-t
95% half-widths over the replications, not tuned), and each check shows it tells the
chain from a nearby wrong one: without redials (Erlang A) for the queue's KPIs, a redial
chance 0.1 lower or higher for the redials' share.
"""

import functools

import pytest
from helpers import assert_agrees
from markov import CallCenter

import sim
from sim import erlang

AGENTS, AHT, PATIENCE, RATE = 5, 240.0, 120.0, 70 / 3600
RETRIAL, DELAY = 0.5, 300.0
SL_THRESHOLD = 20.0


@functools.cache
def chain(retrial: float = RETRIAL):
    """The chain's KPIs for a redial chance ``retrial``."""
    return CallCenter(RATE, AHT, AGENTS, PATIENCE, max_queue=40, retrial=retrial,
                      retrial_delay=DELAY, max_orbit=40).solve(SL_THRESHOLD)


SCENARIO = {
    "name": "retrials", "days": 2, "interval": "1h", "warmup": "2h",
    "service_level": {"threshold": SL_THRESHOLD, "target": 0.8},
    "contact_types": {"calls": {
        "arrivals": {"rate": f"{RATE * 3600:g}/h"},
        "handle": {"dist": "exponential", "mean": AHT},
        "patience": {"dist": "exponential", "mean": PATIENCE},
        "retrial": {"probability": RETRIAL, "delay": {"dist": "exponential", "mean": DELAY},
                    "max_attempts": 100}}},
    "agents": {"pool": {"skills": ["calls"], "staff": AGENTS}},
}


@functools.cache
def simulated():
    """One row per replication; ``retrial_share``: redials / offered contacts."""
    table = sim.run(sim.scenario_from_dict(SCENARIO), seed=31, replications=20).replications
    return table.assign(retrial_share=table["retrials"] / table["offered"])


def test_chain_without_redials_is_erlang_a():
    """Redial chance 0: the chain is Erlang A's, to rounding."""
    got, want = chain(0.0), erlang.erlang_a_metrics(RATE, AHT, AGENTS, PATIENCE, SL_THRESHOLD)
    for kpi in ("abandon_rate", "mean_wait", "service_level"):
        assert getattr(got, kpi) == pytest.approx(getattr(want, kpi), rel=1e-9), kpi


def test_chain_is_not_erlang_a_at_the_offered_rate():
    """Redials make the queue worse than Poisson arrivals at the same offered rate would."""
    got = chain()
    assert got.cut < 1e-9, "the chain's queue or orbit is cut too short to be exact here"
    poisson = erlang.erlang_a_metrics(got.offered, AHT, AGENTS, PATIENCE, SL_THRESHOLD)
    assert got.abandon_rate > poisson.abandon_rate and got.mean_wait > poisson.mean_wait


@pytest.mark.parametrize("kpi", ["abandon_rate", "service_level", "mean_wait"])
def test_queue_matches_the_chain(kpi):
    """Abandonment, service level and mean wait (all offered, redials too): the chain's."""
    assert_agrees(kpi, simulated()[kpi].to_numpy(), getattr(chain(), kpi),
                  wrong=[getattr(chain(0.0), kpi)])


def test_redials_per_offered_contact():
    """Redials / offered: the orbit's output rate over the offered rate."""
    assert_agrees("retrial_share", simulated()["retrial_share"].to_numpy(),
                  chain().retrial_share,
                  wrong=[chain(RETRIAL - 0.1).retrial_share, chain(RETRIAL + 0.1).retrial_share])
