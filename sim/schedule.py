"""Schedule: the calendar of a run and every agent group's staffing as a step function.

A run covers ``days`` days; each day the center is open from ``open`` to ``close`` and
that time is cut into equal intervals, the unit of staffing and reporting. Staffing
may be given per interval or as shifts with breaks; either way it becomes one canonical
form, a list of :class:`StaffChange` (from this moment, this many agents on the phones),
after absences (:mod:`sim.absence`, when a replication's are given) and shrinkage.
At every close the target drops to zero in *drain* mode: agents finish
the contacts already waiting, then go home.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.absence import Absences
from sim.scenario import Scenario
from sim.scenario_agents import AgentGroup
from sim.scenario_errors import Problem
from sim.scenario_journeys import TransferMode
from sim.units import DAY, opening_hours
from sim.weekdays import WEEKDAYS, weekday_of


@dataclass(frozen=True)
class StaffChange:
    """From ``time`` (seconds) on, ``count`` agents; ``drain``: at close, serve the queue first."""

    time: float
    count: int
    drain: bool = False


def day_windows(scenario: Scenario) -> list[tuple[float, float]]:
    """Opening windows ``(open, close)`` of each day, in seconds from the run start."""
    return [(d * DAY + scenario.open, d * DAY + scenario.close) for d in range(scenario.days)]


def interval_starts(scenario: Scenario) -> np.ndarray:
    """Start time (seconds) of every interval in opening hours, over all days, in order."""
    per_day = scenario.open + scenario.interval * np.arange(scenario.intervals_per_day)
    return (DAY * np.arange(scenario.days)[:, None] + per_day[None, :]).ravel()


def in_opening_hours(scenario: Scenario, times: np.ndarray) -> np.ndarray:
    """Whether each time (seconds from day 0) falls in an interval of the run's opening hours.

    Drawn arrivals come only then; so does a replayed trace's (:mod:`sim.contacts`): a
    logged contact before opening, after closing or past the last day is not replayed.
    """
    starts = interval_starts(scenario)
    slot = np.searchsorted(starts, times, side="right") - 1
    return (slot >= 0) & (times < starts[np.maximum(slot, 0)] + scenario.interval)


def days_listed(scenario: Scenario, days: int, what: str) -> list[Problem]:
    """Fields giving each of the scenario's days its own values, to be run over other ``days``.

    ``per_interval`` arrivals and ``staff`` list one day's intervals, or every day's: over
    another number of days, every day's values are no day's. ``what``: the days, for people.
    """
    if scenario.days in (1, days):
        return []
    listed = [(f"contact_types.{t}.arrivals.per_interval", ct.arrivals.per_interval)
              for t, ct in scenario.contact_types.items()]
    listed += [(f"agents.{g}.staff", group.staff) for g, group in scenario.agents.items()]
    return [Problem(path, f"gives each of the scenario's {scenario.days} days its own values, "
                          f"but {days} days are simulated ({what}); give one day's values "
                          "(and day_factors)")
            for path, values in listed
            if isinstance(values, list) and len(values) != scenario.intervals_per_day]


def per_interval(values: list[float] | list[int], scenario: Scenario) -> np.ndarray:
    """Expand a one-day (or all-days) per-interval list to every interval of the run."""
    array = np.asarray(values, dtype=float)
    if array.size == scenario.intervals_per_day:
        array = np.tile(array, scenario.days)
    return array


def on_phones(scheduled: float, shrinkage: float) -> int:
    """Agents on the phones out of ``scheduled``, after shrinkage, rounded half up."""
    return math.floor(scheduled * (1.0 - shrinkage) + 0.5)


def staff_changes(scenario: Scenario, group: AgentGroup,
                  absences: Absences | None = None) -> list[StaffChange]:
    """The group's staffing over the whole run as a time-ordered list of changes.

    Args:
        scenario: The scenario (its calendar: the days to staff).
        group: The agent group.
        absences: Who is absent on which day (one replication's); None: nobody.
    """
    changes: list[StaffChange] = []
    starts = interval_starts(scenario)
    ipd = scenario.intervals_per_day
    if isinstance(group.staff, list):
        counts = per_interval(group.staff, scenario)
    for day, (opening, closing) in enumerate(day_windows(scenario)):
        if isinstance(group.staff, int):
            points = [(opening, float(group.staff))]
        elif isinstance(group.staff, list):
            points = list(zip(starts[day * ipd:(day + 1) * ipd], counts[day * ipd:(day + 1) * ipd]))
        else:
            points = _shift_points(scenario, group, opening, closing, absences)
        if absences is not None and group.staff is not None:
            points = _present_points(points, absences, day)
        for time, scheduled in points:
            count = on_phones(scheduled, group.shrinkage)
            if not changes or changes[-1].count != count or changes[-1].drain:
                changes.append(StaffChange(float(time), count))
        if closes_for_the_night(scenario, day):
            changes.append(StaffChange(closing, 0, drain=True))
    return changes


def closes_for_the_night(scenario: Scenario, day: int) -> bool:
    """Whether everyone goes home at ``day``'s closing (drain mode).

    Not where the center is open round the clock (the next day opens as this one closes,
    nobody leaves), except after the run's last day.
    """
    return scenario.close < DAY + scenario.open or day == scenario.days - 1


def closings(scenario: Scenario) -> np.ndarray:
    """The times (seconds, in order) at which everyone goes home: each night's closing.

    Open round the clock, only the end of the run's last day.
    """
    return np.array([closing for day, (_, closing) in enumerate(day_windows(scenario))
                     if closes_for_the_night(scenario, day)])


def _present_points(points: list[tuple[float, float]], absences: Absences,
                    day: int) -> list[tuple[float, float]]:
    """Per-interval staff on ``day`` less its absent agents: agent k works when >= k are due."""
    most = int(max((n for _, n in points), default=0))
    absent = np.concatenate([[0], np.cumsum(absences.absent(day + 1, most))])
    return [(time, n - absent[int(n)]) for time, n in points]


def _shift_points(scenario: Scenario, group: AgentGroup, opening: float, closing: float,
                  absences: Absences | None = None) -> list[tuple[float, float]]:
    """Scheduled agents at opening and at every shift or break edge inside the window.

    With ``absences``, each shift's count on a day is the agents of it who came.
    """
    deltas: dict[float, float] = {}
    day_start = math.floor(opening / DAY) * DAY
    today = round(day_start / DAY)
    for s, shift in enumerate(group.shifts or ()):
        # a shift that started the day before may still run after midnight
        for day, start in ((today - 1, day_start - DAY + shift.start),
                           (today, day_start + shift.start)):
            if not shift.worked_on(day, weekday_of(scenario, day)):
                continue
            came = (shift.count if absences is None
                    else absences.present(day + 1, shift.count, shift=s))
            add_shift(deltas, start, shift, came, shift.breaks)
    times = sorted(deltas)
    level = sum(deltas[t] for t in times if t <= opening)
    points = [(opening, level)]
    for t in times:
        if opening < t < closing:
            level += deltas[t]
            points.append((t, level))
    return points


def add_shift(deltas: dict[float, float], start: float, shift, count: float,
              breaks) -> None:
    """Add ``count`` agents of ``shift`` from ``start``, off during ``breaks``, to ``deltas``.

    ``deltas``: time -> change in agents (a step function once summed in time order).
    """
    pieces = [(start, start + shift.length, count)]
    pieces += [(start + b.at, start + b.at + b.length, -count) for b in breaks]
    for begin, end, change in pieces:
        deltas[begin] = deltas.get(begin, 0.0) + change
        deltas[end] = deltas.get(end, 0.0) - change


def with_cooldown(scenario: Scenario) -> Scenario:
    """The calendar the engine runs: the measured days and the days the cooldown reaches into.

    The center keeps running as usual during ``cooldown``: the same opening hours, the
    staffing and the arrival pattern cycling on (an all-days per-interval list starts over
    at its first day, day factors continue their cycle). Without a cooldown, the scenario
    itself.
    """
    if scenario.cooldown <= 0:
        return scenario
    days = scenario.days + math.ceil(scenario.cooldown / DAY)
    size = days * scenario.intervals_per_day

    def cycled(values):
        if isinstance(values, list) and len(values) != scenario.intervals_per_day:
            return list(np.resize(np.asarray(values), size).tolist())
        return values

    types = {
        name: ct.model_copy(update={"arrivals": ct.arrivals.model_copy(
            update={"per_interval": cycled(ct.arrivals.per_interval)})})
        for name, ct in scenario.contact_types.items()
    }
    agents = {name: group.model_copy(update={"staff": cycled(group.staff)})
              for name, group in scenario.agents.items()}
    return scenario.model_copy(update={"days": days, "contact_types": types, "agents": agents})


def unanswerable(scenario: Scenario) -> list[tuple[str, str]]:
    """Contact types that may get contacts but that no agent on the phones can ever answer.

    Returns ``(dotted path, reason)`` pairs, for a warning: such a scenario runs (its
    contacts wait until they hang up, or stay ``unanswered``), but is rarely what was meant.
    """
    never, coming = _never_answered(scenario), _may_come(scenario)
    found = []
    for name in scenario.contact_types:
        groups = [step.group for step in scenario.routes(name)]
        if name in coming and name in never:
            found.append((f"contact_types.{name}", (
                f"nobody can answer it: {', '.join(map(repr, groups))} never "
                f"{'has' if len(groups) == 1 else 'have'} an agent on the phones (staff 0, "
                "or all of it shrinkage); its contacts wait "
                "until they hang up, or are counted as unanswered")))
    return found


def holds_never_answered(scenario: Scenario) -> list[tuple[str, str]]:
    """Agents told to hold for a queue nobody ever answers: the run could never end them.

    A consult the customer cannot end (no ``hold_patience``), a warm or conference
    transfer, or an escalation as a consult, into a contact type no agent is ever on the
    phones for, from a type (or group) that does answer contacts: the first such hold
    lasts for ever, and the simulation refuses the run only after it. Returns ``(dotted
    path, reason)`` pairs, problems of the scenario; none with real-time ``rules`` (they
    may move agents, call in overtime or open an overflow to that queue while it runs).
    """
    if scenario.rules:
        return []
    never, coming = _never_answered(scenario), _may_come(scenario)
    holds = []
    for name, ct in scenario.contact_types.items():
        if name in coming and name not in never:
            consult, transfer = ct.consult, ct.transfer
            if consult and consult.probability > 0 and consult.hold_patience is None:
                holds.append((f"contact_types.{name}.consult", consult.to, "a consult with"))
            if transfer and transfer.probability > 0 and transfer.mode is not TransferMode.COLD:
                holds.append((f"contact_types.{name}.transfer", transfer.to,
                              f"a {transfer.mode.value} transfer to"))
    for name, group in scenario.agents.items():
        escalate = group.escalate
        answers = any(skill in coming and skill not in never for skill in group.skills)
        if answers and escalate and escalate.probability > 0 and escalate.mode == "consult":
            holds.append((f"agents.{name}.escalate", escalate.to, "a consult with"))
    return [(path, f"{what} {to!r} would never be answered: no agent who can answer it is "
             "ever on the phones, and the agent holding would wait for ever; staff a group "
             f"for {to!r}" + (", or give the consult a hold_patience" if "consult" in path
                               and path.startswith("contact_types") else ""))
            for path, to, what in holds if to in never]


def _never_answered(scenario: Scenario) -> set[str]:
    """Contact types none of whose groups ever has an agent on the phones."""
    on_phones_ever = {
        name: any(change.count > 0 for change in staff_changes(scenario, group))
        for name, group in scenario.agents.items()
    }
    return {name for name in scenario.contact_types
            if not any(on_phones_ever.get(step.group) for step in scenario.routes(name))}


def _may_come(scenario: Scenario) -> set[str]:
    """Contact types that may get contacts: arrivals of their own, or sent from another."""
    coming = {name for _, name in scenario.journey_references()}
    for name, ct in scenario.contact_types.items():
        arrivals = ct.arrivals
        if ((arrivals.rate or 0.0) > 0 or any(v > 0 for v in arrivals.per_interval or ())
                or arrivals.trace is not None):
            coming.add(name)
    return coming


def trace_outside_hours(scenario: Scenario, whole_trace: bool = False
                        ) -> list[tuple[str, str]]:
    """Replayed traces with contacts outside the opening hours, which are not replayed.

    Returns ``(dotted path, reason)`` pairs counting them among the trace's contacts in
    the run's days (its measured days and cooldown; later ones are not replayed either:
    :func:`trace_after_run`), or among all of them with ``whole_trace`` (a backtest runs
    as many days as the trace spans).
    """
    found = []
    calendar, end = with_cooldown(scenario), scenario.days * DAY + scenario.cooldown
    for name, ct in scenario.contact_types.items():
        if ct.arrivals.trace is None:
            continue
        times = ct.arrivals.trace_rows(name)[0]
        if whole_trace and times.size:  # the hours of every day it spans
            calendar = scenario.model_copy(update={"days": int(times.max() // DAY) + 1})
        else:
            times = times[times < end]
        outside = int((~in_opening_hours(calendar, times)).sum())
        if outside:
            found.append((f"contact_types.{name}.arrivals.trace", (
                f"{outside:,} of its {times.size:,} contacts in the run's days arrive outside "
                f"the opening hours {opening_hours(scenario.open, scenario.close)}: not "
                "replayed, as no drawn contact arrives then")))
    return found


def trace_after_run(scenario: Scenario) -> list[tuple[str, str]]:
    """Replayed traces with contacts after the run's days (and cooldown), not replayed.

    A scenario's ``days`` (1 unless given) decides how much of a log is replayed; a log
    of a month behind a scenario of one day would otherwise lose all but its first day
    without a word. Returns ``(dotted path, reason)`` pairs counting them.
    """
    found = []
    end = scenario.days * DAY + scenario.cooldown
    for name, ct in scenario.contact_types.items():
        if ct.arrivals.trace is None:
            continue
        times = ct.arrivals.trace_rows(name)[0]
        later = int((times >= end).sum())
        if later:
            span = int(times.max() // DAY) + 1
            found.append((f"contact_types.{name}.arrivals.trace", (
                f"{later:,} of its {times.size:,} contacts arrive after the run's "
                f"{scenario.days} day{'s' if scenario.days > 1 else ''}"
                f"{' and cooldown' if scenario.cooldown else ''}: not replayed (the log spans "
                f"{span} days from its first; days: {span} replays them all)")))
    return found


def trace_weekdays(scenario: Scenario) -> list[tuple[str, str]]:
    """Replayed traces whose dates fall on other weekdays than the run days they fill.

    A trace's day ``d`` is ``d`` days after its first date; with day factors named by day
    of the week the run's day ``d`` is the weekday they give it (:func:`weekday_of`),
    from a Monday and skipping days not named. A log starting on a Wednesday, or with
    weekends, then fills a Monday with a Wednesday's calls, beside Monday's drawn ones.
    """
    found = []
    for name, ct in scenario.contact_types.items():
        first = ct.arrivals.trace_first_day
        if first is None or weekday_of(scenario, 0) is None:
            continue
        times = ct.arrivals.trace_rows(name)[0]
        days = np.unique((times[times < scenario.days * DAY] // DAY).astype(int))
        wrong = [d for d in days if weekday_of(scenario, int(d)) != (first.day_of_week + d) % 7]
        if wrong:
            found.append((f"contact_types.{name}.arrivals.trace", (
                f"{len(wrong)} of the {days.size} days it replays fall on another weekday "
                f"than the run day they fill (its day 0 is {first.day_name()} "
                f"{first.date()}, the run's a "
                f"{WEEKDAYS[weekday_of(scenario, 0)].value.capitalize()}, its "
                "days the weekdays its day factors name): list the log's weekdays as the "
                "run's `weekdays`, or compare it with `ccsim backtest`, which dates each day")))
    return found


def trace_read_warnings(scenario: Scenario) -> list[tuple[str, str]]:
    """What reading a replayed trace warned of (a ccsim contacts file that cannot be dated)."""
    return [(f"contact_types.{name}.arrivals.trace", line)
            for name, ct in scenario.contact_types.items() if ct.arrivals.trace is not None
            for line in ct.arrivals.trace_warnings()]


def scenario_warnings(scenario: Scenario, whole_trace: bool = False
                      ) -> list[tuple[str, str]]:
    """``(dotted path, reason)`` of what is valid but rarely meant, for warning lines.

    Args:
        scenario: The scenario.
        whole_trace: A replayed trace is run over all the days it spans (a backtest),
            whatever the scenario's ``days``.
    """
    return (unanswerable(scenario) + trace_read_warnings(scenario)
            + trace_outside_hours(scenario, whole_trace)
            + ([] if whole_trace else trace_after_run(scenario) + trace_weekdays(scenario)))
