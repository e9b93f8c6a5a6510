"""Hypothesis strategies for real-time rules (``rules:``) that fit a random scenario.

:func:`ruled` adds one or two rules to a scenario dict drawn by :mod:`strategies`: each
watches one of the scenario's queues or groups and does one thing the scenario allows
(a move between two groups of concurrency 1, an overflow to a group in a type's routing,
callbacks of types that have them, or a call-in on overtime, sometimes longer than the
rest of the day).
"""

from __future__ import annotations

import copy

from hypothesis import reject
from hypothesis import strategies as st

import sim
from sim.loader import ScenarioError


def _when(draw, types: list[str], groups: list[str]) -> dict:
    """A rule's condition on one of ``types`` (or ``groups``, for idle agents)."""
    metric = draw(st.sampled_from(("queue_length", "oldest_wait", "service_level",
                                   "idle_agents")))
    when: dict = {metric: draw(st.sampled_from(groups if metric == "idle_agents" else types))}
    if metric == "service_level":
        when |= {"window": draw(st.sampled_from(("5m", "30m"))), "at_most": 0.6,
                 "clear_at": 0.8}
    elif metric == "oldest_wait":
        when |= {"at_least": draw(st.sampled_from((0, 30, 120))), "clear_at": 0}
        if when["at_least"] == 0:
            del when["clear_at"]
    else:
        on = draw(st.integers(1, 4))
        when |= {"at_least": on, "clear_at": draw(st.integers(0, on - 1))}
    return when


@st.composite
def ruled(draw, data: dict) -> dict:
    """The scenario ``data`` with one or two random rules that fit it."""
    data = copy.deepcopy(data)
    types, groups = list(data["contact_types"]), data["agents"]
    scenario = sim.scenario_from_dict(data)
    single = [g for g, spec in groups.items() if spec.get("concurrency", 1) == 1]
    # an overflow to a group that always serves the type too
    pairs = [(t, s.group) for t in types for s in scenario.routes(t)
             if len(scenario.routes(t)) > 1]
    called = [t for t, ct in data["contact_types"].items() if ct.get("callback")]
    rules = {}
    for k in range(draw(st.integers(1, 2))):
        # a call-in may outlast the day (it ends at closing) or run past midnight
        actions = [{"overtime": {"group": draw(st.sampled_from(list(groups))),
                                 "agents": draw(st.integers(1, 3)),
                                 "length": draw(st.sampled_from(("30m", "3h", "20h")))}}]
        if len(single) >= 2:
            a, b = draw(st.permutations(single))[:2]
            actions.append({"move": {"agents": draw(st.integers(1, 3)), "from": a, "to": b}})
        if pairs:
            t, g = draw(st.sampled_from(pairs))
            actions.append({"overflow": {"group": g, "types": [t]}})
        if called:
            actions.append({"callbacks": {"types": called, "offer": draw(st.booleans())}})
        rules[f"r{k}"] = {"when": _when(draw, types, list(groups)),
                          "then": draw(st.sampled_from(actions))}
    data["rules"] = rules
    try:  # two overflow rules may gate every group of a type: a scenario we refuse
        sim.scenario_from_dict(data)
    except ScenarioError:
        reject()
    return data
