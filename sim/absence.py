"""Absence: which scheduled agents miss a whole day, the same whatever the policy.

``absenteeism: 0.06`` on an agent group makes each scheduled agent absent for a whole
day with probability 0.06, independently of the others and of other days. This is not
``shrinkage`` (a fixed share of every scheduled hour spent off the phones): an absence
takes a person off a whole day, so on some days a group is short by several agents
and on others by none.

Common random numbers need agents to have identities, so that adding agents does not
change which of the others are absent. With per-interval ``staff``, agent ``k`` (from 1)
is the one scheduled whenever ``k`` or more agents are: the 42nd agent works only the
intervals that have at least 42. With ``shifts``, agent ``j`` of shift ``s`` (in the
order of the scenario) works that shift. Each agent's absence on day ``d`` is a keyed
number (:mod:`sim.keyed`): a pure function of the replication, the group's name, the day
and the agent's identity, never of the count, so the first ``n`` agents' absences stay
as they were when agents are added.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from sim import keyed


@dataclass(frozen=True)
class Absences:
    """Who of one agent group is absent on each day of one replication.

    Attributes:
        key: The group's key in this replication.
        probability: ``absenteeism``: the chance that a scheduled agent misses a day.
    """

    key: int
    probability: float

    def absent(self, day: int, agents: int, shift: int = -1) -> np.ndarray:
        """Whether each of agents ``1..agents`` (of ``shift``, -1: per-interval staff) is absent.

        Args:
            day: The day, from 0 (the calendar day of the run, cooldown included).
            agents: How many agents to draw for.
            shift: The shift's position in the group's ``shifts`` (-1 for ``staff``).
        """
        day_key = keyed.child(self.key, keyed.ABSENCE, day)
        base = keyed.child(day_key, keyed.ABSENCE, shift + 1)
        draws = [keyed.uniform(base, keyed.ABSENCE, k) for k in range(1, agents + 1)]
        return np.array(draws, dtype=float) < self.probability

    def present(self, day: int, scheduled: int, shift: int = -1) -> int:
        """How many of the first ``scheduled`` agents (of ``shift``) came on ``day``."""
        if self.probability <= 0.0 or scheduled <= 0:
            return scheduled
        return scheduled - int(np.count_nonzero(self.absent(day, scheduled, shift)))


def group_absences(root_key: int, group: str, probability: float) -> Absences:
    """The :class:`Absences` of agent group ``group`` in a replication.

    Args:
        root_key: The replication's root key (:func:`sim.keyed.root`).
        group: The agent group's name (its absences follow its name, not its position).
        probability: Its ``absenteeism``.
    """
    return Absences(keyed.child(root_key, keyed.ABSENCE, zlib.crc32(group.encode("utf-8"))),
                    float(probability))
