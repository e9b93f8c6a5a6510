"""Records: the engine's numpy columns as a tidy pandas table, one row per contact.

The engine writes typed arrays (:class:`Records`, defined here); this module names the
columns, turns codes into categories and derives what people ask about (the wait,
answered/abandoned/blocked flags, whether the issue was resolved) so that metrics,
reports and users' own analyses all read the same table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.scenario import Scenario
from sim.streams import stream

# contact states (Records.state)
WAITING, ANSWERED, ABANDONED, BLOCKED = 0, 1, 2, 3


@dataclass
class Records:
    """What happened in one replication, one row per contact, as numpy columns.

    Times are seconds from the start of day 0. ``answer`` and ``end`` are NaN where they
    do not apply (never answered; still waiting when the run ended). ``group`` and
    ``agent`` are -1 for contacts no agent took. ``staff_*`` is a log of every change in
    the number of agents on duty per group (for available agent time).
    """

    type_names: list[str]
    group_names: list[str]
    contact_type: np.ndarray  # int16 code into type_names
    arrival: np.ndarray
    answer: np.ndarray
    end: np.ndarray
    state: np.ndarray  # uint8: WAITING (never resolved at run end), ANSWERED, ABANDONED, BLOCKED
    group: np.ndarray  # int16 code into group_names, -1 if none
    agent: np.ndarray  # int32 agent id, -1 if none
    handle: np.ndarray  # drawn handle time, seconds (talk time of answered contacts)
    staff_time: np.ndarray
    staff_group: np.ndarray
    staff_count: np.ndarray
    trace: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of contacts."""
        return int(self.arrival.size)


CONTACT_COLUMNS = (
    "replication", "contact_id", "issue_id", "contact_type", "channel", "arrival", "answer",
    "end", "wait", "answered", "abandoned", "blocked", "group", "agent", "handle", "resolved",
)


def resolved_flags(records: Records, scenario: Scenario, seed: int, replication: int) -> np.ndarray:
    """Whether each answered contact's issue was resolved (own stream per contact type)."""
    resolved = np.zeros(records.n, dtype=bool)
    for code, (name, ct) in enumerate(scenario.contact_types.items()):
        mine = records.contact_type == code
        draws = stream(seed, replication, "resolution", name).random(int(mine.sum()))
        resolved[mine] = draws < ct.resolution
    return resolved & (records.state == ANSWERED)


def contacts_frame(
    records: Records, scenario: Scenario, seed: int, replication: int
) -> pd.DataFrame:
    """One row per contact of one replication (columns: :data:`CONTACT_COLUMNS`)."""
    state = records.state
    answered = state == ANSWERED
    abandoned = state == ABANDONED
    blocked = state == BLOCKED
    left_queue = np.where(answered, records.answer, np.where(abandoned, records.end, np.nan))
    wait = np.maximum(left_queue - records.arrival, 0.0)
    channels = [scenario.contact_types[t].channel.value for t in records.type_names]
    channel_names = sorted(set(channels))
    channel_of_type = np.array([channel_names.index(c) for c in channels], dtype=np.int16)
    n = records.n
    return pd.DataFrame({
        "replication": np.full(n, replication, dtype=np.int32),
        "contact_id": np.arange(n, dtype=np.int64),
        "issue_id": np.arange(n, dtype=np.int64),
        "contact_type": pd.Categorical.from_codes(records.contact_type, records.type_names),
        "channel": pd.Categorical.from_codes(channel_of_type[records.contact_type], channel_names),
        "arrival": records.arrival,
        "answer": records.answer,
        "end": records.end,
        "wait": wait,
        "answered": answered,
        "abandoned": abandoned,
        "blocked": blocked,
        "group": pd.Categorical.from_codes(records.group, records.group_names),
        "agent": records.agent,
        "handle": np.where(answered, records.handle, np.nan),
        "resolved": resolved_flags(records, scenario, seed, replication),
    })


def staff_frame(records: Records, replication: int) -> pd.DataFrame:
    """The log of agents on duty: one row per change (replication, time, group, agents)."""
    return pd.DataFrame({
        "replication": np.full(records.staff_time.size, replication, dtype=np.int32),
        "time": records.staff_time,
        "group": pd.Categorical.from_codes(records.staff_group, records.group_names),
        "agents": records.staff_count,
    })
