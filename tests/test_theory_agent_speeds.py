"""Agents with their own speeds (``speed_cv``) against each replication's exact Markov chain.

3 agents round the clock, Poisson calls, exponential handle times and patience; each
agent talks handle / its own speed, the group's ``speed`` x a lognormal factor of mean 1
and cv 0.5 keyed by the replication, the group's name and the agent's number (README,
"Routing policies"). An arriving call goes to the agent idle longest, so which agent
answers depends on the order they went idle: the chain
(:class:`markov_floor.OwnSpeeds`, no ccsim code) keeps that order. The speeds are the
run's inputs, drawn as the engine draws them (:class:`sim.routed.AgentSpeeds`; the talks
recorded show them: each agent's mean talk is handle / its speed), and differ from one
replication to the next, so each replication is checked against its own chain: the mean
over 20 replications (2 days after 2 hours) of simulated - chain must be within 3
Student-t 95% half-widths of 0 (``tests/test_theory.py``'s tolerance, not tuned), and
the chain of every agent at the group's speed (``speed_cv`` left out) must fall outside.
"""

import functools

import numpy as np
import pytest
from helpers import assert_agrees
from markov_floor import OwnSpeeds

import sim
from sim import keyed
from sim.routed import AgentSpeeds

AGENTS, HANDLE, PATIENCE, RATE, SPEED, CV, SEED, REPLICATIONS = (
    3, 240.0, 180.0, 36 / 3600, 1.0, 0.5, 45, 20)


def speeds(replication: int) -> tuple[float, ...]:
    # one group: agent k is its k-th seat (sim.workforce.Shifts._new_agent_id)
    drawn = AgentSpeeds(keyed.root(SEED, replication), "pool", SPEED, CV, 1.0,
                        identity=[("pool", k) for k in range(AGENTS)])
    return tuple(drawn.speed_of(agent) for agent in range(AGENTS))


@functools.cache
def case():
    """(KPIs per replication, each replication's chain, the chains at the group's speed)."""
    result = sim.run(sim.scenario_from_dict({
        "name": "own speeds", "days": 2, "interval": "1h", "warmup": "2h",
        "contact_types": {"calls": {
            "arrivals": {"rate": f"{RATE * 3600:g}/h"},
            "handle": {"dist": "exponential", "mean": HANDLE},
            "patience": {"dist": "exponential", "mean": PATIENCE}}},
        "agents": {"pool": {"skills": ["calls"], "staff": AGENTS, "speed": SPEED,
                            "speed_cv": CV}}}), seed=SEED, replications=REPLICATIONS)
    chains = [OwnSpeeds(RATE, HANDLE, PATIENCE, speeds(r)).solve() for r in range(REPLICATIONS)]
    assert max(c["cut"] for c in chains) < 1e-9
    nominal = OwnSpeeds(RATE, HANDLE, PATIENCE, (SPEED,) * AGENTS).solve()
    return result, chains, nominal


def test_talks_are_at_each_agents_speed():
    """Each agent's mean talk in replication 0 is handle / its speed (4 standard errors)."""
    result, _, _ = case()
    contacts = result.contacts
    answered = contacts[(contacts["replication"] == 0) & contacts["answered"]]
    for agent, speed in enumerate(speeds(0)):
        talk = answered.loc[answered["agent"] == agent, "handle"]
        error = talk.std() / np.sqrt(talk.size)
        assert abs(talk.mean() - HANDLE / speed) <= 4 * error, (agent, talk.mean(), speed)


@pytest.mark.parametrize("kpi", ["mean_wait", "abandon_rate", "occupancy"])
def test_kpi_matches_each_replications_chain(kpi):
    """Simulated - chain, over replications: 0, not the gap to agents at the group's speed."""
    result, chains, nominal = case()
    simulated = result.replications[kpi].to_numpy()
    own = np.array([c[kpi] for c in chains])
    assert_agrees(f"{kpi}: simulated - chain", simulated - own, 0.0,
                  wrong=[float(np.mean(nominal[kpi] - own))])
