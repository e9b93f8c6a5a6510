"""Callbacks that keep their place, with redials, against the exact Markov chain.

1 agent on 3 trunk lines round the clock, 11 calls an hour, exponential handle times (3
min) and patience (4 min). A caller who must wait is offered a callback when the
expected wait, (n + 1) x 180 s with n callers waiting ahead (live ones and callbacks;
README "Journeys"), is over 200 s: whenever someone waits ahead. Half of those offered
accept: they hang up, which frees their line, never abandon, and are called back when
their turn comes, in their place in the one queue (the call back takes no line). A
caller who gets a busy signal redials with chance 0.8, one who abandons with 0.5, after
an exponential 2 minutes, as a new arrival (offered a callback as any; the cap, 100
redials an issue, is out of reach). ``tests/test_theory_callback_lines.py`` checks
callbacks that keep their place without redials, and redials with callbacks in a queue
of their own; this is the two together.

The chain (:class:`markov_lines.TrunkCenter`, no ccsim code) keeps the order of live
callers and callbacks and the callers due to redial; the queue is cut at 11 and the
orbit at 10, whose mass the tests check is under 1e-5, negligible next to tolerances
of a percent (the wrong chains need only be exact well under them: cut at 9 waiting,
their mass under 1e-4).

The simulated KPIs run 100 replications of 2 days after a 2-hour warm-up, with an hour's
cooldown for the last issues' redials. Tolerance: ``helpers.assert_agrees``, 3
Student-t 95% half-widths over the replications (not tuned); each check shows it tells
the chain from nearby wrong ones: callbacks waiting in a queue of their own, the line
held until the call back, a callback offered whatever the expected wait, no redial after
a busy signal.
"""

import functools

import pytest
from helpers import assert_agrees, markov_scenario
from markov_lines import TrunkCenter

import sim

AGENTS, LINES, AHT, PATIENCE, RATE = 1, 3, 180.0, 240.0, 11 / 3600
THRESHOLD, ACCEPT = 200.0, 0.5
AFTER_BUSY, AFTER_ABANDON, DELAY = 0.8, 0.5, 120.0


def offer(ahead: int) -> bool:
    """The engine's rule: the expected wait of a caller with ``ahead`` waiting before it."""
    return (ahead + 1) * AHT / AGENTS > THRESHOLD


WRONG_MODELS = {"": {}, "own_queue": {"callback_queue": True},
                "line_until_called": {"line_until_called": True},
                "offer_always": {"offer": lambda n: True}, "no_busy_redial": {"after_busy": 0.0}}


@functools.cache
def chain(wrong: str = ""):
    """The chain's KPIs, or those of the wrong model named ``wrong``."""
    kw = {"after_busy": AFTER_BUSY, "after_abandon": AFTER_ABANDON, "retrial_delay": DELAY,
          "offer": offer, "accept": ACCEPT, "max_queue": 9 if wrong else 11, "max_orbit": 10}
    return TrunkCenter(RATE, AHT, AGENTS, PATIENCE, LINES, **(kw | WRONG_MODELS[wrong])).solve()


SCENARIO = markov_scenario(
    "callbacks with redials", RATE, AHT, PATIENCE, AGENTS, LINES,
    callback={"threshold": THRESHOLD, "accept": ACCEPT},
    retrial={"after_busy": AFTER_BUSY, "after_abandon": AFTER_ABANDON,
             "delay": {"dist": "exponential", "mean": DELAY}, "max_attempts": 100})


@functools.cache
def simulated():
    """One row per replication; ``retrials_per_issue``: contacts per issue - 1."""
    table = sim.run(sim.scenario_from_dict(SCENARIO), seed=67, replications=100).replications
    return table.assign(retrials_per_issue=table["contacts_per_issue"] - 1.0)


def test_the_cuts_hold_no_mass():
    """A full queue or orbit: negligible next to the tolerances (under 1e-5)."""
    got = chain()
    assert got.edge < 1e-5 and got.cut < 1e-5
    assert got.callback_rate > 0.05 and got.retrials_per_issue > 0.05  # both at work
    assert max(chain(w).edge for w in WRONG_MODELS) < 1e-4


WRONG = {
    "block_rate": ("line_until_called", "offer_always"),
    "abandon_rate": ("offer_always",),
    "mean_wait": ("line_until_called", "offer_always"),
    "callback_rate": ("own_queue", "line_until_called", "offer_always"),
    "callback_wait": ("own_queue", "line_until_called", "offer_always"),
    "retrials_per_issue": ("line_until_called", "offer_always", "no_busy_redial"),
}


@pytest.mark.parametrize("kpi", list(WRONG))
def test_kpi_matches_the_chain(kpi):
    """Busy signals, abandonment, waits, callbacks and redials: the chain's."""
    assert_agrees(kpi, simulated()[kpi].to_numpy(), getattr(chain(), kpi),
                  wrong=[getattr(chain(w), kpi) for w in WRONG[kpi]])
