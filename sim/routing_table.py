"""Routing table: who may answer what, when and at which priority, compiled once.

Think of the sheet pinned above a contact center's router: for each contact type, the
groups that pick up at once, the groups that take over once a caller has waited so long
(overflow), and the groups that only work it when nothing else waits (a blending
backlog); for each agent group, its skills by priority. Everything on that sheet follows
from the scenario before the first call arrives, so it is worked out here, once and
purely (no SimPy, no numpy), and the engine, the metrics and the staffing read the same
sheet instead of working routing out again each in its own way.

:func:`compile_routing` turns a :class:`~sim.scenario.Scenario` into a frozen
:class:`RoutingTable`. Contact types and agent groups are numbered in scenario order,
and every entry is by index:

Per contact type ``t``:

- ``serving[t]``: every group in the type's routing, in routing order (``routing:``, or
  the groups with the skill in scenario order): the groups whose agents' time counts for
  the type's occupancy;
- ``immediate[t]``: the groups that may answer on arrival (routing steps without
  ``after``), in routing order;
- ``overflow[t]``: ``(after seconds, group)`` of the steps with a delay: a group that may
  take the contact once it has waited that long;
- ``backlog_of[t]``: the groups that work the type as a blending backlog;
- ``first_line[t]``: the groups that share the type's load in the staffing's Erlang
  starting point: the immediate ones, or the first step's group if every step has a
  delay (validation lets a group appear once in a type's routing).

Per agent group ``g``:

- ``levels[g]``: its skills by priority (best first), each level a tuple of
  ``(type, after)``, types in scenario order, without its backlog types; ``after`` is the
  type's overflow delay for the group (of its last routing step for the group);
- ``priorities[g]``: the skill priority of each level (1 is served first);
- ``backlog[g]``: ``(type, after)`` of its blending backlog, worked after every level and
  only while ``reserve[g]`` other agents of the group stay idle.

``gated`` holds the ``(type, group)`` pairs a real-time rule opens (``then: overflow``):
routed, but closed until the rule holds (:mod:`sim.rules`).

The engine's fast paths are named flags, each with the condition under which it is
exact, all written in :func:`_fast_paths` (``fast_paths=False`` switches them all off,
and the records must not change; ``policy=True``, a routing policy deciding who answers,
switches off those that go past the routing):

- ``plain_arrival[t]``: an arrival goes straight to its queue (no trunk line, IVR or
  second answer);
- ``plain_talk[g][t]``: one talk, done (no escalation, no per-agent speeds, no cap):
  always (``PLAIN``), or where the contact's first-leg numbers say it neither consults
  nor is transferred (``PLAIN_IF_QUIET``), else never (``LEGS``; :mod:`sim.journey`);
- ``plain_misroute``: a call the IVR misrouted has its short talk in the wrong queue
  and goes back to its own without a leg's steps (no leg has after-call work);
- ``single[g]``: the one queue (type) a group takes from, when it is one skill without
  delay, backlog or rule; else None;
- ``only[t]``: the one group that answers on arrival, when it does not as a backlog and no
  rule changes the type's routing; else None.

And two facts the engine reads per contact, decided here too: ``takes_line[t]`` (a phone
contact takes a trunk line, when ``lines`` is set) and ``resolve[t]`` (whether a contact's
resolution needs a draw, i.e. is not certain).

The metrics and the staffing take their table from :func:`routing_table`, which keeps one
per scenario object for as long as that object lives.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # sim.scenario and sim.journey load numpy; the table needs neither
    from sim.journey import GroupPlan, TypePlan
    from sim.scenario import Scenario

Step = tuple[int, float]  # (contact type, after seconds) of a group's skill


@dataclass(frozen=True)
class RoutingTable:
    """Routing of one scenario by index (see the module docstring for each entry)."""

    type_names: tuple[str, ...]
    group_names: tuple[str, ...]
    # per contact type
    serving: tuple[tuple[int, ...], ...]
    immediate: tuple[tuple[int, ...], ...]
    overflow: tuple[tuple[tuple[float, int], ...], ...]
    backlog_of: tuple[frozenset[int], ...]
    first_line: tuple[tuple[int, ...], ...]
    # per agent group
    levels: tuple[tuple[tuple[Step, ...], ...], ...]
    priorities: tuple[tuple[int, ...], ...]
    backlog: tuple[tuple[Step, ...], ...]
    reserve: tuple[int, ...]
    # (type, group) pairs a real-time rule opens
    gated: frozenset[tuple[int, int]]
    # the engine's fast paths and per-contact facts (see _fast_paths)
    takes_line: tuple[bool, ...]
    resolve: tuple[bool, ...]
    plain_arrival: tuple[bool, ...]
    plain_talk: tuple[tuple[int, ...], ...]  # [group][type]: LEGS, PLAIN, PLAIN_IF_QUIET
    plain_misroute: bool
    single: tuple[int | None, ...]
    only: tuple[int | None, ...]

    def type_index(self, name: str) -> int | None:
        """The contact type's index, or None if the scenario has no such type."""
        try:
            return self.type_names.index(name)
        except ValueError:
            return None


def compile_routing(scenario: Scenario, *, fast_paths: bool = True, policy: bool = False,
                    plans: Sequence[TypePlan] | None = None,
                    group_plans: Sequence[GroupPlan] | None = None) -> RoutingTable:
    """The routing table of a validated scenario.

    Args:
        scenario: The scenario (validated: every routed group exists and has the skill).
        fast_paths: False switches every fast-path flag off.
        policy: Whether a routing policy decides who answers (:mod:`sim.routing`): then
            no fast path goes past the routing (``single`` and ``only`` are None).
        plans: The contact types' journey plans (:func:`sim.journey.compile_types`), if
            already compiled; compiled here otherwise.
        group_plans: The groups' plans (:func:`sim.journey.compile_groups`), likewise.
    """
    if plans is None or group_plans is None:
        from sim.journey import compile_groups, compile_types  # loads numpy: only if needed
        plans = compile_types(scenario) if plans is None else plans
        group_plans = compile_groups(scenario) if group_plans is None else group_plans
    types = tuple(scenario.contact_types)
    groups = tuple(scenario.agents)
    t_index = {name: t for t, name in enumerate(types)}
    g_index = {name: g for g, name in enumerate(groups)}
    routes = [[(g_index[s.group], s.after) for s in scenario.routes(name)] for name in types]
    after_of = {(t, g): after for t, steps in enumerate(routes) for g, after in steps}
    immediate = tuple(tuple(g for g, after in steps if after <= 0.0) for steps in routes)

    levels, priorities, backlog, reserve = [], [], [], []
    backlog_of: list[set[int]] = [set() for _ in types]
    for g, spec in enumerate(scenario.agents.values()):
        blending = spec.blending
        kept = {t_index[name] for name in blending.backlog} if blending else set()
        reserve.append(blending.reserve if blending else 0)
        mine, ranks = [], []
        for priority in sorted(set(spec.skills.values())):
            level = tuple((t, after_of[(t, g)]) for t, name in enumerate(types)
                          if spec.skills.get(name) == priority and (t, g) in after_of
                          and t not in kept)
            if level:  # a priority whose skills are all unrouted or backlog: no level
                mine.append(level)
                ranks.append(priority)
        levels.append(tuple(mine))
        priorities.append(tuple(ranks))
        backlog.append(tuple((t, after_of[(t, g)]) for t in range(len(types))
                             if t in kept and (t, g) in after_of))
        for t, _ in backlog[-1]:
            backlog_of[t].add(g)

    gated = frozenset((t_index[name], g_index[rule.then.overflow.group])
                      for rule in scenario.rules.values() if rule.then.overflow is not None
                      for name in rule.then.overflow.types)
    table = dict(
        type_names=types, group_names=groups,
        serving=tuple(tuple(g for g, _ in steps) for steps in routes),
        immediate=immediate,
        overflow=tuple(tuple((after, g) for g, after in steps if after > 0.0)
                       for steps in routes),
        backlog_of=tuple(frozenset(s) for s in backlog_of),
        first_line=tuple(first or (steps[0][0],) for first, steps in zip(immediate, routes)),
        levels=tuple(levels), priorities=tuple(priorities), backlog=tuple(backlog),
        reserve=tuple(reserve), gated=gated)
    return RoutingTable(**table, **_fast_paths(scenario, table, plans, group_plans,
                                               fast_paths, policy))


def _fast_paths(scenario: Scenario, table: dict, plans: Sequence[TypePlan],
                group_plans: Sequence[GroupPlan], fast: bool, policy: bool) -> dict:
    """The fast-path flags and the per-contact facts, each with its condition (one place)."""
    from sim.scenario import Channel  # loaded already: the caller holds a Scenario

    # a routing policy decides who answers: no shortcut past it (sim/routed.py)
    fast_routing = fast and not policy
    # trunk lines are a telephone resource: only phone contacts take them
    takes_line = tuple(scenario.lines is not None and ct.channel is Channel.PHONE
                       for ct in scenario.contact_types.values())
    # a resolution needs a draw unless it is certain whatever group answers
    least_factor = min((g.resolution_factor for g in group_plans), default=1.0)
    resolve = tuple(plan.least_resolution * least_factor < 1.0 for plan in plans)
    # straight to the queue: no trunk line to take, no IVR menu, no second answer
    plain_arrival = tuple(fast and not line and p.ivr is None and not p.duplicate
                          for p, line in zip(plans, takes_line))
    # one talk, done: no escalation by the group, one speed for the whole group (agents
    # of their own speed talk in the journey path), and by the type (TypePlan.first_talk)
    plain_talk = tuple(
        tuple(p.first_talk if fast and plan.escalate is None and spec.speed_cv == 0 else 0
              for p in plans)
        for plan, spec in zip(group_plans, scenario.agents.values()))
    # a misrouted call's short talk, then its own queue (sim.misroute_legs):
    # nothing of a leg's steps but the talk, unless a leg may be followed by a wrap-up
    plain_misroute = fast and all(p.wrap_up is None for p in plans)
    # routing a rule changes while the run goes on: the fixed shortcuts do not hold
    rule_types = {t for t, _ in table["gated"]}
    rule_groups = {g for _, g in table["gated"]}
    # the group takes from one queue: one skill level of one type without delay, no
    # backlog (blending) and no rule opening a type to it
    single = []
    for g, (levels, spec) in enumerate(zip(table["levels"], scenario.agents.values())):
        one = (fast_routing and len(levels) == 1 and len(levels[0]) == 1
               and spec.blending is None and g not in rule_groups and levels[0][0][1] <= 0.0)
        single.append(levels[0][0][0] if one else None)
    # one group answers on arrival, not as a backlog (no reserve to keep), no rule on it
    only = tuple(
        immediate[0] if (fast_routing and len(immediate) == 1 and t not in rule_types
                         and immediate[0] not in table["backlog_of"][t]) else None
        for t, immediate in enumerate(table["immediate"]))
    return dict(takes_line=takes_line, resolve=resolve, plain_arrival=plain_arrival,
                plain_talk=plain_talk, plain_misroute=plain_misroute, single=tuple(single),
                only=only)


_tables: dict[int, tuple[weakref.ref, RoutingTable]] = {}


def routing_table(scenario: Scenario) -> RoutingTable:
    """The scenario's table with every fast path on, compiled once per scenario object.

    The metrics and the staffing ask for it once per contact type and replication; a
    scenario is frozen, so its table holds for as long as the object lives (the entry
    goes with it: no table is ever handed to another scenario that got the same id).
    """
    key = id(scenario)
    entry = _tables.get(key)
    if entry is not None and entry[0]() is scenario:
        return entry[1]
    table = compile_routing(scenario)

    def _forget(ref: weakref.ref, key: int = key) -> None:
        if _tables.get(key, (None,))[0] is ref:
            del _tables[key]

    _tables[key] = (weakref.ref(scenario, _forget), table)
    return table
