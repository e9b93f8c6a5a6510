"""The floor: contact types' queues and agent groups, and the steps that match them.

Think of a call center floor. Contacts arrive and join the queue of their contact type;
agents, whenever they are free, pull the longest-waiting contact among their skills (best
skill priority first). An arriving contact that finds an eligible agent idle goes straight
to the one idle longest. A group listed later in a contact type's routing with
``after: 60s`` may take the contact once it has waited 60 s (overflow). Customers abandon
when their patience runs out; with ``lines`` set, a call that finds every trunk line busy
gets a busy signal (blocked).

Built for speed (see README, "Speed"): a plain call costs two SimPy events, its arrival
and the end of its talk, each handled by a callback; no process per contact, no ``AnyOf``,
no event to wake an idle agent (the arrival hands the contact to it). Abandonment is
*lazy* and exact: a FCFS queue is only looked at when an agent takes from it, and a
contact whose deadline has passed by then abandoned at its deadline. Real timeouts only
where something must happen then (an overflow, a retrial after abandoning, a hang-up on hold).

:class:`Floor` binds the contacts' columns (:class:`sim.contacts.ContactBook`) and the
compiled plans; its routing comes from :mod:`sim.floor_routing`. Journeys (:mod:`sim.legs`)
and shifts (:mod:`sim.workforce`) are attached after it is built. Hooks (a routing policy,
balking, real-time rules) replace some of its steps on the instance, looked up at each use.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from functools import partial

import simpy
from simpy.events import NORMAL

from sim import keyed
from sim.callback_offer import offer_callback
from sim.first_leg import first_transfers
from sim.floor_state import GroupState, oldest_due, overflow_due, take
from sim.journey import PLAIN, PLAIN_IF_QUIET
from sim.leg_steps import leg_steps
from sim.legs import ABANDONED_LEG, CUSTOMER, RETRIAL
from sim.misroute_legs import misroute_legs
from sim.records import ABANDONED, ANSWERED, BLOCKED, HUNG_UP, WAITING
from sim.requeue import patience_again
from sim.second_leg import second_legs
from sim.third_legs import third_leg_numbers
from sim.ticks import Tick, scheduler
from sim.wrap_up import talked_then_wrap

INF = math.inf


class Floor:
    """Queues and agents of one replication, and the steps that match contacts to agents.

    Args:
        scenario: The validated scenario (routing, lines, agent groups).
        env: The replication's SimPy environment.
        book: The contacts' columns (bound here as attributes: the same arrays).
        plans: Compiled contact types (:func:`sim.journey.compile_types`).
        group_plans: Compiled agent groups (:func:`sim.journey.compile_groups`).
        record_legs: Whether legs are recorded (handoffs or extra work items exist).
        after_call: After-call work (:mod:`sim.wrap_up`), or None.
    """

    def __init__(self, scenario, env: simpy.Environment, book, plans, group_plans,
                 record_legs: bool, after_call):
        vars(self).update(book.columns())
        self.scenario, self.env = scenario, env
        self.lines = scenario.lines
        self.type_names = list(scenario.contact_types)
        self.group_names = list(scenario.agents)
        self.plans, self.group_plans = plans, group_plans
        self.record_legs, self.after_call = record_legs, after_call
        self.in_system = 0  # phone calls on trunk lines
        self.deadline_heap: list[tuple[float, int]] = []  # with lines: (deadline, contact)
        self.at, self.sleep = scheduler(env)  # light timeouts (sim/ticks.py)
        self.events, self.event_ids = env._queue, env._eid  # (for _serve's, inlined)
        # the drawn contacts' IVR times' numbers, worked out at once (sim.contacts)
        self.n_drawn, self.ivr_times = book.n_drawn, book.first_numbers.get(keyed.IVR_TIME)
        self.third_legs = third_leg_numbers(book, plans)  # (and a 3rd: sim.third_legs)
        self.patience_again = patience_again(self, book)  # in a queue after the first

    def attach(self, journeys, shifts) -> None:
        """The parts the floor hands work to: journeys, and the shifts agents leave with."""
        self.journeys, self.shifts = journeys, shifts
        # the steps of every plain call, bound here once (they are not hooked)
        self._complete, self._record_leg = journeys._complete, journeys._record_leg
        self._leave_ivr = journeys._leave_ivr
        self.misroute_talk = misroute_legs(self, journeys)  # (sim.misroute_legs)
        self.warm_waiters = journeys.warm_waiters  # the same dict
        self.add_leg, self.pack_leg = journeys.add_leg, journeys.pack_leg  # (a leg's row)
        self.start_leg = leg_steps(journeys)  # a journey's leg (sim.leg_steps)
        self.second_leg = second_legs(self, journeys)  # or None (sim.second_leg)
        self.first_transfer = first_transfers(self, journeys)  # or None (sim.first_leg)
        # by contact: its first leg neither consults nor is transferred (a plain talk where
        # the routing table says PLAIN_IF_QUIET): drawn contacts' here, a comeback's when
        # it takes over its numbers (ContactBook.adopt); 0 for every other contact
        if any(PLAIN_IF_QUIET in group.plain for group in self.groups):
            quiet = journeys.quiet_first_legs()
            self.quiet[:len(quiet)] = quiet
        self.on_talked = (self._talked if self.after_call is None
                          else partial(talked_then_wrap, self))
        self.talked_step = (self.on_talked,)  # a plain talk's tick's callbacks (_serve)

    def _arrive(self, c: int, now: float) -> None:
        """A customer contact arrives: busy signal, the IVR, or straight to its queue."""
        if self.takes_line[self.ctype[c]]:
            self._expire_waiting(now)
            if self.in_system >= self.lines:
                self.state[c] = BLOCKED
                self.end[c] = now
                plan = self.plans[self.ctype[c]]
                if plan.retrial is not None:
                    self.journeys._come_back(c, plan.retrial, RETRIAL, now)
                return
            self.in_system += 1
            self.on_line[c] = 1
        if self.duplicated[self.ctype[c]]:
            self.journeys._answer_twice(c, now)
        ivr = self.plans[self.ctype[c]].ivr
        if ivr is not None:
            menu = ivr.time(self.ivr_times[c] if self.numbered[c]  # ContactBook.first_numbers
                            else keyed.uniform(self.key[c], keyed.IVR_TIME))
            self.at(menu, self._leave_ivr, c)
            return
        self._enqueue(c, self.ctype[c], now)

    def _enqueue(self, c: int, q: int, now: float, patience: float | None = None,
                 priority: bool = False) -> None:
        """Contact ``c`` joins queue ``q`` (or goes straight to the longest-idle agent)."""
        self.qtype[c] = q
        self.enq[c] = now
        queued = self.queued[c]
        self.queued[c] = queued + 1
        if patience is None and queued:  # a new patience for every queue after the first
            patience = self.patience_again(c, self.ctype[c], queued)
        ct = self.types[q]
        best = ct.only
        if best is not None:  # one group answers on arrival, and not as a backlog
            if not best.idle:
                best = None
        else:
            best_since = INF
            for group in ct.immediate:
                idle = group.idle
                if idle and idle[0][0] < best_since and (
                        group.index not in ct.backlog_of or len(idle) > group.reserve):
                    best, best_since = group, idle[0][0]
        if best is not None:
            _, agent_id = best.idle.popleft()
            if queued:
                self._answer(c, best, agent_id, now)
            else:  # _answer for a contact never queued before (inlined: 6% of a plain call)
                self.answer[c] = now
                self.wait[c] = 0.0
                self.state[c] = ANSWERED
                self.group[c] = best.index
                self.agent[c] = agent_id
            self._serve(c, best, agent_id)
            return
        # it waits
        self.state[c] = WAITING
        if patience is None:
            patience = self.patience[c]
        deadline = self.deadline[c] = now + patience
        if self.on_line[c] and deadline < INF:
            heapq.heappush(self.deadline_heap, (deadline, c))
        if (self.callback_offered[self.ctype[c]] and not queued
                and self.kind[c] == CUSTOMER and offer_callback(self, c, ct)):
            deadline = INF
            target = self.plans[self.ctype[c]].callback_queue
            if target is not None:  # wait in the callback queue instead
                self._enqueue(c, target, now, patience=INF)
                return
        if priority:
            ct.queue.appendleft(c)
        else:
            ct.queue.append(c)
        if self.shifts.closed_groups and ct.immediate:  # after closing: who takes it?
            # once this instant's other events are done (an agent finishing one may take it)
            self.at(0.0, partial(self.shifts._recall, c, ct.immediate, now))
        for after, group in ct.overflow:
            self.at(after, partial(self._overflow, c, group, now))
        if deadline < INF and self.timed_abandon[self.ctype[c]]:
            self.at(patience, partial(self._deadline, c, now))

    def _deadline(self, c: int, entered: float, _event: simpy.Event) -> None:
        """A real abandonment event (only where a retrial must start at that moment)."""
        if self.state[c] == WAITING and self.enq[c] == entered:
            self._abandon(c, self.env.now)

    def _overflow(self, c: int, group: GroupState, entered: float, _event: simpy.Event) -> None:
        """Contact ``c`` has waited long enough for ``group``: give it to an idle agent."""
        if group.draining and not group.idle:  # closed: one who went home comes back for it
            self.shifts._recall(c, [group], entered, _event)
        while self._overflow_one(c, group, entered):
            pass

    def _overflow_one(self, c: int, group: GroupState, entered: float) -> bool:
        """An idle agent takes ``c``, or one ahead that waited as long (True: ``c`` waits on)."""
        at = overflow_due(self, c, group, entered)
        if at < 0:
            return False
        taken = take(self.types[self.qtype[c]].queue, at)
        _, agent_id = group.idle.popleft()
        self._answer(taken, group, agent_id, self.env.now)
        self._serve(taken, group, agent_id)
        return taken != c

    def _answer(self, c: int, group: GroupState, agent_id: int, now: float) -> None:
        waited = now - self.enq[c]
        answered = self.answer[c]  # (one read: a column's item is a new float each time)
        first = answered != answered  # NaN: first answer
        if first:
            self.answer[c] = now
            self.wait[c] = waited
        if not (first and self.callback[c]):  # waiting for a call back is not on the phone
            self.queue_time[c] += waited  # (a called-back caller transferred on is)
        self.state[c] = ANSWERED
        self.group[c] = group.index
        self.agent[c] = agent_id
        if self.warm_waiters:
            waiter = self.warm_waiters.pop(c, None)
            if waiter is not None:  # the first agent, on the line until now (sim.leg_steps)
                self.at(0.0, *waiter)

    def _purge(self, queue: deque[int], now: float) -> None:
        """Drop contacts at the head of ``queue`` that abandoned (lazily, at their deadline)."""
        deadline, state = self.deadline, self.state
        while queue:
            c = queue[0]
            if state[c] == WAITING:
                at = deadline[c]
                if at > now:
                    return
                self._abandon(queue.popleft(), at)
            else:
                queue.popleft()

    def _abandon(self, c: int, at: float, on_hold: bool = False) -> None:
        """The customer hung up at ``at`` (in a queue, or on hold if ``on_hold``).

        Abandoned if no agent had answered it yet; else hung up (on hold, or waiting
        again after a transfer): an answered contact, not counted as abandoned.
        """
        answered = self.answer[c]
        fresh = answered != answered and not on_hold  # (NaN: never answered)
        self.state[c] = ABANDONED if fresh else HUNG_UP
        self.end[c] = at
        if not on_hold:  # self._stop_waiting(c, at), written out: a call fewer an abandonment
            entered = self.enq[c]
            waited = at - entered
            if not (fresh and self.callback[c]):  # a call back's: none
                self.queue_time[c] += waited
            first = self.wait[c]
            if first != first:  # NaN: never waited before
                self.wait[c] = waited
            if self.record_legs:  # _record_leg(c, nan, ABANDONED_LEG, ended=at), written out
                self.add_leg(self.pack_leg(c, self.qtype[c], entered, math.nan, at, -1, -1,
                                           0.0, ABANDONED_LEG, 0.0))
        if self.kind[c] != CUSTOMER:
            return
        if self.on_line[c]:  # (checked here: most hold none, and the call costs)
            self._release_line(c)
        plan = self.plans[self.ctype[c]]
        if plan.complaint is not None:
            self.journeys._maybe_complain(c, plan.complaint)
        if plan.retrial is not None:
            self.journeys._come_back(c, plan.retrial, RETRIAL, at)

    def _expire_waiting(self, now: float) -> None:
        """With trunk lines, free the lines of every caller whose patience ran out by ``now``."""
        heap, state, deadline = self.deadline_heap, self.state, self.deadline
        while heap and heap[0][0] <= now:
            due, c = heapq.heappop(heap)
            if state[c] == WAITING and deadline[c] == due:
                self._abandon(c, due)

    def _pull(self, group: GroupState, now: float) -> int:
        """The contact a free agent of ``group`` takes next, or -1 if none is eligible.

        Skills by priority; then the backlog, if enough other agents are idle.
        """
        state, deadline = self.state, self.deadline
        queue = group.single
        if queue is not None:  # one skill, nothing else: its head, if still waiting
            if queue:
                head = queue[0]
                if state[head] != WAITING or deadline[head] <= now:
                    self._purge(queue, now)
                if queue:
                    return queue.popleft()
            return -1
        enq = self.enq
        levels = group.levels
        if group.backlog and len(group.idle) >= group.reserve:
            levels = [*levels, group.backlog]
        for level in levels:
            for queue, _after in level:
                if queue and (state[queue[0]] != WAITING or deadline[queue[0]] <= now):
                    self._purge(queue, now)
            queue, at = oldest_due(level, now, enq, state, deadline)
            if queue is not None:
                return take(queue, at)
        return -1

    def _release_line(self, c: int) -> None:
        """The customer is no longer on a trunk line (ended, or hung up for a callback)."""
        if self.on_line[c]:
            self.on_line[c] = 0
            self.in_system -= 1

    def _stop_waiting(self, c: int, at: float) -> None:
        """``c`` stops waiting unanswered at ``at``: its queue time, first wait (as _abandon)."""
        waited = at - self.enq[c]
        if not self.callback[c] or self.answer[c] == self.answer[c]:  # a call back's: none
            self.queue_time[c] += waited
        first = self.wait[c]
        if first != first:  # NaN: never waited before
            self.wait[c] = waited

    def _serve(self, c: int, group: GroupState, agent_id: int) -> None:
        """Agent ``agent_id`` of ``group`` has just answered ``c``: talk, then take more work.

        A plain contact (one queue, one talk) costs one SimPy event, the end of the talk,
        whose callback finds the agent's next work. So does a fresh contact whose first
        leg, its drawn numbers say, neither consults nor is handed on (``PLAIN_IF_QUIET``).
        Shorter paths serve a cold transfer's first leg (:mod:`sim.first_leg`), a misroute's
        and a last leg (:mod:`sim.second_leg`); any other is a chain of :mod:`sim.leg_steps`.
        """
        q = self.qtype[c]
        plain = group.plain[q]
        served = self.served_legs[c]  # (read once: a journey's contact is served again)
        if served:  # (sim.second_leg: a numbered contact's second leg, if nothing can follow)
            if not (plain and served == 1 and self.second_leg is not None
                    and self.second_leg(c, q, group, agent_id)):
                self.start_leg(c, group, agent_id)
        elif self.misrouted[c]:  # the wrong queue's short talk, without a leg's steps
            if self.plain_misroute:
                self.misroute_talk(c, q, group, agent_id)
            else:
                self.start_leg(c, group, agent_id)
        elif plain and not (self.kind[c] or self.ctype[c] != q):  # (a callback elsewhere)
            if plain == PLAIN or self.quiet[c]:  # one talk, done: never served again
                length = self.talk[c] = self.handle[c] * group.slowdown
                tick = object.__new__(Tick)  # self.at(length, self.on_talked, c), inlined
                tick.callbacks, tick._value = self.talked_step, c
                heapq.heappush(self.events, (self.env._now + length, NORMAL,
                                             next(self.event_ids), tick))
            elif self.first_transfer is None or not self.first_transfer(c, q, group, agent_id):
                self.start_leg(c, group, agent_id)  # (sim.first_leg: a cold transfer)
        else:
            self.start_leg(c, group, agent_id)

    def _talked(self, event: simpy.Event) -> None:
        """A plain contact's talk (recorded when it began) ended; the agent takes more work."""
        c = event._value  # the contact given to the timeout (`.value` would cost 2.5% here)
        group = self.groups[self.group[c]]  # (its leg: its columns at the end, sim.leg_table)
        self._complete(c, group, False)
        self._next_work(group, self.agent[c])

    def _next_work(self, group: GroupState, agent_id: int) -> None:
        """A free agent takes the next contact, goes idle, or leaves if told to.

        Never in the middle of a call: an agent above the group's target leaves after it;
        at closing, agents serve the contacts already waiting, and go home when nothing
        they may take is left.
        """
        if group.present > group.target and not group.draining:
            self.shifts._leave(group, agent_id)
            return
        now = self.env._now  # (`.now` is a property: a call)
        c = self._pull(group, now)
        if c >= 0:
            self._answer(c, group, agent_id, now)
            self._serve(c, group, agent_id)
        elif group.present > group.target:  # nothing to do: goes home (at closing too)
            self.shifts._leave(group, agent_id)
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
            self._serve(c, group, agent_id)

    def _pull_backlog(self, group: GroupState, now: float) -> int:
        for queue, _after in group.backlog:
            self._purge(queue, now)
        queue, at = oldest_due(group.backlog, now, self.enq, self.state, self.deadline)
        return take(queue, at) if queue is not None else -1
