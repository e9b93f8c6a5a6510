"""Real-time rules: a supervisor who watches the wallboard and reacts.

A scenario's ``rules:`` say *when* (a queue's length, its oldest wait, the service level
of the last minutes, or a group's idle agents crosses a threshold) and *then* (move
agents between groups, open an overflow group, switch callbacks on or off, call agents
in on overtime). Like a supervisor, a rule comes on when its value crosses the ``on``
threshold and goes off when it is back past the ``clear_at`` one (hysteresis), so it does
not flap on every call.

Nothing polls. The rule book hooks into the engine's replication at the few steps that
change what rules watch (a contact joins a queue, is answered, abandons; an agent goes
idle, starts, leaves) and looks at its rules once, at the end of that instant. The two
values that change with time alone get one timeout each, at the moment they would cross
their next threshold: the oldest wait (when the longest-waiting contact will have waited
that long) and the service level of the last N minutes (when its oldest outcome leaves
the window). The hooks are installed on the replication only when the scenario has
rules, so a scenario without them runs the engine's code untouched.

What a rule does when it comes on or goes off (moves, overflow, callbacks, overtime) is
:mod:`sim.rule_actions`. Moves respect the work in hand: an agent moved from ``from`` to
``to`` finishes the contact first (as an agent whose shift ends does), and so on the way
back.

Every change of a rule is logged: time, rule, on or off, the value that made it, and
the agents it moved (took, or sent back) or called in (:meth:`RuleBook.log`).
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from functools import partial

import numpy as np

from sim.errors import SimulationError
from sim.records import WAITING
from sim.rule_actions import RuleActions, _Move
from sim.scenario_rules import Rule, RuleMetric
from sim.units import DAY, format_clock
from sim.weekdays import day_label

INF = math.inf
# switches of one rule at one instant beyond which it is feeding back on itself
MAX_FLIPS = 100


def _close(now: float) -> float:
    """A few units in the last place of ``now``: how early a timeout may fire by rounding."""
    return 8.0 * math.ulp(max(abs(now), 1.0))


class _Watch:
    """One rule as the engine runs it: what it watches, its state, its pending timeout."""

    __slots__ = ("action", "at_least", "clear", "flips", "flips_at", "group", "hits", "index",
                 "metric", "move", "on", "outcomes", "overflow", "queue", "rule", "threshold",
                 "timer", "window")

    def __init__(self, index: int, rule: Rule):
        when = rule.when
        self.index, self.rule, self.metric = index, rule, when.metric
        self.at_least = when.at_least is not None
        self.threshold = when.at_least if self.at_least else when.at_most
        self.clear = when.clear_at
        self.window = when.window
        self.on = False
        self.flips, self.flips_at = 0, -1.0  # switches at one instant (a rule feeding back)
        self.timer = None  # the (time, token) of the pending timeout, if any
        self.outcomes: deque[tuple[float, bool]] = deque()  # service level: (time, in time)
        self.hits = 0
        self.queue = self.group = -1
        self.move: _Move | None = None
        self.overflow: list[tuple[int, int]] = []  # (type, group) pairs it opens
        self.action = rule.then.kind

    def turns_on(self, value: float) -> bool:
        """Whether ``value`` brings the rule on."""
        return value >= self.threshold if self.at_least else value <= self.threshold

    def turns_off(self, value: float) -> bool:
        """Whether ``value`` takes the rule off (hysteresis: ``clear_at`` if given)."""
        if self.clear is None:
            return not self.turns_on(value)
        return value <= self.clear if self.at_least else value >= self.clear


class RuleBook:
    """The scenario's rules, hooked into one replication of the engine.

    Args:
        rep: The engine's floor (:class:`sim.floor.Floor`), after its routing is built and
            its parts attached; the rule book installs its hooks on the floor's steps and on
            its shifts' (agents who leave, come on duty, go home).
    """

    def __init__(self, rep):
        self.rep = rep
        scenario = rep.scenario
        self.names = list(scenario.rules)
        types = {name: i for i, name in enumerate(rep.type_names)}
        groups = {name: i for i, name in enumerate(rep.group_names)}
        self.watches = [_Watch(i, rule) for i, rule in enumerate(scenario.rules.values())]
        self.waiting_in: dict[int, int] = {}  # contact -> the queue it waits in
        self.count = [0] * len(types)  # contacts waiting per queue
        # (entered, contact) by queue in order of entry, not the queue's own order (a
        # priority transfer joins its head): the first still waiting waited longest
        self.heads: list[deque[tuple[float, int]]] = [deque() for _ in types]
        self.threshold = [scenario.threshold(name) for name in rep.type_names]
        self.by_type_sl: dict[int, list[_Watch]] = {}
        self.pending = False
        self.timed = {}  # token -> watch, for the time-driven timeouts
        self.log_time, self.log_rule = array("d"), array("h")
        self.log_on, self.log_value, self.log_agents = array("b"), array("d"), array("i")
        for w in self.watches:
            when = w.rule.when
            if w.metric is RuleMetric.IDLE_AGENTS:
                w.group = groups[when.subject]
            else:
                w.queue = types[when.subject]
                # the value must be exact at every instant: abandonment as a real event
                rep.timed_abandon[w.queue] = True
            if w.metric is RuleMetric.SERVICE_LEVEL:
                self.by_type_sl.setdefault(w.queue, []).append(w)
        self.actions = RuleActions(rep, self.watches, types, groups)
        self._install(idle=any(w.metric is RuleMetric.IDLE_AGENTS for w in self.watches))

    # ---- hooks -----------------------------------------------------------------------

    def _install(self, idle: bool) -> None:
        """Wrap the replication's steps that change what rules watch (this one only)."""
        rep = self.rep
        enqueue, answer, abandon = rep._enqueue, rep._answer, rep._abandon

        def _enqueue(c, q, now, patience=None, priority=False):
            enqueue(c, q, now, patience, priority)
            q = rep.qtype[c]
            if rep.state[c] == WAITING:
                if c not in self.waiting_in:
                    self.waiting_in[c] = q
                    self.count[q] += 1
                    self.heads[q].append((rep.enq[c], c))
            else:  # answered at once: an outcome in time
                for w in self.by_type_sl.get(q, ()):
                    w.outcomes.append((now, True))
                    w.hits += 1
            self.poke()

        def _answer(c, group, agent_id, now):
            answer(c, group, agent_id, now)
            self._left(c, now, True)

        def _abandon(c, at, on_hold=False):
            abandon(c, at, on_hold)
            if not on_hold:
                self._left(c, at, False)

        rep._enqueue, rep._answer, rep._abandon = _enqueue, _answer, _abandon
        shifts = rep.shifts
        if self.actions.moves:
            leave, moved = shifts._leave, self.actions.moved

            def _leave(group, agent_id):
                leave(group, agent_id)
                moved(group, agent_id)

            shifts._leave = _leave
        if idle:  # every step that changes a group's idle agents
            for part, name in ((rep, "_serve"), (rep, "_next_work"), (shifts, "_start_agent"),
                               (shifts, "_send_home_idle")):
                step = getattr(part, name)

                def poked(*args, _step=step, **kwargs):
                    _step(*args, **kwargs)
                    self.poke()

                setattr(part, name, poked)

    def _left(self, c: int, at: float, answered: bool) -> None:
        """Contact ``c`` left its queue at ``at``: answered, or abandoned."""
        q = self.waiting_in.pop(c, None)
        if q is None:
            return
        self.count[q] -= 1
        for w in self.by_type_sl.get(q, ()):
            hit = answered and at - self.rep.enq[c] <= self.threshold[q]
            w.outcomes.append((at, hit))
            w.hits += hit
        self.poke()

    def poke(self) -> None:
        """Something rules watch changed: look at them at the end of this instant."""
        if not self.pending:
            self.pending = True
            self.rep.at(0.0, self._look)

    def _look(self, _event=None) -> None:
        self.pending = False
        now = self.rep.env.now
        for w in self.watches:
            value = self._value(w, now)
            if value is not None:
                if not w.on and w.turns_on(value):
                    self._switch(w, True, now, value)
                elif w.on and w.turns_off(value):
                    self._switch(w, False, now, value)
            if w.metric in (RuleMetric.OLDEST_WAIT, RuleMetric.SERVICE_LEVEL):
                self._time_next(w, now)

    # ---- values ----------------------------------------------------------------------

    def _head(self, q: int) -> float | None:
        """When the longest-waiting contact of queue ``q`` joined it (None: nobody waits)."""
        heads, waiting_in, enq = self.heads[q], self.waiting_in, self.rep.enq
        while heads:
            since, c = heads[0]
            if waiting_in.get(c) == q and enq[c] == since:
                return since
            heads.popleft()
        return None

    def _value(self, w: _Watch, now: float) -> float | None:
        """The watched value now (None: a service level with no outcome in its window)."""
        metric = w.metric
        if metric is RuleMetric.QUEUE_LENGTH:
            return float(self.count[w.queue])
        if metric is RuleMetric.IDLE_AGENTS:
            return float(len(self.rep.groups[w.group].idle))
        if metric is RuleMetric.OLDEST_WAIT:
            head = self._head(w.queue)
            if head is None:
                return 0.0
            waited = now - head
            # a timeout set for the crossing may fire a rounding error early
            for limit in (w.threshold, w.clear):
                if limit is not None and abs(waited - limit) <= _close(now):
                    return limit
            return waited
        outcomes = w.outcomes  # service level of the window
        while outcomes and outcomes[0][0] + w.window <= now + _close(now):
            w.hits -= outcomes.popleft()[1]
        return w.hits / len(outcomes) if outcomes else None

    def _time_next(self, w: _Watch, now: float) -> None:
        """One timeout at the next moment the value may cross a threshold with time alone."""
        when = INF
        if w.metric is RuleMetric.OLDEST_WAIT:
            head = self._head(w.queue)
            if head is not None:
                # it rises with time: an at_least rule comes on, an at_most one clears
                limit = (w.threshold if w.at_least and not w.on
                         else w.clear if not w.at_least and w.on else None)
                if limit is not None and head + limit > now + _close(now):
                    when = head + limit
        elif w.outcomes:  # the oldest outcome leaves the window
            when = w.outcomes[0][0] + w.window
        if w.timer is not None and w.timer == when:
            return
        w.timer = when if when < INF else None
        if when < INF:
            self.rep.at(when - now, partial(self._timeout, w, when))

    def _timeout(self, w: _Watch, when: float, _event) -> None:
        if w.timer == when:  # not superseded by a later look
            w.timer = None
            self.poke()

    # ---- a rule changes --------------------------------------------------------------

    def _switch(self, w: _Watch, on: bool, now: float, value: float) -> None:
        """Rule ``w`` comes on or goes off: log it, then act (:mod:`sim.rule_actions`).

        A rule whose action undoes its own condition (moving idle agents out of the group
        whose idle agents it watches, say) would switch for ever at one instant: that is
        stopped with an error naming the rule.
        """
        if now != w.flips_at:
            w.flips, w.flips_at = 0, now
        w.flips += 1
        if w.flips > MAX_FLIPS:
            raise SimulationError(f"rules.{self.names[w.index]}", (
                f"switched on and off {MAX_FLIPS} times on "
                f"{day_label(self.rep.scenario, int(now // DAY))} at "
                f"{format_clock(now % DAY)} without time passing: its action changes what it "
                f"watches ({w.metric.value} of {w.rule.when.subject!r}); move 'clear_at' "
                "further from the 'on' threshold, or watch something the action does not "
                "change"))
        w.on = on
        agents = 0
        then = w.rule.then
        actions = self.actions
        if w.move is not None:
            agents = actions.move(w.move, on)
        elif then.overtime is not None:
            agents = actions.overtime(then.overtime) if on else 0
        elif then.callbacks is not None:
            actions.callbacks(then.callbacks, on)
        elif w.overflow:
            actions.open(w, on)
        self.log_time.append(now)
        self.log_rule.append(w.index)
        self.log_on.append(on)
        self.log_value.append(value)
        self.log_agents.append(agents)

    # ---- results ---------------------------------------------------------------------

    def log(self) -> dict[str, np.ndarray]:
        """Every change of a rule, in time order: time, rule, on, value, agents."""
        return {
            "time": np.frombuffer(self.log_time, dtype=np.float64) if self.log_time
            else np.zeros(0),
            "rule": np.asarray(self.log_rule, dtype=np.int16),
            "on": np.asarray(self.log_on, dtype=bool),
            "value": np.asarray(self.log_value, dtype=np.float64),
            "agents": np.asarray(self.log_agents, dtype=np.int32),
        }
