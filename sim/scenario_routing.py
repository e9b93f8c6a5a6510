"""Routing: which agent group may take a contact, and which agent and contact are paired.

A :class:`RouteStep` lists a group in a contact type's routing, with the wait after
which it may take the contact (overflow). :class:`RoutingPolicySpec` picks the built-in
policy that pairs idle agents with waiting contacts (:data:`AGENT_RULES`,
:data:`CONTACT_RULES`) and keeps agents in reserve (:class:`Reservation`);
:mod:`sim.routing` implements it.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator

from sim.scenario_base import Name, _Frozen
from sim.units import Count, Duration, Number


class RouteStep(_Frozen):
    """A group that may take a contact once it has waited ``after`` seconds (overflow)."""

    group: Name
    after: Annotated[Duration, Field(ge=0.0)] = 0.0

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, value: Any) -> Any:
        return {"group": value} if isinstance(value, str) else value


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


def _known_rule(value: str, known: tuple[str, ...]) -> str:
    if value not in known:
        close = difflib.get_close_matches(value, known, n=1)
        mean = f"did you mean {close[0]!r}? " if close else ""
        raise ValueError(f"unknown rule {value!r} ({mean}known: {', '.join(known)})")
    return value
