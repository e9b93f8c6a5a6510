"""How the floor routes: which groups answer which queues, when, and which shortcuts apply.

The floor's queues (:class:`~sim.floor_state.QueueState`, one per contact type) and agent
groups' state (:class:`~sim.floor_state.GroupState`), built from the scenario's routing and
skills: the groups that may answer a contact on arrival, the overflow steps, each group's
skill levels and backlog.
It also sets the engine's fast paths, with the condition under which each is exact
written here, in one place (``fast_paths=False`` switches them all off, and the records
must not change: the tests check it).
"""

from __future__ import annotations

from sim.floor_state import GroupState, QueueState
from sim.routed import AgentSpeeds
from sim.scenario_contacts import Channel


def route_floor(floor, fast_paths: bool, has_policy: bool, root_key: int) -> None:
    """Give ``floor`` its queues, groups, routing and fast-path flags (see the module doc)."""
    scenario = floor.scenario
    floor.groups = [GroupState(i) for i in range(len(floor.group_names))]
    floor.types = [QueueState() for _ in floor.type_names]
    floor.callback_offered = [p.callback_accept > 0 for p in floor.plans]
    floor.duplicated = [p.duplicate > 0 for p in floor.plans]
    floor.timed_abandon = [p.retrial is not None for p in floor.plans]
    # the fast paths, and the conditions under which each is exact (all written here;
    # ``fast_paths=False`` switches them off, and the records must not change)
    fast = fast_paths
    # a routing policy decides who answers: no shortcut past it (sim/routed.py)
    fast_routing = fast and not has_policy
    # trunk lines are a telephone resource: only phone contacts take them
    floor.takes_line = [floor.lines is not None and ct.channel is Channel.PHONE
                       for ct in scenario.contact_types.values()]
    floor.plain_arrival = [fast and not line and p.ivr is None and not p.duplicate
                          for p, line in zip(floor.plans, floor.takes_line)]
    by_name = dict(zip(floor.group_names, floor.groups))
    floor.agent_speeds: list[AgentSpeeds | None] = [None] * len(floor.groups)
    for group, plan, spec in zip(floor.groups, floor.group_plans, scenario.agents.values()):
        # no escalation here and nothing after the talk of the type: one talk, done
        group.plain = [fast and plan.escalate is None and not p.after_talk
                       for p in floor.plans]
        group.slots = spec.concurrency
        group.slowdown = spec.concurrency_slowdown if spec.concurrency > 1 else 1.0
        if spec.speed != 1.0 or spec.speed_cv > 0:  # agent speeds (sim/routed.py)
            speeds = AgentSpeeds(root_key, floor.group_names[group.index], spec.speed,
                                 spec.speed_cv, group.slowdown)
            floor.agent_speeds[group.index] = speeds
            group.slowdown /= spec.speed
            if spec.speed_cv > 0:  # each agent its own: talks in the journey path
                group.factors = speeds
                group.plain = [False] * len(floor.plans)
    after_of: dict[tuple[int, int], float] = {}
    for t_index, t_name in enumerate(floor.type_names):
        ct = floor.types[t_index]
        for step in scenario.routes(t_name):
            group = by_name[step.group]
            after_of[(t_index, group.index)] = step.after
            if step.after <= 0.0:
                ct.immediate.append(group)
            else:
                ct.overflow.append((step.after, group))
    for g_name, group in by_name.items():
        spec = scenario.agents[g_name]
        backlog = set(spec.blending.backlog) if spec.blending else set()
        group.reserve = spec.blending.reserve if spec.blending else 0
        skills = spec.skills
        for priority in sorted(set(skills.values())):
            level = [
                (floor.types[t].queue, after_of[(t, group.index)])
                for t, t_name in enumerate(floor.type_names)
                if skills.get(t_name) == priority and (t, group.index) in after_of
                and t_name not in backlog
            ]
            if level:
                group.levels.append(level)
        if (fast_routing and len(group.levels) == 1 and len(group.levels[0]) == 1
                and not backlog):
            queue, after = group.levels[0][0]
            group.single = queue if after <= 0.0 else None
        for t, t_name in enumerate(floor.type_names):
            if t_name in backlog and (t, group.index) in after_of:
                group.backlog.append((floor.types[t].queue, after_of[(t, group.index)]))
                floor.types[t].backlog_of.add(group.index)
    for ct in floor.types:
        if (fast_routing and len(ct.immediate) == 1
                and ct.immediate[0].index not in ct.backlog_of):
            ct.only = ct.immediate[0]
