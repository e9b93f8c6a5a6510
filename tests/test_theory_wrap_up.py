"""After-call work and trunk lines against the exact Markov chain of the same center.

4 agents round the clock, Poisson calls, exponential talk (mean 3 min), after-call work
(mean 1 min) and patience (mean 5 min). README: wrap-up keeps the agent from taking work
and counts in occupancy; the customer has gone, so the trunk line is free when the talk
ends. The chain (:class:`markov_floor.WrapUpCenter`, no ccsim code) has the state
(agents talking, agents wrapping up, callers waiting); it is first checked against
closed forms (Pollaczek-Khinchine for one agent, Erlang A with a vanishing wrap-up).

Two centers: 50 calls an hour without lines (service level, P(wait), abandonment, mean
wait, occupancy), and 60 an hour on 6 trunk lines (busy signals too). Each runs 20
replications of 2 days after a 2-hour warm-up; tolerances are those of
``tests/test_theory.py`` (3 Student-t 95% half-widths over the replications, about 6
standard errors: not tuned), and each check shows it tells the chain from a nearby
wrong one: wrap-up not holding the agent (Erlang A on talk alone), one agent more or
fewer, occupancy counting talk alone, the line held through the wrap-up.

And a call keeps its trunk line through the IVR menu (:class:`markov_floor.IvrLines`:
7 lines, 4 agents, an exponential 1-minute menu solving 20% of calls, no wrap-up),
against the wrong model of a line free while the caller is in the menu.
"""

import functools
import math

import numpy as np
import pytest
from helpers import assert_agrees
from markov_floor import IvrLines, WrapUpCenter

import sim
from sim import erlang

AGENTS, TALK, WRAP, PATIENCE, THRESHOLD = 4, 180.0, 60.0, 300.0, 20.0
WARMUP = 7200.0
CENTERS = {"no_lines": (50 / 3600, math.inf), "lines": (60 / 3600, 6)}  # (rate, lines)


def scenario(rate: float, lines: float) -> sim.Scenario:
    data = {"name": "wrap-up", "days": 2, "interval": "1h", "warmup": WARMUP,
            "service_level": {"threshold": THRESHOLD, "target": 0.8},
            "contact_types": {"calls": {
                "arrivals": {"rate": f"{rate * 3600:g}/h"},
                "handle": {"dist": "exponential", "mean": TALK},
                "wrap_up": {"dist": "exponential", "mean": WRAP},
                "patience": {"dist": "exponential", "mean": PATIENCE}}},
            "agents": {"pool": {"skills": ["calls"], "staff": AGENTS}}}
    if lines < math.inf:
        data["lines"] = lines
    return sim.scenario_from_dict(data)


class TestChain:
    """The chain reproduces the closed forms it generalises."""

    def test_one_agent_is_pollaczek_khinchine(self):
        """One agent, nobody hangs up: M/G/1 with service talk + wrap-up (two exponentials).

        E[S^2] = Var + mean^2 = talk^2 + wrap^2 + (talk + wrap)^2; Wq = lambda E[S^2] /
        (2 (1 - rho)); P(wait) = rho (Kleinrock, Queueing Systems I, eq. 5.72).
        """
        lam = 1 / 600
        got = WrapUpCenter(lam, TALK, WRAP, 1, max_queue=200).solve(THRESHOLD)
        rho, second = lam * (TALK + WRAP), TALK**2 + WRAP**2 + (TALK + WRAP) ** 2
        assert got.cut < 1e-12
        assert got.mean_wait == pytest.approx(lam * second / (2 * (1 - rho)), rel=1e-9)
        assert got.p_wait == pytest.approx(rho, rel=1e-9)
        assert got.occupancy == pytest.approx(rho, rel=1e-9)

    def test_vanishing_wrap_up_is_erlang_a(self):
        """A 0.1 s wrap-up: Erlang A on the talk alone, to within its 0.1 s."""
        rate = CENTERS["no_lines"][0]
        got = WrapUpCenter(rate, TALK, 0.1, AGENTS, PATIENCE).solve(THRESHOLD)
        want = erlang.erlang_a_metrics(rate, TALK, AGENTS, PATIENCE, THRESHOLD)
        for kpi in ("abandon_rate", "mean_wait", "service_level", "p_wait"):
            assert getattr(got, kpi) == pytest.approx(getattr(want, kpi), rel=3e-3), kpi


@functools.cache
def case(center: str):
    """(one row per replication with ``p_wait``, the chain, the wrong chains by name)."""
    rate, lines = CENTERS[center]
    result = sim.run(scenario(rate, lines), seed=41, replications=20)
    contacts = result.contacts[(result.contacts["arrival"] >= WARMUP)
                               & ~result.contacts["blocked"]]
    waited = contacts.groupby("replication")["wait"].apply(lambda w: (w > 0).mean())
    table = result.replications.assign(p_wait=waited.to_numpy())

    def chain(**change):
        kw = {"arrival_rate": rate, "talk": TALK, "wrap_up": WRAP, "agents": AGENTS,
              "patience": PATIENCE, "lines": lines, **change}
        return WrapUpCenter(**kw).solve(THRESHOLD)

    right = chain()
    assert right.cut < 1e-9, "the chain's queue is cut too short to be exact here"
    wrong = {"fewer": chain(agents=AGENTS - 1), "more": chain(agents=AGENTS + 1)}
    if lines < math.inf:
        wrong |= {"line_until_free": chain(line_until_free=True),
                  "fewer_lines": chain(lines=lines - 1), "more_lines": chain(lines=lines + 1)}
    else:
        wrong["talk_only"] = erlang.erlang_a_metrics(rate, TALK, AGENTS, PATIENCE, THRESHOLD)
    return table, right, wrong


QUEUE_KPIS = ("service_level", "p_wait", "abandon_rate", "mean_wait")
CHECKS = ([("no_lines", k, ("talk_only", "fewer", "more")) for k in QUEUE_KPIS]
          + [("lines", k, ("line_until_free",)) for k in QUEUE_KPIS]
          + [("lines", "block_rate", ("line_until_free", "fewer_lines", "more_lines"))])


@pytest.mark.parametrize(("center", "kpi", "against"), CHECKS)
def test_kpi_matches_the_chain(center, kpi, against):
    """Each KPI agrees with the chain, not with the wrong models named."""
    table, right, wrong = case(center)
    assert_agrees(f"{center} {kpi}", table[kpi].to_numpy(), getattr(right, kpi),
                  wrong=[getattr(wrong[w], kpi) for w in against])


@pytest.mark.parametrize("center", list(CENTERS))
def test_occupancy_counts_the_wrap_up(center):
    """Occupancy: agents talking or wrapping up / agents (README), not talking alone."""
    table, right, _ = case(center)
    assert_agrees(f"{center} occupancy", table["occupancy"].to_numpy(), right.occupancy,
                  wrong=[right.talking])
    assert np.all(table["aht"] < TALK + WRAP / 2)  # AHT is the talk: wrap-up left out


@functools.cache
def menu_case():
    """(KPIs per replication, the chain, the chain of a line free in the menu)."""
    rate, menu, solved, lines = 70 / 3600, 60.0, 0.2, 7
    result = sim.run(sim.scenario_from_dict({
        "name": "menu", "days": 2, "interval": "1h", "warmup": WARMUP, "lines": lines,
        "contact_types": {"calls": {
            "arrivals": {"rate": f"{rate * 3600:g}/h"},
            "handle": {"dist": "exponential", "mean": TALK},
            "patience": {"dist": "exponential", "mean": PATIENCE},
            "ivr": {"time": {"dist": "exponential", "mean": menu}, "self_service": solved}}},
        "agents": {"pool": {"skills": ["calls"], "staff": AGENTS}}}), seed=46, replications=20)
    right, wrong = (IvrLines(rate, menu, solved, TALK, PATIENCE, AGENTS, lines, held).solve()
                    for held in (True, False))
    return result.replications, right, wrong


@pytest.mark.parametrize("kpi", ["block_rate", "abandon_rate", "mean_wait"])
def test_line_held_through_the_menu(kpi):
    """Busy signals, abandonment and waits: the chain's, not with lines free in the menu."""
    table, right, wrong = menu_case()
    assert_agrees(f"menu {kpi}", table[kpi].to_numpy(), right[kpi], wrong=[wrong[kpi]])
