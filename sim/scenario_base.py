"""The building blocks every part of a scenario is made of.

Each section of a scenario (contact types, agent groups, rules, routing, costs) is a
frozen pydantic model that refuses unknown keys and non-finite numbers; the names it
gives to contact types, agent groups and rules, and its probabilities, are checked the
same way everywhere. :mod:`sim.scenario` assembles the sections into a
:class:`~sim.scenario.Scenario`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from sim.units import Number

Probability = Annotated[Number, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class _Located(_Frozen):
    """A model read from a file that remembers the file's folder, for files it names.

    The folder is no field: not dumped, and no part of equality or the hash (the same
    scenario read from two folders is one scenario); :func:`sim.loader.with_overrides`
    reads the files a variant or a grid value names there, not in the working folder.
    """

    _base_dir: Any = PrivateAttr(default=None)  # a Path, or None (made from a dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BaseModel):
            return NotImplemented
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = _Frozen.__hash__
