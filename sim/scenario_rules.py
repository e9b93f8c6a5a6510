"""Real-time rules: what the center does while a watched value crosses a threshold.

A :class:`Rule` pairs a :class:`RuleCondition` (a queue length, an oldest wait, a
service level or idle agents against an ``on`` and a ``clear`` threshold) with one
:class:`RuleAction` (move agents, open an overflow, switch callback offers, call in
overtime). :mod:`sim.rules` evaluates them during a run.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from sim.scenario_base import Name, _Frozen
from sim.units import Count, Duration, parse_number


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

    @model_validator(mode="before")
    @classmethod
    def _numbers_of_counts(cls, data):
        """A count (queue_length, idle_agents) or a fraction (service_level): a plain number.

        ``at_least: 5m`` on a queue length (a slip for oldest_wait) watched for 300
        contacts, and ``at_least: many`` was asked for a duration.
        """
        if not isinstance(data, dict):
            return data
        what = next((m for m in ("queue_length", "idle_agents", "service_level")
                     if data.get(m) is not None), None)
        for key in ("at_least", "at_most", "clear_at"):
            if what is None or not isinstance(data.get(key), str):
                continue
            try:  # a plain number ("5", " 0.8"): no unit, nothing else
                parse_number(data[key])
            except ValueError:
                raise ValueError(f"{key}: a {what} threshold is a plain number (a "
                                 f"{'fraction' if what == 'service_level' else 'count'}), "
                                 f"got {data[key]!r}") from None
        return data

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

    At most those ``from`` has when the rule comes on; each finishes the contact in hand
    first; they go back the same way when it clears.
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
