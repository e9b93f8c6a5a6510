"""Engine: one replication of a scenario as a SimPy discrete-event simulation.

Think of a call center floor. Contacts arrive and join the queue of their contact type;
agents, whenever they are free, pull the longest-waiting contact among their skills (best
skill priority first). An arriving contact that finds an eligible agent idle goes straight
to the one idle longest. A group listed later in a contact type's routing with
``after: 60s`` may take the contact once it has waited 60 s (overflow). Customers abandon
when their patience runs out; with ``lines`` set, a call that finds every trunk line busy
gets a busy signal (blocked).

The engine is built for speed (see README, "Speed"): a plain call costs two SimPy events,
its arrival and the end of its talk, each handled by a callback; there is no process per
contact, no ``AnyOf``, and no event to wake an idle agent (the arrival hands the contact
to it). Abandonment is *lazy* and exact: a FCFS queue is only looked at when an agent
takes from it, and a contact whose deadline has passed by then abandoned at its deadline.
Real timeouts are scheduled only where something must happen at that moment (an
overflow, a retrial after abandoning, a hang-up on hold). Random numbers are drawn in
numpy blocks per stream, and records go to typed arrays; pandas is not used here.
Journeys (IVR, transfers, consults, repeat contacts: :mod:`sim.legs`) run as SimPy
processes, only for the contacts that have them.

The engine knows nothing of files or reports: :func:`run_replication` takes a
:class:`~sim.scenario.Scenario` and returns :class:`Records` (numpy columns).
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque
from functools import partial

import simpy

from sim import keyed
from sim.absence import group_absences
from sim.balking import BalkingDesk
from sim.contacts import ContactColumns, ContactDraws, draw_contacts
from sim.errors import SimulationError
from sim.journey import compile_groups, compile_types
from sim.legs import ABANDONED_LEG, CUSTOMER, RETRIAL, JourneySteps
from sim.observer import QueueTracer
from sim.records import ABANDONED, ANSWERED, BLOCKED, WAITING, Records
from sim.routed import AgentSpeeds, PolicyRouter
from sim.routing import RoutingPolicy, policy_for
from sim.routing_table import compile_routing
from sim.rules import RuleBook
from sim.scenario import Scenario
from sim.schedule import staff_changes, with_cooldown
from sim.ticks import run_events, scheduler
from sim.units import DAY, format_clock
from sim.workforce import GroupState, Workforce
from sim.wrap_up import AfterCall, talked_then_wrap

INF = math.inf
# Version of the engine's results: bumped by any change that alters the records of a
# scenario and seed (a fix, a new decision drawn), never by one that only makes the engine
# faster. Resumable sweeps refuse to mix results of different versions.
# 2: the end of a plain call is scheduled when it is answered, so where two events fall on
# exactly the same instant (constant handle times, hand-given arrivals) it may come first
# 3: journey decisions and durations keyed by the customer and step (not drawn in event
# order); only phone contacts take trunk lines; idle agents go home at closing; an
# abandoned leg ends when the customer hung up; a callback served from another type's
# queue keeps its own type's handle cap
RESULTS_VERSION = 3


class _Type:
    """Engine state of one contact type's queue."""

    __slots__ = ("backlog_of", "immediate", "only", "overflow", "queue")

    def __init__(self) -> None:
        self.queue: deque[int] = deque()
        self.backlog_of: set[int] = set()  # groups that work this queue as a backlog
        self.immediate: list[GroupState] = []  # groups that may answer on arrival
        self.only: GroupState | None = None  # the one such group, if it is not a backlog's
        self.overflow: list[tuple[float, GroupState]] = []  # (after seconds, group)


class _Replication(ContactColumns, JourneySteps, Workforce):
    """One run of the engine; holds the SimPy environment and the record columns."""

    def __init__(self, scenario: Scenario, draws: ContactDraws, seed: int, replication: int,
                 trace_every: float | None, fast_paths: bool = True,
                 policy: RoutingPolicy | None = None):
        self.env = simpy.Environment()
        self.fast_paths = fast_paths
        self.policy = policy_for(scenario, policy)  # None: the engine's own routing
        self.scenario = scenario
        self.lines = scenario.lines
        self.type_names = list(scenario.contact_types)
        self.group_names = list(scenario.agents)
        self.plans = compile_types(scenario)
        self.group_plans = compile_groups(scenario)
        # who may answer what, and the fast paths with their conditions (sim.routing_table)
        self.routing_table = compile_routing(scenario, fast_paths=fast_paths,
                                             policy=self.policy is not None, plans=self.plans,
                                             group_plans=self.group_plans)
        self.resolve = list(self.routing_table.resolve)  # a resolution needs a draw
        self.root_key = keyed.root(seed, replication)
        # the measured days and the cooldown after them; agents and opening hours go on
        self.run_end = scenario.days * DAY + scenario.cooldown
        self.calendar = with_cooldown(scenario)
        # legs differ from contacts only with handoffs or extra work items
        self.record_legs = any(p.ivr or p.transfer or p.consult or p.duplicate
                               for p in self.plans) or any(g.escalate for g in self.group_plans)
        self._load_contacts(draws)
        self._build_routing()
        if self.policy is not None:  # the general path: the policy decides (sim/routed.py)
            PolicyRouter(self, self.policy).install()
        self.staff_log: tuple[array, array, array] = (array("d"), array("h"), array("i"))
        self.next_agent_id = 0
        self.in_system = 0
        self.active = 0  # customer contacts in the IVR, a queue or with an agent
        self.closed_groups = 0  # groups sent home for the night (draining)
        self.deadline_heap: list[tuple[float, int]] = []
        self.warm_waiters: dict[int, simpy.Event] = {}
        self.conferences: dict[int, float] = {}  # three-way talk owed by the next agent
        self.consult_waiters: dict[int, simpy.Event] = {}
        self.legs = {name: array(code) for name, code in (
            ("contact", "i"), ("queue", "h"), ("enqueued", "d"), ("answered", "d"),
            ("ended", "d"), ("group", "h"), ("agent", "i"), ("hold", "d"), ("reason", "b"))}
        self.after_call = AfterCall.of(self.plans)  # None: no contact type has a wrap-up
        if self.after_call is not None:
            self.legs["wrap_up"] = array("d")
        self.trace_every = trace_every
        self.trace: dict[str, list[float]] = {}
        # the two events of a plain call, and their callbacks bound once
        self.timeout = partial(simpy.Timeout, self.env)
        self.at, self.sleep = scheduler(self.env)  # light timeouts (sim/ticks.py)
        arrivals = self._arrival_stream()
        self.on_arrival = arrivals.send
        next(arrivals)  # primed: waits for the first arrival's event
        self.on_talked = (self._talked if self.after_call is None
                          else partial(talked_then_wrap, self))
        # callers who may leave on arrival: a desk in front of the queues (sim.balking)
        self.balking = BalkingDesk(self) if any(p.balking for p in self.plans) else None
        # real-time rules hook into this replication's steps only when there are some
        self.rule_book = RuleBook(self) if scenario.rules else None

    def _build_routing(self) -> None:
        """The queues and groups of the run, wired as the routing table says."""
        table = self.routing_table
        self.groups = [GroupState(i) for i in range(len(self.group_names))]
        self.types = [_Type() for _ in self.type_names]
        self.callback_offered = [p.callback_accept > 0 for p in self.plans]
        self.duplicated = [p.duplicate > 0 for p in self.plans]
        self.timed_abandon = [p.retrial is not None for p in self.plans]
        self.takes_line = list(table.takes_line)
        self.plain_arrival = list(table.plain_arrival)
        groups, queues = self.groups, [ct.queue for ct in self.types]
        self.agent_speeds: list[AgentSpeeds | None] = [None] * len(groups)
        for group, spec in zip(groups, self.scenario.agents.values()):
            g = group.index
            group.plain = list(table.plain_talk[g])
            group.slots = spec.concurrency
            group.slowdown = spec.concurrency_slowdown if spec.concurrency > 1 else 1.0
            if spec.speed != 1.0 or spec.speed_cv > 0:  # agent speeds (sim/routed.py)
                speeds = AgentSpeeds(self.root_key, self.group_names[g], spec.speed,
                                     spec.speed_cv, group.slowdown)
                self.agent_speeds[g] = speeds
                group.slowdown /= spec.speed
                if spec.speed_cv > 0:  # each agent its own (no plain talk: see the table)
                    group.factors = speeds
            group.reserve = table.reserve[g]
            group.levels = [[(queues[t], after) for t, after in level]
                            for level in table.levels[g]]
            group.backlog = [(queues[t], after) for t, after in table.backlog[g]]
            if table.single[g] is not None:
                group.single = queues[table.single[g]]
        for t, ct in enumerate(self.types):
            ct.immediate = [groups[g] for g in table.immediate[t]]
            ct.overflow = [(after, groups[g]) for after, g in table.overflow[t]]
            ct.backlog_of = set(table.backlog_of[t])
            if table.only[t] is not None:
                ct.only = groups[table.only[t]]

    # ---- processes -------------------------------------------------------------------

    def run(self) -> Records:
        env = self.env
        for g_name, group in zip(self.group_names, self.groups):  # agents first, at opening
            spec = self.calendar.agents[g_name]
            absences = (group_absences(self.root_key, g_name, spec.absenteeism)
                        if spec.absenteeism > 0 else None)
            changes = staff_changes(self.calendar, spec, absences)
            env.process(self._staffing(group, changes))
        if self.n_drawn:  # started after the staffing processes, as every arrival
            env.process(self._doors_open())
        if self.trace_every:  # the observer: looks, never changes anything
            tracer = QueueTracer(env, self.trace_every, self.run_end, self.type_names,
                                 self.types, self.group_names, self.groups, self.state,
                                 self.deadline)
            self.trace = tracer.samples
            env.process(tracer.run())
        run_events(env)
        # the callbacks bound to this replication refer back to it: drop them, so that its
        # columns are freed as soon as the records are taken, not at the next GC pass
        self.on_arrival.__self__.close()
        del self.on_arrival, self.on_talked
        if self.warm_waiters:
            raise self._stuck_warm_transfer(next(iter(self.warm_waiters)))
        if self.consult_waiters:
            raise self._stuck_consult(next(iter(self.consult_waiters)))
        self._settle_unserved()
        records = self._records()
        if self.rule_book is not None:
            records.rule_log = self.rule_book.log()
        return records

    def _stuck_warm_transfer(self, c: int) -> SimulationError:
        """The error for a warm transfer nobody ever answered (the run could not finish it)."""
        own, target = self.type_names[self.ctype[c]], self.type_names[self.qtype[c]]
        group = self.group_names[self.group[c]]
        transfer = self.plans[self.ctype[c]].transfer
        path = (f"contact_types.{own}.transfer" if transfer is not None and transfer.warm
                and self.type_names[transfer.to] == target else f"agents.{group}.escalate")
        return SimulationError(path, (
            f"a warm transfer to {target!r} was never answered: every agent who could answer "
            f"it was on duty holding a warm transfer themselves, or none was on duty "
            f"(agent {self.agent[c]} of {group!r} waiting from day {int(self.enq[c] // DAY) + 1} "
            f"{format_clock(self.enq[c] % DAY)}); use mode: cold, or route {target!r} to a "
            "group that does not transfer to it"))

    def _stuck_consult(self, request: int) -> SimulationError:
        """The error for a consult nobody ever answered (an agent and customer on hold for ever).

        Names the field that asks for consults with that queue: a contact type's
        ``consult``, else a group's ``escalate`` (as a consult).
        """
        to = self.qtype[request]
        target = self.type_names[to]
        paths = [f"contact_types.{name}.consult" for name, plan in zip(self.type_names,
                                                                        self.plans)
                 if plan.consult is not None and plan.consult.to == to]
        paths += [f"agents.{name}.escalate" for name, plan in zip(self.group_names,
                                                                   self.group_plans)
                  if plan.escalate is not None and plan.escalate_as_consult
                  and plan.escalate.to == to]
        asked = self.enq[request]
        return SimulationError(paths[0] if paths else f"contact_types.{target}", (
            f"a consult with {target!r} was never answered: every agent who could answer it "
            f"was holding a consult themselves, or none was on duty (asked on day "
            f"{int(asked // DAY) + 1} {format_clock(asked % DAY)}); route {target!r} to a "
            "group that is on duty then and does not consult it"))

    def _doors_open(self):
        """Start the arrival stream at the first arrival (after the agents' first step)."""
        first = self.arrival[0]
        if first > self.env.now:
            yield self.timeout(first - self.env.now)
        self.on_arrival(None)

    def _arrival_stream(self):
        """The drawn contacts arrive in order: one SimPy timeout until each next arrival.

        A generator resumed by the timeouts' callback (``send``), so its state lives on
        between arrivals at no cost; it is primed before the run and waits for the first.
        """
        env, arrival, ctype, plain = self.env, self.arrival, self.ctype, self.plain_arrival
        at, resume = self.at, self.on_arrival
        n, c = self.n_drawn, 0
        t = arrival[0] if n else INF
        while c < n:
            yield  # until the time of arrival[c], which is t
            now = env.now
            while True:
                q = ctype[c]
                if plain[q]:  # _arrive without trunk lines, IVR or second answer (5% faster)
                    self.active += 1
                    self._enqueue(c, q, t)
                else:
                    self._arrive(c, t)
                c += 1
                if c == n:
                    break
                t = arrival[c]
                if t > now:
                    at(t - now, resume)
                    break
        yield  # every contact has arrived; never resumed (returning would raise in SimPy)

    def _arrive(self, c: int, now: float) -> None:
        """A customer contact arrives: busy signal, the IVR, or straight to its queue."""
        if self.takes_line[self.ctype[c]]:
            self._expire_waiting(now)
            if self.in_system >= self.lines:
                self.state[c] = BLOCKED
                self.end[c] = now
                plan = self.plans[self.ctype[c]]
                if plan.retrial is not None:
                    self._come_back(c, plan.retrial, RETRIAL, now)
                return
            self.in_system += 1
            self.on_line[c] = 1
        self.active += 1
        if self.duplicated[self.ctype[c]]:
            self._answer_twice(c, now)
        ivr = self.plans[self.ctype[c]].ivr
        if ivr is not None:
            menu = ivr.time(self._number(c, keyed.IVR_TIME))
            self.at(menu, partial(self._leave_ivr, c))
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
            draws = self.plans[self.ctype[c]].patience
            patience = (INF if draws is None
                        else draws(keyed.uniform(self.key[c], keyed.PATIENCE, queued)))
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
            self._serve(c, best, agent_id, handed=True)
            return
        # it waits
        self.state[c] = WAITING
        if patience is None:
            patience = self.patience[c]
        deadline = self.deadline[c] = now + patience
        if self.on_line[c] and deadline < INF:
            heapq.heappush(self.deadline_heap, (deadline, c))
        if (self.callback_offered[self.ctype[c]] and not queued
                and self.kind[c] == CUSTOMER and self._offer_callback(c, q, ct)):
            deadline = INF
            target = self.plans[self.ctype[c]].callback_queue
            if target is not None:  # wait in the callback queue instead
                self._enqueue(c, target, now, patience=INF)
                return
        if priority:
            ct.queue.appendleft(c)
        else:
            ct.queue.append(c)
        if self.closed_groups and ct.immediate:  # after closing: who takes it?
            # once this instant's other events are done (an agent finishing one may take it)
            self.at(0.0, partial(self._recall, c, ct.immediate, now))
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
        if self.state[c] != WAITING or self.enq[c] != entered or not group.idle:
            return
        if group.index in self.types[self.qtype[c]].backlog_of and len(group.idle) <= group.reserve:
            return
        now = self.env.now
        queue = self.types[self.qtype[c]].queue
        self._purge(queue, now)
        if queue and queue[0] == c:
            queue.popleft()
            _, agent_id = group.idle.popleft()
            self._answer(c, group, agent_id, now)
            self._serve(c, group, agent_id, handed=True)

    def _answer(self, c: int, group: GroupState, agent_id: int, now: float) -> None:
        waited = now - self.enq[c]
        if self.answer[c] != self.answer[c]:  # NaN: first answer
            self.answer[c] = now
            self.wait[c] = waited
        if not self.callback[c]:  # waiting for a call back is not time on the phone
            self.queue_time[c] += waited
        self.state[c] = ANSWERED
        self.group[c] = group.index
        self.agent[c] = agent_id
        if self.warm_waiters:
            waiter = self.warm_waiters.pop(c, None)
            if waiter is not None:
                waiter.succeed()

    def _purge(self, queue: deque[int], now: float) -> None:
        """Drop contacts at the head of ``queue`` that abandoned (lazily, at their deadline)."""
        deadline, state = self.deadline, self.state
        while queue:
            c = queue[0]
            if state[c] == WAITING and deadline[c] > now:
                return
            queue.popleft()
            if state[c] == WAITING:
                self._abandon(c, deadline[c])

    def _abandon(self, c: int, at: float, on_hold: bool = False) -> None:
        """The customer hung up at ``at`` (in a queue, or on hold if ``on_hold``)."""
        self.state[c] = ABANDONED
        self.end[c] = at
        if not on_hold:
            self._stop_waiting(c, at)
            if self.record_legs:
                self._record_leg(c, math.nan, ABANDONED_LEG, ended=at)
        if self.kind[c] != CUSTOMER:
            return
        self._release_line(c)
        self._done()
        plan = self.plans[self.ctype[c]]
        if plan.complaint is not None:
            self._maybe_complain(c, plan.complaint)
        if plan.retrial is not None:
            self._come_back(c, plan.retrial, RETRIAL, at)

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
            best_queue, best_since = None, INF
            for queue, after in level:
                if queue:
                    head = queue[0]
                    if state[head] != WAITING or deadline[head] <= now:
                        self._purge(queue, now)
                    if queue:
                        since = enq[queue[0]]
                        if since < best_since and since + after <= now:
                            best_queue, best_since = queue, since
            if best_queue is not None:
                return best_queue.popleft()
        return -1

    def _release_line(self, c: int) -> None:
        """The customer is no longer on a trunk line (ended, or hung up for a callback)."""
        if self.on_line[c]:
            self.on_line[c] = 0
            self.in_system -= 1

    def _offer_callback(self, c: int, q: int, ct: _Type) -> bool:
        """Offer a callback if the expected wait is over the threshold; True if accepted.

        Expected wait: the contacts ahead plus this one, times the mean handle time,
        spread over the agents on duty who may answer at once (a planner's estimate).
        """
        plan = self.plans[self.ctype[c]]
        agents = sum(group.present for group in ct.immediate) or 1
        expected = (len(ct.queue) + 1) * plan.mean_handle / agents
        if (expected <= plan.callback_threshold
                or keyed.uniform(self.key[c], keyed.CALLBACK) >= plan.callback_accept):
            return False
        self.callback[c] = 1
        self.deadline[c] = INF
        self._release_line(c)
        return True

    # ---- results ---------------------------------------------------------------------

    def _settle_unserved(self) -> None:
        """Contacts still queued when nothing is left to happen.

        One whose patience runs out abandoned at its deadline. One that would wait for
        ever (nobody on duty can answer it, and it never hangs up) stays *unanswered*:
        offered, neither answered nor abandoned, its wait counted until the end of the
        run (the last simulated day's end, or later if work went on after it).
        """
        end = max(self.env.now, self.run_end)
        for ct in self.types:
            for c in ct.queue:
                if self.state[c] != WAITING:
                    continue
                if self.deadline[c] < INF:
                    self._abandon(c, self.deadline[c])
                elif self.kind[c] == CUSTOMER:
                    self._stop_waiting(c, end)
            ct.queue.clear()

    def _stop_waiting(self, c: int, at: float) -> None:
        """Contact ``c`` stops waiting unanswered at ``at``: its queue time (and first wait)."""
        waited = at - self.enq[c]
        self.queue_time[c] += waited
        if self.wait[c] != self.wait[c]:
            self.wait[c] = waited


def run_replication(
    scenario: Scenario,
    seed: int,
    replication: int = 0,
    trace_every: float | None = None,
    draws: ContactDraws | None = None,
    fast_paths: bool = True,
    policy: RoutingPolicy | None = None,
) -> Records:
    """Simulate one replication; a pure function of its arguments.

    Args:
        scenario: The validated scenario.
        seed: The run's seed; with ``replication`` it selects every random stream.
        replication: Replication number (0-based).
        trace_every: If given, sample queue lengths and busy agents every so many seconds
            into ``Records.trace``.
        draws: Contacts to replay instead of drawing them (journey decisions still use
            ``seed``).
        fast_paths: False switches every shortcut of the engine off (plain arrivals and
            talks, the one-group and one-queue paths); the records must be the same, which
            the tests check.
        policy: A routing policy (:mod:`sim.routing`) instead of the scenario's
            ``routing_policy``.

    Returns:
        The replication's records.
    """
    if draws is None:
        draws = draw_contacts(scenario, seed, replication)
    return _Replication(scenario, draws, seed, replication, trace_every, fast_paths,
                        policy).run()
