"""Agent groups: agents with the same skills and schedule, and how they are staffed.

An :class:`AgentGroup` says which contact types its agents answer and in which order
(skills and priorities), how many are on duty (``staff`` per interval, or
:class:`Shift` s with their :class:`Break` s), how many contacts each handles at once,
and what it does with a contact after the call (:class:`Escalation`) or between inbound
contacts (:class:`Blending`).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator

from sim.distributions import Distribution
from sim.scenario_base import Name, Probability, _Frozen
from sim.units import DAY, Clock, Count, Duration, Number, format_clock_exact, opening_hours
from sim.weekdays import WEEKDAYS, Weekday, weekday_number


class Break(_Frozen):
    """A break during a shift: ``at`` seconds after the shift start, for ``length`` seconds.

    ``paid: false`` (an unpaid lunch) leaves it out of the staff cost; breaks are paid
    time by default.
    """

    at: Annotated[Duration, Field(ge=0.0)]
    length: Annotated[Duration, Field(gt=0.0)]
    paid: bool = True


def _shift_day(value: Any) -> Any:
    """``Monday`` is :attr:`Weekday.MONDAY`; a number is left to the number's rules."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    if text in {w.value for w in WEEKDAYS}:
        return Weekday(text)
    if text.isdigit():
        return int(text)
    raise ValueError(f"must be a day of the week (monday ... sunday) or a number 0 to 6, "
                     f"got {value!r}")


_ShiftDay = Annotated[Annotated[int, Field(ge=0, le=6)] | Weekday, BeforeValidator(_shift_day)]


class Shift(_Frozen):
    """``count`` agents working from clock time ``start`` for ``length`` seconds, every day.

    ``days`` limits it to some days of the week; the default is every day. With day
    factors named by day of the week (:mod:`sim.weekdays`) they are the days of the week
    by name (``[monday, friday]``) or number (0 = Monday), each one the run has. Without,
    they are numbers counted from the run's first day (0 to 6; day ``d`` of the run is
    day ``d % 7`` of the week). ``hourly``: what an hour of it is paid, where not its
    group's ``costs`` hourly (overtime stays at the group's).
    """

    start: Clock
    length: Annotated[Duration, Field(gt=0.0, le=DAY)]
    count: Annotated[Count, Field(ge=0)]
    breaks: tuple[Break, ...] = ()
    days: tuple[_ShiftDay, ...] | None = None
    # ccsim schedule writes the rate it priced a shift at where it is not the group's
    hourly: Annotated[Number, Field(ge=0.0)] | None = None

    def worked_on(self, day: int, weekday: int | None) -> bool:
        """Whether the shift starting on day ``day`` of the run is worked.

        Args:
            day: The day of the run.
            weekday: Its day of the week (0 = Monday; :func:`sim.weekdays.weekday_of`), or
                None when the run's days are no weekday (``days`` count from day 0).
        """
        if self.days is None:
            return True
        return (day % 7 if weekday is None else weekday) in {weekday_number(d)
                                                             for d in self.days}

    def meets_opening_hours(self, open_s: float, close_s: float) -> bool:
        """Whether some of the shift falls in the opening hours ``[open_s, close_s)``.

        Its own day's, or the next day's (a shift running past midnight). Agents take
        contacts only while the center is open, so a shift with no time there would be
        paid for nothing (:func:`sim.costs.paid_agents`).
        """
        end = self.start + self.length
        return any(self.start < close_s + k * DAY and end > open_s + k * DAY for k in (0, 1))

    @model_validator(mode="after")
    def _breaks_inside(self) -> Shift:
        for b in self.breaks:
            if b.at + b.length > self.length:
                raise ValueError(
                    f"break at {b.at:g}s for {b.length:g}s ends after the shift "
                    f"({self.length:g}s long)"
                )
        # an agent takes one break at a time: two at once counted them off the phones
        # twice (below 0 agents) and took the overlap's unpaid time off their pay twice
        spans = sorted((b.at, b.at + b.length, k) for k, b in enumerate(self.breaks))
        for (_, end, k), (begin, _, j) in pairwise(spans):
            if begin < end:
                raise ValueError(f"breaks[{min(k, j)}] and breaks[{max(k, j)}] overlap "
                                 f"({format_clock_exact(self.start + begin)} is inside both): an "
                                 "agent takes one break at a time")
        return self


class Escalation(_Frozen):
    """With ``probability`` after a call, this group passes the contact on to ``to``.

    ``to`` is a contact type (tier-2 or supervisor queue); ``as`` a transfer or a consult.
    """

    probability: Probability
    to: Name
    mode: Literal["transfer", "consult"] = Field(default="transfer", alias="as")
    talk: Distribution | None = None  # consult length (required when as: consult)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True,
                              allow_inf_nan=False)

    @model_validator(mode="after")
    def _talk_for_consult(self) -> Escalation:
        if self.mode == "consult" and self.talk is None:
            raise ValueError("an escalation 'as: consult' needs 'talk' (the consult length)")
        return self


class Blending(_Frozen):
    """Work a backlog (emails, outbound follow-ups) only when no inbound contact waits.

    The ``backlog`` contact types are served after every other skill, and only while at
    least ``reserve`` other agents of the group stay idle for inbound contacts.
    """

    backlog: list[Name] = Field(min_length=1)
    reserve: Annotated[Count, Field(ge=0)] = 0


class AgentGroup(_Frozen):
    """Agents with the same skills and schedule.

    ``skills`` maps contact type -> priority (1 is served first); a list means every skill
    has priority 1. Staffing is one of ``staff`` (a constant, or agents per interval from
    opening for one day or every day) and ``shifts``. ``shrinkage`` is the fraction of the
    scheduled agents not on the phones (breaks, meetings, absence) and is taken off.
    ``absenteeism`` is the probability that a scheduled agent misses a whole day, drawn
    per agent and day (:mod:`sim.absence`); shrinkage is then taken off those who came.
    """

    skills: dict[Name, Annotated[Count, Field(ge=1)]] = Field(min_length=1)
    resolution_factor: Annotated[Number, Field(ge=0.0)] = 1.0  # x the type's resolution
    escalate: Escalation | None = None
    blending: Blending | None = None
    staff: Annotated[Count, Field(ge=0)] | list[Annotated[Count, Field(ge=0)]] | None = None
    shifts: tuple[Shift, ...] | None = None
    shrinkage: Annotated[Number, Field(ge=0.0, lt=1.0)] = 0.0
    absenteeism: Annotated[Number, Field(ge=0.0, lt=1.0)] = 0.0  # P(a scheduled agent misses a day)
    concurrency: Annotated[Count, Field(ge=1, le=100)] = 1  # chats/posts/emails at once
    concurrency_slowdown: Annotated[Number, Field(ge=1.0)] = 1.0  # x handle when concurrency > 1
    # handles this many times faster than the handle times drawn (1.25: 20% shorter talks)
    speed: Annotated[Number, Field(gt=0.0, le=100.0)] = 1.0
    # each agent's own speed: speed x a lognormal factor of mean 1 and this cv (sim.routing)
    speed_cv: Annotated[Number, Field(ge=0.0, le=5.0)] = 0.0

    @field_validator("skills", mode="before")
    @classmethod
    def _skills_as_priorities(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if not all(isinstance(skill, str) for skill in value):
                raise ValueError(f"must be contact type names, got {_short(value)}")
            return {skill: 1 for skill in value}
        if not isinstance(value, dict):  # ('skills: calls' was told to give a mapping only)
            raise ValueError(f"must be a list of contact types or a mapping of contact type "
                             f"to priority, got {_short(value)}")
        return value

    @model_validator(mode="after")
    def _one_staffing(self) -> AgentGroup:
        if (self.staff is None) == (self.shifts is None):
            raise ValueError("give exactly one of 'staff' and 'shifts'")
        return self


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def shifts_outside_hours(agents: dict[str, AgentGroup], open_s: float,
                         close_s: float) -> list[tuple[str, str]]:
    """``(field path, reason)`` of every shift with no time in the opening hours.

    Agents take contacts only while the center is open, yet a shift is paid for all its
    time: one the center is never open for is a typo, not work (a refusal).
    """
    if close_s <= open_s:
        return []
    hours = opening_hours(open_s, close_s)
    return [(f"agents.{g}.shifts[{i}]", f"runs {format_clock_exact(shift.start)}-"
             f"{format_clock_exact(shift.start + shift.length)}, wholly outside opening hours "
             f"{hours}: its agents would take no contact, yet be paid")
            for g, group in agents.items() for i, shift in enumerate(group.shifts or ())
            if not shift.meets_opening_hours(open_s, close_s)]
