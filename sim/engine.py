"""Engine: one replication of a scenario as a SimPy discrete-event simulation.

The engine is a few explicit parts, each built with what it uses (no mixins):

- a **compile** step, pure Python: the contact types and groups as plans
  (:mod:`sim.journey`) and one routing table with the fast paths as named flags
  (:mod:`sim.routing_table`), which metrics and staffing read too;
- the contacts' columns (:class:`sim.contacts.ContactBook`), typed arrays every part binds;
- the **floor** (:class:`sim.floor.Floor`): queues and agents, and the steps that match them,
  wired from the table (:mod:`sim.floor_routing`);
- **journeys** (:class:`sim.legs.Journeys`): talks, holds, handoffs, endings, comebacks;
- **shifts** (:class:`sim.workforce.Shifts`): agents on and off duty, the staffing log;
- hooks that replace floor steps where the scenario asks: a routing policy
  (:mod:`sim.routed`), balking (:mod:`sim.balking`), real-time rules (:mod:`sim.rules`);
- an **observer** (:class:`sim.observer.QueueTracer`) that samples the floor, never changes it.

This module composes them, lets the drawn contacts in (one SimPy timeout until each next
arrival), runs the events and takes the records. Random numbers are drawn in numpy blocks
per stream, and records go to typed arrays; pandas is not used here.

The engine knows nothing of files or reports: :func:`run_replication` takes a
:class:`~sim.scenario.Scenario` and returns :class:`Records` (numpy columns).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL

from sim import keyed
from sim.balking import BalkingDesk
from sim.contact_records import book_records
from sim.contacts import ContactBook, ContactDraws, draw_contacts, typed
from sim.distribution_base import quantiles
from sim.drawn_repeats import drawn_repeats
from sim.errors import SimulationError
from sim.floor import Floor
from sim.floor_routing import route_floor
from sim.ivr_exits import menu_exits
from sim.journey import compile_groups, compile_types
from sim.legs import CUSTOMER, DUPLICATE_LEG, UNFINISHED_LEG, Journeys
from sim.observer import QueueTracer, check_trace_every
from sim.records import UNFINISHED, WAITING, Records
from sim.repeats_again import comeback_bounds
from sim.results_version import RESULTS_VERSION as RESULTS_VERSION  # (read here by sweeps)
from sim.routed import PolicyRouter
from sim.routing import RoutingPolicy, policy_for
from sim.routing_table import compile_routing
from sim.rules import RuleBook
from sim.scenario import Scenario
from sim.schedule import with_cooldown
from sim.second_numbers import second_bands
from sim.ticks import Tick, run_events
from sim.units import DAY, format_clock
from sim.weekdays import day_label
from sim.workforce import Shifts
from sim.wrap_up import AfterCall

INF = math.inf


class _Replication:
    """One run of the engine: composes its parts, lets contacts in, runs, takes the records."""

    def __init__(self, scenario: Scenario, draws: ContactDraws, seed: int, replication: int,
                 trace_every: float | None, fast_paths: bool = True,
                 policy: RoutingPolicy | None = None, fold_ivr: bool = True):
        self.env = env = simpy.Environment()
        self.scenario = scenario
        self.trace_every = trace_every
        policy = policy_for(scenario, policy)  # None: the engine's own routing
        # compile: plans of contact types and groups (pure Python)
        self.plans = plans = compile_types(scenario)
        self.group_plans = group_plans = compile_groups(scenario)
        # who may answer what, and the fast paths with their conditions (sim.routing_table)
        table = compile_routing(scenario, fast_paths=fast_paths, policy=policy is not None,
                                plans=plans, group_plans=group_plans)
        resolve = list(table.resolve)  # by type: whether a resolution needs a draw
        root_key = keyed.root(seed, replication)
        # the measured days and the cooldown after them; agents and opening hours go on
        self.run_end = scenario.days * DAY + scenario.cooldown
        # legs differ from contacts only with handoffs or extra work items
        record_legs = any(p.ivr or p.transfer or p.consult or p.duplicate
                          for p in plans) or any(g.escalate for g in group_plans)
        self.after_call = after_call = AfterCall.of(plans)  # None: no type has a wrap-up
        first = ([keyed.RESOLUTION] if any(resolve) else []) + (
            [keyed.IVR_ROUTE, keyed.IVR_TIME] if any(p.ivr for p in plans) else [])
        # the first leg's consult and transfer decisions (sim.leg_steps, Journeys._handoff)
        transfers = any(p.transfer for p in plans)
        first += [(purpose, 1) for purpose, wanted in (
            (keyed.CONSULT, any(p.consult for p in plans)), (keyed.TRANSFER, transfers))
            if wanted]
        # a second leg's (after a misroute or a handoff): its queue's patience, its talk
        # and its own transfer decision; a misrouted call's short talk; a comeback's
        # decision, delay and opening-time number (each a keyed number a journey step
        # would otherwise work out one at a time: a tenth of refund_vs_relations' run)
        misroutes = any(p.ivr is not None and p.ivr.misroute > 0 for p in plans)
        if misroutes or transfers or any(g.escalate for g in group_plans):
            first += [(keyed.PATIENCE, 1), (keyed.HANDLE, 2)]
            if transfers:
                first.append((keyed.TRANSFER, 2))
        if misroutes:
            first.append(keyed.MISROUTE_TALK)
        comebacks = any(p.repeat or p.retrial for p in plans)
        if comebacks:  # (and the key of the contact coming back, below)
            first += [keyed.COMEBACK, keyed.COMEBACK_DELAY, keyed.OPENING]
        # a first leg's consult: its talk, the customer's hold patience, the request's key
        consults = any(p.consult for p in plans) or any(
            g.escalate and g.escalate_as_consult for g in group_plans)
        if consults:
            first += [(keyed.CONSULT_TALK, 1), (keyed.HOLD_PATIENCE, 1)]
        # a first consult's request that may consult in turn: its decision (one keyed number
        # at a time, it was 2.4% of fraud_consult's instructions per contact)
        asked = {p.consult.to for p in plans if p.consult} | {
            g.escalate.to for g in group_plans if g.escalate and g.escalate_as_consult}
        self.book = book = ContactBook(
            draws, root_key, first, any(p.repeat or p.retrial or p.complaint for p in plans),
            ((keyed.CONSULT, 1),) * consults + ((keyed.COMEBACK, 0),) * comebacks,
            (((keyed.CONSULT, 1), (keyed.CONSULT, 1)),) * any(plans[t].consult for t in asked),
            comeback_bounds(plans, group_plans, resolve), second_bands(plans, group_plans))
        # run: the floor, then the parts it hands work to
        self.floor = floor = Floor(scenario, env, book, plans, group_plans, record_legs,
                                   after_call)
        route_floor(floor, table, root_key)
        self.journeys = Journeys(floor, book, plans, group_plans, resolve, after_call,
                                 record_legs, (scenario.open, scenario.close,
                                               scenario.interval, self.run_end))
        self.shifts = Shifts(floor, with_cooldown(scenario), root_key, self.run_end)
        floor.attach(self.journeys, self.shifts)
        self.router = None
        if policy is not None:  # the general path: the policy decides (sim/routed.py)
            self.router = PolicyRouter(floor, policy)
            self.router.install()
        # callers who may leave on arrival: a desk in front of the queues (sim.balking)
        if any(p.balking for p in plans):
            BalkingDesk(floor)
        # real-time rules hook into this replication's steps only when there are some
        self.rule_book = RuleBook(floor) if scenario.rules else None
        self.trace: dict[str, list[float]] = {}
        self.timeout = partial(simpy.Timeout, env)
        self.on_arrival, self.first_entry = self._arrival_stream(fold_ivr)
        if fast_paths:  # a drawn contact's repeat, worked out up front (after the stream's fold)
            repeats = drawn_repeats(self.journeys, book)
            if repeats is not None:
                self.journeys.repeat_drawn, self.journeys.repeat_again = repeats

    def run(self) -> Records:
        env, floor, book = self.env, self.floor, self.book
        self.shifts.start()  # agents first, at opening
        if book.n_drawn:  # started after the staffing processes, as every arrival
            env.process(self._doors_open())
        if self.trace_every:  # the observer: looks, never changes anything
            tracer = QueueTracer(env, self.trace_every, self.run_end, floor.type_names,
                                 floor.types, floor.group_names, floor.groups, floor.state,
                                 floor.deadline, floor.kind)
            self.trace = tracer.samples
            env.process(tracer.run())
        run_events(env, self.arrival_aside)  # (the stream's next arrival, off the heap)
        del self.on_arrival  # the arrival stream (it refers to this run's parts)
        if self.router is not None and (error := self.router.never_chose()) is not None:
            raise error  # before what a policy choosing nobody leads to (a stuck transfer)
        for waiting, what, stuck in (
                (self.journeys.warm_waiters, "a warm transfer to", self._stuck_warm_transfer),
                (self.journeys.consult_waiters, "a consult with", self._stuck_consult)):
            if waiting:  # the policy's doing, if it left one with agents idle
                raise ((self.router and self.router.left_waiting(waiting, what))
                       or stuck(next(iter(waiting))))
        self._settle_unserved()
        records = book_records(
            book, floor.type_names, floor.group_names, [group.slots for group in floor.groups],
            self.shifts.staff_log, self.journeys.leg_table(book) if floor.record_legs else None,
            None if self.after_call is None else self.after_call.column(book.n), self.trace)
        if self.rule_book is not None:
            records.rule_log = self.rule_book.log()
        if self.router is not None:
            records.never_chosen = self.router.never_chosen(records)
        # the parts refer to each other (and hooks to them): let go of it all now, so that
        # the columns go with the records, not at the next garbage collection
        for release in self.journeys.releases:  # (compiled steps' scopes: sim.compiled)
            release()
        for part in (floor, self.journeys, self.shifts, book):
            vars(part).clear()
        return records

    def _stuck_warm_transfer(self, c: int) -> SimulationError:
        """The error for a warm transfer nobody ever answered (the run could not finish it)."""
        floor = self.floor
        own, target = floor.type_names[floor.ctype[c]], floor.type_names[floor.qtype[c]]
        group = floor.group_names[floor.group[c]]
        transfer = self.plans[floor.ctype[c]].transfer
        path = (f"contact_types.{own}.transfer" if transfer is not None and transfer.warm
                and floor.type_names[transfer.to] == target else f"agents.{group}.escalate")
        return SimulationError(path, (
            f"a warm transfer to {target!r} was never answered: every agent who could answer "
            f"it was on duty holding a warm transfer themselves, or none was on duty "
            f"(agent {floor.agent[c]} of {group!r} waiting from "
            f"{day_label(self.scenario, int(floor.enq[c] // DAY))} "
            f"{format_clock(floor.enq[c] % DAY)}); use mode: cold, or route {target!r} to a "
            "group that does not transfer to it"))

    def _stuck_consult(self, request: int) -> SimulationError:
        """The error for a consult nobody ever answered (an agent and customer on hold for ever).

        Names the field that asks for consults with that queue: a contact type's
        ``consult``, else a group's ``escalate`` (as a consult).
        """
        floor = self.floor
        to = floor.qtype[request]
        target = floor.type_names[to]
        paths = [f"contact_types.{name}.consult" for name, plan in zip(floor.type_names,
                                                                        self.plans)
                 if plan.consult is not None and plan.consult.to == to]
        paths += [f"agents.{name}.escalate" for name, plan in zip(floor.group_names,
                                                                   self.group_plans)
                  if plan.escalate is not None and plan.escalate_as_consult
                  and plan.escalate.to == to]
        asked = floor.enq[request]
        return SimulationError(paths[0] if paths else f"contact_types.{target}", (
            f"a consult with {target!r} was never answered: every agent who could answer it "
            f"was holding a consult themselves, or none was on duty (asked on "
            f"{day_label(self.scenario, int(asked // DAY))} {format_clock(asked % DAY)}); "
            f"route {target!r} to a "
            "group that is on duty then and does not consult it"))

    def _doors_open(self):
        """Start the arrival stream at the first arrival (after the agents' first step)."""
        first = self.first_entry
        if first > self.env.now:
            yield self.timeout(first - self.env.now)
        self.on_arrival(None)

    def _arrival_stream(self, fold_ivr: bool) -> tuple[Callable[[Any], None], float]:
        """``(arrive, first)``: the drawn contacts enter in order, one event until each next.

        The event is one tick, scheduled again for each next time (a tick and a
        generator's resumption per arrival cost a tenth of a plain call); the contacts
        due at the same time enter together. Called first when the doors open, at
        ``first``.

        A contact of a type with an IVR and neither trunk lines nor second answers does
        nothing on arrival but start the menu, whose time is drawn up front: it enters at
        arrival + menu time, straight out of the menu (one event fewer per call; where
        two events fall on exactly the same instant the order may differ, RESULTS_VERSION 6).
        """
        env, floor = self.env, self.floor
        # the stream's next entry, kept off the environment's heap (sim.ticks.run_events)
        ids, aside = env._eid, [None]
        self.arrival_aside = aside
        ctype, plain = floor.ctype, floor.plain_arrival
        n, k = self.book.n_drawn, 0
        fold = [fold_ivr and plan.ivr is not None and not line and not twice
                for plan, line, twice in zip(self.plans, floor.takes_line, floor.duplicated)]
        self.journeys.fold = fold  # a comeback of such a type too (Journeys._come_back)
        times, order = floor.arrival, None
        types = np.frombuffer(ctype, np.int16, n)
        if any(fold):  # entry times: arrival + menu for the folded, sorted (ties: arrival order)
            entry = np.frombuffer(floor.arrival, np.float64, n).copy()
            menu_numbers = np.frombuffer(floor.ivr_times, np.float64, n)
            for q, plan in enumerate(self.plans):
                if fold[q]:  # (a number at a time was 3% of refund_vs_relations' run)
                    mine = np.flatnonzero(types == q)  # (by place: a mask copies run by run)
                    entry[mine] += quantiles(plan.ivr.time, menu_numbers[mine])
            ranks = np.argsort(entry, kind="stable")
            times, order = typed("d", entry[ranks]), typed("q", ranks)
        # where each contact goes as it enters, by place in entry order: its queue (a plain
        # arrival's own; a folded one's out of its menu, sim.ivr_exits), -1 where
        # _after_ivr decides (solved in the menu), -2 for _arrive (a line, a second answer)
        go = np.where(np.asarray(plain, bool), np.arange(len(plain)), -2).take(types)
        if any(fold):  # (the menu's exit: -1 for a type that does not fold)
            exits = np.frombuffer(menu_exits(self.plans, ctype, self.journeys.ivr_routes, n,
                                             fold), np.int64)
            wrong = exits >= len(self.plans)
            go = np.where(np.asarray(fold, bool).take(types), exits - len(self.plans) * wrong,
                          go)
            # misrouted as it leaves the menu: marked now (nobody reads a contact's row
            # before it enters), so that entering is one step for every contact
            floor.misrouted[:n] = wrong.view(np.uint8).data
        go = typed("q", go if order is None else go[order])
        after_ivr = self.journeys._after_ivr
        stream = object.__new__(Tick)  # the one event of the stream (sim.ticks)
        stream._value = None

        def arrive(_event) -> None:
            nonlocal k, step
            now = env._now
            t = times[k]
            while True:
                c = k if order is None else order[k]
                to = go[k]
                if to >= 0:  # _arrive without trunk lines, IVR or second answer, or out of
                    floor._enqueue(c, to, t)  # the menu (_arrive then _leave_ivr, folded)
                elif to == -1:
                    after_ivr(c)  # solved in the menu, maybe (or not decided up front)
                else:
                    floor._arrive(c, t)
                k += 1
                if k == n:
                    step = None  # (arrive, ) refers back to arrive: no cycle left behind
                    return
                t = times[k]
                if t > now:  # at t itself (now + (t - now) may be a rounding off), the tick reused
                    stream.callbacks = step
                    aside[0] = (t, NORMAL, next(ids), stream)
                    return

        step = (arrive,) if n else None  # (no contact: it never runs to let go of step)
        return arrive, (times[0] if n else math.inf)

    def _settle_unserved(self) -> None:
        """Contacts still queued when nothing is left to happen.

        One whose patience runs out abandoned at its deadline. One that would wait for
        ever (nobody on duty can answer it, and it never hangs up) stays *unanswered*:
        offered, neither answered nor abandoned, its wait counted until the end of the
        run (the last simulated day's end, or later if work went on after it). One an agent
        had answered before it queued again (a transfer) is *unfinished*: answered, as
        the KPIs count it, not unanswered; its leg in that queue ends unanswered at the
        end of the run, reason ``unfinished``: an offered second leg, as
        :mod:`sim.queue_legs` judges them. A post's second answer by an uncoordinated team
        (a work item, no contact: it never hangs up) ends its leg unanswered at the end
        of the run, reason ``duplicate``: otherwise it would leave no trace at all. (A
        consult request nobody answers stopped the run before: :meth:`run`.)
        """
        floor = self.floor
        end = max(self.env.now, self.run_end)
        for ct in floor.types:
            for c in ct.queue:
                if floor.state[c] != WAITING:
                    continue
                if floor.deadline[c] < INF:
                    floor._abandon(c, floor.deadline[c])
                    continue
                if floor.kind[c] != CUSTOMER:
                    if floor.record_legs:  # a duplicate (consult requests: none left)
                        floor.add_leg(floor.pack_leg(c, floor.qtype[c], floor.enq[c], math.nan,
                                                     end, -1, -1, 0.0, DUPLICATE_LEG, 0.0))
                    continue
                floor._stop_waiting(c, end)
                if floor.answer[c] == floor.answer[c]:  # not NaN: answered before
                    floor.state[c] = UNFINISHED
                    if floor.record_legs:
                        floor.add_leg(floor.pack_leg(c, floor.qtype[c], floor.enq[c], math.nan,
                                                     end, -1, -1, 0.0, UNFINISHED_LEG, 0.0))
            ct.queue.clear()


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
            the tests check. (A drawn contact entering out of its IVR menu, RESULTS_VERSION
            6, is how the model runs, not a shortcut: ``_Replication(fold_ivr=False)``
            for the test that compares it with the menu's end as an event.)
        policy: A routing policy (:mod:`sim.routing`) instead of the scenario's
            ``routing_policy``.

    Returns:
        The replication's records.
    """
    if trace_every is not None:  # (NaN hung the run, 1e-9 ran away in memory)
        check_trace_every(trace_every, scenario)
    if draws is None:
        draws = draw_contacts(scenario, seed, replication)
    return _Replication(scenario, draws, seed, replication, trace_every, fast_paths,
                        policy).run()
