"""Animation timelines: what every seat and queue was doing when, read from a run's records.

An animation (:mod:`sim.animate`) and the trainer's floor (:mod:`sim.app.views`) are
drawn after the fact from a run's own records, so they show exactly what the simulation
did. Here those records become :class:`Timeline` objects per agent group (agents talking,
customers on hold, after-call work) and for the queues (customers waiting), each of
which counts its intervals at any moment.

Results without legs (read back from a folder without them) give each contact's first
wait only: from entering the queue (its first answer, or its end, less the wait), after
any IVR menu.

Holds: a consult puts the customer on hold halfway through the talk, so the hold is the
middle ``hold`` seconds of each leg (of the call, for results without legs; a
transferred call without legs shows as talking throughout). A customer who hung up on
hold (the leg's reason, or the call's outcome, ``hung_up``) ends the leg there: the
hold is its last ``hold`` seconds. So does a consult called off that way (its leg
``hung_up``): exact when it was on hold for a consult of its own, but one called off
after that consult was over shows its hold at its end too (the legs do not say where).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.frames import first_wait_ends
from sim.replicate import RunResult


def frame_times(start: float, stop: float, step: float) -> np.ndarray:
    """The moments drawn: ``start``, then every ``step`` seconds, the last at most ``stop``.

    A step that does not divide the opening hours ends at the close itself, to the
    nearest frame: ``--step 13h`` on an 08:00-20:00 day drew 21:00 (everyone off duty),
    and 5-hour steps on a day open round the clock "25:00".

    Args:
        start: The day's opening, seconds since the run began.
        stop: Its close, seconds since the run began.
        step: Seconds between frames (> 0).
    """
    return np.minimum(np.arange(start, stop + step / 2, step), stop)


class Timeline:
    """Intervals ``[start, end)`` of one kind (a talk, a hold, a wait), counted at any time."""

    def __init__(self, start: np.ndarray, end: np.ndarray):
        keep = ~(np.isnan(start) | np.isnan(end)) & (end > start)
        self.start, self.end = start[keep], end[keep]
        self._starts, self._ends = np.sort(self.start), np.sort(self.end)

    def count(self, times: np.ndarray) -> np.ndarray:
        """How many intervals contain each of ``times``."""
        return (np.searchsorted(self._starts, times, side="right")
                - np.searchsorted(self._ends, times, side="right"))

    def active(self, t: float) -> np.ndarray:
        """Mask of the intervals that contain ``t``."""
        return (self.start <= t) & (t < self.end)


def _talks_and_holds(result: RunResult, replication: int) -> tuple[dict, dict]:
    """Per agent group: the timelines of agents talking, and of customers on hold.

    From the legs where the run has them (each leg's own hold), else from the contacts.
    """
    sc = result.scenario
    legs = getattr(result, "legs", None)
    if isinstance(legs, pd.DataFrame) and len(legs) and "group" in legs:
        rows = legs[legs["replication"] == replication]
        start_col, end_col, ending = "answered", "ended", "reason"
        single = np.ones(len(rows), bool)
    else:
        rows = result.contacts[result.contacts["replication"] == replication]
        start_col, end_col, ending = "answer", "end", "outcome"
        # a transferred contact's hold may be in any of its legs: not placed
        single = (rows["transfers"].to_numpy() == 0 if "transfers" in rows
                  else np.ones(len(rows), bool))
    group = rows["group"].astype(str).to_numpy()
    start, end = rows[start_col].to_numpy(float), rows[end_col].to_numpy(float)
    hold = np.nan_to_num(rows["hold"].to_numpy(float)) if "hold" in rows else np.zeros(len(rows))
    hold = np.where(single, hold, 0.0)
    # the hold begins halfway through the talk; a customer who hung up on hold was still
    # on it when the leg ended (the talk after it never came)
    hung_up = (rows[ending] == "hung_up").to_numpy(bool) if ending in rows else False
    held = np.where(hung_up, end - hold, (start + end - hold) / 2)
    talks, holds = {}, {}
    for g in sc.agents:
        mine = group == g
        talks[g] = Timeline(start[mine], end[mine])
        holds[g] = Timeline(held[mine], held[mine] + hold[mine])
    return talks, holds


def _wrap_ups(result: RunResult, replication: int) -> dict[str, Timeline] | None:
    """Per agent group: the timeline of agents in after-call work (None: there is none).

    Each leg (or contact, without legs) is followed by its ``wrap_up`` seconds.
    """
    legs = getattr(result, "legs", None)
    if isinstance(legs, pd.DataFrame) and len(legs) and "group" in legs:
        rows, end_col = legs[legs["replication"] == replication], "ended"
    else:
        rows = result.contacts[result.contacts["replication"] == replication]
        end_col = "end"
    if "wrap_up" not in rows or not rows["wrap_up"].to_numpy(float).any():
        return None
    group = rows["group"].astype(str).to_numpy()
    end = rows[end_col].to_numpy(float)
    wrap = np.nan_to_num(rows["wrap_up"].to_numpy(float))
    return {g: Timeline(end[group == g], end[group == g] + wrap[group == g])
            for g in result.scenario.agents}


def _wait_rows(result: RunResult, replication: int, requests: bool = False
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each wait in a queue: start, end, queue (contact type), whether a callback's.

    A callback's wait: see :func:`callback_waits`.
    """
    contacts = result.contacts[result.contacts["replication"] == replication]
    legs = getattr(result, "legs", None)
    if isinstance(legs, pd.DataFrame) and len(legs) and "enqueued" in legs:
        legs = legs[(legs["replication"] == replication)
                    & (requests | (legs["contact_id"] >= 0))]
        start = legs["enqueued"].to_numpy(float)
        end = np.where(np.isnan(legs["answered"].to_numpy(float)),
                       legs["ended"].to_numpy(float), legs["answered"].to_numpy(float))
        types = legs["queue"].astype(str).to_numpy()
        # a callback is the contact's first wait: its first leg
        first = legs.groupby("contact_id")["enqueued"].transform("min").to_numpy(float)
        called = legs["contact_id"].isin(_called_ids(contacts)).to_numpy() & (start == first)
    else:
        contacts = contacts[~contacts["blocked"].to_numpy(bool)]
        # the (first) wait, from entering the queue after any IVR menu, not from arrival
        end = first_wait_ends(contacts)
        start = end - contacts["wait"].to_numpy(float)
        types = contacts["contact_type"].astype(str).to_numpy()
        called = contacts["contact_id"].isin(_called_ids(contacts)).to_numpy()
    return start, end, types, called


def _called_ids(contacts: pd.DataFrame) -> np.ndarray:
    """The contacts that took a callback (none in results without the column)."""
    if "callback" not in contacts:
        return np.array([], dtype=np.int64)
    return contacts["contact_id"].to_numpy()[contacts["callback"].to_numpy(bool)]


def _waits(result: RunResult, replication: int, requests: bool = False
           ) -> tuple[Timeline, np.ndarray]:
    """When each waiting customer was in a queue, and the contact type of each wait.

    With ``requests``, the agents' consult requests waiting in a queue too (legs of
    ``contact_id`` -1): all that waits there, as the run's queue trace counts it.
    """
    start, end, types, _ = _wait_rows(result, replication, requests)
    timeline = Timeline(start, end)
    keep = ~(np.isnan(start) | np.isnan(end)) & (end > start)
    return timeline, types[keep]


def callback_mask(result: RunResult, replication: int) -> np.ndarray:
    """Which of the waits of ``_waits(result, replication)`` await a callback."""
    start, end, _, called = _wait_rows(result, replication)
    return called[~(np.isnan(start) | np.isnan(end)) & (end > start)]


def callback_waits(result: RunResult, replication: int) -> Timeline:
    """When each caller who took a callback waited for it, off the phone.

    A callback is taken on arrival, so it is the contact's first queue wait (its first
    leg, where the run has legs): the caller hung up and is dialled when the turn comes.
    These waits are among :func:`_waits`' (the queue holds them); the rest of those are
    callers still on the line. No intervals where the run made no callbacks.
    """
    start, end, _, called = _wait_rows(result, replication)
    return Timeline(start[called], end[called])
