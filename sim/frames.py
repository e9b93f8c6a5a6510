"""The engine's records as tidy pandas tables: one row per contact, leg, staffing change, rule.

The engine writes typed arrays (:class:`sim.records.Records`); this module names the
columns, turns codes into categories and derives what people ask about (the wait,
answered/abandoned/blocked flags, whether the issue was resolved) so that metrics,
reports and users' own analyses all read the same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.records import (
    ABANDONED,
    BALKED,
    BLOCKED,
    LEG_REASONS,
    ORIGINS,
    OUTCOMES,
    SELF_SERVED,
    Records,
)
from sim.scenario import Scenario

CONTACT_COLUMNS = (
    "replication", "contact_id", "issue_id", "origin", "contact_type", "channel", "arrival",
    "answer", "end", "wait", "queue_time", "answered", "abandoned", "blocked", "balked",
    "self_served", "outcome", "group", "agent", "handle", "hold", "wrap_up", "transfers",
    "misrouted", "callback", "resolved",
)


def contacts_frame(
    records: Records, scenario: Scenario, replication: int
) -> pd.DataFrame:
    """One row per customer contact of one replication (columns: :data:`CONTACT_COLUMNS`).

    ``handle`` is the talk time (all legs) of answered contacts, NaN otherwise;
    ``wrap_up`` the agents' after-call work after its legs (not in ``handle``).
    """
    state = records.state
    answered = ~np.isnan(records.answer)
    channels = [scenario.contact_types[t].channel.value for t in records.type_names]
    channel_names = sorted(set(channels))
    channel_of_type = np.array([channel_names.index(c) for c in channels], dtype=np.int16)
    n = records.n
    return pd.DataFrame({
        "replication": np.full(n, replication, dtype=np.int32),
        "contact_id": np.arange(n, dtype=np.int64),
        "issue_id": records.issue.astype(np.int64),
        "origin": pd.Categorical.from_codes(records.origin.astype(np.int8), ORIGINS),
        "contact_type": pd.Categorical.from_codes(records.contact_type, records.type_names),
        "channel": pd.Categorical.from_codes(channel_of_type[records.contact_type], channel_names),
        "arrival": records.arrival,
        "answer": records.answer,
        "end": records.end,
        "wait": records.wait,
        "queue_time": records.queue_time,
        "answered": answered,
        "abandoned": state == ABANDONED,
        "blocked": state == BLOCKED,
        "balked": state == BALKED,
        "self_served": state == SELF_SERVED,
        "outcome": pd.Categorical.from_codes(state.astype(np.int8), OUTCOMES),
        "group": pd.Categorical.from_codes(records.group, records.group_names),
        "agent": records.agent,
        "handle": np.where(answered, records.talk, np.nan),
        "hold": records.hold,
        "wrap_up": records.wrap_up if records.wrap_up is not None else np.zeros(n),
        "transfers": records.transfers,
        "misrouted": records.misrouted.astype(bool),
        "callback": records.callback.astype(bool),
        "resolved": records.resolved.astype(bool),
    })


ISSUE_INPUTS = ("replication", "issue_id", "origin", "resolved", "queue_time", "hold",
                "handle", "contact_type", "arrival", "self_served")
"""The contacts' columns :func:`issues_frame` reads."""


def first_wait_ends(contacts: pd.DataFrame) -> np.ndarray:
    """When each contact's first wait ended: its first answer, or its end if never answered.

    Less its first ``wait``, the moment it entered its first queue, after any IVR menu
    (not its arrival).
    """
    return np.where(contacts["answered"].to_numpy(bool), contacts["answer"].to_numpy(float),
                    contacts["end"].to_numpy(float))


def issue_inputs(contacts: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``contacts`` its issues are made from, apart from later edits.

    Each column as it is, not copied: with pandas' copy-on-write (pandas 3) a later write
    to ``contacts`` copies what it changes there, and these stay the run's (a selection of
    several columns would copy them at once: 48 bytes a contact). A frame without columns
    (measures only) is kept as it is.
    """
    if not len(contacts.columns):
        return contacts
    return pd.DataFrame({name: contacts[name] for name in ISSUE_INPUTS}, copy=False)


def issues_frame(contacts: pd.DataFrame) -> pd.DataFrame:
    """One row per issue of one replication: how many contacts it took, how it ended.

    Columns: replication, issue_id, contact_type (of the first contact), first_arrival,
    contacts, retrials, repeats, resolved (by any contact or the IVR), fcr (the first
    contact resolved it), self_served, effort (seconds queued + on hold + talking over
    all its contacts). An issue's id is the row of its first contact, so the per-issue
    sums are ``bincount``s (no copy of the contacts table). A frame without columns (a
    replication whose measures alone were kept) has no issues: an empty frame.
    """
    if not len(contacts.columns):
        return pd.DataFrame()
    n = len(contacts)
    issue = contacts["issue_id"].to_numpy()
    origin = contacts["origin"].cat.codes.to_numpy()
    resolved = contacts["resolved"].to_numpy()
    first = np.flatnonzero(origin == 0)

    def per_issue(weights=None) -> np.ndarray:
        return np.bincount(issue, weights=weights, minlength=n)[first]

    effort = (contacts["queue_time"].to_numpy() + contacts["hold"].to_numpy()
              + np.nan_to_num(contacts["handle"].to_numpy()))
    return pd.DataFrame({
        "replication": contacts["replication"].to_numpy()[first],
        "issue_id": first.astype(np.int64),
        "contact_type": _take(contacts["contact_type"], first),
        "first_arrival": contacts["arrival"].to_numpy()[first],
        "contacts": per_issue().astype(np.int32),
        "retrials": per_issue(origin == 1).astype(np.int32),
        "repeats": per_issue(origin == 2).astype(np.int32),
        "resolved": per_issue(resolved) > 0,
        "fcr": resolved[first],
        "self_served": contacts["self_served"].to_numpy()[first],
        "effort": per_issue(effort),
    })


def _take(column: pd.Series, rows: np.ndarray):
    """``column``'s values at ``rows``, as an array or index of its values' type.

    A category column's are taken from its categories: ten times faster than through its
    values, with no object per row on the way (where none is missing: code -1).
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()[rows]
        if not codes.size or codes.min() >= 0:
            return column.cat.categories.take(codes)
    return column.iloc[rows].to_numpy()


def legs_frame(records: Records, replication: int) -> pd.DataFrame:
    """One row per leg; empty when the scenario has no journeys (each contact is one leg).

    ``wait`` is the leg's queue wait (to answer, or to abandoning), ``hold`` the customer's
    consult hold in it and ``talk`` the rest of the agent's time on the leg (for a warm
    transfer, including the wait for the second agent; for a conference transfer, also
    the three-way talk); ``wrap_up`` the agent's after-call work after it (busy until
    ``ended + wrap_up``).
    """
    legs = records.legs
    if not legs:
        return empty_legs_frame()
    return pd.DataFrame({
        "replication": np.full(legs["contact"].size, replication, dtype=np.int32),
        "contact_id": legs["contact_row"],
        "queue": pd.Categorical.from_codes(legs["queue"], records.type_names),
        "enqueued": legs["enqueued"],
        "answered": legs["answered"],
        "ended": legs["ended"],
        "wait": np.where(np.isnan(legs["answered"]), legs["ended"], legs["answered"])
        - legs["enqueued"],
        "talk": legs["ended"] - legs["answered"] - legs["hold"],
        "hold": legs["hold"],
        "group": pd.Categorical.from_codes(legs["group"], records.group_names),
        "agent": legs["agent"],
        "reason": pd.Categorical.from_codes(legs["reason"], LEG_REASONS),
        "wrap_up": legs["wrap_up"] if "wrap_up" in legs else np.zeros(legs["contact"].size),
    })


LEG_COLUMNS = ("replication", "contact_id", "queue", "enqueued", "answered", "ended", "wait",
               "talk", "hold", "group", "agent", "reason", "wrap_up")


def empty_legs_frame() -> pd.DataFrame:
    """The legs table of contacts without journeys: no rows (each contact is one leg)."""
    return pd.DataFrame(columns=list(LEG_COLUMNS))


def staff_frame(records: Records, replication: int) -> pd.DataFrame:
    """The log of agents on duty: one row per change.

    Columns: replication, time, group, agents, slots (agents x the group's concurrency:
    contacts they can handle at once).
    """
    per_agent = np.asarray(records.slots or [1] * len(records.group_names), dtype=np.int32)
    slots = records.staff_count
    return pd.DataFrame({
        "replication": np.full(records.staff_time.size, replication, dtype=np.int32),
        "time": records.staff_time,
        "group": pd.Categorical.from_codes(records.staff_group, records.group_names),
        "agents": slots / per_agent[records.staff_group],
        "slots": slots,
    })


RULE_COLUMNS = ("replication", "time", "rule", "action", "state", "value", "agents")


def rules_frame(records: Records, scenario: Scenario, replication: int) -> pd.DataFrame:
    """Every change of a real-time rule (:mod:`sim.rules`), one row each, in time order.

    Columns: replication, time (seconds from the start of day 0), rule (its name),
    action (move, overflow, callbacks or overtime), state (``on`` or ``off``), value (what
    the rule watches, when it changed) and agents (a move's taken when it comes on, at
    most those its source had, and sent back when it goes off; or called in on overtime).
    """
    log = records.rule_log
    if not log:
        return empty_rules_frame()
    names = list(scenario.rules)
    actions = [rule.then.kind for rule in scenario.rules.values()]
    rule = log["rule"].astype(np.int64)
    return pd.DataFrame({
        "replication": np.full(rule.size, replication, dtype=np.int32),
        "time": log["time"],
        "rule": np.array(names, dtype=object)[rule] if rule.size else np.zeros(0, object),
        "action": np.array(actions, dtype=object)[rule] if rule.size else np.zeros(0, object),
        "state": np.where(log["on"], "on", "off").astype(object),
        "value": log["value"],
        "agents": log["agents"],
    })


def empty_rules_frame() -> pd.DataFrame:
    """The rules table of a run without rules (or whose rules never changed)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in zip(
        RULE_COLUMNS, ("int32", "float64", "object", "object", "object", "float64", "int32"))})
