"""The trainer's controls, and the scenario overrides they stand for.

A trainer changes numbers a room understands (agents, calls per hour, handle time in
seconds); the engine reads dotted-path overrides (``agents.pool.staff=41``), the same
ones ``--set``, sweeps and variants use. This module turns the one into the other, and
reads a scenario's own values back as the controls' starting point.

Each control stands for one change to every contact type or agent group it applies to:

- agents per group: a constant ``staff`` is set; a per-interval ``staff`` list moves
  every interval by the same number; with ``shifts``, the largest shift gets the
  difference. The control shows the group's peak;
- arrival factor: every rate (or per-interval count) times the factor;
- handle time, patience: the contact-weighted mean, in seconds; every type's
  distribution is scaled by the same factor (its shape stays);
- handle cap: every type's ``handle_cap.max`` (no value: no cap);
- self-service share: per contact type with an IVR, its ``ivr.self_service``
  (:mod:`sim.app.self_service`: a lesson moves one kind of issue to the menu, not all);
- callbacks: on offers the types that have patience a callback after
  :data:`CALLBACK` (as ``storm_surge.yaml``'s variant), off removes every callback.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from sim.app import self_service as ivr_shares
from sim.app.fields import read_number, shown
from sim.app.load_limit import load_problems
from sim.scenario import Scenario
from sim.weekdays import day_factors

CALLBACK = {"threshold": 120.0, "accept": 0.6}  # offered over 2 min expected, 60% take it
SCALED_FIELDS = ("mean", "low", "mode", "high", "value", "values")  # distributions' times


class SettingsError(ValueError):
    """Controls that cannot be read; ``lines()`` gives ``source: field: reason`` lines."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source, self.problems = source, problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One ``source: field: reason`` line per problem."""
        return [f"{self.source}: {path}: {reason}" if path else f"{self.source}: {reason}"
                for path, reason in self.problems]


@dataclass(frozen=True)
class Settings:
    """The page's controls, in the units the page shows.

    Attributes:
        agents: Agent group -> agents (the peak of the day for a changing staff).
        arrival_factor: Multiplies every arrival rate.
        aht: Mean handle time over all contacts, seconds.
        patience: Mean patience over the contacts that have one, seconds (None: nobody
            abandons).
        handle_cap: Longest talk before the agent cuts the call, seconds (None: no cap).
        self_service: Contact type with an IVR -> share solved in it (None: no type has
            an IVR).
        callbacks: Whether callers are offered a callback.
        replications: Replications of every run.
        days: Simulated days.
    """

    agents: dict[str, Any] = field(default_factory=dict)
    arrival_factor: Any = 1.0
    aht: Any = None
    patience: Any = None
    handle_cap: Any = None
    self_service: Any = None
    callbacks: bool = False
    replications: Any = 5
    days: Any = 1

    def as_dict(self) -> dict[str, Any]:
        """The settings as plain JSON values."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def peak_agents(group: Any, intervals_per_day: int) -> int:
    """A group's agents at the busiest of its first day.

    Constant staff, the first day's largest interval, or all its shifts together (its
    agents that day: the most at once can be fewer; the control moves its largest shift).
    """
    if group.shifts:
        return int(sum(s.count for s in group.shifts))
    if isinstance(group.staff, list):
        return int(max(group.staff[:intervals_per_day], default=0))
    return int(group.staff or 0)


def mean_of(scenario: Scenario, what: str) -> float | None:
    """Contact-weighted mean handle time (``"handle"``) or patience over the day, seconds."""
    weights = daily_contacts(scenario)
    pairs = [(weights[t], getattr(ct, what).mean) for t, ct in scenario.contact_types.items()
             if getattr(ct, what) is not None]
    total = sum(w for w, _ in pairs)
    if not pairs:
        return None
    if total <= 0:
        return float(sum(m for _, m in pairs) / len(pairs))
    return float(sum(w * m for w, m in pairs) / total)


def daily_contacts(scenario: Scenario) -> dict[str, float]:
    """Expected first contacts of the first day, per contact type."""
    out = {}
    for name, ct in scenario.contact_types.items():
        arrivals = ct.arrivals
        if arrivals.rate is not None:
            per_day = arrivals.rate * scenario.open_seconds
        elif arrivals.trace is not None:  # the replayed log's first day, in opening hours
            times = arrivals.trace_rows(name)[0]
            per_day = float(((times >= scenario.open) & (times < scenario.close)).sum())
        else:
            per_day = float(sum(arrivals.per_interval[:scenario.intervals_per_day]))
        factors = day_factors(scenario, arrivals, 1)
        out[name] = per_day * (float(factors[0]) if factors is not None else 1.0)
    return out


def calls_per_hour(scenario: Scenario) -> float:
    """Expected first contacts per opening hour of the first day, all types."""
    return sum(daily_contacts(scenario).values()) / (scenario.open_seconds / 3600)


def defaults(scenario: Scenario) -> Settings:
    """The controls as ``scenario`` has them (one day, 5 replications)."""
    caps = {ct.handle_cap.max for ct in scenario.contact_types.values() if ct.handle_cap}
    return Settings(
        agents={g: peak_agents(a, scenario.intervals_per_day)
                for g, a in scenario.agents.items()},
        arrival_factor=1.0,
        aht=mean_of(scenario, "handle"),
        patience=mean_of(scenario, "patience"),
        handle_cap=caps.pop() if len(caps) == 1 and caps != {None} and
        all(ct.handle_cap for ct in scenario.contact_types.values()) else None,
        self_service=ivr_shares.defaults(scenario),
        callbacks=any(ct.callback for ct in scenario.contact_types.values()),
        replications=5, days=1)


def _changed(value: float | None, base: float | None) -> bool:
    """Whether a time differs from the scenario's as the page shows it (0.1 s).

    Rounded as the page rounds (``Math.round(10 * x) / 10``: halves up), not as Python's
    ``round`` (halves to even): a mean of 300.25 s is shown and sent as 300.3, which
    ``round`` took for a change from 300.2, and the untouched first Run scaled every
    handle time by 300.3 / 300.25.
    """
    return (value is None) != (base is None) or (
        value is not None and _tenth(value) != _tenth(base))


def _tenth(x: float) -> float:
    """``x`` to 0.1 as the page's ``Math.round(10 * x) / 10``."""
    return math.floor(10 * x + 0.5) / 10


def read_settings(payload: dict[str, Any], scenario: Scenario, source: str) -> Settings:
    """The page's controls as sent (JSON), checked; missing ones keep the scenario's.

    Raises:
        SettingsError: A value of the wrong kind (text where a number belongs, a
            replication count that is not a whole number); ranges are the loader's to
            check, so the message is the CLI's.
    """
    base, problems, rate = defaults(scenario), [], calls_per_hour(scenario)
    if not isinstance(payload, dict):
        raise SettingsError(source, [("settings", f"must be an object, got {shown(payload)}")])
    known = [f.name for f in fields(Settings)] + ["calls_per_hour"]  # (typed: the factor's)
    problems += [(str(name)[:60], f"no such setting (known: {', '.join(known)})")
                 for name in payload if name not in known]

    def number(name: str, value: Any, whole: bool = False, optional: bool = False) -> Any:
        return read_number(name, value, problems, whole=whole, optional=optional)

    agents, typed = dict(base.agents), payload.get("agents") or {}
    if not isinstance(typed, dict):
        problems.append(("agents", "must be an object of agent group -> number, got "
                         + shown(typed)))
        typed = {}
    callbacks = payload.get("callbacks", base.callbacks)
    if not isinstance(callbacks, bool):  # "false" is text, and text is true
        problems.append(("callbacks", f"must be true or false, got {shown(callbacks)}"))
    for group, value in typed.items():
        if group not in scenario.agents:
            problems.append((f"agents.{group}", "no such agent group"))
            continue
        agents[group] = number(f"agents.{group}", value, whole=True)
    out = Settings(
        agents=agents,
        arrival_factor=(number("arrival_factor", payload.get("arrival_factor", 1.0))
                        if "calls_per_hour" not in payload
                        else _factor(number("calls_per_hour", payload["calls_per_hour"]),
                                     rate, problems)),
        aht=number("aht", payload.get("aht", base.aht), optional=base.aht is None),
        patience=number("patience", payload.get("patience", base.patience),
                        optional=True),
        handle_cap=number("handle_cap", payload.get("handle_cap", base.handle_cap),
                          optional=True),
        self_service=ivr_shares.read(payload.get("self_service"), scenario, problems),
        callbacks=callbacks is True,
        replications=number("replications", payload.get("replications", 5), whole=True),
        days=number("days", payload.get("days", 1), whole=True))
    for name, positive in (("arrival_factor", False), ("replications", True),
                           ("days", True), ("aht", True), ("patience", True),
                           ("handle_cap", True)):
        value = getattr(out, name)
        if value is not None and (value <= 0 if positive else value < 0):
            problems.append((name, f"must be {'> 0' if positive else '>= 0'}, got {value:g}"))
    if out.days is not None and out.days > scenario.days:
        problems.append(("days", f"must be <= {scenario.days} (the scenario's days), "
                         f"got {out.days}"))
    for group, value in agents.items():  # below this a staff would go negative somewhere
        low, why = fewest_agents(scenario, group, out.days or 1)
        if why is not None and value is not None and value < low:
            problems.append((f"agents.{group}", f"must be >= {low} ({why}), got {value}"))
    # controls the scenario cannot honour: refused, not shown as changed and ignored
    replayed = [t for t, ct in scenario.contact_types.items() if ct.arrivals.trace]
    if replayed and out.arrival_factor not in (None, 1.0):
        problems.append(("arrival_factor", f"contact_types.{replayed[0]} replays a call log: "
                         "its arrivals are the log's, not scaled"))
    if out.aht is not None and out.aht > 0 and out.arrival_factor is not None:
        problems += load_problems(out.aht, base.aht, rate, out.arrival_factor,
                                  aht_changed=_changed(out.aht, base.aht),
                                  rate_typed="calls_per_hour" in payload)
    if problems:
        raise SettingsError(source, problems)
    return out


def _factor(per_hour: float | None, scenario_rate: float,
            problems: list[tuple[str, str]]) -> float | None:
    """The arrival factor of calls per hour typed (its problems named as the field)."""
    if per_hour is None:
        return None
    if per_hour < 0:
        problems.append(("calls_per_hour", f"must be >= 0, got {per_hour:g}"))
        return None
    if scenario_rate <= 0:
        problems.append(("calls_per_hour", "the scenario offers no calls to scale"))
        return None
    return per_hour / scenario_rate


def overrides(scenario: Scenario, settings: Settings) -> dict[str, Any]:
    """The dotted-path overrides that give ``scenario`` these settings.

    Only what differs from the scenario is overridden, so the same settings give the
    scenario itself (and a comparison lists what a trainer changed). ``days`` is always
    set, as the page simulates that many days whatever the file says.
    """
    base = defaults(scenario)
    out: dict[str, Any] = {"days": settings.days}
    for name, ct in scenario.contact_types.items():  # lists for every day: the first days
        per_interval = ct.arrivals.per_interval
        if per_interval and _first_days(per_interval, scenario, settings.days) != per_interval:
            out[f"contact_types.{name}.arrivals.per_interval"] = _first_days(
                per_interval, scenario, settings.days)
    for name, group in scenario.agents.items():
        if isinstance(group.staff, list) and not group.shifts and _first_days(
                group.staff, scenario, settings.days) != group.staff:
            out[f"agents.{name}.staff"] = _first_days(group.staff, scenario, settings.days)
    for name, group in scenario.agents.items():
        delta = settings.agents.get(name, base.agents[name]) - base.agents[name]
        if delta:
            out.update(_agents(name, group, settings.agents[name], delta, scenario,
                               settings.days))
    for name, ct in scenario.contact_types.items():
        where = f"contact_types.{name}"
        if settings.arrival_factor != 1.0:
            arrivals = ct.arrivals
            if arrivals.rate is not None:
                # 12 digits: 650 calls an hour typed is 650/h, as --set would write it,
                # not 649.9999999999999/h (the factor came as 650 / the scenario's 600)
                per_hour = float(f"{arrivals.rate * 3600 * settings.arrival_factor:.12g}")
                out[f"{where}.arrivals.rate"] = f"{per_hour!r}/h"
            else:
                out[f"{where}.arrivals.per_interval"] = _first_days(
                    [v * settings.arrival_factor for v in arrivals.per_interval], scenario,
                    settings.days)
        if base.aht and _changed(settings.aht, base.aht):
            out.update(_scaled(f"{where}.handle", ct.handle, settings.aht / base.aht))
        if ct.patience is not None and base.patience and _changed(settings.patience,
                                                                    base.patience):
            if settings.patience is None:
                out[f"{where}.patience"] = None
            else:
                out.update(_scaled(f"{where}.patience", ct.patience,
                                   settings.patience / base.patience))
        elif base.patience is None and settings.patience is not None:  # (Erlang C to A)
            out[f"{where}.patience"] = {"dist": "exponential", "mean": settings.patience}
        if settings.handle_cap != base.handle_cap:
            out[f"{where}.handle_cap"] = None if settings.handle_cap is None else (
                {"max": settings.handle_cap,
                 "resolution_factor": ct.handle_cap.resolution_factor if ct.handle_cap else 1.0})
        if settings.callbacks != base.callbacks:
            if not settings.callbacks:
                out[f"{where}.callback"] = None
            elif ct.callback is None:  # (callers who never hang up take one too)
                out[f"{where}.callback"] = dict(CALLBACK)
    out.update(ivr_shares.overrides(scenario, settings.self_service))
    return out


def fewest_agents(scenario: Scenario, group: str, days: int) -> tuple[int, str | None]:
    """The fewest agents the control can give ``group``, and why (None: 0, nothing else).

    The control moves a changing staff by the same number in every interval of the
    first ``days`` days, or changes the largest shift (:func:`overrides`): below this
    number some interval's staff, or that shift's count, would be negative.
    """
    spec = scenario.agents[group]
    peak = peak_agents(spec, scenario.intervals_per_day)
    if spec.shifts:
        largest = max(s.count for s in spec.shifts)
        return peak - largest, f"the control changes the largest shift, of {largest} agents"
    if isinstance(spec.staff, list):
        quietest = min(_first_days(spec.staff, scenario, days), default=0)
        return peak - quietest, ("the staff moves by the same number in every interval, "
                                 f"and the quietest has {quietest} agents")
    return 0, None


def _first_days(values: list, scenario: Scenario, days: int) -> list:
    """A per-interval list for the first ``days`` days (a one-day list stays as it is)."""
    ipd = scenario.intervals_per_day
    return list(values) if len(values) == ipd else list(values[:ipd * days])


def _agents(name: str, group: Any, count: int, delta: int, scenario: Scenario,
            days: int) -> dict[str, Any]:
    """Overrides giving a group ``count`` agents at its peak (``delta`` more than now)."""
    where = f"agents.{name}"
    if group.shifts:
        largest = max(range(len(group.shifts)), key=lambda i: group.shifts[i].count)
        return {f"{where}.shifts.{largest}.count": group.shifts[largest].count + delta}
    if isinstance(group.staff, list):
        return {f"{where}.staff": _first_days([v + delta for v in group.staff], scenario,
                                              days)}
    return {f"{where}.staff": count}


def _scaled(where: str, dist: Any, factor: float) -> dict[str, Any]:
    """Overrides multiplying every time of a distribution by ``factor`` (shape kept)."""
    dumped = dist.model_dump(mode="json")
    out = {}
    for key in SCALED_FIELDS:
        value = dumped.get(key)
        if isinstance(value, list):
            out[f"{where}.{key}"] = [v * factor for v in value]
        elif isinstance(value, (int, float)):
            out[f"{where}.{key}"] = value * factor
    return out


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What ``after``'s settings change from ``before``'s (for people): name -> (old, new)."""
    out = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            out[key] = (before.get(key), after.get(key))
    return out
