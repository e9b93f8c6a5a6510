"""Legs: what happens to a contact once an agent has it, and after it ends.

A *leg* is one stretch of a contact with one agent group: the queue wait, the talk, maybe
a consult hold, and how it ended (completed, transferred, escalated, misrouted, hung up
on hold). :class:`Journeys` holds what the legs share (their waiters, the recorded legs)
and the endings, built with the contacts' columns (:class:`sim.contacts.ContactBook`) and
the floor (:class:`sim.floor.Floor`) whose queues it sends contacts to; a leg's own steps,
from the answer to the agent's next work, are in :mod:`sim.leg_steps`. Plain contacts
(one queue, one talk) never come here, except to end (:meth:`Journeys._complete`): the
floor serves them on a fast path. Repeat contacts and retrials are new contacts of the
same issue, created here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from heapq import heappop, heappush
from struct import Struct
from typing import TYPE_CHECKING

from simpy.events import NORMAL

from sim import keyed
from sim.journey import ComebackPlan
from sim.leg_table import LEG_FORMAT, leg_columns
from sim.records import ABANDONED, ANSWERED, LEG_REASONS, SELF_SERVED
from sim.records import HUNG_UP as HUNG_UP_STATE  # (HUNG_UP here: a leg's ending)
from sim.ticks import Tick
from sim.units import DAY

if TYPE_CHECKING:
    import numpy as np

# contact kinds: customers, and work items that are not customers (a consult request,
# a second answer to a post by an uncoordinated team)
CUSTOMER, CONSULT, DUPLICATE = 0, 1, 2
# contact origins
FIRST, RETRIAL, REPEAT, COMPLAINT = 0, 1, 2, 3
# how a leg ended
# a leg's ending, coded by its place in sim.records.LEG_REASONS (unfinished: a second leg
# still waiting when the run ended); a reason added there fails this unpacking
(COMPLETED, TRANSFER, ESCALATION, MISROUTE, ABANDONED_LEG, HUNG_UP, CONSULT_LEG,
 DUPLICATE_LEG, UNFINISHED_LEG) = range(len(LEG_REASONS))
INF = math.inf
KEEP_LEGS = 4096  # legs recorded before they are joined in one buffer (Journeys.keep_legs)
# the customer gave up (a complaint's `abandoned` threshold): before or after an answer
GAVE_UP = (ABANDONED, HUNG_UP_STATE)


class Journeys:
    """What happens to contacts with a journey: talks, holds, handoffs, endings, comebacks.

    Args:
        floor: The queues and agents (:class:`sim.floor.Floor`): contacts handed on join
            its queues, and hang-ups leave them, through its steps (looked up at each use,
            so that hooks installed on the floor, as real-time rules', apply).
        book: The contacts' columns, bound here as attributes (the same arrays).
        plans: Compiled contact types and groups (:mod:`sim.journey`); ``resolve``: by
            type, whether a resolution needs a draw (kept as None, or by group its chance).
        after_call: After-call work (:mod:`sim.wrap_up`), or None.
        record_legs: Whether legs are recorded (handoffs or extra work items exist).
        hours: ``(open, close, interval, run_end)`` seconds: when customers come back.
    """

    def __init__(self, floor, book, plans, group_plans, resolve: list[bool], after_call,
                 record_legs: bool, hours: tuple[float, float, float, float]):
        vars(self).update(book.columns())
        self.floor, self._new_contact = floor, book.new_contact
        # numbers of the drawn contacts worked out at once (sim.contacts), or None: their
        # first leg's decisions, resolution and IVR route
        self.n_drawn, self.first_numbers = book.n_drawn, book.first_numbers
        self.first_children = book.first_children
        # by drawn contact, its first consult request's own consult decision (or None)
        self.request_consults = book.child_numbers.get(((keyed.CONSULT, 1), (keyed.CONSULT, 1)))
        self.consult_one = book.first_numbers.get((keyed.CONSULT, 1))
        self.resolution_first = book.first_numbers.get(keyed.RESOLUTION)
        self.ivr_routes = book.first_numbers.get(keyed.IVR_ROUTE)
        self.transfer_one = book.first_numbers.get((keyed.TRANSFER, 1))
        self.second_row = book.second_row  # a second leg's numbers' (sim.second_numbers)
        self.ivr_times = book.first_numbers.get(keyed.IVR_TIME)
        # by contact type: whether its contacts enter straight out of the IVR menu (set by
        # the engine, sim.engine._Replication._arrival_stream), a comeback too
        self.fold = [False] * len(plans)
        self.later: list[tuple] = []  # comebacks due after the earliest (_at_time)
        self.due = object.__new__(Tick)  # the earliest of them, on the env's heap (_due)
        self.due_step = (self._due,)
        # and a comeback's decision (by drawn contact), delay and opening-time number, and
        # its key (by comeback row: comeback_row[c]), or None
        self.comebacks_drawn = (None if keyed.COMEBACK not in book.first_numbers else (
            book.first_numbers[keyed.COMEBACK],
            *(book.after_decision[purpose] for purpose in (keyed.COMEBACK_DELAY, keyed.OPENING)),
            book.first_children[(keyed.COMEBACK, 0)]))
        self.comeback_row = book.comeback_row
        # by drawn contact: whether its first leg neither consults nor is transferred; and a
        # comeback's, as it takes over its numbers (with its type's chances of either)
        chances = [[getattr(p, step).probability if getattr(p, step) else 0.0 for p in plans]
                   for step in ("consult", "transfer")]
        self.quiet_first_legs = partial(book.quiet_first_legs, *chances)
        self.first_chances = list(zip(*chances))
        self._adopt, self.comeback_numbers = book.adopt, book.comeback_numbers
        self.repeat_drawn = self._come_back  # or sim.drawn_repeats' (set by the engine)
        self.repeat_again = self._come_back  # a contact's made during the run: likewise
        self.env, self.at = floor.env, floor.at
        self.plans, self.group_plans = plans, group_plans
        self.resolve = [[p.resolution * g.resolution_factor for g in group_plans] if draw
                        else None for p, draw in zip(plans, resolve)]
        self.after_call, self.record_legs = after_call, record_legs
        self.open, self.close, self.interval, self.run_end = hours
        # who waits for whom (sim.leg_steps): the step scheduled when the wait is over
        self.warm_waiters: dict[int, Callable] = {}  # transferred warm: first agent waits
        self.conferences: dict[int, float] = {}  # three-way talk owed by the next agent
        self.consult_waiters: dict[int, Callable] = {}  # consult request -> who asked
        self.releases: list[Callable[[], None]] = []  # after the run (sim.compiled)
        # the legs' values, each leg packed as it ends (add_leg(pack_leg(...))): its row of
        # 8-byte numbers in LEG_COLUMNS' order (sim.leg_table.LEG_ROW), 80 bytes, one bytes
        # object in a list, joined into one buffer (columns are cut from it) at the end.
        # Tried before: packed as ten doubles (an int packed as a double goes through a
        # float object: 0.7% of refund_vs_relations' instructions); kept as Python numbers
        # and packed a chunk at a time (the last 4,096 legs' 40,960 objects churned the
        # caches: 8% of refund_vs_relations' time, 14% of fraud_consult's, for 1% of their
        # instructions); appended to one array of doubles (grown by a sixteenth, copied
        # whole: 2% of refund's instructions); one bytearray (0.5% more, no faster)
        self.leg_rows: list[bytes] = []
        self.add_leg = self.leg_rows.append
        self.leg_chunks: list[bytes] = []  # the rows joined a chunk at a time (keep_legs)
        self.pack_leg = Struct(LEG_FORMAT).pack
        # a plain contact's one leg (Floor._talked) is not recorded: its own columns at the
        # end of the run (sim.leg_table)

    # ---- endings ---------------------------------------------------------------------

    def _finish(self, c: int) -> None:
        self.state[c] = ANSWERED
        self.end[c] = self.env._now

    def _complete(self, c: int, group, capped: bool) -> None:
        """The contact ends with an agent; decide resolution; an unresolved issue may repeat."""
        # self._finish(c), inlined: one call fewer on every plain call
        self.state[c] = ANSWERED
        now = self.end[c] = self.env._now  # (`.now` is a property: a call)
        own = self.ctype[c]
        plan = self.plans[own]
        if not self.resolve[own]:  # (None: no draw; else by group, the type's chance: once,
            resolved = True  # not per contact, 0.2% of refund_vs_relations' instructions)
        else:
            chance = self.resolve[own][group.index]
            if capped:
                chance *= plan.cap_factor
            if self.misrouted[c]:
                chance *= plan.ivr.misroute_resolution
            # drawn contacts' numbers worked out at once (ContactBook.first_numbers)
            resolved = (self.resolution_first[c] if self.numbered[c]
                        else keyed.uniform(self.key[c], keyed.RESOLUTION)) < chance
        self.resolved[c] = resolved
        if self.on_line[c]:  # checked here too: the call alone costs 3% of a plain call
            self.floor._release_line(c)
        if plan.complaint is not None:
            self._maybe_complain(c, plan.complaint)
        if not resolved and plan.repeat is not None:  # a drawn one's: sim.drawn_repeats
            come_back = self.repeat_drawn if c < self.n_drawn else self.repeat_again
            come_back(c, plan.repeat, REPEAT, now)

    def _maybe_complain(self, c: int, plan) -> None:
        """A customer whose experience crossed a threshold may post publicly."""
        contacts = self.issue_contacts[self.issue[c]] if self.issue_contacts else 1
        if not plan.crossed(self.queue_time[c], self.hold[c], self.state[c] in GAVE_UP,
                            self.transfers[c], contacts):
            return
        key = self.key[c]
        if keyed.uniform(key, keyed.COMPLAINT) >= plan.probability:
            return
        issue, to = self.issue[c], plan.to
        # from when the experience ended (an abandonment may be noticed later)
        delay = plan.delay(keyed.uniform(key, keyed.COMPLAINT_DELAY))
        when = self._when_open(self.end[c] + delay, keyed.uniform(key, keyed.OPENING, 1))
        if when is None:
            return
        if self.issue_contacts is not None:
            self.issue_contacts[issue] += 1
        post = keyed.child(key, keyed.COMPLAINT)
        self.at(when - self.env._now, self._spawn, (issue, to, COMPLAINT, post))

    def _come_back(self, c: int, plan: ComebackPlan, origin: int, at: float) -> None:
        """Maybe schedule the issue's next contact (a repeat or a retrial) after a delay."""
        issue = self.issue[c]
        counts = self.issue_contacts if origin == REPEAT else self.issue_retrials
        if counts[issue] >= plan.limit:
            return
        key = self.key[c]
        chance = plan.chance(self.state[c], counts[issue]) if plan.by_cause else plan.probability
        # a drawn contact's numbers worked out at once (ContactBook.first_numbers)
        numbers = self.comebacks_drawn if c < self.n_drawn else None
        if (numbers[0][c] if numbers else keyed.uniform(key, keyed.COMEBACK)) >= chance:
            return
        contact_type = self.ctype[c]
        if plan.switch_to is not None and keyed.uniform(key, keyed.COMEBACK_SWITCH) < plan.switch:
            contact_type = plan.switch_to
        row = self.comeback_row[c] if numbers else -1  # (its comeback row: it may come back)
        delay = plan.delay(numbers[1][row] if numbers
                           else keyed.uniform(key, keyed.COMEBACK_DELAY))
        when = self._when_open(at + delay,
                               numbers[2][row] if numbers else keyed.uniform(key, keyed.OPENING))
        if when is None:
            return  # the customer would call again after the simulated days
        counts[issue] += 1
        if origin == RETRIAL:
            self.issue_contacts[issue] += 1
        again = numbers[3][row] if numbers else keyed.child(key, keyed.COMEBACK)
        # the contact coming back, made now (it arrives at `when`)
        plan = self.plans[contact_type]
        if numbers:  # worked out up front (ContactBook.adopt)
            patience_u, handle_u = self.comeback_numbers[0][row], self.comeback_numbers[1][row]
        else:
            patience_u, handle_u = (keyed.uniform(again, keyed.PATIENCE),
                                    keyed.uniform(again, keyed.HANDLE))
        back = self._new_contact(contact_type, issue, origin, CUSTOMER, plan.handle(handle_u),
                                 INF if plan.patience is None else plan.patience(patience_u),
                                 when, again)
        if numbers:
            self._adopt(back, c, *self.first_chances[contact_type])
        if self.fold[contact_type]:  # straight out of its menu, as the drawn contacts
            ivr_time = (self.ivr_times[back] if self.numbered[back]
                        else keyed.uniform(again, keyed.IVR_TIME))
            self._at_time(when + plan.ivr.time(ivr_time), self._leave_ivr, back)
        else:
            self._at_time(when, self._arrive_now, back)

    def _at_time(self, t: float, step: Callable, c) -> None:
        """``step(tick)`` at time ``t`` itself (``tick._value``: ``c``), not at now + (t - now).

        Comebacks are due a day or so ahead: hundreds wait at once, which made every
        event's push and pop on the environment's heap four levels deeper. They wait in
        a heap of their own (:attr:`later`) instead, with the same keys, and only the
        earliest of them is also on the environment's heap, as the one tick :attr:`due`
        (:meth:`_due`): the events run in exactly the order of one heap (SimPy's: time,
        priority, then the order scheduled). Aside, a comeback is its key, step and value
        (no tick of its own, nor a tuple of callbacks: allocated per repeat, with a call to
        release the next, they were 0.5% of refund_vs_relations' instructions).
        """
        later = self.later
        entry = (t, NORMAL, next(self.env._eid), step, c)
        if not later:
            heappush(later, entry)
            self.due.callbacks = self.due_step
            heappush(self.env._queue, (t, NORMAL, entry[2], self.due))
        elif entry < later[0]:  # before the earliest aside: straight onto the env's heap
            tick = object.__new__(Tick)
            tick.callbacks, tick._value = (step,), c
            heappush(self.env._queue, (t, NORMAL, entry[2], tick))
        else:
            heappush(later, entry)

    def _due(self, due) -> None:
        """The earliest comeback aside is due: the next earliest goes onto the env's heap.

        Then its step runs, with :attr:`due` as its tick (``_value``: the comeback's; the
        tick is every comeback's in turn: a step reads its value, it does not keep the tick).
        """
        later = self.later
        if len(self.leg_rows) >= KEEP_LEGS:  # (a comeback is due every few arrivals)
            self.keep_legs()
        _, _, _, step, value = heappop(later)
        if later:
            t, priority, eid = later[0][:3]
            due.callbacks = self.due_step
            heappush(self.env._queue, (t, priority, eid, due))
        due._value = value
        step(due)

    def _arrive_now(self, tick) -> None:
        """A contact coming back arrives (busy signal, the IVR, or straight to its queue)."""
        self.floor._arrive(tick._value, self.env._now)

    def _when_open(self, t: float, u: float) -> float | None:
        """``t`` if the center is open then, else soon after it opens; None after the run.

        Customers who mean to call again (or post) do so when the center is open: one
        due at 23:00 calls in the first interval after the next opening (uniformly, the
        opening burst), not into an empty center. The run ends with the last day, or with
        the cooldown after it. A hang-up is found when an agent next looks (lazily): if
        what it leads to is due already, it comes now, or at the next opening if closed.
        """
        now = self.env._now
        for moment in (t, now):  # now: if a lazily found hang-up's sequel is due already
            day = math.floor(moment / DAY)
            clock = moment - day * DAY
            if clock >= self.close or clock < self.open:
                day += clock >= self.close
                clock = self.open + u * self.interval
            due = day * DAY + clock
            if due >= now:
                break
        return due if due < self.run_end else None

    def _spawn(self, tick) -> None:
        """A complaint post arrives now.

        ``tick``'s value: ``(issue, contact_type, origin, key)`` (a tuple, not a closure:
        scheduled a day ahead, a lambda and its cells are more for the collector to track).
        """
        issue, contact_type, origin, key = tick._value
        plan = self.plans[contact_type]
        now = self.env._now
        patience = (plan.patience(keyed.uniform(key, keyed.PATIENCE))
                    if plan.patience is not None else INF)
        c = self._new_contact(contact_type, issue, origin, CUSTOMER,
                              plan.handle(keyed.uniform(key, keyed.HANDLE)), patience, now, key)
        self.floor._arrive(c, now)

    def _answer_twice(self, c: int, now: float) -> None:
        """An uncoordinated team may pick up the same contact twice: one more work item."""
        plan = self.plans[self.ctype[c]]
        key = self.key[c]
        if keyed.uniform(key, keyed.DUPLICATE) < plan.duplicate:
            handle = plan.handle(keyed.uniform(key, keyed.DUPLICATE_HANDLE))
            twin = self._new_contact(self.ctype[c], self.issue[c], self.origin[c], DUPLICATE,
                                     handle, INF, now, keyed.child(key, keyed.DUPLICATE))
            self.floor._enqueue(twin, self.ctype[c], now, patience=INF)

    # ---- the IVR ---------------------------------------------------------------------

    def _leave_ivr(self, tick) -> None:
        """The menu's end as an event of its own (``tick``'s value: the contact)."""
        self._after_ivr(tick._value)

    def _after_ivr(self, c: int) -> None:
        """Contact ``c`` leaves the menu now: solved there, or into a queue.

        A drawn contact's, by the arrival stream at arrival + menu time (sim.engine).
        """
        ivr = self.plans[self.ctype[c]].ivr
        now = self.env._now
        u = (self.ivr_routes[c] if self.numbered[c]  # ContactBook.first_numbers
             else keyed.uniform(self.key[c], keyed.IVR_ROUTE))
        if u < ivr.self_service:
            self.state[c] = SELF_SERVED
            self.end[c] = now
            self.resolved[c] = 1
            self.floor._release_line(c)
            return
        if u < ivr.self_service + ivr.misroute:
            share = (u - ivr.self_service) / ivr.misroute  # uniform again, to pick the queue
            wrong = ivr.wrong_queues[min(int(share * len(ivr.wrong_queues)),
                                         len(ivr.wrong_queues) - 1)]
            self.misrouted[c] = 1
            self.floor._enqueue(c, wrong, now)
            return
        self.floor._enqueue(c, self.ctype[c], now)

    # ---- legs ------------------------------------------------------------------------

    def _record_leg(self, c: int, start: float, reason: int, held: float = 0.0,
                    ended: float | None = None, wrap: float = 0.0) -> None:
        """Append the leg of ``c`` that ends now or at ``ended`` (answered at ``start``, or NaN).

        ``held``: seconds the customer spent on hold during this leg. A customer who hung
        up in a queue is noticed lazily, later: their leg ends at ``ended``, when they did.
        ``wrap``: seconds of the agent's after-call work after it (:mod:`sim.wrap_up`).
        """
        if self.record_legs:
            answered = start == start
            self._append_leg(c, self.qtype[c], self.enq[c], start,
                             self.group[c] if answered else -1,
                             self.agent[c] if answered else -1, reason,
                             held if answered else 0.0, ended, wrap)

    def _append_leg(self, c: int, queue: int, entered: float, start: float, group: int,
                    agent: int, reason: int, held: float = 0.0,
                    ended: float | None = None, wrap: float = 0.0) -> None:
        """Append one leg: queue, entered, answered, ended (now), group, agent, hold, reason.

        And its wrap-up (seconds), kept where some contact type has one.
        """
        self.add_leg(self.pack_leg(
            c, queue, entered, start, self.env._now if ended is None else ended, group, agent,
            held, reason, wrap))

    def keep_legs(self) -> None:
        """The legs recorded since the last call, joined into one buffer (:attr:`leg_chunks`).

        Called as a comeback is due once KEEP_LEGS legs wait (:meth:`_due`), while their
        rows are in the caches: joined at the end, a long run's rows were read back from
        memory (a third of refund_vs_relations' last-level misses at 80 days), and the
        memory of their objects was never reused during the run. (Not with every arrival:
        a check there cost a plain call 0.5%; a run without comebacks joins them at the end.)
        """
        if self.leg_rows:
            self.leg_chunks.append(b"".join(self.leg_rows))
            self.leg_rows.clear()  # (the same list: every part binds its append)

    def leg_table(self, book) -> dict[str, np.ndarray]:
        """The legs, as typed columns by name (``wrap_up`` where there is one).

        ``book``: the contacts' columns, final (:class:`sim.contacts.ContactBook`).
        """
        return leg_columns([*self.leg_chunks, b"".join(self.leg_rows)], book, COMPLETED,
                           self.after_call is not None)
