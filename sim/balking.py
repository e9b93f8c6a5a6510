"""Balking: a caller who would have to wait may leave at once, on what they are told.

A caller who finds every agent busy hears an announcement (or nothing) and decides on
the spot whether to stay. The scenario's ``balking``
(:class:`sim.scenario_journeys.Balking`) says what is announced and how likely a caller
is to leave given it; this module compiles it (:class:`BalkPlan`) and holds the
collaborator that makes the decision during a run (:class:`BalkingDesk`).

The desk stands in front of the engine's queue entry: every contact that enters a queue
goes through it, the engine places it (an idle agent takes it, or it waits), and a
customer entering a queue for the first time who is left *waiting* (not answered, not
taking a callback) decides to balk with its own keyed number (:mod:`sim.keyed`,
purpose ``BALK``), the same under every policy. A balked caller leaves the queue at
once: state ``BALKED``, never offered, no leg. The desk is built only for scenarios that
have balking, so nothing changes, and nothing is spent, for the others.

The announcements: the caller's place in the queue (live callers ahead, plus one); the
wait of the last caller of that queue an agent answered (*last to enter service*, LES,
0 before the first); or the place times the type's mean handle time over the agents on
duty who may answer, an overflow group's from its delay on (the estimate of a callback
offer, :meth:`sim.floor_state.QueueState.expected_wait`).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from sim import keyed
from sim.records import ANSWERED, BALKED, WAITING
from sim.scenario_journeys import Announcement, Balking

# sim.legs.CUSTOMER and sim.legs.RETRIAL (not imported: sim.legs imports the plans here)
CUSTOMER, RETRIAL = 0, 1


@dataclass(frozen=True)
class BalkPlan:
    """A contact type's compiled balking rule.

    Attributes:
        announce: What a caller who must wait is told.
        xs: The rule's values (places in the queue, or waits in seconds), not decreasing.
        chances: The chance to balk at each value; straight lines between, flat beyond.
    """

    announce: Announcement
    xs: tuple[float, ...]
    chances: tuple[float, ...]

    def chance(self, announced: float) -> float:
        """The chance that a caller told ``announced`` balks (0 to 1)."""
        xs, ps = self.xs, self.chances
        i = bisect.bisect_right(xs, announced)
        if i == 0:
            return ps[0]
        if i == len(xs):
            return ps[-1]
        x0, x1 = xs[i - 1], xs[i]
        return ps[i - 1] + (ps[i] - ps[i - 1]) * (announced - x0) / (x1 - x0)


def balk_plan(spec: Balking) -> BalkPlan:
    """Compile a scenario's balking: every rule becomes a curve.

    ``per_position: p`` is the line through (0, 0) and (1/p, 1); ``per_minute: p`` the
    line through (0, 0) and (60/p s, 1); both flat at 1 beyond.
    """
    if spec.curve is not None:
        xs, ps = zip(*spec.curve)
        return BalkPlan(spec.announce, tuple(float(x) for x in xs), tuple(ps))
    rate = spec.per_position if spec.per_position is not None else spec.per_minute / 60.0
    if rate <= 0.0:
        return BalkPlan(spec.announce, (0.0,), (0.0,))
    return BalkPlan(spec.announce, (0.0, 1.0 / rate), (0.0, 1.0))


class BalkingDesk:
    """Decides, for each caller left waiting on their first queue entry, whether they balk.

    Built with the engine's floor (:class:`sim.floor.Floor`) when a contact type has
    balking: it takes the floor's queue entry (``_enqueue``) and, for the
    last-to-enter-service announcement, its answer step (``_answer``), and stands in front
    of them.
    """

    def __init__(self, rep) -> None:
        self.rep = rep
        self.plans = [plan.balking for plan in rep.plans]
        self.place = rep._enqueue  # the engine's own steps, called first
        rep._enqueue = self.enqueue
        self.last_wait = [0.0] * len(self.plans)  # LES per queue
        if any(p is not None and p.announce is Announcement.LES for p in self.plans):
            self.answer = rep._answer
            rep._answer = self.answer_noting_wait

    def answer_noting_wait(self, c: int, group, agent_id: int, now: float) -> None:
        """The engine's answer, noting the wait of the last caller answered from the queue.

        Callers only: not a consult request or a second answer (work items, not callers),
        nor a callback (its wait was off the phone).
        """
        rep = self.rep
        if rep.kind[c] == CUSTOMER and not rep.callback[c]:
            self.last_wait[rep.qtype[c]] = now - rep.enq[c]
        self.answer(c, group, agent_id, now)

    def enqueue(self, c: int, q: int, now: float, patience: float | None = None,
                priority: bool = False) -> None:
        """Contact ``c`` enters queue ``q``; a first-time caller left waiting may balk."""
        rep = self.rep
        first = not rep.queued[c]
        self.place(c, q, now, patience, priority)
        if not first or rep.kind[c] != CUSTOMER:
            return
        state = rep.state[c]
        if state == ANSWERED:  # answered at once (the engine's inlined answer)
            if rep.qtype[c] == q:
                self.last_wait[q] = 0.0
            return
        plan = self.plans[q]
        if plan is None or state != WAITING or rep.qtype[c] != q or rep.callback[c]:
            return
        if keyed.uniform(rep.key[c], keyed.BALK) < plan.chance(self.announced(c, q, plan, now)):
            self.balk(c, q, now)

    def announced(self, c: int, q: int, plan: BalkPlan, now: float) -> float:
        """What the caller ``c`` who waits in queue ``q`` is told (a place, or seconds)."""
        rep = self.rep
        if plan.announce is Announcement.LES:
            return self.last_wait[q]
        ct = rep.types[q]
        ahead = ct.waiting(now, rep.state, rep.deadline, but=c)  # (not those who hung up)
        if plan.announce is Announcement.EXPECTED_WAIT:
            return ct.expected_wait(ahead, rep.plans[q].mean_handle, rep.plans[q].mean_talk)
        return float(ahead + 1)

    def balk(self, c: int, q: int, now: float) -> None:
        """Caller ``c`` leaves queue ``q`` at once: never offered, maybe redials later."""
        rep = self.rep
        rep.state[c] = BALKED
        rep.end[c] = now
        queue = rep.types[q].queue
        if queue and queue[-1] == c:  # it was just appended (else dropped lazily)
            queue.pop()
        rep._release_line(c)
        retrial = rep.plans[rep.ctype[c]].retrial
        if retrial is not None and retrial.after_balk > 0.0:
            rep.journeys._come_back(c, retrial, RETRIAL, now)
