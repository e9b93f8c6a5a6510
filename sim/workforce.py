"""Workforce: agents coming on and off duty, and going home.

The staffing process of each group follows its schedule (:mod:`sim.schedule`): it brings
agents on duty, sends idle ones home when the count drops, and lets busy ones finish their
call first; at closing time idle agents go home, busy ones serve what is still waiting for
them first, and one comes back if work arrives for a group that has left (a transfer or
consult of a call that was in progress at closing). :class:`Shifts` holds these steps,
built with the floor (:class:`sim.floor.Floor`), whose agents it brings and sends home,
and it keeps the staffing log. What the floor looks like over time is sampled apart, by
the observer (:mod:`sim.observer`). The schedules end with the run: a cooldown's last day
is staffed until the cooldown ends, not to its closing (:func:`until_run_end`).
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING

import simpy
from simpy.events import URGENT

from sim.absence import group_absences
from sim.records import WAITING
from sim.schedule import StaffChange, staff_changes

if TYPE_CHECKING:
    from sim.floor_state import GroupState


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


class Shifts:
    """Agents on and off duty, group by group, and the log of how many are on duty.

    Args:
        floor: The queues and agents (:class:`sim.floor.Floor`); an agent who comes on duty
            takes work through its steps (looked up at each use, so hooks apply).
        calendar: The scenario with the cooldown after the measured days (the schedules).
        root_key: The replication's key, for absences (:mod:`sim.absence`).
        run_end: The end of the run (seconds): the measured days and the cooldown.
    """

    def __init__(self, floor, calendar, root_key: int, run_end: float):
        self.floor, self.env = floor, floor.env
        self.calendar, self.root_key, self.run_end = calendar, root_key, run_end
        self.staff_log: tuple[array, array, array] = (array("d"), array("h"), array("i"))
        self.next_agent_id = 0
        self.closed_groups = 0  # groups sent home for the night (draining)

    def start(self) -> None:
        """One staffing process per group (started before any arrival: agents come first)."""
        floor = self.floor
        for g_name, group in zip(floor.group_names, floor.groups):
            spec = self.calendar.agents[g_name]
            absences = (group_absences(self.root_key, g_name, spec.absenteeism)
                        if spec.absenteeism > 0 else None)
            changes = staff_changes(self.calendar, spec, absences)
            if self.calendar.cooldown > 0:  # (without one, the last day's closing ends it)
                changes = until_run_end(changes, self.run_end)
            self.env.process(self._staffing(group, changes))

    def _start_agent(self, group, agent_id: int) -> None:
        """An agent comes on duty: takes waiting work or is idle at once (same instant)."""
        floor = self.floor
        now = self.env.now
        c = floor._pull(group, now)
        if c >= 0:
            floor._answer(c, group, agent_id, now)
            floor._serve(c, group, agent_id)
        else:
            group.idle.append((now, agent_id))
        if group.backlog:
            floor._feed_backlog(group)

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
        floor = self.floor
        if floor.state[c] != WAITING or floor.enq[c] != entered:
            return
        for group in groups:
            if not group.draining:
                return
        for group in groups:
            if group.present < group.on_call:
                break
        else:
            return
        self.bring_on(group)
        self._send_home_idle(group)  # it could not take the work after all (a reserve)

    def bring_on(self, group: GroupState) -> None:
        """One more agent of ``group`` on duty now (a free id, or a new one), taking work."""
        agent_id = group.free_ids.pop() if group.free_ids else self._new_agent_id(group)
        group.present += 1
        self._log_staff(group)
        self._start_agent(group, agent_id)

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
            group.scheduled, group.draining = change.count * group.slots, change.drain
            group.target = group.scheduled
            self.retarget(group)  # rules' moves and overtime (sim.rules)
            self.fill(group)
            self._send_home_idle(group)  # idle agents go home, at closing too

    def fill(self, group: GroupState) -> None:
        """Agents on until the target is met, not counting those a move owes elsewhere.

        An agent owed to another group (busy when the move came on) leaves as soon as it
        is free: it holds no place here. Where one came on beside it, the next idle agent
        to leave (:meth:`_send_home_idle`) goes to the other group instead.
        """
        while group.present - group.owed < group.target:
            self.bring_on(group)

    def retarget(self, group: GroupState) -> None:
        """The group's target from its schedule now and the rules' agents (not at night).

        Never below zero: agents a rule takes from a group scheduled fewer than that are
        none, and come back to it only as far as its schedule then has room for them.
        """
        if not group.draining:
            group.target = max(group.scheduled + group.extra, 0)

    def _new_agent_id(self, group: GroupState) -> int:
        """A run-wide agent number, and the agent's identity: its group's name and seat.

        The identity (``floor.agent_identity``, by number) keys what belongs to the agent
        (its own speed): the k-th agent ever on duty in a group is the same whoever else
        is on duty in other groups, and whatever groups there are (the run-wide number,
        or a key counting the groups, is not).
        """
        self.floor.agent_identity.append((self.floor.group_names[group.index], group.made))
        group.made += 1
        self.next_agent_id += 1
        return self.next_agent_id - 1


def until_run_end(changes: list[StaffChange], run_end: float) -> list[StaffChange]:
    """A group's staffing over a run with a cooldown: nobody comes on duty after its end.

    The cooldown's calendar (:func:`sim.schedule.with_cooldown`) staffs whole days, so the
    day it reaches into went on after the run had ended: the next morning's shift came on
    duty, or (open at the end) its agents stayed on until that day's closing. Its changes
    from ``run_end`` (seconds) on are dropped and, unless the center had closed by then,
    the end is a closing: idle agents go home, busy ones finish their contacts first. No
    contact arrives after the end, and the agent time left out is the cooldown day's, after
    its opening: outside the measured window (:func:`sim.metrics.measured_window`).
    """
    kept = [change for change in changes if change.time < run_end]
    if not kept or not kept[-1].drain:
        kept.append(StaffChange(run_end, 0, drain=True))
    return kept
