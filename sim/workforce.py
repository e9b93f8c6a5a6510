"""Workforce: agents coming on and off duty, taking work, going home.

A free agent takes the longest-waiting eligible contact, or goes idle (an entry in its
group's idle queue, which an arriving contact takes at once: no event). Serving a plain
contact is one SimPy timeout, the talk, whose callback ends the contact and finds the
agent's next work; a contact with a journey (:mod:`sim.legs`) is served by a SimPy
process. The staffing process of each group follows its schedule (:mod:`sim.schedule`):
it brings agents on duty, sends idle ones home when the count drops, and lets busy ones
finish their call first; at closing time idle agents go home, busy ones serve what is
still waiting for them first, and one comes back if work arrives for a group that has
left (a transfer or consult of a call that was in progress at closing). A group may
work a backlog only while a reserve of its agents stays idle. This
is a mixin of the engine's replication (:class:`sim.engine._Replication`), which owns
the queues and the record arrays. What the floor looks like over time is sampled apart,
by the observer (:mod:`sim.observer`).
"""

from __future__ import annotations

from collections import deque

import simpy
from simpy.events import URGENT

from sim.legs import COMPLETED, INF
from sim.records import WAITING
from sim.schedule import StaffChange


class StaffStep(simpy.Event):
    """A staffing change's timeout: processed before the other events of its instant.

    SimPy's ``URGENT`` priority (as its own process start): agents come and go before the
    calls that arrive or end at that very moment, so an arrival at opening time finds the
    agents there, and a call ending when the shift does is the agent's last.
    """

    def __init__(self, env: simpy.Environment, delay: float):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT, delay)


class GroupState:
    """Engine state of one agent group: who is on duty, idle, and what they may take."""

    __slots__ = ("backlog", "draining", "extra", "factors", "free_ids", "idle", "index",
                 "levels", "on_call", "plain", "present", "reserve", "single", "slots",
                 "slowdown", "target")

    def __init__(self, index: int):
        self.index = index
        self.levels: list[list[tuple[deque[int], float]]] = []  # skill queues by priority
        self.single: deque[int] | None = None  # the only queue, when one skill without delay
        self.idle: deque[tuple[float, int]] = deque()  # (idle since, agent id)
        self.present = 0  # agents on duty (busy, idle, or finishing before leaving)
        self.target = 0
        self.draining = False
        self.on_call = 0  # agents (slots) on duty at closing, who come back if needed
        self.free_ids: list[int] = []
        self.plain: list[bool] = []  # by queue: one talk ends a fresh customer contact
        self.slots = 1  # contacts an agent handles at once; counts below are in slots
        self.slowdown = 1.0  # handle-time multiplier when handling several at once
        self.factors: dict[int, float] | None = None  # agent -> multiplier, if agents differ
        self.backlog: list[tuple[deque[int], float]] = []  # worked when nothing else waits
        self.reserve = 0  # idle agents kept for inbound while working the backlog
        self.extra = 0  # agents (slots) a real-time rule adds or takes (sim.rules), not at night


class Workforce:
    """Engine steps for agents (mixed into the engine's replication)."""

    def _start_agent(self, group: GroupState, agent_id: int) -> None:
        """An agent comes on duty: takes waiting work or is idle at once (same instant)."""
        now = self.env.now
        c = self._pull(group, now)
        if c >= 0:
            self._answer(c, group, agent_id, now)
            self._serve(c, group, agent_id)
        else:
            group.idle.append((now, agent_id))
        if group.backlog:
            self._feed_backlog(group)

    def _serve(self, c: int, group: GroupState, agent_id: int, handed: bool = False) -> None:
        """Agent ``agent_id`` of ``group`` has just answered ``c``: talk, then take more work.

        A plain contact (one queue, one talk) costs one SimPy event, the end of the talk,
        whose callback finds the agent's next work; a journey runs as a process. A contact
        ``handed`` to an idle agent (on arrival, by overflow, from a backlog) starts its
        journey after the events already due at this instant, so that journeys begun at
        the same instant draw their random numbers in a fixed order.
        """
        q = self.qtype[c]
        if group.plain[q] and not (self.served_legs[c] or self.kind[c] or self.misrouted[c]
                                   or self.ctype[c] != q):  # a callback in another queue
            # one talk and the contact is done: it is never served again
            length = self.talk[c] = self.handle[c] * group.slowdown
            self.at(length, self.on_talked, c)
        elif handed:
            start = self.env.event()
            start.succeed()
            self.env.process(self._serve_journey(c, group, agent_id, start))
        else:
            self.env.process(self._serve_journey(c, group, agent_id))

    def _talked(self, event: simpy.Event) -> None:
        """A plain contact's talk (recorded when it began) ended; the agent takes more work."""
        c = event._value  # the contact given to the timeout (`.value` would cost 2.5% here)
        group = self.groups[self.group[c]]
        if self.record_legs:
            self._record_leg(c, self.answer[c], COMPLETED)  # answered when the talk began
        self._complete(c, group, False)
        self._next_work(group, self.agent[c])

    def _serve_journey(self, c: int, group: GroupState, agent_id: int,
                       start: simpy.Event | None = None):
        """Serve a journey (after ``start``, if given), then take the next work."""
        if start is not None:
            yield start
        wrap = yield from self._journey(c, group, agent_id)
        if wrap > 0.0:  # after-call work (sim.wrap_up): busy, the customer gone
            yield self.sleep(wrap)
        self._next_work(group, agent_id)

    def _next_work(self, group: GroupState, agent_id: int) -> None:
        """A free agent takes the next contact, goes idle, or leaves if told to.

        Never in the middle of a call: an agent above the group's target leaves after it;
        at closing, agents serve the contacts already waiting, and go home when nothing
        they may take is left.
        """
        if group.present > group.target and not group.draining:
            self._leave(group, agent_id)
            return
        now = self.env.now
        c = self._pull(group, now)
        if c >= 0:
            self._answer(c, group, agent_id, now)
            self._serve(c, group, agent_id)
        elif group.present > group.target:  # nothing to do: goes home (at closing too)
            self._leave(group, agent_id)
        else:
            group.idle.append((now, agent_id))
            if group.backlog:
                self._feed_backlog(group)

    def _feed_backlog(self, group: GroupState) -> None:
        """More agents idle than the reserve: the most recently idle take backlog work."""
        now = self.env.now
        while len(group.idle) > group.reserve:
            c = self._pull_backlog(group, now)
            if c < 0:
                return
            _, agent_id = group.idle.pop()
            self._answer(c, group, agent_id, now)
            self._serve(c, group, agent_id, handed=True)

    def _pull_backlog(self, group: GroupState, now: float) -> int:
        best_queue, best_since = None, INF
        for queue, after in group.backlog:
            self._purge(queue, now)
            if queue and self.enq[queue[0]] < best_since and self.enq[queue[0]] + after <= now:
                best_queue, best_since = queue, self.enq[queue[0]]
        return best_queue.popleft() if best_queue is not None else -1

    def _done(self) -> None:
        """A customer contact has ended (left the IVR, a queue or an agent for good)."""
        self.active -= 1

    def _recall(self, c: int, groups: list[GroupState], entered: float,
                _event: simpy.Event) -> None:
        """After closing, work came for groups that went home: one agent comes back for it.

        A contact that is still in the center at closing (in the IVR, or being transferred,
        escalated or consulted about) may need a group whose agents went home, as they
        would have stayed for it; one of them comes back (never more than were on duty at
        closing), and its time counts as time on duty, as any agent's finishing work after
        closing does. Not while a group that may take it is still on its schedule, nor
        if an agent who became free at that instant took it.
        """
        if self.state[c] != WAITING or self.enq[c] != entered:
            return
        for group in groups:
            if not group.draining:
                return
        for group in groups:
            if group.present < group.on_call:
                break
        else:
            return
        agent_id = group.free_ids.pop() if group.free_ids else self._new_agent_id()
        group.present += 1
        self._log_staff(group)
        self._start_agent(group, agent_id)
        self._send_home_idle(group)  # it could not take the work after all (a reserve)

    def _send_home_idle(self, group: GroupState) -> None:
        while group.present > group.target and group.idle:
            _, agent_id = group.idle.pop()
            self._leave(group, agent_id)

    def _leave(self, group: GroupState, agent_id: int) -> None:
        group.present -= 1
        group.free_ids.append(agent_id)
        self._log_staff(group)

    def _log_staff(self, group: GroupState) -> None:
        times, groups, counts = self.staff_log
        times.append(self.env.now)
        groups.append(group.index)
        counts.append(group.present)

    def _staffing(self, group: GroupState, changes: list[StaffChange]):
        env = self.env
        for change in changes:
            if change.time > env.now:
                yield StaffStep(env, change.time - env.now)
            self.closed_groups += change.drain - group.draining
            if change.drain:
                group.on_call = group.target  # who may come back for work after closing
            group.target, group.draining = change.count * group.slots, change.drain
            if group.extra and not change.drain:  # rules' moves and overtime (sim.rules)
                group.target = max(group.target + group.extra, 0)
            while group.present < group.target:
                agent_id = group.free_ids.pop() if group.free_ids else self._new_agent_id()
                group.present += 1
                self._log_staff(group)
                self._start_agent(group, agent_id)
            self._send_home_idle(group)  # idle agents go home, at closing too

    def _new_agent_id(self) -> int:
        self.next_agent_id += 1
        return self.next_agent_id - 1
