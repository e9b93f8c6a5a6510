"""Callbacks on trunk lines against the exact Markov chain: an accepted callback frees its line.

2 agents on 4 trunk lines round the clock, 30 calls an hour, exponential handle times (3
min) and patience (4 min). A caller who must wait is offered a callback when the
expected wait, (n + 1) x 180 s / 2 agents with n callers waiting ahead (live ones and
callbacks; README "Journeys"), is over 100 s: whenever anyone waits ahead. Half of
those offered accept: they hang up, which frees their line, never abandon, and are
called back when their turn comes (the call back takes no line). The rule depends on
the queue alone, so the chain (:class:`markov_lines.TrunkCenter`, no ccsim code) is
exact; the callback keeps its place in the queue, so its state keeps the order of live
callers and callbacks (the lines bound the live ones), cut at 14 waiting.

Two centers: ``keep_place`` (the default) and ``own_queue`` (``callback: {queue:
call_backs}``, a contact type the agents answer after the calls, skill priority 2: the
offer then counts the live callers alone), where callers also redial after a busy
signal (0.7) or abandoning (0.3) after an exponential 2 minutes, an orbit cut at 15 (its
mass is checked negligible). Each runs 60 replications of 2 days after a 2-hour warm-up
(an hour's cooldown for the last issues' redials). Tolerance: ``helpers.assert_agrees``,
3 Student-t 95% half-widths over the replications (about 6 standard errors of the mean;
the chain is exact to its cuts), so a false alarm is far under 1% per check (not
tuned); each check shows it tells the chain from nearby wrong ones: the line held until
the call back, a callback offered whatever the expected wait, callbacks keeping their
place in a queue of their own, another acceptance or no redial after a busy signal.
"""

import functools

import pytest
from helpers import assert_agrees
from markov import CallbackQueue
from markov_lines import TrunkCenter

import sim

AGENTS, LINES, AHT, PATIENCE, RATE = 2, 4, 180.0, 240.0, 30 / 3600
THRESHOLD, ACCEPT = 100.0, 0.5
REDIALS = {"after_busy": 0.7, "after_abandon": 0.3, "retrial_delay": 120.0, "max_orbit": 15}
WARMUP = 7200.0


def offer(ahead: int) -> bool:
    """The engine's rule: the expected wait of a caller with ``ahead`` waiting before it."""
    return (ahead + 1) * AHT / AGENTS > THRESHOLD


CENTERS = {"keep_place": {"max_queue": 14},
           "own_queue": {"callback_queue": True, "max_queue": 30, **REDIALS}}


@functools.cache
def chain(center: str, wrong: str = ""):
    """The chain's KPIs for ``center``, or for the wrong model named ``wrong``."""
    kw = {"offer": offer, "accept": ACCEPT, **CENTERS[center]}
    kw |= {"": {}, "line_until_called": {"line_until_called": True},
           "offer_always": {"offer": lambda n: True},
           "own_queue": {"callback_queue": True, "max_queue": 30},
           "accept_lower": {"accept": ACCEPT - 0.2}, "no_busy_redial": {"after_busy": 0.0},
           }[wrong]
    return TrunkCenter(RATE, AHT, AGENTS, PATIENCE, LINES, **kw).solve()


def scenario(center: str) -> sim.Scenario:
    calls = {"arrivals": {"rate": f"{RATE * 3600:g}/h"},
             "handle": {"dist": "exponential", "mean": AHT},
             "patience": {"dist": "exponential", "mean": PATIENCE},
             "callback": {"threshold": THRESHOLD, "accept": ACCEPT}}
    types, skills = {"calls": calls}, ["calls"]
    if center == "own_queue":
        calls["callback"]["queue"] = "call_backs"
        calls["retrial"] = {"after_busy": REDIALS["after_busy"],
                            "after_abandon": REDIALS["after_abandon"], "max_attempts": 100,
                            "delay": {"dist": "exponential", "mean": REDIALS["retrial_delay"]}}
        types["call_backs"] = {"arrivals": {"rate": "0/h"},
                               "handle": {"dist": "exponential", "mean": AHT}}
        skills = {"calls": 1, "call_backs": 2}
    return sim.scenario_from_dict({
        "name": f"callbacks on lines, {center}", "days": 2, "interval": "1h",
        "warmup": WARMUP, "cooldown": "1h", "lines": LINES, "contact_types": types,
        "agents": {"pool": {"skills": skills, "staff": AGENTS}}})


@functools.cache
def simulated(center: str):
    """One row per replication; ``retrials_per_issue``: contacts per issue - 1."""
    table = sim.run(scenario(center), seed=59, replications=60).replications
    return table.assign(retrials_per_issue=table["contacts_per_issue"] - 1.0)


class TestChain:
    """The chain reproduces the chain it generalises, and its cuts hold no mass."""

    def test_own_queue_without_lines_is_the_callback_queue(self):
        """Lines never all taken, no redial: :class:`markov.CallbackQueue`'s answer."""
        got = TrunkCenter(RATE, AHT, AGENTS, PATIENCE, 200, offer=offer, accept=ACCEPT,
                          callback_queue=True, max_queue=50).solve()
        want = CallbackQueue(RATE, AHT, AGENTS, PATIENCE, ACCEPT, offer, max_queue=25).solve()
        assert got.block_rate == 0.0 and got.cut < 1e-9 and want.cut < 1e-9
        for kpi in ("abandon_rate", "mean_wait", "callback_rate", "callback_wait"):
            assert getattr(got, kpi) == pytest.approx(getattr(want, kpi), rel=1e-6), kpi

    @pytest.mark.parametrize("center", list(CENTERS))
    def test_the_cuts_hold_no_mass(self, center):
        """A full queue (or orbit): negligible next to the tolerances (under 1e-5)."""
        got = chain(center)
        assert got.edge < 1e-5 and got.cut < 1e-5
        assert got.callback_rate > 0.05  # the offer is made: the check is not trivial


QUEUE_KPIS = ("block_rate", "abandon_rate", "mean_wait", "callback_rate", "callback_wait")
WRONG = {("keep_place", kpi): ("line_until_called", "offer_always") for kpi in QUEUE_KPIS}
WRONG |= {("keep_place", "callback_rate"): ("line_until_called", "offer_always", "own_queue"),
          ("keep_place", "callback_wait"): ("line_until_called", "offer_always", "own_queue")}
WRONG |= {("own_queue", kpi): ("line_until_called", "offer_always") for kpi in QUEUE_KPIS}
WRONG |= {("own_queue", "abandon_rate"): ("offer_always", "accept_lower"),
          ("own_queue", "block_rate"): ("line_until_called", "offer_always", "no_busy_redial"),
          ("own_queue", "retrials_per_issue"): ("line_until_called", "no_busy_redial")}


@pytest.mark.parametrize(("center", "kpi"), list(WRONG))
def test_kpi_matches_the_chain(center, kpi):
    """Busy signals, abandonment, waits, callbacks (and redials): the chain's."""
    assert_agrees(f"{center} {kpi}", simulated(center)[kpi].to_numpy(),
                  getattr(chain(center), kpi),
                  wrong=[getattr(chain(center, w), kpi) for w in WRONG[center, kpi]])
