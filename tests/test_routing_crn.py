"""A routing policy's overflow decisions are the contact's own (common random numbers).

When a contact has waited long enough to overflow to a group, an idle agent of that group
takes the first contact due in the queue: maybe one ahead of it, that waited as long
(:meth:`sim.floor.Floor._overflow_one`). The policy deciding must then be asked about
*that* contact: its wait, and its own keyed draw for this decision (purpose ``ROUTE``,
the overflow step of its queue entry and the group), not the draw and wait of the
contact whose delay happened to run out.

The policy here answers an overflow only for a draw of 0.5 or more, so contacts ahead
that it refused are often still waiting, due, when a later contact's delay runs out. Each
overflow answer it gives is logged and matched to the contact the agent answered.
"""

from __future__ import annotations

import numpy as np

import sim
from sim import keyed
from sim.contacts import identities
from sim.engine import run_replication
from sim.routed import OVERFLOW_STEP, PULL_STEP, ROUTE

FRONT, BACK = 0, 1  # the groups' indexes


class OverflowOnDraw:
    """Longest idle agent; on overflow, only for a contact whose draw is 0.5 or more."""

    def __init__(self) -> None:
        self.log: list[tuple[float, str, int, float, float]] = []

    def choose_agent(self, contact, agents, now):
        best = min(range(len(agents)), key=lambda i: agents[i].idle_since)
        if contact.waited > 0.0:  # an overflow
            if contact.draw < 0.5:
                return None
            agent = agents[best]
            self.log.append((now, agent.group, agent.agent, contact.waited, contact.draw))
        return best

    def choose_contact(self, agent, queues, now):
        return min(range(len(queues)), key=lambda i: (queues[i].priority, queues[i].since))


def scenario(staff: int = 2) -> sim.Scenario:
    """Calls answered by front, overflowing to back after 20 s; ``staff`` agents each."""
    return sim.scenario_from_dict({
        "name": "overflow draws", "days": 1, "open": "08:00", "close": "14:00",
        "interval": "1h",
        "contact_types": {"calls": {
            "arrivals": {"rate": "100/h"}, "handle": {"dist": "exponential", "mean": "2m"},
            "patience": {"dist": "exponential", "mean": "4m"}}},
        "agents": {"front": {"skills": ["calls"], "staff": staff},
                   "back": {"skills": ["calls"], "staff": staff}},
        "routing": {"calls": ["front", {"group": "back", "after": "20s"}]}})


def test_overflow_decision_is_the_answered_contacts_own():
    """Each overflow the policy allowed went to the contact it was told about.

    Not to one ahead of it, and not to nobody (a contact whose patience ran out, not yet
    noticed, is not asked about).
    """
    seed = 7
    policy = OverflowOnDraw()
    records = run_replication(scenario(), seed, policy=policy)
    # no retrials: every contact is its issue's first, the type's k-th arrival
    keys = keyed.issue_keys(keyed.root(seed, 0), identities("calls", False, records.n))
    step = OVERFLOW_STEP + 64 * 1 + BACK  # the first queue entry, overflowing to back
    draws = keyed.uniforms(keys, ROUTE, step)
    assert len(policy.log) > 50
    wrong = 0
    for now, group, agent, waited, draw in policy.log:
        assert group == "back"
        answered = np.flatnonzero((records.answer == now) & (records.group == BACK)
                                  & (records.agent == agent))
        wrong += not (len(answered) == 1 and records.wait[answered[0]] == waited
                      and draws[answered[0]] == draw)
    assert wrong == 0, f"{wrong} of {len(policy.log)} overflow answers went elsewhere"


class HeadDraws:
    """Longest idle agent; a free agent takes the oldest head, logging each head's draw."""

    def __init__(self) -> None:
        self.log: dict[float, float] = {}  # head's queue entry -> its draw

    def choose_agent(self, contact, agents, now):
        return min(range(len(agents)), key=lambda i: agents[i].idle_since)

    def choose_contact(self, agent, queues, now):
        for queue in queues:
            assert self.log.setdefault(queue.since, queue.draw) == queue.draw
        return min(range(len(queues)), key=lambda i: queues[i].since)


def test_a_free_agents_choice_has_each_heads_own_draw():
    """``WaitingQueue.draw`` is the head customer's keyed number, whatever the staffing.

    Before, ``choose_contact`` had no per-customer random number: a policy choosing a
    queue at random had to draw in event order, so one more agent gave every later
    customer another's luck (no common random numbers across staffing).
    """
    seed, logs = 7, []
    for staff in (1, 2):
        policy = HeadDraws()
        records = run_replication(scenario(staff), seed, policy=policy)
        keys = keyed.issue_keys(keyed.root(seed, 0), identities("calls", False, records.n))
        # the first queue entry of each customer, at its arrival (no IVR)
        draws = dict(zip(records.arrival, keyed.uniforms(keys, ROUTE, PULL_STEP + 1)))
        assert len(policy.log) > 20
        assert all(draws[since] == draw for since, draw in policy.log.items())
        logs.append(policy.log)
    shared = logs[0].keys() & logs[1].keys()
    assert len(shared) > 10 and all(logs[0][s] == logs[1][s] for s in shared)
