"""Real-time rules against their exact Markov chains: an overflow group, callback offers.

Rules on the number waiting, with exponential times, make Markov chains (no ccsim code).
The rules left out: ``oldest_wait`` and ``service_level`` rules watch a time or a
window's outcomes (not Markov in the counts), ``idle_agents`` would be one but adds
nothing the queue's rules do not, and ``move`` is checked in ``tests/test_rules.py``
(``TestBirthDeathChain``); ``overtime`` lasts a fixed ``length`` (not exponential).

**Overflow** (README "Real-time rules"). 2 agents (``pool``) answer the calls round the
clock, 38 an hour, exponential handle times (3 min) and patience (5 min). A rule opens
the calls to 1 agent of ``back`` while the queue is long: on when 3 wait, off when none
does. Off, ``back`` takes no new call (one in hand is finished); on, its idle agent
takes the head of the queue at once and calls as they come. The chain's state is (busy
``pool`` agents, busy ``back`` agents, callers waiting, rule on). While the rule is on
somebody waits, so no agent is idle and no arrival chooses between the groups (the
engine's longest-idle choice, which the state does not know, never arises). The queue is
cut at 40 (its mass checked negligible). Checks: abandonment, mean wait and the share of
the offered that ``back`` answered, told from the rule on at 2 or 4 waiting, clearing at
1 (not for the mean wait, 2 half-widths off), ``back`` never or always open.

**Callbacks**: 2 agents, 24 calls an hour, the same times; callbacks (``threshold`` 1 s:
whenever a caller must wait; half accept) are offered only while at least 2 wait (a rule
``callbacks: {offer: true}`` without ``clear_at``: off as soon as fewer wait). A callback
waits in the queue (``queue_length`` counts it) and keeps its place, so the rule offers
when n >= 2 callers wait ahead: :class:`markov.CallCenter` with that offer is the chain
(the queue of live callers and callbacks cut at 11, its mass checked under 1e-5).
Checks: abandonment, mean wait, callback rate and wait, told from the rule at 1 or 3,
callbacks always and never offered (where 3 half-widths part them).

Each center runs 2 days after a 2-hour warm-up, 60 replications (overflow) or 100. Tolerance:
``helpers.assert_agrees``, 3 Student-t 95% half-widths over the replications (not tuned).
"""

import functools

import pytest
from helpers import assert_agrees
from markov import CallCenter, stationary

import sim
from sim import erlang

POOL, BACK, AHT, PATIENCE, RATE = 2, 1, 180.0, 300.0, 38 / 3600
ON_AT, CLEAR_AT, MAX_QUEUE = 3, 0, 40


@functools.cache
def chain(on_at: int = ON_AT, clear_at: int = CLEAR_AT, back: int = BACK) -> dict:
    """Abandon rate, mean wait and share answered by ``back`` of the chain.

    The rule on when ``on_at`` wait (0: ``back`` always open, above the cut: never), off
    when ``clear_at`` do; ``back`` agents.
    """

    def look(b1, b2, n, on):  # the rule at the end of an instant; back's idle take work
        while True:
            if not on and n >= on_at:
                on = True
                took = min(back - b2, n)
                b2, n = b2 + took, n - took
            elif on and n <= clear_at and on_at > 0:
                on = False
            else:
                return b1, b2, n, on

    def transitions(state):
        b1, b2, n, on = state
        if b1 < POOL:
            arrival = (b1 + 1, b2, n, on)
        elif on and b2 < back:
            arrival = (b1, b2 + 1, n, on)
        else:
            arrival = (b1, b2, min(n + 1, MAX_QUEUE), on)
        return [(look(*arrival), RATE),
                (look(b1 - (n == 0), b2, max(n - 1, 0), on), b1 / AHT),
                (look(b1, b2 - (n == 0 or not on), n - (n > 0 and on), on), b2 / AHT),
                (look(b1, b2, n - 1, on), n / PATIENCE)]

    states, pi = stationary(look(0, 0, 0, False), transitions)
    waiting = sum(p * s[2] for s, p in zip(states, pi))
    full = sum(p for s, p in zip(states, pi) if s[2] == MAX_QUEUE)
    by_back = sum(p * s[1] for s, p in zip(states, pi)) / AHT
    return {"abandon_rate": waiting / PATIENCE / RATE, "mean_wait": waiting / RATE,
            "back_share": by_back / RATE, "edge": full}


SCENARIO = {
    "name": "overflow rule", "days": 2, "interval": "1h", "warmup": "2h",
    "contact_types": {"calls": {
        "arrivals": {"rate": f"{RATE * 3600:g}/h"},
        "handle": {"dist": "exponential", "mean": AHT},
        "patience": {"dist": "exponential", "mean": PATIENCE}}},
    "agents": {"pool": {"skills": ["calls"], "staff": POOL},
               "back": {"skills": ["calls"], "staff": BACK}},
    "routing": {"calls": ["pool", "back"]},
    "rules": {"long_queue": {"when": {"queue_length": "calls", "at_least": ON_AT,
                                      "clear_at": CLEAR_AT},
                             "then": {"overflow": {"group": "back", "types": ["calls"]}}}},
}


@functools.cache
def simulated():
    """One row per replication; ``back_share``: offered contacts ``back`` answered."""
    result = sim.run(sim.scenario_from_dict(SCENARIO), seed=71, replications=60)
    calls = result.contacts[result.contacts["arrival"] >= 7200.0]
    share = (calls["group"] == "back").groupby(calls["replication"]).mean()
    return result.replications.assign(back_share=share.to_numpy())  # (replication order)


class TestChain:
    def test_back_never_open_is_erlang_a(self):
        """The rule never on: Erlang A with the pool alone."""
        got, want = chain(MAX_QUEUE + 1), erlang.erlang_a_metrics(RATE, AHT, POOL, PATIENCE, 20)
        assert got["back_share"] == 0.0
        for kpi in ("abandon_rate", "mean_wait"):
            assert got[kpi] == pytest.approx(getattr(want, kpi), rel=1e-9), kpi

    def test_the_queue_cut_holds_no_mass(self):
        assert chain()["edge"] < 1e-12


NEAR = [(ON_AT - 1, CLEAR_AT), (ON_AT + 1, CLEAR_AT), (0, 0), (MAX_QUEUE + 1, CLEAR_AT)]
WRONG = {"abandon_rate": [*NEAR, (ON_AT, CLEAR_AT + 1)], "mean_wait": NEAR,
         "back_share": [*NEAR, (ON_AT, CLEAR_AT + 1)]}


@pytest.mark.parametrize("kpi", list(WRONG))
def test_kpi_matches_the_chain(kpi):
    """Abandonment, mean wait and the helper's share of the calls: the chain's."""
    assert_agrees(kpi, simulated()[kpi].to_numpy(), chain()[kpi],
                  wrong=[chain(*w)[kpi] for w in WRONG[kpi]])


CB_AGENTS, CB_RATE, CB_AT, ACCEPT = 2, 24 / 3600, 2, 0.5


@functools.cache
def callback_chain(at: int | None = CB_AT, max_queue: int = 10):
    """The KPIs with callbacks offered while ``at`` callers wait (None: never; 0: always)."""
    offer = (lambda n: False) if at is None else (lambda n: n >= at)
    return CallCenter(CB_RATE, AHT, CB_AGENTS, PATIENCE, accept=ACCEPT, offer=offer,
                      max_queue=max_queue).solve(20.0)


CALLBACKS = {
    "name": "callbacks rule", "days": 2, "interval": "1h", "warmup": "2h",
    "contact_types": {"calls": {
        "arrivals": {"rate": f"{CB_RATE * 3600:g}/h"},
        "handle": {"dist": "exponential", "mean": AHT},
        "patience": {"dist": "exponential", "mean": PATIENCE},
        "callback": {"threshold": 1, "accept": ACCEPT}}},
    "agents": {"pool": {"skills": ["calls"], "staff": CB_AGENTS}},
    "rules": {"busy": {"when": {"queue_length": "calls", "at_least": CB_AT},
                       "then": {"callbacks": {"types": ["calls"], "offer": True}}}},
}


@functools.cache
def callbacks_simulated():
    return sim.run(sim.scenario_from_dict(CALLBACKS), seed=73, replications=100).replications


def test_callback_chain_cut_holds_no_mass():
    """The queue cut at 11: under 1e-5 (the wrong chains' at 10: under 1e-4)."""
    got = callback_chain(CB_AT, 11)
    assert got.cut < 1e-5 and got.callback_rate > 0.02
    assert max(callback_chain(w).cut for w in (CB_AT - 1, CB_AT + 1, 0, None)) < 1e-4


CB_WRONG = {"abandon_rate": (CB_AT - 1, CB_AT + 1, None), "mean_wait": (CB_AT - 1, 0, None),
            "callback_rate": (CB_AT - 1, CB_AT + 1, 0), "callback_wait": (CB_AT - 1, 0)}


@pytest.mark.parametrize("kpi", list(CB_WRONG))
def test_callback_rule_matches_the_chain(kpi):
    """Abandonment, mean wait, callbacks taken and their wait: the chain's."""
    assert_agrees(kpi, callbacks_simulated()[kpi].to_numpy(),
                  getattr(callback_chain(CB_AT, 11), kpi),
                  wrong=[getattr(callback_chain(w), kpi) for w in CB_WRONG[kpi]])
