"""Scenario: the typed, frozen description of one contact center to simulate.

A scenario says when the center is open, what customers contact it about (contact
types, with their arrivals, handle times and patience), which agent groups answer them
(skills, staffing) and how contacts are routed. Everything here is already validated
and in seconds; :mod:`sim.loader` turns a YAML file into a :class:`Scenario`, and
:mod:`sim.schedule` turns staffing and arrival specs into time lines for the engine.

The field names mirror the YAML format in DESIGN.md, so a validation error's dotted
path (``agents.tier1.staff[3]``) points at the line a user has to fix.
"""

from __future__ import annotations

import difflib
import itertools
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.distributions import Distribution, Exponential
from sim.units import DAY, Clock, Count, Duration, Number, Rate

MAX_TRANSFERS = 100
"""Most transfers a contact may have (``max_transfers``): the engine counts them in a byte."""
MAX_COMEBACKS = 100
"""Most contacts an issue may make by ``retrial.max_attempts`` or ``repeat.max_contacts``:
each multiplies the work of a contact, and a zero delay would make them all at once."""
Probability = Annotated[Number, Field(ge=0.0, le=1.0)]
MAX_SEED = 2**63 - 1  # seeds are stored in int64 columns (sweep.parquet)
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Channel(str, Enum):
    """How a customer reaches the center.

    Phone and chat customers wait live (and may abandon); email and social posts wait
    in a backlog (give them no patience and a service level in hours). An agent group
    may handle several chats or posts at once (``concurrency``).
    """

    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    SOCIAL = "social"


CONCURRENT_CHANNELS = (Channel.CHAT, Channel.SOCIAL, Channel.EMAIL)


class TypeServiceLevel(_Frozen):
    """A contact type's own target, e.g. emails answered within 4 hours."""

    threshold: Annotated[Duration, Field(ge=0.0)]
    target: Probability = 0.80


class ServiceLevelDefinition(str, Enum):
    """The three service-level definitions used in industry.

    ``offered``: answered within the threshold / offered. ``answered``: answered within
    the threshold / answered. ``short_abandons_excluded``: answered within the threshold
    / (offered minus contacts that abandoned within the threshold).
    """

    OFFERED = "offered"
    ANSWERED = "answered"
    SHORT_ABANDONS_EXCLUDED = "short_abandons_excluded"


class ServiceLevel(_Frozen):
    """Service-level target: ``target`` of contacts answered within ``threshold`` seconds."""

    threshold: Annotated[Duration, Field(ge=0.0)] = 20.0
    target: Probability = 0.80
    definition: ServiceLevelDefinition = ServiceLevelDefinition.OFFERED


class Arrivals(_Frozen):
    """Arrival process of one contact type: Poisson, constant or piecewise constant, or a trace.

    Exactly one of ``rate`` (per second), ``per_interval`` (expected contacts in each
    interval from opening, for one day or for every day of the run) and ``trace`` is
    given. ``trace`` is a call log (see :mod:`sim.calllog`; relative to the scenario
    file, at most 10 MB) whose arrival times are replayed exactly, day 0 being the log's
    first day: its rows of this contact type, or all rows if it holds one type only.
    With ``trace_handle``, answered contacts keep their logged handle times.
    ``day_factors`` scale each day (cycled when shorter than the run);
    ``forecast_error`` is the cv of a gamma-distributed day-level multiplier (mean 1),
    which makes daily volumes over-dispersed like real ones (Poisson-gamma).
    """

    rate: Annotated[Rate, Field(ge=0.0)] | None = None
    per_interval: list[Annotated[Number, Field(ge=0.0)]] | None = None
    day_factors: list[Annotated[Number, Field(ge=0.0)]] | None = Field(default=None, min_length=1)
    forecast_error: Annotated[Number, Field(ge=0.0)] = 0.0
    trace: str | None = None
    trace_handle: bool = False
    # the trace's rows: (arrival seconds, contact type, handle seconds or NaN)
    _rows: tuple[Any, Any, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _one_form(self, info: ValidationInfo) -> Arrivals:
        if sum(v is not None for v in (self.rate, self.per_interval, self.trace)) != 1:
            raise ValueError("give exactly one of 'rate', 'per_interval' and 'trace'")
        if self.trace_handle and self.trace is None:
            raise ValueError("'trace_handle' needs a 'trace'")
        if self.trace is not None:
            from pathlib import Path

            from sim.calllog import read_call_log  # pandas only for trace scenarios

            base = Path((info.context or {}).get("base_dir") or ".")
            log = read_call_log(base / self.trace, max_bytes=10 * 2**20, shown=self.trace)
            self._rows = (log.seconds(), log.table["contact_type"].to_numpy(),
                          log.table["handle"].to_numpy(dtype=float))
        return self

    def trace_rows(self, contact_type: str) -> tuple[Any, Any]:
        """Arrival times and handle times (NaN: not logged) of ``contact_type`` in the trace."""
        times, types, handle = self._rows
        names = set(types)
        mine = slice(None) if len(names) == 1 else types == contact_type
        return times[mine], handle[mine]


class TransferMode(str, Enum):
    """How a transfer hands the customer over.

    Cold: the customer re-queues alone. Warm: the first agent stays on until answered.
    Conference: as warm, then the three of them talk for the transfer's ``conference``
    time (both agents busy) before the first agent leaves.
    """

    COLD = "cold"
    WARM = "warm"
    CONFERENCE = "conference"


class IVR(_Frozen):
    """The phone menu before the queue.

    ``time`` in the menu; with probability ``self_service`` the issue is solved there
    (never offered to agents); with probability ``misroute`` the customer picks a wrong
    queue (one of ``misroute_to``, default every other contact type), is talked to for
    ``misroute_talk`` and transferred to the right queue.
    """

    time: Distribution
    self_service: Probability = 0.0
    misroute: Probability = 0.0
    misroute_to: tuple[Name, ...] = ()
    misroute_talk: Distribution = Field(default_factory=lambda: Exponential(mean=60.0))
    misroute_resolution: Probability = 1.0  # x resolution for a contact that was misrouted

    @model_validator(mode="after")
    def _total(self) -> IVR:
        if self.self_service + self.misroute > 1.0:
            raise ValueError(f"self_service + misroute must be <= 1, got "
                             f"{self.self_service:g} + {self.misroute:g}")
        return self


class Transfer(_Frozen):
    """After talking, send the contact to the queue of contact type ``to``.

    ``conference`` (required with ``mode: conference``, only then) is the three-way talk
    time once the second agent answers, before the first agent leaves.
    """

    probability: Probability
    to: Name
    mode: TransferMode = TransferMode.COLD
    priority: bool = False  # jump the target queue (served before those already waiting)
    conference: Distribution | None = None

    @model_validator(mode="after")
    def _conference_time(self) -> Transfer:
        if self.mode is TransferMode.CONFERENCE and self.conference is None:
            raise ValueError("a transfer 'mode: conference' needs 'conference' (the three-way "
                             "talk time)")
        if self.mode is not TransferMode.CONFERENCE and self.conference is not None:
            raise ValueError(f"'conference' is the three-way talk of 'mode: conference', "
                             f"got mode {self.mode.value!r}")
        return self


class Consult(_Frozen):
    """Put the customer on hold and ask a specialist queue (``to``) for ``talk`` seconds.

    The agent waits in that queue too and both agents are busy during the consult. The
    customer hangs up after ``hold_patience`` on hold (omit: never).
    """

    probability: Probability
    to: Name
    talk: Distribution
    hold_patience: Distribution | None = None


class HandleCap(_Frozen):
    """Cut calls at ``max`` seconds; a cut call resolves with ``resolution x factor``."""

    max: Annotated[Duration, Field(gt=0.0)]
    resolution_factor: Probability = 1.0


class Repeat(_Frozen):
    """An unresolved issue comes back after ``delay`` (a new contact, same issue).

    With probability ``probability`` per unresolved contact, until resolved or
    ``max_contacts`` contacts; ``switch_to`` another contact type (e.g. chat) with
    probability ``switch``.
    """

    probability: Probability = 1.0
    delay: Distribution
    max_contacts: Annotated[Count, Field(ge=1, le=MAX_COMEBACKS)] = 5
    switch_to: Name | None = None
    switch: Probability = 0.0


class Retrial(_Frozen):
    """A customer who abandoned or got a busy signal redials (same issue) after ``delay``.

    ``probability`` is the chance to redial after either; ``after_busy`` and
    ``after_abandon`` set one cause's own chance (each defaults to ``probability``, and
    to 0 without it), ``after_balk`` the chance after balking (default 0). Each chance
    is multiplied by ``decay`` for every redial the issue has already made: the k-th
    redial happens with ``chance x decay ** (k - 1)``. At most ``max_attempts`` redials.
    """

    probability: Probability | None = None
    after_busy: Probability | None = None
    after_abandon: Probability | None = None
    after_balk: Probability = 0.0
    decay: Probability = 1.0
    delay: Distribution
    max_attempts: Annotated[Count, Field(ge=1, le=MAX_COMEBACKS)] = 3

    @model_validator(mode="after")
    def _some_chance(self) -> Retrial:
        if self.probability is None and self.after_busy is None and self.after_abandon is None:
            raise ValueError("give 'probability' (after a busy signal or abandoning) or "
                             "'after_busy' and/or 'after_abandon'")
        return self

    def chance(self, cause: str) -> float:
        """The first redial's chance after ``cause``: ``busy``, ``abandon`` or ``balk``."""
        if cause == "balk":
            return self.after_balk
        own = self.after_busy if cause == "busy" else self.after_abandon
        if own is not None:
            return own
        return self.probability if self.probability is not None else 0.0


class Announcement(str, Enum):
    """What a caller who must wait is told on arrival (the balking rule reads it).

    ``none``: nothing; the caller balks on the queue length (as in the classical model
    of a queue the customer can see). ``position``: their place in the queue (1: next).
    ``les``: the wait of the last caller of this queue to be answered (last to enter
    service). ``expected_wait``: the place in the queue times the mean handle time, over
    the agents on duty who may answer (the estimate a callback offer uses).
    """

    NONE = "none"
    POSITION = "position"
    LES = "les"
    EXPECTED_WAIT = "expected_wait"

    @property
    def is_wait(self) -> bool:
        """Whether the announcement is a wait in seconds (else a place in the queue)."""
        return self in (Announcement.LES, Announcement.EXPECTED_WAIT)


class Balking(_Frozen):
    """A caller who would have to wait may leave at once, on what they are told.

    Exactly one rule gives the chance to balk from the announced value: ``per_position``
    (chance per place in the queue, for ``announce: none`` or ``position``: a caller at
    place k balks with ``min(1, k x per_position)``), ``per_minute`` (chance per minute of
    announced wait, for ``les`` or ``expected_wait``) or ``curve``, points ``[value,
    chance]`` joined by straight lines and flat beyond the ends (values are places, or
    waits such as ``2m``); a repeated value makes a step (from it on, the later chance).
    Callers answered at once never balk, nor those who accept a callback.
    """

    announce: Announcement = Announcement.NONE
    per_position: Probability | None = None
    per_minute: Probability | None = None
    curve: tuple[tuple[Duration, Probability], ...] | None = None

    @model_validator(mode="after")
    def _one_rule(self) -> Balking:
        given = [n for n in ("per_position", "per_minute", "curve") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'per_position', 'per_minute' and 'curve', "
                             f"got {len(given)}" + (f" ({', '.join(given)})" if given else ""))
        wait = self.announce.is_wait
        if self.per_position is not None and wait:
            raise ValueError(f"'per_position' needs announce: none or position (a place in "
                             f"the queue), got announce: {self.announce.value}")
        if self.per_minute is not None and not wait:
            raise ValueError(f"'per_minute' needs announce: les or expected_wait (a wait), "
                             f"got announce: {self.announce.value}")
        if self.curve is not None and not self.curve:
            raise ValueError("curve needs at least one point [value, chance]")
        xs = [x for x, _ in self.curve or ()]
        if any(b < a for a, b in itertools.pairwise(xs)):
            raise ValueError(f"curve values must not decrease, got {[f'{x:g}' for x in xs]}")
        if any(x < 0 for x in xs):
            raise ValueError(f"curve values must be >= 0, got {min(xs):g}")
        return self


class Callback(_Frozen):
    """Virtual hold: when the expected wait is above ``threshold``, offer a callback.

    A customer who accepts (probability ``accept``) hangs up, keeps their place in the
    queue and is dialled by an agent when their turn comes: they never abandon, and the
    time until the call back is not spent on hold (it is not in customer effort). With
    ``queue``, accepted callbacks wait in that contact type's queue instead, e.g. one
    that agents work as a blending backlog (when no inbound contact waits).
    """

    threshold: Annotated[Duration, Field(ge=0.0)]
    accept: Probability
    queue: Name | None = None  # a contact type: wait there instead of keeping the place


class Complaint(_Frozen):
    """A customer whose experience crossed a line posts publicly, with ``probability``.

    Any one of the thresholds that is set counts: queue time over ``wait_over``, hold
    over ``hold_over``, having abandoned (``abandoned: true``), more than
    ``transfers_over`` transfers, or more than ``contacts_over`` contacts for the issue.
    The post arrives ``delay`` later as a contact of type ``to`` (a social channel).
    """

    probability: Probability
    to: Name
    delay: Distribution = Field(default_factory=lambda: Exponential(mean=1800.0))
    wait_over: Annotated[Duration, Field(ge=0.0)] | None = None
    hold_over: Annotated[Duration, Field(ge=0.0)] | None = None
    abandoned: bool = False
    transfers_over: Annotated[Count, Field(ge=0)] | None = None
    contacts_over: Annotated[Count, Field(ge=1)] | None = None


class ContactType(_Frozen):
    """What customers contact the center about, and how they behave.

    Journey options (all optional): ``ivr``, ``transfer``, ``consult``, ``handle_cap``,
    ``repeat`` (after an unresolved contact), ``retrial`` (after abandoning or a busy
    signal), ``balking`` (leaving on arrival), ``callback`` (virtual hold),
    ``complaint`` (a public post after a bad experience); ``duplicate_answers`` is the
    share of this type's contacts that an uncoordinated team answers twice;
    ``max_transfers`` caps transfers per contact.
    ``wrap_up`` is the after-call work an agent does after each leg of this type's
    contacts (when the customer has gone): the agent stays busy, the customer's talk
    does not include it.
    """

    channel: Channel = Channel.PHONE
    service_level: TypeServiceLevel | None = None  # default: the scenario's
    arrivals: Arrivals
    handle: Distribution
    patience: Distribution | None = None
    resolution: Probability = 1.0
    ivr: IVR | None = None
    transfer: Transfer | None = None
    consult: Consult | None = None
    handle_cap: HandleCap | None = None
    repeat: Repeat | None = None
    retrial: Retrial | None = None
    balking: Balking | None = None
    callback: Callback | None = None
    complaint: Complaint | None = None
    duplicate_answers: Probability = 0.0  # uncoordinated team: posts answered twice
    max_transfers: Annotated[Count, Field(ge=0, le=MAX_TRANSFERS)] = 3
    wrap_up: Distribution | None = None  # after-call work of the agent, after each leg

    @property
    def agent_seconds(self) -> float:
        """A planner's mean agent time per contact, seconds: handle time + wrap-up.

        What Erlang staffing calls the handle time (talk, then after-call work).
        """
        return self.handle.mean + (self.wrap_up.mean if self.wrap_up is not None else 0.0)


class Break(_Frozen):
    """A break during a shift: ``at`` seconds after the shift start, for ``length`` seconds."""

    at: Annotated[Duration, Field(ge=0.0)]
    length: Annotated[Duration, Field(gt=0.0)]


class Shift(_Frozen):
    """``count`` agents working from clock time ``start`` for ``length`` seconds, every day.

    ``days`` limits it to some days of the week, counted from the run's first day (0 to
    6; day ``d`` of the run is day ``d % 7`` of the week); the default is every day.
    """

    start: Clock
    length: Annotated[Duration, Field(gt=0.0, le=DAY)]
    count: Annotated[Count, Field(ge=0)]
    breaks: tuple[Break, ...] = ()
    days: tuple[Annotated[int, Field(ge=0, le=6)], ...] | None = None

    def worked_on(self, day: int) -> bool:
        """Whether the shift starting on day ``day`` of the run is worked."""
        return self.days is None or day % 7 in self.days

    @model_validator(mode="after")
    def _breaks_inside(self) -> Shift:
        for b in self.breaks:
            if b.at + b.length > self.length:
                raise ValueError(
                    f"break at {b.at:g}s for {b.length:g}s ends after the shift "
                    f"({self.length:g}s long)"
                )
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
        return value

    @model_validator(mode="after")
    def _one_staffing(self) -> AgentGroup:
        if (self.staff is None) == (self.shifts is None):
            raise ValueError("give exactly one of 'staff' and 'shifts'")
        return self


Money = Annotated[Number, Field(ge=0.0)]


class GroupCost(_Frozen):
    """An agent's pay: ``hourly`` for scheduled time, ``x overtime_factor`` for overtime."""

    hourly: Money
    overtime_factor: Annotated[Number, Field(ge=0.0)] = 1.5


class Costs(_Frozen):
    """Money, in the user's unit: wages, what bad service costs, what a resolved issue earns.

    ``agents`` gives every agent group's :class:`GroupCost`: agents are paid for their
    scheduled time (shrinkage and absent days included) and at the overtime rate for
    time on duty after closing (finishing contacts). Each abandoned contact, blocked call,
    minute in a queue, callback made and complaint posted costs its ``per_*`` amount;
    every resolved issue earns ``revenue`` of its (first contact's) type.
    """

    agents: dict[Name, GroupCost] = Field(min_length=1)
    per_abandon: Money = 0.0
    per_blocked: Money = 0.0
    per_wait_minute: Money = 0.0
    per_callback: Money = 0.0
    per_complaint: Money = 0.0
    revenue: dict[Name, Money] = Field(default_factory=dict)


class RouteStep(_Frozen):
    """A group that may take a contact once it has waited ``after`` seconds (overflow)."""

    group: Name
    after: Annotated[Duration, Field(ge=0.0)] = 0.0

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, value: Any) -> Any:
        return {"group": value} if isinstance(value, str) else value


class RuleMetric(str, Enum):
    """What a real-time rule watches (the key of its ``when``)."""

    QUEUE_LENGTH = "queue_length"  # contacts of a type waiting
    OLDEST_WAIT = "oldest_wait"  # seconds the longest-waiting contact of a type has waited
    SERVICE_LEVEL = "service_level"  # of a type's contacts that ended waiting in the window
    IDLE_AGENTS = "idle_agents"  # idle agents of a group


class RuleCondition(_Frozen):
    """When a rule holds: one watched value against an ``on`` and a ``clear`` threshold.

    Exactly one of ``queue_length``, ``oldest_wait``, ``service_level`` (contact types)
    and ``idle_agents`` (an agent group) names what is watched; exactly one of
    ``at_least`` (the rule comes on when the value reaches it) and ``at_most`` (when the
    value falls to it). ``clear_at`` is the other side of the hysteresis: the rule goes
    off when the value is back at or below it (``at_least``), at or above it
    (``at_most``); without it, as soon as the ``on`` test fails. ``window`` (service
    level only): the contacts answered or abandoned in the last so many seconds.
    """

    queue_length: Name | None = None
    oldest_wait: Name | None = None
    service_level: Name | None = None
    idle_agents: Name | None = None
    at_least: Duration | None = None  # a count, seconds (oldest wait) or a fraction
    at_most: Duration | None = None
    clear_at: Duration | None = None
    window: Annotated[Duration, Field(gt=0.0)] | None = None

    @model_validator(mode="after")
    def _one_of_each(self) -> RuleCondition:
        watched = [m for m in RuleMetric if getattr(self, m.value) is not None]
        if len(watched) != 1:
            raise ValueError("give exactly one of 'queue_length', 'oldest_wait', "
                             "'service_level' and 'idle_agents'")
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of 'at_least' and 'at_most'")
        on = self.at_least if self.at_least is not None else self.at_most
        if on < 0 or (self.clear_at is not None and self.clear_at < 0):
            raise ValueError("thresholds must be >= 0")
        if self.clear_at is not None:
            if self.at_least is not None and not self.clear_at < self.at_least:
                raise ValueError(f"clear_at must be below at_least ({self.at_least:g}), "
                                 f"got {self.clear_at:g}")
            if self.at_most is not None and not self.clear_at > self.at_most:
                raise ValueError(f"clear_at must be above at_most ({self.at_most:g}), "
                                 f"got {self.clear_at:g}")
        if (self.window is not None) != (watched[0] is RuleMetric.SERVICE_LEVEL):
            raise ValueError("'window' goes with 'service_level', and only with it")
        if (watched[0] is RuleMetric.OLDEST_WAIT and self.at_most is not None
                and self.clear_at is None):
            raise ValueError("an oldest_wait rule with at_most needs 'clear_at' (when it "
                             "clears as the wait grows)")
        if watched[0] is RuleMetric.SERVICE_LEVEL and max(on, self.clear_at or 0.0) > 1.0:
            raise ValueError("service level thresholds are fractions (0..1)")
        return self

    @property
    def metric(self) -> RuleMetric:
        """What the rule watches."""
        return next(m for m in RuleMetric if getattr(self, m.value) is not None)

    @property
    def subject(self) -> str:
        """The contact type (or agent group, for ``idle_agents``) watched."""
        return getattr(self, self.metric.value)


class MoveAgents(_Frozen):
    """Move ``agents`` agents of group ``from`` to group ``to`` while the rule holds.

    Each finishes the contact in hand first; they go back the same way when it clears.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    agents: Annotated[Count, Field(ge=1)]
    source: Name = Field(alias="from")
    to: Name


class OpenOverflow(_Frozen):
    """Let ``group`` take contacts of ``types`` (among its skills) only while the rule holds."""

    group: Name
    types: list[Name] = Field(min_length=1)


class SwitchCallbacks(_Frozen):
    """Offer callbacks to contacts of ``types`` (``offer: true``) or not, while the rule holds."""

    types: list[Name] = Field(min_length=1)
    offer: bool


class CallOvertime(_Frozen):
    """Call ``agents`` agents of ``group`` in on overtime for ``length`` when the rule comes on."""

    group: Name
    agents: Annotated[Count, Field(ge=1)]
    length: Annotated[Duration, Field(gt=0.0)]


class RuleAction(_Frozen):
    """What a rule does: exactly one of ``move``, ``overflow``, ``callbacks``, ``overtime``."""

    move: MoveAgents | None = None
    overflow: OpenOverflow | None = None
    callbacks: SwitchCallbacks | None = None
    overtime: CallOvertime | None = None

    @model_validator(mode="after")
    def _one_action(self) -> RuleAction:
        if sum(a is not None for a in (self.move, self.overflow, self.callbacks,
                                       self.overtime)) != 1:
            raise ValueError("give exactly one of 'move', 'overflow', 'callbacks' and "
                             "'overtime'")
        return self

    @property
    def kind(self) -> str:
        """The action's name: move, overflow, callbacks or overtime."""
        return next(k for k in ("move", "overflow", "callbacks", "overtime")
                    if getattr(self, k) is not None)


class Rule(_Frozen):
    """A real-time rule: ``then`` happens while ``when`` holds (see :mod:`sim.rules`)."""

    when: RuleCondition
    then: RuleAction


AGENT_RULES = ("longest_idle", "fastest_first", "least_skilled_first", "random", "group_order")
"""Who of the idle agents gets an arriving contact (``routing_policy.agent``, sim.routing)."""
CONTACT_RULES = ("priority_fifo", "longest_queue", "weighted_wait")
"""Which waiting contact a free agent takes (``routing_policy.contact``, sim.routing)."""


class Reservation(_Frozen):
    """Keep ``agents`` idle agents of ``group`` for contacts of ``type`` (trunk reservation)."""

    group: Name
    type: Name
    agents: Annotated[Count, Field(ge=1)]


class RoutingPolicySpec(_Frozen):
    """The built-in routing policy of a scenario (``routing_policy``; see sim.routing).

    ``agent`` picks among the idle agents who may take an arriving contact; ``contact``
    picks the waiting contact a free agent takes, after the group's skill priorities;
    ``weights`` (``weighted_wait``) multiply each contact type's wait; ``reserve`` keeps
    agents of a group for one type. ``contact: {weighted_wait: {t1: 2.0}}`` is the short
    form of ``contact: weighted_wait`` with those ``weights``.
    """

    agent: str = "longest_idle"
    contact: str = "priority_fifo"
    weights: dict[Name, Annotated[Number, Field(gt=0.0)]] = Field(default_factory=dict)
    reserve: list[Reservation] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        value = dict(value)
        contact = value.get("contact")
        if isinstance(contact, dict) and len(contact) == 1:  # {weighted_wait: {t1: 2.0}}
            (name, weights), = contact.items()
            value["contact"] = name
            if weights is not None:
                value["weights"] = weights
        if isinstance(value.get("reserve"), dict):  # one reservation
            value["reserve"] = [value["reserve"]]
        return value

    @field_validator("agent")
    @classmethod
    def _known_agent_rule(cls, value: str) -> str:
        return _known_rule(value, AGENT_RULES)

    @field_validator("contact")
    @classmethod
    def _known_contact_rule(cls, value: str) -> str:
        return _known_rule(value, CONTACT_RULES)

    @property
    def is_default(self) -> bool:
        """Whether this is today's routing (longest idle, priority then FIFO, no reserve)."""
        return (self.agent == "longest_idle" and self.contact == "priority_fifo"
                and not self.reserve)


class Scenario(_Frozen):
    """A validated, immutable contact-center scenario; all times in seconds.

    ``variants`` names alternative versions of the scenario as dotted-path overrides
    (``{plus_two: {agents.pool.staff: 44}}``); :func:`sim.loader.variant` builds one.
    """

    name: str = "scenario"
    seed: Annotated[Count, Field(ge=0, le=MAX_SEED)] = 1
    days: Annotated[Count, Field(ge=1)] = 1
    open: Clock = 0.0
    close: Clock = DAY
    # at least a minute: at most 1,440 intervals a day, each a row per type in the tables
    interval: Annotated[Duration, Field(ge=60.0)] = 1800.0
    warmup: Annotated[Duration, Field(ge=0.0)] = 0.0
    # the center runs on as usual after the last measured day, so that what the measured
    # days started (repeat contacts, retrials) still happens and is counted
    cooldown: Annotated[Duration, Field(ge=0.0, le=366 * DAY)] = 0.0
    service_level: ServiceLevel = ServiceLevel()
    lines: Annotated[Count, Field(ge=1)] | None = None
    contact_types: dict[Name, ContactType] = Field(min_length=1)
    agents: dict[Name, AgentGroup] = Field(min_length=1)
    routing: dict[Name, list[RouteStep]] = Field(default_factory=dict)
    routing_policy: RoutingPolicySpec = RoutingPolicySpec()
    costs: Costs | None = None
    rules: dict[Name, Rule] = Field(default_factory=dict)
    variants: dict[Name, dict[str, Any]] = Field(default_factory=dict)

    @property
    def open_seconds(self) -> float:
        """Seconds the center is open each day."""
        return self.close - self.open

    @property
    def intervals_per_day(self) -> int:
        """Number of reporting/staffing intervals in one day's opening hours."""
        return round(self.open_seconds / self.interval)

    def threshold(self, contact_type: str) -> float:
        """Service-level threshold (seconds) of a contact type."""
        own = self.contact_types[contact_type].service_level
        return own.threshold if own else self.service_level.threshold

    def routes(self, contact_type: str) -> list[RouteStep]:
        """The groups that serve ``contact_type``, with overflow delays, in routing order."""
        if contact_type in self.routing:
            return list(self.routing[contact_type])
        return [RouteStep(group=g) for g, grp in self.agents.items() if contact_type in grp.skills]

    def problems(self) -> list[tuple[str, str]]:
        """Cross-field consistency problems as ``(dotted path, reason)`` pairs.

        Field-level rules are enforced by pydantic at construction; these are the rules
        that relate fields to each other (references between sections, time grids).
        """
        found = self._time_problems() + self._reference_problems() + self._trace_problems()
        found += self._routing_policy_problems()
        if not found:  # table lengths only make sense on a valid time grid
            found += self._length_problems()
        return found

    def _trace_problems(self) -> list[tuple[str, str]]:
        found = []
        for name, ct in self.contact_types.items():
            if ct.arrivals.trace is not None and not len(ct.arrivals.trace_rows(name)[0]):
                types = ", ".join(sorted(map(str, set(ct.arrivals._rows[1]))))
                found.append((f"contact_types.{name}.arrivals.trace",
                              f"has no rows of contact type {name!r} (it has {types})"))
        return found

    def _time_problems(self) -> list[tuple[str, str]]:
        found = []
        if self.close <= self.open:
            found.append(("close", f"must be after open ({self.open:g}s), got {self.close:g}s"))
        elif abs(self.intervals_per_day * self.interval - self.open_seconds) > 1e-6:
            found.append((
                "interval",
                f"must divide the opening hours ({self.open_seconds:g}s) into whole "
                f"intervals, got {self.interval:g}s",
            ))
        if self.warmup >= self.days * DAY:
            found.append(("warmup", f"must be shorter than the run ({self.days} days)"))
        return found

    def _reference_problems(self) -> list[tuple[str, str]]:
        found = []
        types, groups = self.contact_types, self.agents
        for g, group in groups.items():
            for skill in group.skills:
                if skill not in types:
                    found.append(
                        (f"agents.{g}.skills.{skill}", f"unknown contact type {skill!r}"
                         f"{_choices(types, skill)}")
                    )
        for t, steps in self.routing.items():
            if t not in types:
                found.append((f"routing.{t}", f"unknown contact type {t!r}{_choices(types, t)}"))
                continue
            for i, step in enumerate(steps):
                if step.group not in groups:
                    found.append((
                        f"routing.{t}[{i}]", f"unknown agent group {step.group!r}"
                        f"{_choices(groups, step.group)}",
                    ))
                elif t not in groups[step.group].skills:
                    found.append((
                        f"routing.{t}[{i}]", f"agent group {step.group!r} has no skill {t!r}"
                    ))
        found += self._journey_reference_problems() + self._cost_problems()
        found += self._rule_problems()
        for g, group in groups.items():
            for i, name in enumerate(group.blending.backlog if group.blending else ()):
                if name not in group.skills:
                    found.append((f"agents.{g}.blending.backlog[{i}]",
                                  f"must be one of the group's skills, got {name!r}"))
            phone = [s for s in group.skills if s in types
                     and types[s].channel not in CONCURRENT_CHANNELS]
            if group.concurrency > 1 and phone:
                found.append((f"agents.{g}.concurrency", f"must be 1 for a group that takes "
                              f"phone contacts ({', '.join(phone)}), got {group.concurrency}"))
        for t in types:
            if not any(s.group in groups for s in self.routes(t)):
                found.append((f"contact_types.{t}", "no agent group has this skill"))
        return found

    def journey_references(self) -> list[tuple[str, str]]:
        """``(dotted path, contact type)`` of every journey option that sends contacts to a type.

        Transfers, consults, escalations, misroutes, repeat switches, complaint posts and
        callback queues; what validation checks and what a type may receive.
        """
        refs: list[tuple[str, str | None]] = []
        for t, ct in self.contact_types.items():
            base = f"contact_types.{t}"
            if ct.ivr:
                refs += [(f"{base}.ivr.misroute_to[{i}]", x)
                         for i, x in enumerate(ct.ivr.misroute_to)]
            refs += [(f"{base}.transfer.to", ct.transfer.to if ct.transfer else None),
                     (f"{base}.consult.to", ct.consult.to if ct.consult else None),
                     (f"{base}.repeat.switch_to", ct.repeat.switch_to if ct.repeat else None),
                     (f"{base}.complaint.to", ct.complaint.to if ct.complaint else None),
                     (f"{base}.callback.queue", ct.callback.queue if ct.callback else None)]
        for g, group in self.agents.items():
            refs.append((f"agents.{g}.escalate.to", group.escalate.to if group.escalate else None))
        return [(path, name) for path, name in refs if name is not None]

    def _journey_reference_problems(self) -> list[tuple[str, str]]:
        """Journey options that name a contact type must name a known one."""
        types = self.contact_types
        return [(path, f"unknown contact type {name!r}{_choices(types, name)}")
                for path, name in self.journey_references() if name not in types]

    def _cost_problems(self) -> list[tuple[str, str]]:
        """Costs name every agent group, and only known groups and contact types."""
        if self.costs is None:
            return []
        groups, types = self.agents, self.contact_types
        found = [(f"costs.agents.{g}", f"unknown agent group {g!r}{_choices(groups, g)}")
                 for g in self.costs.agents if g not in groups]
        found += [("costs.agents", f"missing agent group {g!r} (every group needs an hourly "
                   "cost, 0 if it is free)") for g in groups if g not in self.costs.agents]
        found += [(f"costs.revenue.{t}", f"unknown contact type {t!r}{_choices(types, t)}")
                  for t in self.costs.revenue if t not in types]
        return found

    def _rule_problems(self) -> list[tuple[str, str]]:
        """Rules name known contact types and groups, and actions that make sense."""
        types, groups = self.contact_types, self.agents
        found = []

        def known(path: str, name: str, table: dict[str, Any], what: str) -> bool:
            if name not in table:
                found.append((path, f"unknown {what} {name!r}{_choices(table, name)}"))
                return False
            return True

        gated_by: dict[str, set[str]] = {}  # type -> groups that serve it only while a rule holds
        for rule in self.rules.values():
            if rule.then.overflow is not None:
                for t in rule.then.overflow.types:
                    gated_by.setdefault(t, set()).add(rule.then.overflow.group)
        for r, rule in self.rules.items():
            base = f"rules.{r}"
            when, then = rule.when, rule.then
            metric = when.metric
            table, what = ((groups, "agent group") if metric is RuleMetric.IDLE_AGENTS
                           else (types, "contact type"))
            known(f"{base}.when.{metric.value}", when.subject, table, what)
            if then.move is not None:
                move = then.move
                for key, name in (("from", move.source), ("to", move.to)):
                    if known(f"{base}.then.move.{key}", name, groups, "agent group") and \
                            groups[name].concurrency != 1:
                        found.append((f"{base}.then.move.{key}",
                                      f"agents move only between groups of concurrency 1, "
                                      f"{name!r} has {groups[name].concurrency}"))
                if move.source == move.to:
                    found.append((f"{base}.then.move.to", "must differ from 'from'"))
            if then.overtime is not None:
                known(f"{base}.then.overtime.group", then.overtime.group, groups, "agent group")
            if then.overflow is not None:
                g = then.overflow.group
                if known(f"{base}.then.overflow.group", g, groups, "agent group"):
                    for i, t in enumerate(then.overflow.types):
                        path = f"{base}.then.overflow.types[{i}]"
                        if known(path, t, types, "contact type") and (
                                g not in [s.group for s in self.routes(t)]):
                            found.append((path, f"agent group {g!r} does not serve {t!r} "
                                          "(give it the skill, and list it in the routing)"))
                    for i, t in enumerate(then.overflow.types):
                        serving = [s.group for s in self.routes(t)] if t in types else []
                        if g in serving and not set(serving) - gated_by[t]:
                            found.append((f"{base}.then.overflow.types[{i}]",
                                          f"no group would serve {t!r} while the rule is "
                                          f"off: {g!r} must be an overflow to a group that "
                                          "always serves it"))
            if then.callbacks is not None:
                for i, t in enumerate(then.callbacks.types):
                    path = f"{base}.then.callbacks.types[{i}]"
                    if known(path, t, types, "contact type") and types[t].callback is None:
                        found.append((path, f"contact type {t!r} has no 'callback' (its "
                                      "threshold and acceptance)"))
        return found

    def _routing_policy_problems(self) -> list[tuple[str, str]]:
        """``routing_policy`` names known groups and types; weights only for weighted_wait."""
        policy, types, groups = self.routing_policy, self.contact_types, self.agents
        found = [(f"routing_policy.weights.{t}", f"unknown contact type {t!r}"
                  f"{_choices(types, t)}") for t in policy.weights if t not in types]
        if policy.weights and policy.contact != "weighted_wait":
            found.append(("routing_policy.weights", "are only used by contact: weighted_wait, "
                          f"got contact: {policy.contact}"))
        for i, r in enumerate(policy.reserve):
            base = f"routing_policy.reserve[{i}]"
            if r.group not in groups:
                found.append((f"{base}.group", f"unknown agent group {r.group!r}"
                              f"{_choices(groups, r.group)}"))
            elif r.type not in types:
                found.append((f"{base}.type", f"unknown contact type {r.type!r}"
                              f"{_choices(types, r.type)}"))
            elif r.type not in groups[r.group].skills:
                found.append((f"{base}.type", f"agent group {r.group!r} has no skill {r.type!r}"))
        return found

    def _length_problems(self) -> list[tuple[str, str]]:
        found = []
        if self.close <= self.open:
            return found
        allowed = {self.intervals_per_day, self.intervals_per_day * self.days}
        one, every = self.intervals_per_day, self.intervals_per_day * self.days
        expect = f"{one}" if self.days == 1 else f"{one} (one day) or {every} (all days)"
        for t, ct in self.contact_types.items():
            per = ct.arrivals.per_interval
            if per is not None and len(per) not in allowed:
                found.append((
                    f"contact_types.{t}.arrivals.per_interval",
                    f"needs {expect} values, got {len(per)}",
                ))
        for g, group in self.agents.items():
            if isinstance(group.staff, list) and len(group.staff) not in allowed:
                found.append(
                    (f"agents.{g}.staff", f"needs {expect} values, got {len(group.staff)}")
                )
        return found


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _known_rule(value: str, known: tuple[str, ...]) -> str:
    if value not in known:
        close = difflib.get_close_matches(value, known, n=1)
        mean = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown rule {value!r} ({mean}known: {', '.join(known)})")
    return value


def _choices(known: dict[str, Any], name: str) -> str:
    """' (did you mean ...? known: ...)' for an unknown name, like a misspelt field gets."""
    close = difflib.get_close_matches(name, list(known), n=1)
    mean = f"did you mean {close[0]!r}? " if close else ""
    return f" ({mean}known: {', '.join(sorted(known))})"
