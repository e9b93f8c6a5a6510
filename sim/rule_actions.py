"""What real-time rules do: the supervisor's hands, where :mod:`sim.rules` is the eyes.

When a rule comes on or goes off, :class:`RuleActions` changes the replication the way a
supervisor would: it moves agents between groups (at most those the source has then,
each finishing the contact in hand first, there and back), opens an overflow group to
contact types it does not normally take, switches callbacks on or off, or calls agents
in on overtime. A group's roster changes through ``GroupState.extra`` (agents added or
taken by rules): its target is ``max(scheduled + extra, 0)`` by day
(:meth:`sim.workforce.Shifts.retarget`, at every change of the schedule and every action),
and an agent comes on duty, moved or called in, only where the target has room, so a
group never has more agents than its schedule and the rules' allow (agents finishing a
contact past their time stay until it ends).

Every action runs only when a rule changes state, never per contact.
"""

from __future__ import annotations

from bisect import bisect_left
from functools import partial
from typing import TYPE_CHECKING

from sim.records import WAITING
from sim.schedule import closings

if TYPE_CHECKING:
    from sim.rules import _Watch


class _Move:
    """Bookkeeping of a move rule: agents owed to ``to`` and owed back to ``source``."""

    __slots__ = ("agents", "back", "moved", "owed", "source", "to")

    def __init__(self, source, to, agents: int):
        self.source, self.to, self.agents = source, to, agents
        self.owed = 0  # agents of ``source`` still to move (busy when the rule came on)
        self.moved = 0  # agents now on ``to``'s roster for this rule
        self.back = 0  # agents of ``to`` still to go back (busy when the rule cleared)


class RuleActions:
    """The actions of a scenario's rules on one replication of the engine.

    Args:
        rep: The engine's replication (:class:`sim.engine._Replication`), after its
            routing is built.
        watches: The rules as the rule book runs them; each gets its ``move`` and
            ``overflow`` here.
        types: Contact type name -> index.
        groups: Agent group name -> index.
    """

    def __init__(self, rep, watches: list[_Watch], types: dict[str, int],
                 groups: dict[str, int]):
        self.rep = rep
        self.watches = watches
        self.moves: list[_Move] = []
        self.closings = closings(rep.shifts.calendar).tolist()  # call-ins end by then
        gated: set[tuple[int, int]] = set()
        for w in watches:
            then = w.rule.then
            if then.move is not None:
                w.move = _Move(rep.groups[groups[then.move.source]],
                               rep.groups[groups[then.move.to]], then.move.agents)
                self.moves.append(w.move)
            if then.callbacks is not None and then.callbacks.offer:
                for t in then.callbacks.types:  # offered only while such a rule holds
                    rep.callback_offered[types[t]] = False
            if then.overflow is not None:
                g = groups[then.overflow.group]
                w.overflow = [(types[t], g) for t in then.overflow.types]
                gated.update(w.overflow)
        self._gate_routing(gated)

    # ---- moves and overtime ----------------------------------------------------------

    def move(self, m: _Move, on: bool) -> int:
        """Move agents from ``m.source`` to ``m.to`` (on), or back (off).

        On, the move takes at most ``m.agents`` of the agents the source has now: those
        on its roster (its target), not owed to another move nor leaving; agents still on
        ``to`` from the last time it held (busy when it went off) stay there first. It
        never owes more than that: agents who come on the source later (a call-in, a
        schedule rise) stay there, and at night (no roster) it takes nobody.

        Returns:
            The agents it takes (on), or sends back (off): the rules log's ``agents``.
        """
        shifts = self.rep.shifts
        source, to = m.source, m.to
        if on:
            cancelled = min(m.back, m.agents)  # still on ``to``: they just stay
            m.back -= cancelled
            m.moved += cancelled
            to.extra += cancelled
            shifts.retarget(to)
            # the source's target is 0 at night; above it, agents are leaving
            m.owed = min(m.agents - cancelled, source.present - source.owed, source.target)
            source.owed += m.owed
            source.extra -= m.owed
            shifts.retarget(source)
            shifts._send_home_idle(source)  # the idle ones move at once (see moved)
            return m.moved + m.owed
        source.extra += m.owed  # not moved yet: they stay where they are
        source.owed -= m.owed
        shifts.retarget(source)
        m.owed = 0
        back = m.back = m.moved  # the idle ones go at once (see moved)
        m.moved = 0
        to.extra -= back
        shifts.retarget(to)
        shifts._send_home_idle(to)
        return back

    def moved(self, group, agent_id: int) -> None:
        """An agent of ``group`` left its roster: if a move owes one, it goes there.

        It joins the other group only if that one's target has room for it (the other
        group's schedule may have dropped meanwhile: then it goes home, as it would from
        there); at night the roster moves till morning.
        """
        shifts = self.rep.shifts
        for m in self.moves:
            if group is m.source and m.owed > 0:
                m.owed -= 1
                group.owed -= 1
                m.moved += 1
                dest = m.to
            elif group is m.to and m.back > 0:
                m.back -= 1
                dest = m.source
            else:
                continue
            dest.extra += 1
            if group.draining or dest.draining:  # goes home; the roster moves till morning
                return
            shifts.retarget(dest)
            if dest.present - dest.owed >= dest.target:  # no room: goes home
                return
            group.free_ids.remove(agent_id)
            dest.present += 1
            shifts._log_staff(dest)
            shifts._start_agent(dest, agent_id)
            return

    def overtime(self, spec) -> int:
        """Call agents of a group in on overtime for ``spec.length`` seconds (not at night).

        The call-in ends at the next closing for the night (:func:`sim.schedule.closings`)
        if that comes first: its agents go home with the others and are not on the next
        morning's roster (open round the clock, it runs on past midnight).
        """
        rep = self.rep
        group = rep.groups[rep.group_names.index(spec.group)]
        if group.draining:
            return 0
        n = spec.agents * group.slots
        group.extra += n
        rep.shifts.retarget(group)
        # as many come as the target has room for: agents still finishing a contact past
        # their shift stay on instead, and agents moved out may outnumber those called in
        rep.shifts.fill(group)
        rep.shifts._send_home_idle(group)  # those owed to a move go there (Shifts.fill)
        now = rep.env.now
        closing = self.closings[min(bisect_left(self.closings, now), len(self.closings) - 1)]
        rep.at(min(spec.length, closing - now), partial(self._overtime_ends, group, n))
        return spec.agents

    def _overtime_ends(self, group, n: int, _event) -> None:
        group.extra -= n
        if not group.draining:
            self.rep.shifts.retarget(group)
            self.rep.shifts._send_home_idle(group)  # busy ones leave when they finish

    # ---- callbacks -------------------------------------------------------------------

    def callbacks(self, spec, on: bool) -> None:
        """Offer callbacks to ``spec.types`` as the rule says (on), or the other way (off)."""
        rep = self.rep
        for t in spec.types:
            q = rep.type_names.index(t)
            # on: as the rule says; off: the other way (the type has a callback)
            rep.callback_offered[q] = spec.offer == on

    # ---- overflow groups -------------------------------------------------------------

    def _gate_routing(self, gated: set[tuple[int, int]]) -> None:
        """Take the (type, group) pairs that rules open out of the routing until they do."""
        rep = self.rep
        self.open_pairs: dict[tuple[int, int], int] = {}  # pair -> rules holding it open
        self.full_levels = {g: [list(level) for level in rep.groups[g].levels]
                            for _, g in gated}
        self.full_routes = {q: (list(rep.types[q].immediate), list(rep.types[q].overflow))
                            for q, _ in gated}
        # the one-group and one-queue fast paths assume fixed routing: the routing table
        # (sim.routing_table) leaves them off for these pairs' types and groups
        for q, g in gated:
            self._route(q, g)

    def _route(self, q: int, g: int) -> None:
        """Rebuild the routing of type ``q`` and group ``g`` from the pairs open now."""
        rep = self.rep
        closed = {pair for pair in self.full_routes_pairs() if not self.open_pairs.get(pair)}
        immediate, overflow = self.full_routes[q]
        ct = rep.types[q]
        ct.immediate = [grp for grp in immediate if (q, grp.index) not in closed]
        ct.overflow = [(a, grp) for a, grp in overflow if (q, grp.index) not in closed]
        queues = {t: rep.types[t].queue for t in range(len(rep.types))}
        shut = {id(queues[t]) for t, gg in closed if gg == g}
        levels = [[(queue, a) for queue, a in level if id(queue) not in shut]
                  for level in self.full_levels[g]]
        rep.groups[g].levels = [level for level in levels if level]

    def _time_overflows(self, w: _Watch, now: float) -> None:
        """Contacts waiting, their ``after`` delay for a pair ``w`` opens still to run: timed.

        A contact's overflow timers are set when it joins its queue, for the pairs open
        then: one waiting when the rule came on was never taken by the group opened (its
        agents idle) unless one of them came free just then.
        """
        rep = self.rep
        for q, g in w.overflow:
            queue = rep.types[q].queue
            for after, group in self.full_routes[q][1]:
                if group.index != g:
                    continue
                for c in queue:
                    entered = rep.enq[c]
                    if rep.state[c] == WAITING and entered + after > now:
                        rep.at(entered + after - now,
                               partial(rep._overflow, c, group, entered))

    def full_routes_pairs(self) -> set[tuple[int, int]]:
        """Every (type, group) pair some rule opens."""
        return {pair for w in self.watches for pair in w.overflow}

    def open(self, w: _Watch, on: bool) -> None:
        """Open (or close) rule ``w``'s overflow pairs; idle agents of the group take work."""
        rep = self.rep
        for pair in w.overflow:
            self.open_pairs[pair] = self.open_pairs.get(pair, 0) + (1 if on else -1)
        for q, g in w.overflow:
            self._route(q, g)
        if on:
            now = rep.env.now
            self._time_overflows(w, now)
            for g in {g for _, g in w.overflow}:
                group = rep.groups[g]
                while group.idle:
                    # the agent deciding is not one of the idle others (a blending reserve
                    # and a policy's reservation count those)
                    entry = group.idle.popleft()
                    c = rep._pull(group, now)
                    if c < 0:
                        group.idle.appendleft(entry)
                        break
                    rep._answer(c, group, entry[1], now)
                    rep._serve(c, group, entry[1])
