"""Hypothesis strategies for real-time rules (``rules:``) that fit a random scenario.

:func:`ruled` adds one or two rules to a scenario dict drawn by :mod:`strategies`: each
watches one of the scenario's queues or groups and does one thing the scenario allows
(a move between two groups of concurrency 1, an overflow to a group in a type's routing,
callbacks of types that have them, or a call-in on overtime, sometimes longer than the
rest of the day). A quarter of the scenarios that allow a move get a move and a call-in
to its source (either listed first): rules drawn one by one seldom pair them.
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


def _overtime(draw, group: str) -> dict:
    """A call-in to ``group``: it may outlast the day (it ends at closing) or midnight."""
    return {"overtime": {"group": group, "agents": draw(st.integers(1, 3)),
                         "length": draw(st.sampled_from(("30m", "3h", "20h")))}}


def _move(draw, source: str, to: str) -> dict:
    """A move of 1 to 3 agents from ``source`` to ``to``."""
    return {"move": {"agents": draw(st.integers(1, 3)), "from": source, "to": to}}


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
    if len(single) >= 2 and draw(st.integers(0, 3)) == 0:
        # a move and a call-in to its source, either first: the move may ask for more
        # agents than the source has, and those called in must not fill the difference
        a, b = draw(st.permutations(single))[:2]
        pair = draw(st.permutations([_move(draw, a, b), _overtime(draw, a)]))
        for k, then in enumerate(pair):
            rules[f"r{k}"] = {"when": _when(draw, types, list(groups)), "then": then}
    for k in range(len(rules), draw(st.integers(1, 2))):
        actions = [_overtime(draw, draw(st.sampled_from(list(groups))))]
        if len(single) >= 2:
            a, b = draw(st.permutations(single))[:2]
            actions.append(_move(draw, a, b))
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
