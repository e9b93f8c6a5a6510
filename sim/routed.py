"""The engine's general routing path: a routing policy asked at every decision.

The engine's own routing (longest-idle agent; best skill priority, then the longest
waiting) is written into its hot code (:mod:`sim.engine`, :mod:`sim.workforce`). When a
run has another policy (:mod:`sim.routing`), a :class:`PolicyRouter` takes over the
four places where routing is decided, in place of the replication's own methods:

- a contact joins a queue (``_enqueue``): the policy picks among the idle agents of the
  groups that may answer it at once;
- a contact has waited long enough to overflow to a group (``_overflow``): the policy
  picks among that group's idle agents, asked about the contact an agent would take
  (the first that has waited as long: maybe one ahead), with that contact's own draw;
- an agent is free (``_pull``), or idle and may work the blending backlog
  (``_pull_backlog``): the policy picks among the heads of the queues the group may
  serve now.

The router only *chooses*; the replication's own code does the rest (answering,
waiting, abandoning), so both paths keep the same books. The chosen idle agent is put
at the head of its group's idle queue and the type's one answering group (``only``,
the engine's fast path for one group) is set to it for that call: the engine then
answers with that very agent. Nothing of this runs without a policy.

A policy is the user's code: every answer is checked (None, or the index of one of the
candidates; ``-1`` or ``True`` are not taken for one) and whatever it raises stops the run
with one :class:`~sim.errors.PolicyError` line naming the policy, the method and why; so
does a policy that answered None to everything, or left a warm transfer or consult
waiting for ever while agents who could take it were idle (:meth:`PolicyRouter.
left_waiting`: before, the run blamed the transfer and said nobody was free). The
candidates are given as a tuple: a policy that sorted a list of them in place would answer
an index into its own order, and get another candidate than it chose.
"""

from __future__ import annotations

import math
import numbers
import zlib
from collections import deque

import numpy as np

from sim import keyed
from sim.distributions import Lognormal
from sim.errors import PolicyError
from sim.floor_state import GroupState, first_due, overflow_due, take
from sim.records import WAITING
from sim.routing import (
    Arrival,
    BuiltinPolicy,
    FreeAgent,
    IdleAgent,
    RoutingPolicy,
    WaitingQueue,
)
from sim.units import DAY, format_clock
from sim.weekdays import day_label

INF = math.inf
ROUTE = 0xA1  # keyed purpose of a contact's routing draws (beyond sim.keyed's own)
SPEED = 0xA2  # keyed purpose of an agent's own speed
OVERFLOW_STEP = 1 << 20  # routing draws on overflow: another step than on arrival
PULL_STEP = 1 << 40  # a queue head's draw offered to a free agent (+ its queue entry)


class AgentSpeeds(dict):
    """Agent number -> handle-time multiplier of one group (1 / the agent's speed).

    Each agent's speed is the group's ``speed`` times a lognormal factor of mean 1 and
    coefficient of variation ``speed_cv``, from a number keyed by the replication, the
    group's name and the agent's identity (``identity``, by agent number: its own group's
    name and its seat there, :meth:`sim.workforce.Shifts._new_agent_id`): the same agent
    talks as fast under any policy, whatever other groups' staff and whatever groups
    there are. Filled as agents appear.
    """

    def __init__(self, root_key: int, group: str, speed: float, cv: float, slowdown: float,
                 identity: list[tuple[str, int]]):
        super().__init__()
        self.key = keyed.child(root_key, SPEED, zlib.crc32(group.encode()))
        self.group, self.identity = group, identity
        self.speed, self.slowdown = speed, slowdown
        self.factor = Lognormal(mean=1.0, cv=cv).quantile_function() if cv > 0 else None

    def speed_of(self, agent: int) -> float:
        """The agent's speed (x faster than the drawn handle time)."""
        if self.factor is None:
            return self.speed
        home, seat = self.identity[agent]
        key = self.key if home == self.group else (  # moved in from ``home`` (a rule)
            keyed.child(self.key, SPEED, zlib.crc32(home.encode())))
        return self.speed * self.factor(keyed.uniform(key, SPEED, seat))

    def __missing__(self, agent: int) -> float:
        value = self[agent] = self.slowdown / self.speed_of(agent)
        return value


class PolicyRouter:
    """Routing by a policy, for one replication (see the module docstring).

    Args:
        replication: The engine's replication (:class:`sim.engine._Replication`).
        policy: The routing policy.
    """

    def __init__(self, replication, policy: RoutingPolicy):
        self.rep = replication
        self.policy = policy
        engine = type(replication)
        self._engine_enqueue = engine._enqueue.__get__(replication)
        self._engine_overflow = engine._overflow_one.__get__(replication)
        self.nobody = GroupState(-1)  # an answering group with nobody idle: "it waits"
        self.asked = {"choose_agent": 0, "choose_contact": 0}  # questions to the policy
        self.chosen = 0  # answers other than None
        # contact types among the candidates of a question, and those ever chosen
        self.offered: set[int] = set()
        self.picked: set[int] = set()
        # contact -> (queue, when, idle groups) of its last choose_agent answered None
        self.declined: dict[int, tuple[int, float, list[str]]] = {}
        # queue -> (when, group) of the last choose_contact answered None with it offered
        self.passed: dict[int, tuple[float, str]] = {}
        scenario = replication.scenario
        table = replication.routing_table  # the routing the engine runs (sim.routing_table)
        self.skills = [len(spec.skills) for spec in scenario.agents.values()]
        # (type, group) -> position in the type's routing
        self.rank = {(t, g): i for t, serving in enumerate(table.serving)
                     for i, g in enumerate(serving)}
        # group -> [(queue, contact type, priority, after)] that it may serve, backlog last
        self.serves: list[list[tuple[deque[int], int, int, float]]] = []
        self.backlogs: list[list[tuple[deque[int], int, int, float]]] = []
        self.kinds: list[dict[int, tuple[int, int]]] = []  # id(queue) -> (type, priority)
        queues = [ct.queue for ct in replication.types]
        for g, spec in enumerate(scenario.agents.values()):
            options = [(queues[t], t, priority, after)
                       for level, priority in zip(table.levels[g], table.priorities[g])
                       for t, after in level]
            backlog_priority = max(spec.skills.values()) + 1
            self.backlogs.append([(queues[t], t, backlog_priority, after)
                                  for t, after in table.backlog[g]])
            self.serves.append(options)
            self.kinds.append({id(q): (t, priority) for q, t, priority, _ in
                               options + self.backlogs[-1]})

    def ask(self, method: str, candidates: list, *args) -> int | None:
        """The policy's ``method`` asked about ``candidates``: None or a checked index.

        Raises:
            PolicyError: If the policy raised, or answered other than None or the index
                of one of the candidates.
        """
        now = self.rep.env.now
        where = f"policy {type(self.policy).__name__}.{method}"
        try:
            choice = getattr(self.policy, method)(*args, candidates, now)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # the user's code, whatever it raised: one line
            # (a sys.exit() left in a policy ended the command silently with exit 0)
            said = " ".join(str(exc).split())  # one line, whatever the message
            raise PolicyError(where, f"raised {type(exc).__name__}: {said} "
                                     f"({self._when(now)})") from exc
        self.asked[method] += 1
        if choice is None:
            return None
        self.chosen += 1
        n = len(candidates)
        if (isinstance(choice, bool) or not isinstance(choice, numbers.Integral)
                or not 0 <= choice < n):
            raise PolicyError(where, f"returned {choice!r}: must be None or the index of one "
                              f"of the {n} candidates (0..{n - 1}) ({self._when(now)})")
        return int(choice)

    def never_chose(self) -> PolicyError | None:
        """The error for a user's policy that answered None to every question of a run.

        Then no contact was answered: each waited until it gave up (or the end), while
        the agents stayed idle. A run that looks like a result, from a policy whose
        condition to choose is never met (a built-in one declines only to keep a reserve).
        """
        asked = sum(self.asked.values())
        if self.chosen or not asked or isinstance(self.policy, BuiltinPolicy):
            return None
        counts = ", ".join(f"{method} {n}" for method, n in self.asked.items())
        return PolicyError(
            f"policy {type(self.policy).__name__}",
            f"returned None to all {asked} questions of the replication ({counts}), so no "
            "contact was answered: None leaves the contact waiting until an agent comes "
            "free, and an idle agent is asked again only about a contact that arrives")

    def never_chosen(self, records) -> dict[str, int]:
        """Contact type -> its contacts never answered, for each type never chosen.

        The types a user's policy was offered (among the candidates of a question) and
        never chose (see :attr:`sim.replicate.RunResult.declined`). Not an error: a policy
        may mean to serve a type only when agents are to spare. But a run whose contacts
        of a type all waited in vain, the policy's condition for them never met,
        deserves a word.
        """
        if isinstance(self.policy, BuiltinPolicy):
            return {}
        unanswered = np.isnan(records.answer)
        return {records.type_names[t]: n for t in sorted(self.offered - self.picked)
                if (n := int(np.count_nonzero(unanswered & (records.contact_type == t))))}

    def left_waiting(self, waiting, what: str) -> PolicyError | None:
        """The error for a handoff in ``waiting`` the policy left while agents were idle.

        A warm transfer or consult nobody answers stops the run; when the policy had
        answered None about it with agents idle who could take it (and none was asked
        again, none coming free), the fault is the policy's, not the scenario's.

        Args:
            waiting: The contacts (or consult requests) still waiting at the end.
            what: ``a warm transfer to``, ``a consult with``.
        """
        rep = self.rep
        for c in waiting:
            q, when, groups = self.declined.get(c, (-1, 0.0, []))
            method = "choose_agent"
            if q != rep.qtype[c]:  # not on arrival: maybe by a free agent passing it by
                q, method = rep.qtype[c], "choose_contact"
                when, group = self.passed.get(q, (-1.0, ""))
                groups = [group]
                if when < rep.enq[c]:
                    continue
            idle, target = ", ".join(map(repr, groups)), rep.type_names[q]
            if isinstance(self.policy, BuiltinPolicy):  # only a reserve declines
                return PolicyError("routing_policy.reserve", (
                    f"{what} {target!r} was never answered: agents of {idle} stayed idle "
                    f"for the reserve ({self._when(when)}); keep fewer agents, or route "
                    f"{target!r} to a group without a reserve"))
            return PolicyError(
                f"policy {type(self.policy).__name__}.{method}",
                f"{what} {target!r} was never answered: it returned None for it with "
                f"agents of {idle} idle ({self._when(when)}), and idle agents are asked "
                "again only about contacts that arrive")
        return None

    def _when(self, now: float) -> str:
        """``day 3 (Wednesday), 09:15``: when, for a message (only written on an error)."""
        return f"{day_label(self.rep.scenario, int(now // DAY))}, {format_clock(now % DAY)}"

    def install(self) -> None:
        """Route the replication's contacts and agents through the policy."""
        rep = self.rep
        rep._enqueue, rep._overflow, rep._pull = self.enqueue, self.overflow, self.pull
        rep._pull_backlog = self.pull_backlog

    # ---- which idle agent --------------------------------------------------------------

    def _speed(self, group: GroupState, agent: int) -> float:
        speeds = self.rep.agent_speeds[group.index]
        return 1.0 if speeds is None else speeds.speed_of(agent)

    def _idle_agents(self, t: int, groups: list[GroupState]) -> list[tuple[GroupState, int]]:
        """(group, position in its idle queue) of each idle agent who may take type ``t``."""
        rep = self.rep
        backlog_of = rep.types[t].backlog_of
        return [(group, i) for group in groups
                if group.idle and (group.index not in backlog_of
                                   or len(group.idle) > group.reserve)
                for i in range(len(group.idle))]

    def _choose_agent(self, c: int, t: int, candidates: list[tuple[GroupState, int]],
                      waited: float, step: int) -> GroupState | None:
        """The group of the agent the policy chose, that agent moved to its idle queue's head."""
        if not candidates:
            return None
        rep = self.rep
        names = rep.group_names
        agents = []
        for group, i in candidates:
            since, agent = group.idle[i]
            agents.append(IdleAgent(names[group.index], agent, since,
                                    self._speed(group, agent), self.skills[group.index],
                                    self.rank.get((t, group.index), 0), len(group.idle)))
        contact = Arrival(rep.type_names[t], waited, keyed.uniform(rep.key[c], ROUTE, step))
        self.offered.add(t)
        choice = self.ask("choose_agent", tuple(agents), contact)
        if choice is None:
            self.declined[c] = (t, rep.env.now, sorted({a.group for a in agents}))
            return None
        self.picked.add(t)
        group, i = candidates[choice]
        if i:
            entry = group.idle[i]
            del group.idle[i]
            group.idle.appendleft(entry)
        return group

    def enqueue(self, c: int, q: int, now: float, patience: float | None = None,
                priority: bool = False) -> None:
        """The engine's ``_enqueue``, with the answering agent chosen by the policy."""
        rep = self.rep
        ct = rep.types[q]
        chosen = self._choose_agent(c, q, self._idle_agents(q, ct.immediate), 0.0,
                                    rep.queued[c])
        ct.only = chosen if chosen is not None else self.nobody
        try:
            self._engine_enqueue(c, q, now, patience, priority)
        finally:
            ct.only = None

    def overflow(self, c: int, group: GroupState, entered: float, event) -> None:
        """The engine's ``_overflow``, with the idle agent of ``group`` chosen by the policy."""
        rep = self.rep
        if group.draining and not group.idle:  # closed: one who went home comes back for it
            rep.shifts._recall(c, [group], entered, event)
        while rep.state[c] == WAITING and rep.enq[c] == entered and group.idle:
            # asked about the contact the engine takes (maybe one ahead that waited as
            # long), with its own wait and keyed draw
            at = overflow_due(rep, c, group, entered)
            if at < 0:
                return
            q = rep.qtype[c]
            taken = rep.types[q].queue[at]
            chosen = self._choose_agent(taken, q, self._idle_agents(q, [group]),
                                        rep.env.now - rep.enq[taken],
                                        OVERFLOW_STEP + 64 * rep.queued[taken] + group.index)
            if chosen is None or not self._engine_overflow(c, group, entered):
                return

    # ---- which waiting contact ---------------------------------------------------------

    def pull(self, group: GroupState, now: float) -> int:
        """The engine's ``_pull``: the head of the queue the policy chose, or -1.

        The policy sees the live head of every queue the group may serve now (found
        without removing anything). Abandoned contacts are then dropped as the engine's
        own ``_pull`` drops them (every queue of each skill level, down to the first level
        with a candidate, or the chosen one's if lower): an abandonment is noticed at the
        same moment on both paths, so what follows from it (a retrial, a complaint) too.
        """
        levels = group.levels
        if group.backlog and len(group.idle) >= group.reserve:
            levels = [*levels, group.backlog]
        return self._take(group, now, levels, len(group.idle))

    def pull_backlog(self, group: GroupState, now: float) -> int:
        """The engine's ``_pull_backlog`` (an idle agent works the blending backlog).

        The policy decides this too (a reservation keeps its agents from the backlog as
        from any other type); the agent deciding is the group's most recently idle.
        """
        return self._take(group, now, [group.backlog], len(group.idle) - 1)

    def _take(self, group: GroupState, now: float, levels: list, others: int) -> int:
        """The head of the queue of ``levels`` the policy chose, or -1 (see :meth:`pull`)."""
        rep = self.rep
        state, deadline, enq = rep.state, rep.deadline, rep.enq
        kinds = self.kinds[group.index]
        found, queues, at_level, first = [], [], [], -1
        for li, level in enumerate(levels):
            for queue, after in level:
                at = first_due(queue, after, now, now, enq, state, deadline)
                if at >= 0:
                    t, priority = kinds[id(queue)]
                    self.offered.add(t)
                    found.append((queue, at))
                    at_level.append(li)
                    live = sum(1 for x in queue if state[x] == WAITING and deadline[x] > now)
                    head = queue[at]
                    queues.append(WaitingQueue(
                        rep.type_names[t], priority, enq[head], live,
                        keyed.uniform(rep.key[head], ROUTE, PULL_STEP + rep.queued[head])))
                    if first < 0:
                        first = li
        choice = None
        if found:
            choice = self.ask("choose_contact", tuple(queues),
                              FreeAgent(rep.group_names[group.index], others))
        before = len(found[choice][0]) if choice is not None else 0
        last = max(first, at_level[choice]) if choice is not None else first
        if last < 0:  # nothing to take: the engine purges every level it looked at
            last = len(levels) - 1
        for level in levels[:last + 1]:
            for queue, _after in level:
                if queue and (state[queue[0]] != WAITING or deadline[queue[0]] <= now):
                    rep._purge(queue, now)
        if choice is None:
            for queue, _at in found:  # offered, passed by: see left_waiting
                self.passed[kinds[id(queue)][0]] = (now, rep.group_names[group.index])
            return -1
        queue, at = found[choice]
        self.picked.add(kinds[id(queue)][0])
        return take(queue, at - (before - len(queue)))  # less those purged ahead of it
