"""Scenario: the typed, frozen description of one contact center to simulate.

A scenario says when the center is open, what customers contact it about (contact
types, with their arrivals, handle times and patience), which agent groups answer them
(skills, staffing) and how contacts are routed. Everything here is already validated
and in seconds; :mod:`sim.loader` turns a YAML file into a :class:`Scenario`, and
:mod:`sim.schedule` turns staffing and arrival specs into time lines for the engine.

The field names mirror the YAML format in DESIGN.md, so a validation error's dotted
path (``agents.tier1.staff[3]``) points at the line a user has to fix.

Each section has its own module: :mod:`sim.scenario_contacts` (contact types, arrivals,
service levels), :mod:`sim.scenario_journeys` (IVR, transfers, repeats, callbacks and
the other journey options), :mod:`sim.scenario_agents` (agent groups, shifts),
:mod:`sim.scenario_costs`, :mod:`sim.scenario_rules` (real-time rules),
:mod:`sim.scenario_routing` (routing steps and policy) and :mod:`sim.scenario_base` (what
they share). This module assembles them into :class:`Scenario`, checks what relates one
section to another, and re-exports every section's names, so ``from sim.scenario import
ContactType`` keeps working.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import Field, field_validator

from sim.scenario_agents import AgentGroup, Blending, Break, Escalation, Shift, shifts_outside_hours
from sim.scenario_base import Name, Probability, _Located
from sim.scenario_contacts import (
    CONCURRENT_CHANNELS,
    MAX_TRANSFERS,
    Arrivals,
    Channel,
    ContactType,
    ServiceLevel,
    ServiceLevelDefinition,
    TypeServiceLevel,
    contact_type_problems,
    misroute_problems,
)
from sim.scenario_costs import Costs, GroupCost, Money
from sim.scenario_journeys import (
    IVR,
    MAX_COMEBACKS,
    Announcement,
    Balking,
    Callback,
    Complaint,
    Consult,
    HandleCap,
    Repeat,
    Retrial,
    Transfer,
    TransferMode,
)
from sim.scenario_routing import (
    AGENT_RULES,
    CONTACT_RULES,
    Reservation,
    RouteStep,
    RoutingPolicySpec,
)
from sim.scenario_rules import (
    CallOvertime,
    MoveAgents,
    OpenOverflow,
    Rule,
    RuleAction,
    RuleCondition,
    RuleMetric,
    SwitchCallbacks,
)
from sim.units import DAY, Clock, Count, Duration, format_clock_until
from sim.weekdays import Weekday

__all__ = [
    "AGENT_RULES", "CONCURRENT_CHANNELS", "CONTACT_RULES", "IVR", "MAX_COMEBACKS", "MAX_SEED",
    "MAX_TRANSFERS", "AgentGroup", "Announcement", "Arrivals", "Balking", "Blending",
    "Break", "CallOvertime", "Callback", "Channel", "Complaint", "Consult", "ContactType",
    "Costs", "Escalation", "GroupCost", "HandleCap", "Money", "MoveAgents", "Name",
    "OpenOverflow", "Probability", "Repeat", "Reservation", "Retrial", "RouteStep",
    "RoutingPolicySpec", "Rule", "RuleAction", "RuleCondition", "RuleMetric", "Scenario",
    "ServiceLevel", "ServiceLevelDefinition", "Shift", "SwitchCallbacks", "Transfer",
    "TransferMode", "TypeServiceLevel",
]

MAX_SEED = 2**63 - 1  # seeds are stored in int64 columns (sweep.parquet)


class Scenario(_Located):
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
    # each run day's weekday with named day factors (set by backtest; sim.weekdays.weekday_of)
    weekdays: tuple[Weekday, ...] | None = None

    @field_validator("weekdays", mode="before")
    @classmethod
    def _weekday_case(cls, value: Any) -> Any:
        """``Monday`` is ``monday``."""
        if isinstance(value, list | tuple):
            return [v.strip().lower() if isinstance(v, str) else v for v in value]
        return value

    @property
    def open_seconds(self) -> float:
        """Seconds the center is open each day."""
        return self.close - self.open

    @property
    def intervals_per_day(self) -> int:
        """Number of reporting/staffing intervals in one day's opening hours."""
        return round(self.open_seconds / self.interval)

    def threshold(self, contact_type: str, default: float | None = None) -> float:
        """Service-level threshold (seconds) of a contact type.

        Its own where it has a ``service_level``, else ``default`` (None: the scenario's).
        """
        own = self.contact_types[contact_type].service_level
        if own is not None:
            return own.threshold
        return self.service_level.threshold if default is None else default

    def target(self, contact_type: str, default: float | None = None) -> float:
        """Service-level target of a contact type.

        Its own where it states one, else ``default`` (None: the scenario's).
        """
        own = self.contact_types[contact_type].service_level
        if own is not None and own.target is not None:
            return own.target
        return self.service_level.target if default is None else default

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
        from sim.weekdays import calendar_problems, weekday_problems

        found = (self._time_problems() + self._reference_problems()
                 + contact_type_problems(self.contact_types))
        mixed = weekday_problems(self)
        found += self._routing_policy_problems() + mixed
        if not mixed:  # the run's weekdays are those the day factors name
            found += calendar_problems(self)
        if not found:  # table lengths only make sense on a valid time grid
            found += self._length_problems()
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
        last_close = (self.days - 1) * DAY + self.close  # contacts arrive in opening hours
        if self.warmup >= min(last_close, self.days * DAY):
            found.append(("warmup", f"must end before the last day closes ({last_close:g}s, "
                          f"day {self.days} at {format_clock_until(self.close)}), got "
                          f"{self.warmup:g}s: nothing would be measured"))
        found += shifts_outside_hours(self.agents, self.open, self.close)
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
            first: dict[str, int] = {}
            for i, step in enumerate(steps):
                if step.group in first:  # which delay would hold? (the engine took both)
                    found.append((
                        f"routing.{t}[{i}]", f"agent group {step.group!r} is already listed at "
                        f"routing.{t}[{first[step.group]}]; list each group once, with its "
                        "'after'"))
                    continue
                first[step.group] = i
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
        """Journey options must name known contact types; a misroute needs a queue to go to."""
        types = self.contact_types
        return [(path, f"unknown contact type {name!r}{_choices(types, name)}")
                for path, name in self.journey_references() if name not in types
                ] + misroute_problems(types)

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


def _choices(known: dict[str, Any], name: str) -> str:
    """' (did you mean ...? known: ...)' for an unknown name, like a misspelt field gets."""
    close = difflib.get_close_matches(name, list(known), n=1)
    mean = f"did you mean {close[0]!r}? " if close else ""
    return f" ({mean}known: {', '.join(sorted(known))})"
