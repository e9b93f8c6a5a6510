"""The floor's state: one record per agent group and one per contact type's queue.

Plain objects with slots, read and changed by the engine's parts (:mod:`sim.floor`,
:mod:`sim.workforce`, :mod:`sim.legs`, the hooks) and built by :mod:`sim.floor_routing`.
"""

from __future__ import annotations

import math
from collections import deque

from sim.records import WAITING

INF = math.inf


class GroupState:
    """Engine state of one agent group: who is on duty, idle, and what they may take."""

    __slots__ = ("backlog", "draining", "extra", "factors", "free_ids", "idle", "index",
                 "levels", "made", "on_call", "owed", "plain", "present", "reserve",
                 "scheduled", "single", "slots", "slowdown", "target")

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
        self.made = 0  # agents that came on duty here for the first time (their seats)
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

    def pace(self, agent_id: int) -> float:
        """How many times the drawn length the agent's talk takes (1 / speed, x slowdown)."""
        return self.slowdown if self.factors is None else self.factors[agent_id]


class QueueState:
    """Engine state of one contact type's queue."""

    __slots__ = ("backlog_of", "immediate", "only", "overflow", "queue")

    def __init__(self) -> None:
        self.queue: deque[int] = deque()
        self.backlog_of: set[int] = set()  # groups that work this queue as a backlog
        self.immediate: list[GroupState] = []  # groups that may answer on arrival
        self.only: GroupState | None = None  # the one such group, if it is not a backlog's
        self.overflow: list[tuple[float, GroupState]] = []  # (after seconds, group)

    def waiting(self, now: float, state, deadline, but: int = -1) -> int:
        """Contacts still waiting in the queue at ``now`` (but contact ``but``).

        Callers who hung up stay in the queue until an agent reaches them (lazy
        abandonment): those past their deadline are not counted, nor contacts gone.
        """
        return sum(1 for c in self.queue
                   if state[c] == WAITING and deadline[c] > now and c != but)

    def expected_wait(self, ahead: int, agent_time: float, talk: float = 0.0) -> float:
        """A planner's estimate of the wait, seconds, of a caller with ``ahead`` waiting before it.

        The callers ahead plus this one, times ``agent_time`` (the type's mean handle time
        and wrap-up, seconds), is the work to do before this caller's turn, shared by the
        agents on duty who may answer this caller within the estimate: those of the groups
        that answer at once from the start, and those of an overflow group (``after``)
        from its delay on, where each of its idle agents takes a caller at once (as an
        agent finishing a call would). With 2 agents at once and 2 busy ones after 60 s,
        4 callers' 60 s: 120 agent-seconds done by 60 s, the other 120 over 4 agents:
        90 s. Nobody on duty counts as one agent. A callback offer and an
        ``expected_wait`` announcement (balking) both use it.

        Agents count at their group's pace: ``talk`` (of ``agent_time``, the mean handle
        time) takes :attr:`GroupState.slowdown` times as long with them (1 / ``speed``, x
        ``concurrency_slowdown`` on a chat desk, whose agents count as their chat slots),
        so an agent at speed 2 counts as agent_time / (agent_time - talk / 2) agents. With
        every agent busy and nobody hanging up, the estimate is then Erlang C's mean wait
        of a caller with ``ahead`` before it.
        """
        work = (ahead + 1) * agent_time
        agents = sum(_paced(group, agent_time, talk) for group in self.immediate)
        if not self.overflow:
            return work / (agents or 1)
        start = 0.0  # the agents counted work together from then on
        for after, group in sorted(self.overflow, key=_delay):
            if group.present:
                if agents and start + work / agents <= after:
                    break  # done before this group may answer
                work -= agents * (after - start) + len(group.idle) * agent_time
                start, agents = after, agents + _paced(group, agent_time, talk)
                if work <= 0.0:
                    return start
        return start + work / (agents or 1)


def _paced(group: GroupState, agent_time: float, talk: float) -> float:
    """The group's agents on duty, each counted as agent_time / its own time per contact."""
    if group.slowdown == 1.0 or not talk:  # (as counted before: the very same numbers)
        return group.present
    return group.present * agent_time / (agent_time + talk * (group.slowdown - 1.0))


def _delay(step: tuple[float, GroupState]) -> float:
    return step[0]


def first_due(queue: deque[int], after: float, now: float, live_at: float,
              enq, state, deadline) -> int:
    """Where in ``queue`` the first contact is that has waited ``after`` seconds by ``now``.

    A queue is first come, first served but for transfers with ``priority``, put at its
    head (the newest first): from the head, the times of entry fall through those, then
    rise. The first contact due (``enq + after <= now``) in queue order is found by
    walking from the head, and the walk stops at a contact not due that entered later
    than the one before it: everyone behind it entered later still (transfers put at
    the head at one moment entered at the same time: the walk goes on past them).
    Contacts no longer waiting by ``live_at`` (gone, or past their patience, which the
    engine notices when they reach the head) are passed over.

    Args:
        queue: The queue's contacts, head first.
        after: The overflow delay of the group that takes, seconds.
        now: The moment the delay is counted to, seconds.
        live_at: The moment a contact must still be waiting at, seconds.
        enq: The contacts' times of entering their queue, seconds.
        state: The contacts' states.
        deadline: When each contact abandons, seconds.

    Returns:
        The position of that contact, or -1 if none is due.
    """
    last = INF
    for i, c in enumerate(queue):
        if state[c] != WAITING or deadline[c] <= live_at:
            continue
        since = enq[c]
        if since + after <= now:
            return i
        if since > last:
            return -1
        last = since
    return -1


def oldest_due(level: list[tuple[deque[int], float]], now: float, enq, state,
               deadline) -> tuple[deque[int] | None, int]:
    """The longest waiting contact due among queues of one skill level, by ``now``.

    Args:
        level: ``(queue, after)`` of each queue, its head still waiting (purged).
        now: The moment, seconds.
        enq: The contacts' times of entering their queue, seconds.
        state: The contacts' states.
        deadline: When each contact abandons, seconds.

    Returns:
        Its queue and its position there (see :func:`first_due`); ``(None, 0)``: none.
    """
    best_queue, best_at, best_since = None, 0, INF
    for queue, after in level:
        if queue:
            at = 0 if enq[queue[0]] + after <= now else first_due(
                queue, after, now, now, enq, state, deadline)
            if at >= 0 and enq[queue[at]] < best_since:
                best_queue, best_at, best_since = queue, at, enq[queue[at]]
    return best_queue, best_at


def overflow_due(floor, c: int, group: GroupState, entered: float) -> int:
    """Where in its queue the contact is that ``group`` takes on ``c``'s overflow, or -1.

    The first contact that has waited as long as ``c`` (maybe one ahead of it), once
    those who hung up are dropped from the head (``floor._purge``); -1 if ``c`` no longer
    waits from ``entered``, ``group`` has nobody idle, its idle agents are the reserve
    it keeps from this queue's backlog, or it no longer overflows from this queue (a
    rule's overflow that closed: it answered for its ``after`` delay after the rule). The
    engine's overflow takes that contact; under a routing policy (:mod:`sim.routed`) the
    policy is asked about it first.
    """
    ct = floor.types[floor.qtype[c]]
    if (floor.state[c] != WAITING or floor.enq[c] != entered or not group.idle or (
            group.index in ct.backlog_of and len(group.idle) <= group.reserve)
            or not any(open_ is group for _, open_ in ct.overflow)):
        # (the last: a rule's overflow closed since c joined; its timer was set then)
        return -1
    now = floor.env.now
    floor._purge(ct.queue, now)
    return first_due(ct.queue, 0.0, entered, now, floor.enq, floor.state, floor.deadline)


def take(queue: deque[int], at: int) -> int:
    """Remove and return the contact at position ``at`` of ``queue`` (0: its head)."""
    if at == 0:
        return queue.popleft()
    c = queue[at]
    del queue[at]
    return c
