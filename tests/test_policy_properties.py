"""A researcher's policy written from the README's table gives the built-in's very records.

README ("Routing policies") describes each built-in rule of ``routing_policy:`` in
words. :class:`FromTheReadme` is those words written as a user's policy, without
reading :mod:`sim.routing`; on random small scenarios (tests/strategies.py) with a
random built-in policy, the user's object (``policy=``) and the scenario's own
``routing_policy`` must record exactly the same replication (the same sweep on 1 and
2 workers under it: tests/test_sweep_properties.py).
"""

from __future__ import annotations

from hypothesis import event, given, reject
from hypothesis import strategies as st
from strategies import routing_policies, scenarios
from test_invariants import SETTINGS, record_differences, simulate

from sim.engine import run_replication
from sim.errors import PolicyError


class FromTheReadme:
    """The built-in rules as README words them (agent rule, contact rule, reserve).

    Args:
        spec: The scenario's ``routing_policy`` mapping (``agent``, ``contact``,
            ``reserve``), as a scenario file writes it.
    """

    def __init__(self, spec: dict):
        self.agent = spec.get("agent", "longest_idle")
        contact = spec.get("contact", "priority_fifo")
        self.weights: dict[str, float] = {}
        if isinstance(contact, dict):  # {weighted_wait: {vip: 2.0}}
            (contact, weights), = contact.items()
            self.weights = dict(weights or {})
        self.contact = contact
        reserve = spec.get("reserve", [])
        self.reserve = [reserve] if isinstance(reserve, dict) else list(reserve)

    def _kept_from(self, group: str, contact_type: str, free: int) -> bool:
        """Whether the reserve keeps this agent: others only while more than k are free."""
        return any(r["group"] == group and r["type"] != contact_type and free <= r["agents"]
                   for r in self.reserve)

    def choose_agent(self, contact, agents, now):
        allowed = [i for i, a in enumerate(agents)
                   if not self._kept_from(a.group, contact.contact_type, a.idle_in_group)]
        if not allowed:
            return None
        if self.agent == "random":  # keyed by the customer: its draw picks one
            return allowed[min(int(contact.draw * len(allowed)), len(allowed) - 1)]
        key = {"longest_idle": lambda a: (a.idle_since,),
               "fastest_first": lambda a: (-a.speed, a.idle_since),
               "least_skilled_first": lambda a: (a.skills, a.idle_since),
               "group_order": lambda a: (a.rank, a.idle_since)}[self.agent]
        return min(allowed, key=lambda i: key(agents[i]))

    def choose_contact(self, agent, queues, now):
        free = agent.idle_in_group + 1  # the others idle, and this one
        allowed = [i for i, q in enumerate(queues)
                   if not self._kept_from(agent.group, q.contact_type, free)]
        if not allowed:
            return None
        best = min(queues[i].priority for i in allowed)  # within the best skill priority
        allowed = [i for i in allowed if queues[i].priority == best]
        if self.contact == "longest_queue":
            return min(allowed, key=lambda i: (-queues[i].length, queues[i].since))
        if self.contact == "weighted_wait":
            return max(allowed, key=lambda i: (
                self.weights.get(queues[i].contact_type, 1.0) * (now - queues[i].since),
                -queues[i].since))
        return min(allowed, key=lambda i: queues[i].since)


@SETTINGS
@given(scenarios(), st.data(), st.integers(0, 10_000))
def test_the_readme_rules_as_a_users_policy_give_the_builtin_records(data, more, seed):
    """The user's object and the scenario's ``routing_policy`` record the same replication."""
    data = more.draw(routing_policies(data))
    scenario, builtin = simulate(data, seed, 0)
    event(f"agent {data['routing_policy']['agent']}")
    try:
        user = run_replication(scenario, seed, 0, policy=FromTheReadme(data["routing_policy"]))
    except PolicyError:
        reject()  # a reserve that declines every question: a user's policy is told so
    # ``never_chosen`` (result.declined) is said of a user's policy only (README)
    assert [d for d in record_differences(builtin, user) if d != "never_chosen"] == []
