"""Engine: one replication of a scenario as a SimPy discrete-event simulation.

Think of a call center floor. Contacts arrive and join the queue of their contact type;
agents are long-lived workers who, whenever they are free, pull the longest-waiting
contact among their skills (best skill priority first). An arriving contact that finds
an eligible agent idle goes straight to the one idle longest. A group listed later in a
contact type's routing with ``after: 60s`` may take the contact once it has waited 60 s
(overflow). Customers abandon when their patience runs out; with ``lines`` set, a call
that finds every trunk line busy gets a busy signal (blocked).

The engine is built for speed (see DESIGN.md, "Engine shape"): no SimPy process per
contact, no ``AnyOf``; abandonment is *lazy* and exact: a FCFS queue is only looked at
when an agent takes from it, and a contact whose deadline has passed by then abandoned
at its deadline. Real timeouts are scheduled only where something must happen at that
moment (an overflow). Random numbers are drawn in numpy blocks per stream before the run,
and records go to preallocated typed arrays; pandas is not used here.

The engine knows nothing of files or reports: :func:`run_replication` takes a
:class:`~sim.scenario.Scenario` and returns :class:`Records` (numpy columns).
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque
from dataclasses import dataclass
from functools import partial

import numpy as np
import simpy

from sim.arrivals import arrival_times
from sim.records import ABANDONED, ANSWERED, BLOCKED, WAITING, Records
from sim.scenario import Scenario
from sim.schedule import StaffChange, staff_changes
from sim.streams import stream

INF = math.inf


@dataclass(frozen=True)
class ContactDraws:
    """Every contact of a replication before it happens, in arrival order.

    Drawn once per replication from the contact types' own streams (so policies
    compare under common random numbers), or given by hand to replay a trace.

    Attributes:
        arrival: Arrival times, seconds from the start of day 0, sorted.
        contact_type: Index into the scenario's contact types.
        handle: Handle time each contact needs if answered, seconds.
        patience: Seconds the customer waits before abandoning (``inf``: never).
    """

    arrival: np.ndarray
    contact_type: np.ndarray
    handle: np.ndarray
    patience: np.ndarray


def draw_contacts(scenario: Scenario, seed: int, replication: int) -> ContactDraws:
    """Draw all contacts of one replication, each contact type from its own streams."""
    times, types, handles, patiences = [], [], [], []
    for code, (name, ct) in enumerate(scenario.contact_types.items()):
        t = arrival_times(scenario, ct.arrivals, stream(seed, replication, "arrivals", name))
        times.append(t)
        types.append(np.full(t.size, code, dtype=np.int16))
        handles.append(ct.handle.sample(stream(seed, replication, "handle", name), t.size))
        patiences.append(
            np.full(t.size, INF) if ct.patience is None
            else ct.patience.sample(stream(seed, replication, "patience", name), t.size)
        )
    arrival = np.concatenate(times)
    order = np.argsort(arrival, kind="stable")
    return ContactDraws(
        arrival=arrival[order],
        contact_type=np.concatenate(types)[order],
        handle=np.concatenate(handles)[order],
        patience=np.concatenate(patiences)[order],
    )


class _Group:
    """Engine state of one agent group."""

    __slots__ = ("draining", "free_ids", "idle", "index", "levels", "present", "target")

    def __init__(self, index: int):
        self.index = index
        self.levels: list[list[tuple[deque[int], float]]] = []  # skill queues by priority
        self.idle: deque[tuple[float, int, simpy.Event]] = deque()  # (idle since, agent, wake)
        self.present = 0  # agents on duty (busy, idle, or finishing before leaving)
        self.target = 0
        self.draining = False
        self.free_ids: list[int] = []


class _Type:
    """Engine state of one contact type."""

    __slots__ = ("immediate", "overflow", "queue")

    def __init__(self) -> None:
        self.queue: deque[int] = deque()
        self.immediate: list[_Group] = []  # groups that may answer on arrival
        self.overflow: list[tuple[float, _Group]] = []  # (after seconds, group)


class _Replication:
    """One run of the engine; holds the SimPy environment and the record columns."""

    def __init__(self, scenario: Scenario, draws: ContactDraws, trace_every: float | None):
        self.env = simpy.Environment()
        self.scenario = scenario
        self.lines = scenario.lines
        self.type_names = list(scenario.contact_types)
        self.group_names = list(scenario.agents)
        self._load_contacts(draws)
        self._build_routing()
        n = self.n
        self.answer = array("d", [math.nan]) * n
        self.end = array("d", [math.nan]) * n
        self.state = bytearray(n)
        self.group = array("h", [-1]) * n
        self.agent = array("i", [-1]) * n
        self.staff_log: tuple[array, array, array] = (array("d"), array("h"), array("i"))
        self.next_agent_id = 0
        self.in_system = 0
        self.deadline_heap: list[tuple[float, int]] = []
        self.trace_every = trace_every
        self.trace: dict[str, list[float]] = {}

    def _load_contacts(self, draws: ContactDraws) -> None:
        """Keep the draws as numpy (for records) and as typed arrays (fast scalar access)."""
        self.draws = draws
        self.n = int(draws.arrival.size)
        self.arrival = array("d", draws.arrival.astype(np.float64).tobytes())
        self.handle = array("d", draws.handle.astype(np.float64).tobytes())
        self.deadline = array("d", (draws.arrival + draws.patience).astype(np.float64).tobytes())
        self.ctype = array("h", draws.contact_type.astype(np.int16).tobytes())

    def _build_routing(self) -> None:
        scenario = self.scenario
        self.groups = [_Group(i) for i in range(len(self.group_names))]
        self.types = [_Type() for _ in self.type_names]
        by_name = dict(zip(self.group_names, self.groups))
        after_of: dict[tuple[int, int], float] = {}
        for t_index, t_name in enumerate(self.type_names):
            ct = self.types[t_index]
            for step in scenario.routes(t_name):
                group = by_name[step.group]
                after_of[(t_index, group.index)] = step.after
                if step.after <= 0.0:
                    ct.immediate.append(group)
                else:
                    ct.overflow.append((step.after, group))
        for g_name, group in by_name.items():
            skills = scenario.agents[g_name].skills
            for priority in sorted(set(skills.values())):
                level = [
                    (self.types[t].queue, after_of[(t, group.index)])
                    for t, t_name in enumerate(self.type_names)
                    if skills.get(t_name) == priority and (t, group.index) in after_of
                ]
                if level:
                    group.levels.append(level)

    # ---- processes -------------------------------------------------------------------

    def run(self) -> Records:
        env = self.env
        env.process(self._arrivals())
        for g_name, group in zip(self.group_names, self.groups):
            changes = staff_changes(self.scenario, self.scenario.agents[g_name])
            env.process(self._staffing(group, changes))
        if self.trace_every:
            env.process(self._tracer(self.trace_every))
        env.run()
        self._settle_unserved()
        return self._records()

    def _arrivals(self):
        env = self.env
        arrival = self.arrival
        for c in range(self.n):
            t = arrival[c]
            if t > env.now:
                yield env.timeout(t - env.now)
            self._arrive(c, t)

    def _arrive(self, c: int, now: float) -> None:
        ct = self.types[self.ctype[c]]
        if self.lines is not None:
            self._expire_waiting(now)
            if self.in_system >= self.lines:
                self.state[c] = BLOCKED
                self.end[c] = now
                return
            self.in_system += 1
            heapq.heappush(self.deadline_heap, (self.deadline[c], c))
        best = None
        for group in ct.immediate:
            if group.idle and (best is None or group.idle[0][0] < best.idle[0][0]):
                best = group
        if best is not None:
            _, agent_id, wake = best.idle.popleft()
            self._answer(c, best, agent_id, now)
            wake.succeed(c)
            return
        ct.queue.append(c)
        for after, group in ct.overflow:
            timeout = self.env.timeout(after)
            timeout.callbacks.append(partial(self._overflow, c, group))

    def _overflow(self, c: int, group: _Group, _event: simpy.Event) -> None:
        """Contact ``c`` has waited long enough for ``group``: give it to an idle agent."""
        if self.state[c] != WAITING or not group.idle:
            return
        now = self.env.now
        queue = self.types[self.ctype[c]].queue
        self._purge(queue, now)
        if queue and queue[0] == c:
            queue.popleft()
            _, agent_id, wake = group.idle.popleft()
            self._answer(c, group, agent_id, now)
            wake.succeed(c)

    def _answer(self, c: int, group: _Group, agent_id: int, now: float) -> None:
        self.state[c] = ANSWERED
        self.answer[c] = now
        self.end[c] = now + self.handle[c]
        self.group[c] = group.index
        self.agent[c] = agent_id

    def _purge(self, queue: deque[int], now: float) -> None:
        """Drop contacts at the head of ``queue`` that abandoned (lazily, at their deadline)."""
        deadline, state = self.deadline, self.state
        while queue:
            c = queue[0]
            if state[c] == WAITING and deadline[c] > now:
                return
            queue.popleft()
            if state[c] == WAITING:
                self._abandon(c)

    def _abandon(self, c: int) -> None:
        self.state[c] = ABANDONED
        self.end[c] = self.deadline[c]
        if self.lines is not None:
            self.in_system -= 1

    def _expire_waiting(self, now: float) -> None:
        """With trunk lines, free the lines of every caller whose patience ran out by ``now``."""
        heap, state = self.deadline_heap, self.state
        while heap and heap[0][0] <= now:
            _, c = heapq.heappop(heap)
            if state[c] == WAITING:
                self._abandon(c)

    def _pull(self, group: _Group, now: float) -> int:
        """The contact a free agent of ``group`` takes next, or -1 if none is eligible."""
        arrival = self.arrival
        for level in group.levels:
            best_queue, best_arrival = None, INF
            for queue, after in level:
                if queue:
                    self._purge(queue, now)
                    if queue:
                        a = arrival[queue[0]]
                        if a < best_arrival and a + after <= now:
                            best_queue, best_arrival = queue, a
            if best_queue is not None:
                return best_queue.popleft()
        return -1

    def _agent(self, group: _Group, agent_id: int):
        """An agent on duty: take work until told to leave (never in the middle of a call)."""
        env = self.env
        while True:
            now = env.now
            c = self._pull(group, now)
            if c >= 0:
                self._answer(c, group, agent_id, now)
            else:
                if group.present > group.target:
                    break
                wake = env.event()
                group.idle.append((now, agent_id, wake))
                c = yield wake
                if c < 0:
                    return  # sent home while idle; the staffing process did the books
            yield env.timeout(self.handle[c])
            if self.lines is not None:
                self.in_system -= 1
            if group.present > group.target and not group.draining:
                break
        self._leave(group, agent_id)

    def _leave(self, group: _Group, agent_id: int) -> None:
        group.present -= 1
        group.free_ids.append(agent_id)
        self._log_staff(group)

    def _log_staff(self, group: _Group) -> None:
        times, groups, counts = self.staff_log
        times.append(self.env.now)
        groups.append(group.index)
        counts.append(group.present)

    def _staffing(self, group: _Group, changes: list[StaffChange]):
        env = self.env
        for change in changes:
            if change.time > env.now:
                yield env.timeout(change.time - env.now)
            group.target, group.draining = change.count, change.drain
            while group.present < group.target:
                agent_id = group.free_ids.pop() if group.free_ids else self._new_agent_id()
                group.present += 1
                self._log_staff(group)
                env.process(self._agent(group, agent_id))
            while group.present > group.target and group.idle:
                _, agent_id, wake = group.idle.pop()
                self._leave(group, agent_id)
                wake.succeed(-1)

    def _new_agent_id(self) -> int:
        self.next_agent_id += 1
        return self.next_agent_id - 1

    def _tracer(self, every: float):
        """Sample queue lengths and busy agents every ``every`` seconds (for plots, Little).

        Runs until the last day has closed and every agent has finished.
        """
        env, trace = self.env, self.trace
        trace.update({"time": [], **{f"queue.{t}": [] for t in self.type_names},
                      **{f"busy.{g}": [] for g in self.group_names}})
        end = self.scenario.days * 86400.0
        while True:
            now = env.now
            trace["time"].append(now)
            for name, ct in zip(self.type_names, self.types):
                trace[f"queue.{name}"].append(
                    sum(1 for c in ct.queue if self.state[c] == WAITING and self.deadline[c] > now)
                )
            busy = 0
            for name, group in zip(self.group_names, self.groups):
                busy += group.present - len(group.idle)
                trace[f"busy.{name}"].append(group.present - len(group.idle))
            if now >= end and busy == 0:
                return
            yield env.timeout(every)

    # ---- results ---------------------------------------------------------------------

    def _settle_unserved(self) -> None:
        """Contacts still queued when nothing is left to happen abandon at their deadline."""
        for ct in self.types:
            for c in ct.queue:
                if self.state[c] == WAITING and self.deadline[c] < INF:
                    self._abandon(c)
            ct.queue.clear()

    def _records(self) -> Records:
        times, groups, counts = self.staff_log
        return Records(
            type_names=self.type_names,
            group_names=self.group_names,
            contact_type=self.draws.contact_type.astype(np.int16),
            arrival=self.draws.arrival.astype(np.float64),
            answer=np.frombuffer(self.answer, dtype=np.float64),
            end=np.frombuffer(self.end, dtype=np.float64),
            state=np.frombuffer(self.state, dtype=np.uint8),
            group=np.frombuffer(self.group, dtype=np.int16),
            agent=np.frombuffer(self.agent, dtype=np.int32),
            handle=self.draws.handle.astype(np.float64),
            staff_time=np.frombuffer(times, dtype=np.float64),
            staff_group=np.frombuffer(groups, dtype=np.int16),
            staff_count=np.frombuffer(counts, dtype=np.int32),
            trace={k: np.asarray(v, dtype=float) for k, v in self.trace.items()},
        )


def run_replication(
    scenario: Scenario,
    seed: int,
    replication: int = 0,
    trace_every: float | None = None,
    draws: ContactDraws | None = None,
) -> Records:
    """Simulate one replication; a pure function of its arguments.

    Args:
        scenario: The validated scenario.
        seed: The run's seed; with ``replication`` it selects every random stream.
        replication: Replication number (0-based).
        trace_every: If given, sample queue lengths and busy agents every so many seconds
            into ``Records.trace``.
        draws: Contacts to replay instead of drawing them (``seed`` is then unused).

    Returns:
        The replication's records.
    """
    if draws is None:
        draws = draw_contacts(scenario, seed, replication)
    return _Replication(scenario, draws, trace_every).run()
