"""The building blocks every part of a scenario is made of.

Each section of a scenario (contact types, agent groups, rules, routing, costs) is a
frozen pydantic model that refuses unknown keys and non-finite numbers; the names it
gives to contact types, agent groups and rules, and its probabilities, are checked the
same way everywhere. :mod:`sim.scenario` assembles the sections into a
:class:`~sim.scenario.Scenario`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from sim.units import Number

Probability = Annotated[Number, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
