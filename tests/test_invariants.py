"""Invariants on random scenarios that mix every feature (tier 5 of STYLE.md's tests).

Examples check one case; these check a class. Hypothesis draws small scenarios
(:mod:`strategies`: every channel, trunk lines, shifts with breaks, per-interval staff,
overflow, cold, warm and conference transfers, consults with hold patience, escalation,
the IVR, repeats, retrials, callbacks, blending, concurrency, handle caps, complaints,
duplicate answers, wrap-up) and every replication must keep what holds whatever the scenario:

- every customer contact ends in exactly one outcome (answered, abandoned, blocked,
  self-served); one still waiting at the end only if no agent can ever take its queue;
- times are ordered (arrival <= answer <= end) and durations are >= 0;
- no agent holds more legs at once than its group's concurrency, and no group is busier
  than the agents it has on duty;
- agents on duty never exceed the schedule (after shrinkage) except to finish a contact;
- occupancy is within 0..1, overall, per group, per type and per interval;
- switching the engine's fast paths off, or sampling a trace, changes no record.

A failing example prints its scenario as YAML (paste it into a file to replay it with
``ccsim run``), with the seed and replication. ``CCSIM_EXAMPLES=1000`` hunts longer.

Found here and fixed (each kept as a test on its minimal case): idle agents stayed on
duty after closing; a consult nobody could answer left a customer on hold for ever (now
a one-line error, as a stuck warm transfer); an abandoned leg ended when the abandonment
was noticed; the fast path dropped the handle cap of a callback waiting in another
type's queue; the contacts table counted a caller answered and then hung up (on hold, or
queued again after a transfer) as both answered and abandoned (now outcome ``hung_up``).
Property examples that hit a case kept apart (a fast path's times a rounding apart from
the general path's, each shown on a minimal case) are set aside (``reject``, with a
hypothesis ``event`` naming it: ``--hypothesis-show-statistics``), so that the
invariants keep guarding everything else.
"""

from __future__ import annotations

import copy
import math
import os
from dataclasses import fields, replace

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, event, example, given, note, reject, settings
from hypothesis import strategies as st
from strategies import scenarios

import sim
from sim import keyed
from sim import records as codes
from sim.engine import ContactDraws, SimulationError, _Replication, draw_contacts, run_replication
from sim.frames import contacts_frame, legs_frame, staff_frame
from sim.intervals import interval_table
from sim.records import (
    ABANDONED,
    ANSWERED,
    BALKED,
    BLOCKED,
    HUNG_UP,
    SELF_SERVED,
    UNFINISHED,
    WAITING,
    Records,
)
from sim.schedule import day_windows, interval_starts, staff_changes
from sim.units import DAY, format_clock

# CCSIM_EXAMPLES=1000 for a longer hunt (40: the file runs in about half a minute on 2 cores)
SETTINGS = settings(max_examples=int(os.environ.get("CCSIM_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
SEEDS = st.integers(0, 10_000)
REPLICATIONS = st.integers(0, 2)
EPS = 1e-6  # seconds: sums of float times
DET_30 = {"dist": "deterministic", "value": 30}
FINAL = {ANSWERED, ABANDONED, BLOCKED, SELF_SERVED, BALKED, HUNG_UP}
# a contact nobody could ever answer: still WAITING today, `unanswered` once the engine
# counts them (issue "Trustworthy numbers"); or UNFINISHED, answered before it queued again
NOT_SERVED = {WAITING, UNFINISHED, getattr(codes, "UNANSWERED", WAITING)}


def simulate(data: dict, seed: int, replication: int, **options) -> tuple[sim.Scenario, Records]:
    """Load ``data`` and run one replication; print the example for a failure report."""
    note(f"seed={seed} replication={replication}\n"
         + yaml.safe_dump(data, sort_keys=False, default_flow_style=None))
    scenario = sim.scenario_from_dict(data)
    try:
        records = run_replication(scenario, seed, replication, **options)
    except SimulationError as exc:
        # documented (README, "Journeys"): a warm transfer nobody can ever answer stops
        # the run with an error instead of reporting stuck calls
        event(f"stopped: {exc.reason.split(':')[0]}")
        reject()
    if stuck_consults(scenario, records, seed, replication):
        event("a consult nobody could answer (test_consult_nobody_can_answer)")
        reject()
    return scenario, records


def stuck_consults(scenario: sim.Scenario, records: Records, seed: int,
                   replication: int) -> bool:
    """Whether an agent is still busy when nothing more can happen, with consults about.

    The engine leaves a consult that nobody can answer waiting for ever (the only agents
    who could are holding consults themselves, or none is on duty): the customer stays on
    hold and the agent busy, and the contacts behind them wait. That is known and checked
    by :func:`test_consult_nobody_can_answer`; the examples that hit it are set aside, as
    they would fail most invariants for that one reason. The trace shows it: its last
    sample is taken when no event is left, and counts the agents still busy. (Only asked
    when some agent never went home: a stuck agent never does.)
    """
    if not (any(t.consult for t in scenario.contact_types.values())
            or any(g.escalate and g.escalate.mode == "consult"
                   for g in scenario.agents.values())):
        return False
    last = {g: n for g, n in zip(records.staff_group, records.staff_count)}
    if not any(last.values()):
        return False
    trace = run_replication(scenario, seed, replication, trace_every=3600.0).trace
    return sum(trace[f"busy.{g}"][-1] for g in scenario.agents) > 0


def when(t: float) -> str:
    """A time for a person: day (1-based) and clock."""
    return f"day {int(t // DAY) + 1} {format_clock(t % DAY)}"


# ---- step functions over time ------------------------------------------------------------


def step_value(times: np.ndarray, values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Value of a step function (``values[i]`` from ``times[i]`` on; 0 before) at ``points``.

    Changes at the same time apply in order, so the last one counts.
    """
    if len(times) == 0:
        return np.zeros(len(points))
    k = np.searchsorted(times, points, side="right") - 1
    return np.where(k >= 0, np.asarray(values, dtype=float)[np.maximum(k, 0)], 0.0)


def in_progress(start: np.ndarray, end: np.ndarray, points: np.ndarray) -> np.ndarray:
    """How many intervals ``[start, end)`` contain each of ``points``."""
    return (np.searchsorted(np.sort(start), points, side="right")
            - np.searchsorted(np.sort(end), points, side="right"))


def busy_periods(records: Records) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(group, agent, start, end) of every stretch an agent spent on one leg.

    From the legs where the engine records them (handoffs, consult requests, duplicate
    answers), else from the contacts (each then is one leg with its last handler); each
    until the end of the agent's after-call work (wrap-up) after it.
    """
    legs = records.legs
    if legs:
        talked = legs["group"] >= 0
        ended = legs["ended"] + legs["wrap_up"] if "wrap_up" in legs else legs["ended"]
        return (legs["group"][talked].astype(int), legs["agent"][talked].astype(int),
                legs["answered"][talked], ended[talked])
    talked = ~np.isnan(records.answer)
    end = records.end if records.wrap_up is None else records.end + records.wrap_up
    return (records.group[talked].astype(int), records.agent[talked].astype(int),
            records.answer[talked], end[talked])


def schedule(scenario: sim.Scenario, group: str) -> tuple[np.ndarray, np.ndarray]:
    """(times, slots) of the group's schedule after shrinkage: agents x concurrency."""
    changes = staff_changes(scenario, scenario.agents[group])
    slots = scenario.agents[group].concurrency
    return (np.array([c.time for c in changes]),
            np.array([c.count * slots for c in changes], dtype=float))


def on_duty(records: Records, g: int) -> tuple[np.ndarray, np.ndarray]:
    """(times, slots) of the engine's log of group ``g``'s agents on duty."""
    mine = records.staff_group == g
    return records.staff_time[mine], records.staff_count[mine].astype(float)


# ---- the invariants, each a list of problems (empty: holds) -----------------------------


def outcome_problems(scenario: sim.Scenario, records: Records) -> list[str]:
    """Every contact has one final outcome, consistent with its times."""
    problems = []
    for i in range(records.n):
        state, arrival = int(records.state[i]), records.arrival[i]
        answer, end = records.answer[i], records.end[i]
        what = (f"contact {i} ({records.type_names[records.contact_type[i]]}, "
                f"arrived {when(arrival)})")
        if state in NOT_SERVED:
            reason = _why_not_served(scenario, records, i)
            if reason:
                problems.append(f"{what} still waiting at the end, but {reason}")
            continue
        if state not in FINAL:
            problems.append(f"{what}: unknown state {state}")
        elif math.isnan(end):
            problems.append(f"{what}: {codes.OUTCOMES[state]} without an end time")
        elif state == ANSWERED and (math.isnan(answer) or records.agent[i] < 0):
            problems.append(f"{what}: completed but never answered by an agent")
        elif state == HUNG_UP and math.isnan(answer):
            problems.append(f"{what}: hung up after an answer, but never answered")
        elif state == ABANDONED and not math.isnan(answer):
            problems.append(f"{what}: abandoned, though an agent had answered (hung up)")
        elif state == BLOCKED and (not math.isnan(answer) or end != arrival):
            problems.append(f"{what}: blocked yet answered or ended later")
        elif state == SELF_SERVED and (not math.isnan(answer) or not records.resolved[i]):
            problems.append(f"{what}: self-served yet answered, or not resolved")
        elif state == BALKED and (not math.isnan(answer) or records.group[i] >= 0
                                  or end < arrival or records.queue_time[i] != 0.0):
            problems.append(f"{what}: balked yet answered, or waited")
        elif state == BALKED and not any(
                ct.balking for ct in scenario.contact_types.values()):
            problems.append(f"{what}: balked in a scenario without balking")
    return problems


def _why_not_served(scenario: sim.Scenario, records: Records, i: int) -> str:
    """Why contact ``i`` should not be waiting at the end ('' when nobody could take it).

    Its queue now follows from its last leg (a transfer goes to the transfer's target, an
    escalation to the group's, a misroute back to the own type) or, without legs, from a
    callback queue or a misroute (one of its wrong queues: then all of them must have had
    a free agent to call it a fault). It should have been answered if, at some moment after
    it joined (and after a group's overflow delay), a group that may take that queue had
    a free agent: one on duty, not busy, and not leaving (within the schedule; after
    closing every agent still there serves the queue). For a blending backlog, more free
    agents than the reserve.
    """
    own = records.type_names[records.contact_type[i]]
    spec = scenario.contact_types[own]
    since = records.arrival[i]
    queues = [own]
    legs = records.legs
    mine = np.flatnonzero(legs["contact_row"] == i) if legs else np.zeros(0, int)
    if mine.size:
        last = mine[-1]
        since = legs["ended"][last]
        reason = codes.LEG_REASONS[legs["reason"][last]]
        queue = records.type_names[legs["queue"][last]]
        if reason == "unfinished":  # the visit still waiting at the end (RESULTS_VERSION 31)
            since, queues = legs["enqueued"][last], [queue]
        elif reason == "transfer":
            queues = [scenario.contact_types[queue].transfer.to]
        elif reason == "escalation":
            queues = [scenario.agents[records.group_names[legs["group"][last]]].escalate.to]
        elif reason != "misroute":
            return f"its last leg ended '{reason}'"
    else:
        # no leg: it joined its first queue after the IVR menu, whose length the records do
        # not keep; its wait ran from joining to the run's end (the last day's end, or the
        # last thing that happened after it), which gives the moment it joined
        since = max(since, _run_end(scenario, records) - records.queue_time[i])
        if records.callback[i] and spec.callback.queue:
            queues = [spec.callback.queue]
        elif records.misrouted[i]:
            others = [t for t in scenario.contact_types if t != own]
            queues = list(spec.ivr.misroute_to) or others
    reasons = [_free_agent(scenario, records, queue, since) for queue in queues]
    # a misrouted contact without legs is in one of its wrong queues, which we do not know
    return "; ".join(reasons) if all(reasons) else ""


def _run_end(scenario: sim.Scenario, records: Records) -> float:
    """The end of a run: its last day's end (and cool-down), or the last thing it recorded."""
    times = [scenario.days * DAY + scenario.cooldown]
    for column in (records.end, records.answer, records.staff_time):
        if np.isfinite(column).any():
            times.append(np.nanmax(np.where(np.isfinite(column), column, np.nan)))
    if records.legs:
        times.append(float(np.max(records.legs["ended"], initial=0.0)))
    return max(times)


def _free_agent(scenario: sim.Scenario, records: Records, queue: str, since: float) -> str:
    """When an agent able to take ``queue`` was free after ``since`` ('' if never)."""
    for step in scenario.routes(queue):
        blending = scenario.agents[step.group].blending
        reserve = blending.reserve if blending and queue in blending.backlog else 0
        free, points = free_slots(scenario, records, step.group, since + step.after)
        later = (points >= since + step.after) & (free > reserve)
        if later.any():
            k = np.argmax(later)
            return (f"group {step.group} (able to take queue {queue}) had {free[k]:g} free "
                    f"agents at {when(points[k])}, after it joined at {when(since)}")
    return ""


def free_slots(scenario: sim.Scenario, records: Records, group: str,
               also: float) -> tuple[np.ndarray, np.ndarray]:
    """(free slots, times): a group's agents on duty, not busy and not leaving, over time.

    Right after each moment anything changes, and ``also``. In opening hours an agent above the
    schedule is leaving (it only finishes its contact); after closing, every agent still
    on duty serves what waits.
    """
    g = records.group_names.index(group)
    groups, _, start, end = busy_periods(records)
    times, slots = on_duty(records, g)
    plan_times, plan_slots = schedule(scenario, group)
    mine = groups == g
    points = np.unique(np.concatenate([times, plan_times, start[mine], end[mine], [also]]))
    present = step_value(times, slots, points)
    is_open = np.array([any(o <= p < c for o, c in day_windows(scenario)) for p in points],
                       dtype=bool)
    staying = np.where(is_open, np.minimum(present, step_value(plan_times, plan_slots, points)),
                       present)
    return staying - in_progress(start[mine], end[mine], points), points


def time_problems(records: Records) -> list[str]:
    """Arrival <= answer <= end; waits, holds, talk >= 0 and within the contact's time."""
    problems = []
    arrival, answer, end = records.arrival, records.answer, records.end
    final = np.isin(records.state, list(FINAL))
    answered = ~np.isnan(answer)
    checks = [
        ("answer < arrival", answered & (answer < arrival - EPS)),
        ("end < answer", answered & final & (end < answer - EPS)),
        ("end < arrival", final & (end < arrival - EPS)),
        ("wait < 0", records.wait < -EPS),
        ("wait longer than arrival to answer",
         answered & (records.wait > answer - arrival + EPS)),
        ("no first wait though answered", answered & np.isnan(records.wait)),
        ("queue_time < 0", records.queue_time < -EPS),
        ("talk < 0", records.talk < -EPS),
        ("hold < 0", records.hold < -EPS),
        ("queue_time + talk + hold longer than arrival to end",
         final & (records.queue_time + records.talk + records.hold > end - arrival + EPS)),
    ]
    for name, bad in checks:
        for i in np.flatnonzero(bad)[:3]:
            problems.append(f"contact {i}: {name} (arrival {arrival[i]:.3f}, answer "
                            f"{answer[i]:.3f}, end {end[i]:.3f}, wait {records.wait[i]:.3f}, "
                            f"queue_time {records.queue_time[i]:.3f}, talk "
                            f"{records.talk[i]:.3f}, hold {records.hold[i]:.3f})")
    legs = records.legs
    if legs:
        enq, ans, ended, hold = (legs[k] for k in ("enqueued", "answered", "ended", "hold"))
        talked = ~np.isnan(ans)
        row = legs["contact_row"]
        leg_checks = [
            ("answered before it was queued", talked & (ans < enq - EPS)),
            ("ended before it was answered", talked & (ended < ans - EPS)),
            ("ended before it was queued", ended < enq - EPS),
            ("hold < 0 or longer than the leg",
             talked & ((hold < -EPS) | (hold > ended - ans + EPS))),
            ("queued before its contact arrived",
             (row >= 0) & (enq < arrival[np.maximum(row, 0)] - EPS)),
            # the legs table is in the order the legs ended (sim.leg_table), exactly
            ("ended before the leg above it", np.r_[False, ended[1:] < ended[:-1]]),
        ]
        for name, bad in leg_checks:
            for k in np.flatnonzero(bad)[:3]:
                problems.append(f"leg {k} of contact row {row[k]}: {name} (enqueued "
                                f"{enq[k]:.3f}, answered {ans[k]:.3f}, ended {ended[k]:.3f})")
    return problems


def abandoned_leg_problems(records: Records) -> list[str]:
    """A leg that ended in the customer hanging up ends when the contact does."""
    legs = records.legs
    if not legs:
        return []
    row = legs["contact_row"]
    mine = (legs["reason"] == codes.LEG_REASONS.index("abandoned")) & (row >= 0)
    ended, end = legs["ended"][mine], records.end[row[mine]]
    bad = np.flatnonzero(np.abs(ended - end) > EPS)
    return [f"leg of contact {row[mine][k]} abandoned at {end[k]:.3f} but ended "
            f"{ended[k]:.3f}" for k in bad[:3]]


def consult_leg_problems(records: Records) -> list[str]:
    """Every consult hold asked one request, and every request left one leg.

    A leg on hold (hold > 0: a consult's talk and hold patience are never 0 here) put
    one request in a queue; the request leaves one leg (``contact_id`` -1, not a second
    answer's ``duplicate``): answered (``consult``), or called off when the customer hung
    up on hold (``abandoned`` while queued, ``hung_up`` while being talked).
    """
    legs = records.legs
    if not legs:
        return []
    held = int(np.count_nonzero(legs["hold"] > 0))
    requests = (legs["contact_row"] < 0) & (legs["reason"] != codes.LEG_REASONS.index(
        "duplicate"))
    if held == np.count_nonzero(requests):
        return []
    reasons = [codes.LEG_REASONS[r] for r in legs["reason"][requests]]
    return [f"{held} legs went on hold for a consult, but consult requests left "
            f"{len(reasons)} legs ({', '.join(sorted(set(reasons))) or 'none'})"]


def trace_queue_problems(records: Records) -> list[str]:
    """At every sample of the trace, each queue holds the visits the legs say were waiting.

    A queue visit waits from its leg's ``enqueued`` until ``answered`` (or until ``ended``:
    hung up, called off); a post's second answer (``duplicate``) is not a contact. Samples
    at the very instant a visit starts or stops are left out (events at one instant come
    in an order the trace may fall between). Needs legs, and no contact still waiting at
    the end (its last visit has no leg).
    """
    legs, trace = records.legs, records.trace
    visit = legs["reason"] != codes.LEG_REASONS.index("duplicate")
    start = legs["enqueued"][visit]
    stop = np.where(np.isnan(legs["answered"]), legs["ended"], legs["answered"])[visit]
    queue, times = legs["queue"][visit], trace["time"]
    clear = ~np.isin(times, np.concatenate([start, stop]))
    problems = []
    for q, name in enumerate(records.type_names):
        mine = queue == q
        waiting = ((start[mine][None, :] <= times[:, None])
                   & (times[:, None] < stop[mine][None, :])).sum(axis=1)
        traced = trace[f"queue.{name}"]
        problems += [f"queue.{name} at {when(times[k])}: traced {traced[k]:g}, legs waiting "
                     f"{waiting[k]}" for k in np.flatnonzero(clear & (traced != waiting))[:3]]
    return problems


def booking_problems(scenario: sim.Scenario, records: Records) -> list[str]:
    """No agent on more legs at once than its concurrency; no group busier than on duty."""
    problems = []
    group, agent, start, end = busy_periods(records)
    concurrency = [scenario.agents[g].concurrency for g in records.group_names]
    for g, a in sorted(set(zip(group.tolist(), agent.tolist()))):
        mine = (group == g) & (agent == a)
        points = np.unique(start[mine])
        most = in_progress(start[mine], end[mine], points)
        if most.size and most.max() > concurrency[g]:
            t = points[most.argmax()]
            problems.append(f"agent {a} of {records.group_names[g]} on {most.max()} legs at "
                            f"{when(t)} (concurrency {concurrency[g]})")
    for g, name in enumerate(records.group_names):
        mine = group == g
        times, slots = on_duty(records, g)
        points = np.unique(np.concatenate([start[mine], times]))
        busy = in_progress(start[mine], end[mine], points)
        present = step_value(times, slots, points)
        over = np.flatnonzero(busy > present)
        if over.size:
            k = over[0]
            problems.append(f"{name}: {busy[k]} busy but {present[k]:g} slots on duty at "
                            f"{when(points[k])}")
    return problems


def staff_problems(scenario: sim.Scenario, records: Records, open_only: bool) -> list[str]:
    """Agents on duty beyond the schedule are all busy (finishing a contact).

    At every moment: on duty <= max(scheduled, busy), in slots. ``open_only`` checks
    opening hours only; otherwise after closing too, where the schedule is 0 and only
    agents finishing a contact may stay.
    """
    problems = []
    group, _, start, end = busy_periods(records)
    windows = day_windows(scenario)
    for g, name in enumerate(records.group_names):
        times, slots = on_duty(records, g)
        plan_times, plan_slots = schedule(scenario, name)
        points = np.unique(np.concatenate([times, plan_times, start[group == g],
                                           end[group == g]]))
        if open_only:
            points = points[[any(o <= p < c for o, c in windows) for p in points]]
        present = step_value(times, slots, points)
        planned = step_value(plan_times, plan_slots, points)
        busy = in_progress(start[group == g], end[group == g], points)
        over = np.flatnonzero(present > np.maximum(planned, busy))
        if over.size:
            k = over[0]
            problems.append(f"{name}: {present[k]:g} slots on duty at {when(points[k])}, "
                            f"scheduled {planned[k]:g}, busy {busy[k]} "
                            f"({over.size} such moments)")
    return problems


def interval_staff_problems(scenario: sim.Scenario, records: Records,
                            intervals) -> list[str]:
    """The intervals table's ``staff`` (all types) is within the schedule + finishing agents.

    Per interval: staff x its measured time (the interval's own ``[start, end)`` less any
    warm-up) <= the integral over that time of sum over groups of max(scheduled, busy) /
    concurrency (agents, not slots). Agents finishing after closing belong to no interval.
    """
    group, _, start, end = busy_periods(records)
    starts = interval_starts(scenario)
    ends = starts + scenario.interval
    firsts = np.clip(starts, scenario.warmup, ends)
    bound = np.zeros(starts.size)
    for g, name in enumerate(records.group_names):
        plan_times, plan_slots = schedule(scenario, name)
        mine = group == g
        points = np.unique(np.concatenate([plan_times, start[mine], end[mine], firsts, ends]))
        points = points[(points >= firsts[0]) & (points <= ends[-1])]
        level = np.maximum(step_value(plan_times, plan_slots, points[:-1]),
                           in_progress(start[mine], end[mine], points[:-1]))
        level = level / scenario.agents[name].concurrency
        cumulative = np.concatenate([[0.0], np.cumsum(level * np.diff(points))])
        bound += np.interp(ends, points, cumulative) - np.interp(firsts, points, cumulative)
    table = intervals[intervals["contact_type"] == "all"]
    length = ends - firsts
    measured = np.nan_to_num(table["staff"].to_numpy()) * length
    over = np.flatnonzero(measured > bound + EPS * scenario.interval)
    return [f"interval {when(starts[k])}: staff {measured[k] / length[k]:.3f} "
            f"> schedule and finishing agents {bound[k] / length[k]:.3f}"
            for k in over[:3]]


def intervals_of(scenario: sim.Scenario, records: Records):
    """The intervals table of one replication, as ``sim.run`` makes it from the records."""
    return interval_table(contacts_frame(records, scenario, 0), staff_frame(records, 0),
                          scenario, legs_frame(records, 0))


def occupancy_problems(result) -> list[str]:
    """Occupancy within 0..1 (or NaN: no agent time) wherever it is reported.

    Within the rounding of the sums behind it (sim.agent_time): busy and on-duty seconds
    before a point are differences of prefix sums of times, each off by at most about
    eps x (terms)^2 x (latest time) seconds; an interval's figure is a difference of two
    of those. Where an agent finished a contact 0.09 s into an interval, busy and on-duty
    seconds are equal but for that rounding, and their ratio may read 1 + 2e-8.
    """
    values = [("summary", result.summary["occupancy"], math.inf)]
    values += [(f"replication {r}", v, math.inf)
               for r, v in enumerate(result.replications["occupancy"])]
    values += [(f"group {g}", kpis["occupancy"], math.inf) for g, kpis in result.by_group.items()]
    values += [(f"type {t}", kpis["occupancy"], math.inf) for t, kpis in result.by_type.items()]
    table = result.intervals_by_replication
    values += [(f"interval {row.day}/{row.clock} {row.contact_type}", row.occupancy,
                row.available_s) for row in table.itertuples()]
    staff = result.staff
    terms = (len(result.legs) if result.legs is not None else 0) + len(result.contacts) + len(
        staff) + 2
    ends = result.contacts["end"].dropna()
    latest = max(float(ends.max()) if len(ends) else 0.0,
                 float(staff["time"].max()) if len(staff) else 0.0)
    slots = float(staff["slots" if "slots" in staff else "agents"].max()) if len(staff) else 1.0
    rounding = 8 * np.finfo(float).eps * terms**2 * latest * max(slots, 1.0)  # seconds
    return [f"{where}: occupancy {v}" for where, v, seconds in values
            if not math.isnan(v) and not -1e-9 <= v <= 1.0 + 1e-9 + rounding / seconds]


def record_differences(a: Records, b: Records) -> list[str]:
    """Fields in which two replications' records differ (arrays: bits and dtype)."""
    differ = [name for name, x, y in _arrays(a, b) if not _same(x, y)]
    if a.legs.keys() != b.legs.keys():
        differ.append("legs: columns")
    if a.rule_log.keys() != b.rule_log.keys():
        differ.append("rule_log: columns")
    for f in fields(Records):
        value = getattr(a, f.name)
        if (f.name not in ("legs", "trace", "rule_log") and not isinstance(value, np.ndarray)
                and value != getattr(b, f.name)):
            differ.append(f.name)
    return differ


def _arrays(a: Records, b: Records):
    """(name, array of a, array of b) for every array of the records but the trace."""
    for f in fields(Records):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if f.name in ("legs", "rule_log"):
            yield from ((f"{f.name}.{k}", x[k], y[k]) for k in x if k in y)
        elif isinstance(x, np.ndarray):
            yield f.name, x, y


def only_rounding(a: Records, b: Records) -> bool:
    """Whether the records differ, in float times only and by a few units in the last place."""
    found = False
    for _, x, y in _arrays(a, b):
        if _same(x, y):
            continue
        if x.dtype.kind != "f" or x.shape != y.shape:
            return False
        close = (x == y) | (np.isnan(x) & np.isnan(y)) | (
            np.abs(x - y) <= 4 * np.spacing(np.maximum(np.abs(x), np.abs(y))))
        if not close.all():
            return False
        found = True
    return found


def only_agents_swapped(a: Records, b: Records) -> bool:
    """Whether the same things happened at the same times, only by other agents.

    Contacts equal but for ``agent``; legs equal as a set of rows without their agent, their
    times to the microsecond: after the tie, a leg may also be answered a rounding apart
    (:func:`test_leg_answered_when_its_contact_is`), and the rows sort by their times.
    """
    for name, x, y in _arrays(a, b):
        if not name.startswith("legs.") and name != "agent" and not _same(x, y):
            return False
    if not a.legs or a.legs.keys() != b.legs.keys():
        return not a.legs and not b.legs

    def rows(r: Records) -> list[tuple]:
        keys = sorted(k for k in r.legs if k != "agent")
        columns = [np.round(np.nan_to_num(r.legs[k].astype(float), nan=-1.0), 6) for k in keys]
        return sorted(zip(*columns))

    return rows(a) == rows(b)


def only_staff_after_closing(scenario: sim.Scenario, a: Records, b: Records) -> bool:
    """Whether the records differ only in the staff log, and only outside opening hours."""
    differ = {name for name, x, y in _arrays(a, b) if not _same(x, y)}
    if not differ or not differ <= {"staff_time", "staff_group", "staff_count"}:
        return False
    windows = day_windows(scenario)

    def in_hours(r: Records) -> list[tuple[float, int, int]]:
        return [(t, g, n) for t, g, n in zip(r.staff_time, r.staff_group, r.staff_count)
                if any(o <= t < c for o, c in windows)]

    return in_hours(a) == in_hours(b)


def without_abandoned_leg_ends(records: Records) -> Records:
    """The records with the end of every abandoned leg blanked (see the trace test)."""
    legs = dict(records.legs)
    if legs:
        abandoned = legs["reason"] == codes.LEG_REASONS.index("abandoned")
        legs["ended"] = np.where(abandoned, np.nan, legs["ended"])
    return replace(records, legs=legs)


def _same(x: np.ndarray, y: np.ndarray) -> bool:
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype != y.dtype or x.shape != y.shape:
        return False
    return bool(np.array_equal(x, y, equal_nan=x.dtype.kind == "f"))


# ---- the tests ---------------------------------------------------------------------------


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_every_contact_has_one_outcome(data, seed, replication):
    """Answered, abandoned, blocked or self-served; waiting only if nobody could answer."""
    scenario, records = simulate(data, seed, replication)
    assert outcome_problems(scenario, records) == []


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_contacts_table_counts_each_contact_once(data, seed, replication):
    """In the contacts table one of answered/abandoned/blocked/self_served per contact.

    None for a contact nobody ever answered that waited until the end (unanswered); a
    caller answered and then hung up (on hold, or queued again) is answered, not abandoned,
    and so is one answered and still queued again at the end (unfinished).
    """
    scenario, records = simulate(data, seed, replication)
    table = contacts_frame(records, scenario, replication)
    flags = table[["answered", "abandoned", "blocked", "self_served", "balked"]].sum(axis=1)
    expected = np.where(table["outcome"] == "unanswered", 0, 1)
    twice = table[flags.to_numpy() != expected]
    assert twice.empty, twice[["contact_id", "outcome", "answered", "abandoned", "hold",
                               "transfers"]].head().to_string()


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_times_are_ordered(data, seed, replication):
    """Arrival <= answer <= end, durations >= 0, legs in order within their contact."""
    _, records = simulate(data, seed, replication)
    assert time_problems(records) == []


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_no_agent_double_booked(data, seed, replication):
    """An agent holds at most its concurrency of legs; busy agents are on duty."""
    scenario, records = simulate(data, seed, replication)
    assert booking_problems(scenario, records) == []


@SETTINGS
@given(scenarios(), SEEDS)
def test_staff_within_schedule_while_open(data, seed):
    """In opening hours, agents beyond the schedule are only those finishing a contact.

    At every moment, and in the intervals table (intervals inside opening hours).
    """
    scenario, records = simulate(data, seed, 0)
    assert staff_problems(scenario, records, open_only=True) == []
    table = intervals_of(scenario, records)
    assert interval_staff_problems(scenario, records, table) == []


@SETTINGS
@given(scenarios(), SEEDS)
def test_staff_within_schedule(data, seed):
    """Also after closing (idle agents go home), and in every interval of the table."""
    scenario, records = simulate(data, seed, 0)
    assert staff_problems(scenario, records, open_only=False) == []
    table = intervals_of(scenario, records)
    assert interval_staff_problems(scenario, records, table) == []


@SETTINGS
@given(scenarios(), SEEDS)
@example(  # found by hypothesis: the agent finished 0.09 s into an interval (busy = on duty)
    data={"name": "random", "seed": 1, "days": 2, "interval": "6h",
          "contact_types": {
              "t0": {"channel": "email", "arrivals": {"rate": "2/h"},
                     "handle": {"dist": "exponential", "mean": 20}},
              "t1": {"channel": "phone", "arrivals": {"rate": "4/h", "forecast_error": 0.2},
                     "handle": {"dist": "erlang", "mean": 112, "k": 3}}},
          "agents": {"g0": {"skills": ["t0", "t1"], "staff": [0, 1, 0, 0]}}},
    seed=2)
def test_occupancy_within_bounds(data, seed):
    """Busy / available agent time is in 0..1 overall, per group, type and interval."""
    scenario, _ = simulate(data, seed, 0)
    result = sim.run(scenario, seed=seed, replications=1)
    assert occupancy_problems(result) == []


@SETTINGS
@given(scenarios(), SEEDS)
def test_every_counted_contact_is_offered_balked_blocked_or_self_served(data, seed):
    """Offered + balked + blocked + self-served: every counted contact, overall and per type.

    Balked callers left on arrival: not offered (like a busy signal), never answered.
    """
    scenario, _ = simulate(data, seed, 0)
    result = sim.run(scenario, seed=seed, replications=1)
    contacts = result.contacts
    counted = contacts[(contacts["arrival"] >= scenario.warmup)
                       & (contacts["arrival"] < scenario.days * DAY)]
    assert not (counted["balked"] & counted["answered"]).any()
    for name, kpis in [("all", result.summary), *result.by_type.items()]:
        mine = counted if name == "all" else counted[counted["contact_type"] == name]
        total = kpis["offered"] + kpis["balked"] + kpis["blocked"] + mine["self_served"].sum()
        assert total == len(mine), name
        if kpis["balked"]:
            assert kpis["balk_rate"] == kpis["balked"] / (kpis["offered"] + kpis["balked"])


TIE_THEN_ROUNDING = {  # found by CI: a tie (alike on both paths since RESULTS_VERSION 5), then a
    # later leg a rounding apart
    "name": "random", "seed": 1, "days": 2, "open": "06:00", "close": "08:00",
    "interval": "30m",
    "contact_types": {"t0": {
        "channel": "email", "handle": {"dist": "deterministic", "value": 20},
        "arrivals": {"rate": "8/h", "day_factors": [0.5], "forecast_error": 0.2},
        "duplicate_answers": 0.2}},
    "agents": {"g0": {"skills": ["t0"], "staff": 2}}}


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
@example(TIE_THEN_ROUNDING, 93, 0)
def test_fast_paths_change_nothing(data, seed, replication):
    """The engine's shortcuts give the very records of the general path."""
    scenario, fast = simulate(data, seed, replication)
    slow = run_replication(scenario, seed, replication, fast_paths=False)
    differences = record_differences(fast, slow)
    if differences and capped_callbacks_explain(scenario, fast, slow):
        event("a capped callback in another type's queue (test_fast_path_keeps_the_cap)")
        reject()
    if differences and only_rounding(fast, slow):
        event("times a rounding apart (test_leg_answered_when_its_contact_is)")
        reject()
    assert differences == []


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_folded_menus_change_nothing(data, seed, replication):
    """Menus folded into the arrival stream give the records of menus as events.

    A drawn contact enters straight out of its IVR menu at arrival + menu time, one event
    (RESULTS_VERSION 6), where a run with ``fold_ivr=False`` has two.
    """
    scenario, folded = simulate(data, seed, replication)
    if not any(ct.ivr for ct in scenario.contact_types.values()):
        event("no IVR: nothing folded")
    apart = _Replication(scenario, draw_contacts(scenario, seed, replication), seed,
                         replication, None, fold_ivr=False).run()
    differences = record_differences(folded, apart)
    if differences and only_rounding(folded, apart):
        event("times a rounding apart (test_leg_answered_when_its_contact_is)")
        reject()
    assert differences == []


def capped_callbacks_explain(scenario: sim.Scenario, fast: Records, slow: Records) -> bool:
    """Whether only callbacks of capped types waiting in another queue differ (known)."""
    capped = np.array([bool(ct.handle_cap and ct.callback and ct.callback.queue)
                       for ct in scenario.contact_types.values()])
    differ = np.zeros(fast.n, bool)
    for name in ("answer", "end", "wait", "queue_time", "talk", "hold", "state", "resolved",
                 "group", "agent"):
        a, b = getattr(fast, name), getattr(slow, name)
        if a.shape != b.shape:
            return False
        same = a == b
        if a.dtype.kind == "f":
            same |= np.isnan(a) & np.isnan(b)
        differ |= ~same
    suspects = capped[fast.contact_type] & (fast.callback == 1)
    return bool(differ.any() and not (differ & ~suspects).any())


def test_fast_path_keeps_the_cap():
    """A capped type's callbacks, served from a callback queue, are capped on either path."""
    det = {"dist": "deterministic", "value": 100}
    scenario = sim.scenario_from_dict({
        "name": "capped callbacks", "open": "08:00", "close": "09:00", "interval": "1h",
        "contact_types": {
            "calls": {"arrivals": {"rate": "20/h"}, "handle": det, "handle_cap": {"max": 60},
                      "callback": {"threshold": 0, "accept": 1.0, "queue": "call_backs"}},
            "call_backs": {"arrivals": {"rate": 0}, "handle": det}},
        "agents": {"pool": {"skills": ["calls", "call_backs"], "staff": 1}}})
    fast = run_replication(scenario, 1, 0)
    assert fast.callback.any()
    assert fast.talk.max() == 60.0
    assert record_differences(fast, run_replication(scenario, 1, 0, fast_paths=False)) == []


def test_leg_answered_when_its_contact_is():
    """A contact answered on arrival has its leg answered at the same instant, bit for bit.

    The first arrival of day 2 in a center open 06:00-10:00 comes more than twice as late
    as the last of day 1, so ``now + (t - now)`` differs from ``t`` in the last place: the
    arrival stream's event falls on ``t`` itself since RESULTS_VERSION 6.
    """
    scenario = sim.scenario_from_dict({
        "name": "one ulp", "days": 2, "open": "06:00", "close": "10:00", "interval": "1h",
        "contact_types": {
            "calls": {"arrivals": {"rate": "60/h"},
                      "handle": {"dist": "exponential", "mean": 30}},
            "other": {"arrivals": {"rate": 0}, "handle": {"dist": "exponential", "mean": 30},
                      "transfer": {"probability": 0.0, "to": "other"}}},  # legs recorded
        "agents": {"pool": {"skills": ["calls", "other"], "staff": 5}}})
    for fast_paths in (True, False):
        records = run_replication(scenario, 5, 0, fast_paths=fast_paths)
        row = records.legs["contact_row"]
        assert np.array_equal(records.legs["answered"], records.answer[row], equal_nan=True)


def test_fast_path_breaks_ties_alike():
    """A post and its duplicate answer end together; the next post gets the same agent."""
    scenario = sim.scenario_from_dict({
        "name": "tie", "interval": "1h",
        "contact_types": {"posts": {"channel": "email", "arrivals": {"rate": "1/h"},
                                    "handle": {"dist": "deterministic", "value": 20},
                                    "duplicate_answers": 1.0}},
        "agents": {"team": {"skills": ["posts"], "staff": 2}}})
    draws = ContactDraws(arrival=np.array([0.0, 100.0]), contact_type=np.zeros(2, np.int16),
                         handle=np.array([20.0, 20.0]), patience=np.full(2, np.inf))
    fast = run_replication(scenario, 0, draws=draws)
    slow = run_replication(scenario, 0, draws=draws, fast_paths=False)
    assert record_differences(fast, slow) == []


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_tracing_changes_nothing(data, seed, replication):
    """Sampling queues and busy agents (an observer) leaves the records as they were.

    Except, for now, the recorded end of abandoned legs: the engine writes the moment it
    noticed the abandonment, and with a trace the run ends later
    (:func:`test_abandoned_leg_ends_when_customer_hangs_up`); and examples where only
    the staff log after closing differs are set aside: idle agents stay after closing
    while a contact whose patience ran out is still queued (not yet seen to abandon), and
    leave when the run ends, which the trace postpones to midnight (issue 11 item 2;
    :func:`test_staff_within_schedule`).
    """
    scenario, plain = simulate(data, seed, replication)
    traced = run_replication(scenario, seed, replication, trace_every=600.0)
    plain, traced = without_abandoned_leg_ends(plain), without_abandoned_leg_ends(traced)
    if only_staff_after_closing(scenario, plain, traced):
        event("agents leave after closing when the run ends (issue 11 item 2)")
        reject()
    assert record_differences(plain, traced) == []


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_abandoned_leg_ends_when_customer_hangs_up(data, seed, replication):
    """A leg that ends with the customer hanging up in a queue ends at the contact's end."""
    _, records = simulate(data, seed, replication)
    assert abandoned_leg_problems(records) == []


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_every_consult_request_leaves_a_leg(data, seed, replication):
    """One leg per queue visit: a consult request called off (customer gone) leaves one too."""
    _, records = simulate(data, seed, replication)
    assert consult_leg_problems(records) == []


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_trace_queues_are_the_legs_waiting(data, seed, replication):
    """The queue trace counts the contacts waiting, as the legs table has them."""
    _, records = simulate(data, seed, replication, trace_every=60.0)
    if not records.legs or np.isin(records.state, list(NOT_SERVED)).any():
        event("trace against legs: no legs, or a contact still waiting at the end")
        return
    assert trace_queue_problems(records) == []


CONSULT_NOBODY_ANSWERS = {
    "one agent consults its own queue": (
        {"calls": {"consult": {"probability": 1.0, "to": "calls", "talk": DET_30}}},
        {"pool": {"skills": ["calls"], "staff": 1}}),
    "consultants consult their own queue (customers hang up on hold)": (
        {"calls": {"consult": {"probability": 1.0, "to": "calls", "talk": DET_30,
                               "hold_patience": DET_30}}},
        {"pool": {"skills": ["calls"], "staff": 2}}),
    "the desk consulted is off duty": (
        {"calls": {"consult": {"probability": 1.0, "to": "fraud", "talk": DET_30}},
         "fraud": {"arrivals": {"rate": 0}}},
        {"pool": {"skills": ["calls"], "staff": 1},
         "desk": {"skills": ["fraud"], "staff": [1, 0]}}),
}


@pytest.mark.parametrize("case", list(CONSULT_NOBODY_ANSWERS))
def test_consult_nobody_can_answer(case):
    """Like a warm transfer: stopped with an error, or every contact gets an outcome."""
    types, agents = CONSULT_NOBODY_ANSWERS[case]
    data = {"name": case, "open": "08:00", "close": "10:00", "interval": "1h",
            "contact_types": {name: {"arrivals": {"rate": "4/h"}, "handle": DET_30, **spec}
                              for name, spec in types.items()},
            "agents": agents}
    scenario = sim.scenario_from_dict(data)
    try:
        records = run_replication(scenario, 1, 0)
    except SimulationError:
        return
    assert outcome_problems(scenario, records) == []
    trace = run_replication(scenario, 1, 0, trace_every=3600.0).trace
    assert [trace[f"busy.{g}"][-1] for g in agents] == [0] * len(agents)


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_a_transfer_that_never_fires_changes_no_contact(data, seed, replication):
    """Every type without a handoff given a transfer at probability 0: the same contacts.

    Repeats, retrials and complaints included (contacts made during the run decide it
    with their own numbers); only the legs table appears (a handoff may happen).
    """
    never_data = copy.deepcopy(data)
    first_type = next(iter(data["contact_types"]))
    for ct in never_data["contact_types"].values():
        if "transfer" not in ct and "consult" not in ct:
            ct["transfer"] = {"probability": 0.0, "to": first_type}
    _, none = simulate(data, seed, replication)
    never = run_replication(sim.scenario_from_dict(never_data), seed, replication)
    assert [name for name in record_differences(never, none)
            if not name.startswith("legs")] == []


def test_a_journey_option_that_never_fires_changes_nothing():
    """A transfer at probability 0 gives the contacts of no transfer, ties and all.

    Two agents answer a contact each at 0 and end together at 20; the caller waiting
    since 5 goes to whichever ends first. A contact that is never handed on is served as
    a plain call either way, so a what-if sweep starting at 0% starts where "none" is.
    """
    def scenario(transfer):
        det = {"dist": "deterministic", "value": 20}
        return sim.scenario_from_dict({
            "name": "tie", "interval": "1h",
            "contact_types": {"a": {"arrivals": {"rate": "1/h"}, "handle": det},
                              "b": {"arrivals": {"rate": "1/h"}, "handle": det,
                                    **transfer}},
            "agents": {"team": {"skills": ["a", "b"], "staff": 2}}})

    draws = ContactDraws(arrival=np.array([0.0, 0.0, 5.0]),
                         contact_type=np.array([1, 0, 0], np.int16),
                         handle=np.full(3, 20.0), patience=np.full(3, np.inf))
    never = run_replication(scenario({"transfer": {"probability": 0.0, "to": "a"}}), 0,
                            draws=draws)
    none = run_replication(scenario({}), 0, draws=draws)
    assert never.agent[2] == none.agent[2]
    assert [name for name in record_differences(never, none)
            if not name.startswith("legs")] == []


@SETTINGS
@given(scenarios(), SEEDS, REPLICATIONS)
def test_numbers_worked_out_at_once_are_the_ones_drawn_one_at_a_time(data, seed, replication):
    """Dropping the up-front tables of later steps' numbers changes no record.

    The engine works out a drawn contact's second-leg, misroute, comeback and consult
    numbers (and its first consult request's own consult decision) with numpy before the
    run; each step falls back to keyed.uniform (and keyed.child) without them. Both ways
    must give the very same records.
    """
    from sim import contacts

    scenario, upfront = simulate(data, seed, replication)
    later = {(keyed.PATIENCE, 1), (keyed.HANDLE, 2),
             (keyed.TRANSFER, 2), keyed.MISROUTE_TALK,
             keyed.COMEBACK, keyed.COMEBACK_DELAY, keyed.OPENING,
             (keyed.CONSULT_TALK, 1), (keyed.HOLD_PATIENCE, 1)}
    built = contacts.ContactBook.__init__

    def without_later_tables(book, *args, **kwargs):
        built(book, *args, **kwargs)
        for purpose in later:
            book.first_numbers.pop(purpose, None)
        book.first_children.clear()
        book.child_numbers.clear()

    contacts.ContactBook.__init__ = without_later_tables
    try:
        one_at_a_time = run_replication(scenario, seed, replication)
    finally:
        contacts.ContactBook.__init__ = built
    assert record_differences(upfront, one_at_a_time) == []
