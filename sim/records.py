"""Records: what the engine writes in one replication, as numpy columns, and their codes.

Numpy only, so that the engine (``import sim.engine``) needs neither pandas nor SciPy. The
tables people read (one row per contact, leg, staffing change or rule firing) are made
from these columns by :mod:`sim.frames`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# contact states (Records.state): where a contact ended (WAITING: still queued at the end,
# never answered, its outcome "unanswered": nobody could answer it and it did not hang up)
# BALKED: left on arrival rather than wait (sim.balking), never offered; ABANDONED: hung up
# before any agent answered; HUNG_UP: answered, then hung up before the end (on hold, or
# waiting again after a transfer): an answered contact, not an abandoned one; UNFINISHED:
# answered, then queued again (a transfer, escalation or misroute) and still waiting there
# at the end, nobody could answer it: an answered contact, not an unanswered one
WAITING, ANSWERED, ABANDONED, BLOCKED, SELF_SERVED, BALKED, HUNG_UP, UNFINISHED = range(8)
OUTCOMES = ("unanswered", "completed", "abandoned", "blocked", "self_served", "balked",
            "hung_up", "unfinished")
ORIGINS = ("first", "retrial", "repeat", "complaint")
LEG_REASONS = ("completed", "transfer", "escalation", "misroute", "abandoned", "hung_up",
               "consult", "duplicate", "unfinished")


@dataclass
class Records:
    """What happened in one replication, one row per customer contact, as numpy columns.

    Times are seconds from the start of day 0. ``answer`` (first answer) and ``end`` are
    NaN where they do not apply. ``wait`` is the first queue wait (until answered or
    abandoned), ``queue_time`` all time in queues, ``talk`` all talk, ``hold`` all time on
    hold during consults. ``group`` and ``agent`` are the last to handle the contact (-1:
    none). ``wrap_up`` is the agents' after-call work after the contact's legs (None:
    the scenario has none, all zero). ``issue`` links repeat contacts and retrials to the
    customer's issue;
    ``origin`` says which a contact is (see :data:`ORIGINS`). ``staff_*`` logs every
    change in agents on duty per group; ``legs`` (when the scenario has journeys) has one
    item per leg, ``legs["contact_row"]`` pointing at the contact (-1: a consult request).
    """

    type_names: list[str]
    group_names: list[str]
    contact_type: np.ndarray
    arrival: np.ndarray
    answer: np.ndarray
    end: np.ndarray
    wait: np.ndarray
    queue_time: np.ndarray
    talk: np.ndarray
    hold: np.ndarray
    issue: np.ndarray
    state: np.ndarray
    origin: np.ndarray
    transfers: np.ndarray
    resolved: np.ndarray
    misrouted: np.ndarray
    callback: np.ndarray
    group: np.ndarray
    agent: np.ndarray
    staff_time: np.ndarray
    staff_group: np.ndarray
    staff_count: np.ndarray  # in slots: agents x concurrency
    slots: list[int] = field(default_factory=list)  # concurrency per group
    wrap_up: np.ndarray | None = None  # after-call work per contact (None: no wrap-up)
    trace: dict[str, np.ndarray] = field(default_factory=dict)
    legs: dict[str, np.ndarray] = field(default_factory=dict)
    rule_log: dict[str, np.ndarray] = field(default_factory=dict)  # see sim.rules
    # contact type -> its contacts never answered, for each type a user's routing policy
    # was offered and never chose (sim.routed.Router.never_chosen)
    never_chosen: dict[str, int] = field(default_factory=dict)

    @property
    def n(self) -> int:
        """Number of customer contacts."""
        return int(self.arrival.size)
