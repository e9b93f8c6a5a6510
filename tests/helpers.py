"""Helpers for tests: tiny scenarios and hand-made contact traces."""

from __future__ import annotations

import math

import numpy as np

from sim.engine import ContactDraws, run_replication
from sim.loader import scenario_from_dict
from sim.records import Records


def tiny(agents: dict, types: tuple[str, ...] = ("calls",), **extra) -> object:
    """A one-day, always-open scenario with the given agent groups and contact types."""
    data = {
        "name": "tiny",
        "days": 1,
        "interval": "1h",
        "contact_types": {
            t: {"arrivals": {"rate": "1/h"}, "handle": {"dist": "exponential", "mean": "1m"}}
            for t in types
        },
        "agents": agents,
    }
    data.update(extra)
    return scenario_from_dict(data)


def replay(scenario, contacts: list[tuple], trace_every: float | None = None) -> Records:
    """Run ``scenario`` on hand-made contacts ``(arrival, type index, handle[, patience])``."""
    rows = [c if len(c) == 4 else (*c, math.inf) for c in contacts]
    arrival, ctype, handle, patience = (np.array(col, dtype=float) for col in zip(*rows))
    draws = ContactDraws(arrival=arrival, contact_type=ctype.astype(np.int16), handle=handle,
                         patience=patience)
    return run_replication(scenario, seed=0, draws=draws, trace_every=trace_every)
