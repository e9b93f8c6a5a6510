"""Costs: what agents are paid, what bad service costs and what a resolved issue earns.

:class:`Costs` is the scenario's optional ``costs`` section; :mod:`sim.costs` turns it
and a run's records into money.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.scenario_base import Name, _Frozen
from sim.units import Number

Money = Annotated[Number, Field(ge=0.0)]


class GroupCost(_Frozen):
    """An agent's pay: ``hourly`` for scheduled time, ``x overtime_factor`` for overtime."""

    hourly: Money
    overtime_factor: Annotated[Number, Field(ge=0.0)] = 1.5


class Costs(_Frozen):
    """Money, in the user's unit: wages, what bad service costs, what a resolved issue earns.

    ``agents`` gives every agent group's :class:`GroupCost`: agents are paid for their
    scheduled time (shrinkage and absent days included; a shift's whole time, opening
    hours or not) and at the overtime rate for time on duty after closing (finishing
    contacts) beyond the shifts that still run then. Each abandoned contact (or one that
    hung up after an answer, on hold or queued again: a customer lost), blocked call,
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
