"""Helpers for tests: tiny scenarios and hand-made contact traces."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from sim.engine import ContactDraws, run_replication
from sim.loader import scenario_from_dict
from sim.records import Records
from sim.replicate import half_width

TWO_WAGES = {  # one queue, two first-line groups alike but for their wages
    "name": "two wages", "seed": 4, "days": 1, "open": "08:00", "close": "10:00",
    "interval": "30m", "service_level": {"threshold": "20s", "target": 0.8},
    "contact_types": {"calls": {"arrivals": {"per_interval": [60, 100, 100, 60]},
                                "handle": {"dist": "exponential", "mean": "4m"},
                                "patience": {"dist": "exponential", "mean": "3m"}}},
    "agents": {"dear": {"skills": ["calls"], "staff": 8},    # listed first: the larger share
               "cheap": {"skills": ["calls"], "staff": 8}},  # of the load by a tie
    "costs": {"agents": {"dear": {"hourly": 40}, "cheap": {"hourly": 20}}},
}


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


@contextmanager
def app_server(scenario: str) -> Iterator[str]:
    """The trainer's page (``ccsim app``) for ``scenario``, served while the block runs.

    Served from a thread on a free port; yields its base URL (``http://127.0.0.1:PORT``).
    """
    from sim.app.model import Session
    from sim.app.server import make_server

    session = Session(scenario)
    server = make_server(session, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        session.close()  # a run left under way would go on simulating in this process


def assert_agrees(name, simulated, theory, wrong=()):
    """``theory`` within 3 half-widths of the mean of ``simulated``; ``wrong`` values outside.

    The half-width is the 95% Student t one over the replications' values (``simulated``,
    one per replication): a false alarm has probability well under 1% per check, and
    ``wrong`` (the theory for a nearby wrong model) shows the tolerance can tell it apart.
    """
    mean, hw = float(np.mean(simulated)), half_width(simulated)
    message = f"{name}: simulated {mean:.5g} ± {hw:.3g}, theory {theory:.5g}"
    assert abs(mean - theory) <= 3 * hw, message
    for other in wrong:
        assert abs(mean - other) > 3 * hw, f"{name}: cannot tell {theory:.5g} from {other:.5g}"


def markov_scenario(name: str, rate: float, aht: float, patience: float, agents: int,
                    lines: int | None = None, **calls) -> dict:
    """A Markov center of the theory tests: one type ``calls``, one group ``pool``.

    Poisson arrivals (``rate`` per s), exponential handle times and patience (means
    ``aht``, ``patience`` s), ``agents`` in the group, round the clock for 2 days after a
    2-hour warm-up (an hour's cooldown for the last redials); ``calls`` adds the type's
    journey fields (``retrial``, ``callback``).
    """
    data = {
        "name": name, "days": 2, "interval": "1h", "warmup": 7200.0, "cooldown": "1h",
        "contact_types": {"calls": {
            "arrivals": {"rate": f"{rate * 3600:g}/h"},
            "handle": {"dist": "exponential", "mean": aht},
            "patience": {"dist": "exponential", "mean": patience}, **calls}},
        "agents": {"pool": {"skills": ["calls"], "staff": agents}},
    }
    return data if lines is None else {**data, "lines": lines}


def assert_same_table(left: pd.DataFrame, right: pd.DataFrame, **kwargs) -> None:
    """Two tables equal to the bit: pandas' ``assert_frame_equal`` with ``check_exact``.

    For tables that parity says are the same (the same seeds run here and on workers,
    streamed to disk and read back, stacked from parts). pandas' default lets floats differ
    by 1e-5 relative and compares category columns one value at a time in Python: seconds
    per 100,000 contacts, most of some tests' time. Exact compares each column at once and
    catches everything the default does (the categories too: ``check_categorical``).
    """
    pd.testing.assert_frame_equal(left, right, check_exact=True, **kwargs)


def count_shortcut(monkeypatch, module, name: str) -> list[bool]:
    """Spy on a shortcut factory ``module.name`` (``serve = name(floor, journeys)``).

    Returns the list that receives, for every leg offered, whether the shortcut served it.
    """
    served: list[bool] = []
    make = getattr(module, name)

    def counting(floor, journeys):
        serve = make(floor, journeys)
        if serve is None:
            return None

        def spy(c, q, group, agent_id):
            done = serve(c, q, group, agent_id)
            served.append(done)
            return done

        return spy

    monkeypatch.setattr(module, name, counting)
    return served


class NewestFirst:
    """A user's routing policy that worker processes can import.

    The agent idle the shortest time gets the contact; a free agent takes the queue whose
    head came last.
    """

    def choose_agent(self, contact, agents, now):
        return max(range(len(agents)), key=lambda i: agents[i].idle_since)

    def choose_contact(self, agent, queues, now):
        return max(range(len(queues)), key=lambda i: queues[i].since)
