"""The floor's state: one record per agent group and one per contact type's queue.

Plain objects with slots, read and changed by the engine's parts (:mod:`sim.floor`,
:mod:`sim.workforce`, :mod:`sim.legs`, the hooks) and built by :mod:`sim.floor_routing`.
"""

from __future__ import annotations

from collections import deque


class GroupState:
    """Engine state of one agent group: who is on duty, idle, and what they may take."""

    __slots__ = ("backlog", "draining", "extra", "factors", "free_ids", "idle", "index",
                 "levels", "on_call", "owed", "plain", "present", "reserve", "scheduled",
                 "single", "slots", "slowdown", "target")

    def __init__(self, index: int):
        self.index = index
        self.levels: list[list[tuple[deque[int], float]]] = []  # skill queues by priority
        self.single: deque[int] | None = None  # the only queue, when one skill without delay
        self.idle: deque[tuple[float, int]] = deque()  # (idle since, agent id)
        self.present = 0  # agents on duty (busy, idle, or finishing before leaving)
        self.target = 0  # agents (slots) to be on duty: max(scheduled + extra, 0), by day
        self.scheduled = 0  # agents (slots) on the phones by the schedule now
        self.draining = False
        self.on_call = 0  # agents (slots) on duty at closing, who come back if needed
        self.free_ids: list[int] = []
        self.plain: list[int] = []  # by queue: one talk ends a fresh contact (routing_table)
        self.slots = 1  # contacts an agent handles at once; counts below are in slots
        self.slowdown = 1.0  # handle-time multiplier when handling several at once
        self.factors: dict[int, float] | None = None  # agent -> multiplier, if agents differ
        self.backlog: list[tuple[deque[int], float]] = []  # worked when nothing else waits
        self.reserve = 0  # idle agents kept for inbound while working the backlog
        self.extra = 0  # agents (slots) a real-time rule adds or takes (sim.rules), not at night
        # agents on duty here that a move owes another group (busy when it came on; they
        # go when free): they hold no place in this group's target (Shifts.fill)
        self.owed = 0

class QueueState:
    """Engine state of one contact type's queue."""

    __slots__ = ("backlog_of", "immediate", "only", "overflow", "queue")

    def __init__(self) -> None:
        self.queue: deque[int] = deque()
        self.backlog_of: set[int] = set()  # groups that work this queue as a backlog
        self.immediate: list[GroupState] = []  # groups that may answer on arrival
        self.only: GroupState | None = None  # the one such group, if it is not a backlog's
        self.overflow: list[tuple[float, GroupState]] = []  # (after seconds, group)
