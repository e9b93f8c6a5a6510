"""Contact types: what customers contact the center about, by which channel, how often.

A :class:`ContactType` gathers a channel, its arrivals (a rate, a forecast per interval
or a replayed call log), handle time, patience, resolution and service-level target;
the options of its journey (IVR, transfers, repeats, callbacks...) live in
:mod:`sim.scenario_journeys`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from sim.distributions import Distribution
from sim.errors import FieldError
from sim.scenario_base import Probability, _Frozen
from sim.scenario_journeys import (
    IVR,
    Balking,
    Callback,
    Complaint,
    Consult,
    HandleCap,
    Repeat,
    Retrial,
    Transfer,
)
from sim.units import Count, Duration, Number, Rate
from sim.weekdays import Weekday

MAX_TRANSFERS = 100
"""Most transfers a contact may have (``max_transfers``): the engine counts them in a byte."""


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
    """A contact type's own target, e.g. emails answered within 4 hours.

    ``target`` left out: the scenario's (or the staffing goal's ``--target``).
    """

    threshold: Annotated[Duration, Field(ge=0.0)]
    target: Probability | None = None


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
    first day: its rows of this contact type (the log's type names read as ``ccsim fit``
    writes them: ``lost card`` is ``lost_card``), or all rows if it holds one type only.
    Only its contacts in the opening hours are replayed, as drawn ones come only then
    (:func:`sim.schedule.in_opening_hours`; a warning counts the others).
    With ``trace_handle``, answered contacts keep their logged handle times; with
    ``trace_patience``, their logged patience: a caller who abandoned after waiting w
    gives up at w, one who waited w and did not abandon draws ``patience`` above w
    (:mod:`sim.logged_patience`).
    ``day_factors`` scale each day: a list is cycled over the run's days from day 0; a
    mapping ``{monday: 1.9, tuesday: 1.0, ...}`` gives each day of the week its own
    (:mod:`sim.weekdays`: the run's days are then the days named);
    ``forecast_error`` is the cv of a gamma-distributed day-level multiplier (mean 1),
    which makes daily volumes over-dispersed like real ones (Poisson-gamma).
    """

    rate: Annotated[Rate, Field(ge=0.0)] | None = None
    per_interval: list[Annotated[Number, Field(ge=0.0)]] | None = None
    day_factors: (Annotated[list[Annotated[Number, Field(ge=0.0)]], Field(min_length=1)]
                  | Annotated[dict[Weekday, Annotated[Number, Field(ge=0.0)]],
                              Field(min_length=1)]
                  | None) = None
    forecast_error: Annotated[Number, Field(ge=0.0)] = 0.0
    trace: str | None = None
    trace_handle: bool = False
    trace_patience: bool = False
    # the trace's rows: (arrival seconds, contact type, sim.logged_patience.LOGGED columns)
    _rows: tuple[Any, Any, Any] | None = PrivateAttr(default=None)
    _read_warnings: tuple[str, ...] = PrivateAttr(default=())  # the trace's, as it was read
    _base_dir: Any = PrivateAttr(default=None)  # the folder `trace` was read relative to
    _first_day: Any = PrivateAttr(default=None)  # the trace's day 0 (a pandas Timestamp)

    @field_validator("day_factors", mode="before")
    @classmethod
    def _weekday_names(cls, value: Any) -> Any:
        """``Monday`` is ``monday``; the days are kept Monday first, however given."""
        if not isinstance(value, dict):
            return value
        named = {str(k).strip().lower(): v for k, v in value.items()}
        order = [w.value for w in Weekday]
        return dict(sorted(named.items(), key=lambda kv: (order.index(kv[0])
                                                            if kv[0] in order else 7)))

    @model_validator(mode="after")
    def _one_form(self, info: ValidationInfo) -> Arrivals:
        if sum(v is not None for v in (self.rate, self.per_interval, self.trace)) != 1:
            raise ValueError("give exactly one of 'rate', 'per_interval' and 'trace'")
        for option in ("trace_handle", "trace_patience"):
            if getattr(self, option) and self.trace is None:
                raise ValueError(f"'{option}' needs a 'trace'")
        if self.trace is not None:
            from pathlib import Path

            from sim.calllog import CallLogError, read_call_log  # pandas: trace scenarios only
            from sim.logged_patience import logged_columns

            base = Path((info.context or {}).get("base_dir") or ".")
            try:
                log = read_call_log(base / self.trace, max_bytes=10 * 2**20, shown=self.trace)
            except CallLogError as error:  # (a scenario cannot give `ccsim fit`'s --columns)
                raise FieldError("trace", str(error).replace(
                    "map other names with --columns NAME=COLUMN",
                    "rename the log's columns as ccsim names them")) from None
            # each row by its type's name in a scenario (`lost card` is `lost_card`, as
            # `ccsim fit` names it; two names that would collide are refused)
            types = log.table["contact_type"].astype(str).map(log.type_names())
            self._rows = (log.seconds(), types.to_numpy(),  # a logged talk with its hold
                          logged_columns(log.table, log.on_call()))
            self._read_warnings = log.warnings
            self._first_day = log.days[0]
            self._base_dir = base.resolve()
        return self

    @property
    def base_dir(self) -> Any:
        """The folder ``trace`` was read relative to (a Path), or None without a trace.

        A scenario built again from this one (:func:`sim.loader.with_overrides`: sweep
        points, variants) reads its log there too, not in the working folder.
        """
        return self._base_dir

    def trace_digest(self) -> str | None:
        """A hash of the replayed log's rows, or None: the dump holds only its path."""
        if self._rows is None:
            return None
        import hashlib

        import numpy as np

        times, types, logged = self._rows
        digest = hashlib.sha256(times.astype(float).tobytes())
        digest.update("\0".join(map(str, types)).encode())
        digest.update(np.ascontiguousarray(logged[:, 0], dtype=float).tobytes())
        if self.trace_patience:  # (what a replay of the talks alone reads: as before)
            digest.update(np.ascontiguousarray(logged[:, 1:], dtype=float).tobytes())
        return digest.hexdigest()

    @property
    def trace_first_day(self) -> Any:
        """The date of the trace's day 0 (its first day with a contact), or None."""
        return self._first_day

    def trace_warnings(self) -> tuple[str, ...]:
        """What reading the trace warned of (one line each, the file named), if anything."""
        return self._read_warnings

    def trace_rows(self, contact_type: str) -> tuple[Any, Any]:
        """Arrival times of ``contact_type`` in the trace, and what the log tells of each.

        The second, one row per contact, the columns of :data:`sim.logged_patience.LOGGED`:
        its handle time (NaN: not logged), its wait on the phone, whether it abandoned.
        """
        times, types, logged = self._rows
        names = set(types)
        mine = slice(None) if len(names) == 1 else types == contact_type
        return times[mine], logged[mine]

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Its fields, ``trace_patience`` only where set.

        A scenario without it dumps as before the option existed: its ``scenario.json``,
        and a sweep's print of it (:mod:`sim.sweep_prints`), unchanged.
        """
        data = handler(self)
        if not self.trace_patience:
            data.pop("trace_patience", None)
        return data


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


def contact_type_problems(types: dict[str, ContactType]) -> list[tuple[str, str]]:
    """A reserved name, and replayed traces without rows for their type, as (path, reason).

    ``all`` names every type together in the interval table: a type of that name merged
    its rows with theirs. A log of one contact type is replayed whole, whatever the type's
    name, by one contact type: replayed by two, each of its contacts would be offered twice.
    """
    found = []
    if "all" in types:
        found.append(("contact_types.all", "'all' is a reserved name (intervals.csv's rows "
                                           "of every contact type together): rename the type"))
    replaying: dict[Any, list[str]] = {}
    for name, ct in types.items():
        if ct.arrivals.trace is not None:
            replaying.setdefault((ct.arrivals.base_dir, ct.arrivals.trace), []).append(name)
    for name, ct in types.items():
        if ct.arrivals.trace is None:
            continue
        logged = sorted(map(str, set(ct.arrivals._rows[1])))
        shared = replaying[(ct.arrivals.base_dir, ct.arrivals.trace)]
        twice = len(shared) > 1 and len(logged) == 1 and logged != [name]
        if twice or not len(ct.arrivals.trace_rows(name)[0]):
            found.append((f"contact_types.{name}.arrivals.trace",
                          f"has no rows of contact type {name!r} (it has {', '.join(logged)})"
                          + ("; a log of one contact type is replayed whole by one contact "
                             f"type only, not by {' and '.join(shared)}" if twice else "")))
    return found


def misroute_targets(types: Mapping[str, ContactType], name: str) -> list[str]:
    """The queues a caller of ``name`` who picks the wrong menu option may reach.

    Its ``ivr.misroute_to``, else the other contact types of its channel that have arrivals
    of their own: the queues callers dial (a misroute once went to any other type, phone
    calls into a social-media posts queue or a desk only agents consult).
    """
    own = types[name]
    if own.ivr is not None and own.ivr.misroute_to:
        return list(own.ivr.misroute_to)
    return [other for other, ct in types.items()
            if other != name and ct.channel == own.channel and _dialled(ct.arrivals)]


def misroute_problems(types: Mapping[str, ContactType]) -> list[tuple[str, str]]:
    """A misroute with no queue to go to (it was dropped without a word), per type."""
    return [(f"contact_types.{t}.ivr.misroute", f"no other {ct.channel.value} queue with "
             "arrivals of its own to send a wrong pick to: name one in misroute_to")
            for t, ct in types.items() if ct.ivr is not None and ct.ivr.misroute > 0
            and not misroute_targets(types, t)]


def _dialled(arrivals: Arrivals) -> bool:
    """Whether customers contact the type of their own accord (any arrivals at all).

    A rate or per-interval counts above 0 on some day (``day_factors`` not all 0), or a
    trace.
    """
    factors = arrivals.day_factors
    days = list(factors.values()) if isinstance(factors, dict) else factors
    if days is not None and not any(f > 0 for f in days):
        return False
    return (arrivals.trace is not None or bool(arrivals.rate)
            or any(v > 0 for v in arrivals.per_interval or ()))
