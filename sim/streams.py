"""Random streams: one independent numpy Generator per replication, purpose and name.

Common random numbers need every source of randomness to have its own stream: a
change of staffing must not change who arrives when, nor their handle times or
patience. Streams are keyed by ``(replication, purpose, crc32(name))`` under the
scenario seed through :class:`numpy.random.SeedSequence`, so they are the same on every
machine and in every worker, and adding a contact type leaves the others' streams alone.
"""

from __future__ import annotations

import zlib

import numpy as np

PURPOSES = {
    "arrivals": 1, "handle": 2, "patience": 3, "routing": 4, "resolution": 5,
    # journeys (sim.journey): durations and decisions after the first queue
    "handle.later": 6, "patience.later": 7, "ivr": 8, "misroute": 9, "consult": 10,
    "hold_patience": 11, "repeat": 12, "retrial": 13, "escalate": 14, "escalate.talk": 15,
    "complaint": 16,
    # contacts of the cooldown after the measured days
    "arrivals.cooldown": 17, "handle.cooldown": 18, "patience.cooldown": 19,
}


def stream(seed: int, replication: int, purpose: str, name: str = "") -> np.random.Generator:
    """The Generator for one purpose (see :data:`PURPOSES`) and name in one replication.

    Args:
        seed: The run's seed (>= 0).
        replication: Replication number (0-based).
        purpose: A key of :data:`PURPOSES`.
        name: What the stream is for within the purpose, usually a contact type.
    """
    key = (replication, PURPOSES[purpose], zlib.crc32(name.encode("utf-8")))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
