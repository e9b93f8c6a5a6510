"""The floor wired as the routing table says: its queues, groups, and shortcuts.

The floor's queues (:class:`~sim.floor_state.QueueState`, one per contact type) and agent
groups' state (:class:`~sim.floor_state.GroupState`) are built from the compiled routing
(:class:`sim.routing_table.RoutingTable`): the groups that may answer a contact on
arrival, the overflow steps, each group's skill levels and backlog, and the fast-path
flags (their conditions are written in :mod:`sim.routing_table`, in one place).
"""

from __future__ import annotations

from sim.floor_state import GroupState, QueueState
from sim.routed import AgentSpeeds


def route_floor(floor, table, root_key: int) -> None:
    """Give ``floor`` its queues, groups, routing and fast-path flags from ``table``."""
    floor.routing_table = table
    floor.groups = [GroupState(i) for i in range(len(floor.group_names))]
    floor.types = [QueueState() for _ in floor.type_names]
    floor.callback_offered = [p.callback_accept > 0 for p in floor.plans]
    floor.duplicated = [p.duplicate > 0 for p in floor.plans]
    floor.timed_abandon = [p.retrial is not None for p in floor.plans]
    floor.takes_line = list(table.takes_line)
    floor.plain_arrival = list(table.plain_arrival)
    floor.plain_misroute = table.plain_misroute
    groups, queues = floor.groups, [ct.queue for ct in floor.types]
    floor.agent_speeds: list[AgentSpeeds | None] = [None] * len(groups)
    floor.agent_identity = []  # by agent number: (its group's name, its seat) (sim.workforce)
    for group, spec in zip(groups, floor.scenario.agents.values()):
        g = group.index
        group.plain = list(table.plain_talk[g])
        group.slots = spec.concurrency
        group.slowdown = spec.concurrency_slowdown if spec.concurrency > 1 else 1.0
        if spec.speed != 1.0 or spec.speed_cv > 0:  # agent speeds (sim/routed.py)
            speeds = AgentSpeeds(root_key, floor.group_names[g], spec.speed, spec.speed_cv,
                                 group.slowdown, floor.agent_identity)
            floor.agent_speeds[g] = speeds
            group.slowdown /= spec.speed
            if spec.speed_cv > 0:  # each agent its own (no plain talk: see the table)
                group.factors = speeds
        group.reserve = table.reserve[g]
        group.levels = [[(queues[t], after) for t, after in level] for level in table.levels[g]]
        group.backlog = [(queues[t], after) for t, after in table.backlog[g]]
        if table.single[g] is not None:
            group.single = queues[table.single[g]]
    for t, ct in enumerate(floor.types):
        ct.immediate = [groups[g] for g in table.immediate[t]]
        ct.overflow = [(after, groups[g]) for after, g in table.overflow[t]]
        ct.backlog_of = set(table.backlog_of[t])
        if table.only[t] is not None:
            ct.only = groups[table.only[t]]
