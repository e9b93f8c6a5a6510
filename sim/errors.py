"""Errors a user's scenario can cause while simulating, importable without the engine.

Kept apart from :mod:`sim.engine` so the command line can catch them without importing
SimPy, pandas or the engine's modules (``ccsim validate`` and ``--help`` stay quick).
"""

from __future__ import annotations


class SimulationError(ValueError):
    """A scenario whose run cannot be completed as specified (found while simulating).

    Attributes:
        path: Dotted path of the scenario field at fault.
        reason: What went wrong, for a person.
    """

    def __init__(self, path: str, reason: str):
        super().__init__(path, reason)
        self.path, self.reason = path, reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class FieldError(ValueError):
    """A validator's refusal of one field of the section it checks (pydantic names the section).

    A model validator's error is placed at its section (``contact_types.calls.arrivals``);
    raised with ``field``, it is reported at that field (``...arrivals.trace``:
    :func:`sim.scenario_errors._problem`).
    """

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field


class PolicyError(SimulationError):
    """A routing policy (:mod:`sim.routing`) that failed, or left contacts waiting for ever.

    It raised, or answered with no candidate, or answered None to every question, or to
    a warm transfer or consult while agents who could take it were idle.

    ``path`` names the policy and its method (``policy CardsFirst.choose_agent``), or the
    scenario's field for a built-in policy's reserve (``routing_policy.reserve``).
    """
