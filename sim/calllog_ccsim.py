"""ccsim's own contacts read as a call log, each run day dated as the weekday it stood for.

``ccsim run`` writes ``contacts.parquet`` with arrival times in seconds from day 0. Read
as a log (``ccsim fit``, ``ccsim backtest``), its first replication becomes the
canonical table of :mod:`sim.calllog`, day 0 dated Monday :data:`~sim.calllog.EPOCH`.
The run's days are dated as the weekdays they stood for (:func:`sim.weekdays.weekday_of`):
when the run named its day factors' days, a Monday-to-Friday run's day 5 is the next
Monday, not a Saturday; otherwise day ``d`` is ``d`` days after day 0. The file itself
says which (its metadata, :mod:`sim.saved_week`), or else the ``scenario.json`` of its
results folder; a file that has neither is read from Monday with a warning.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.calllog_columns import AGENT_WORK, EPOCH, CallLogError, row_error
from sim.frames import first_wait_ends
from sim.units import DAY, format_duration

_CCSIM_OUTCOMES = {"completed": "answered", "hung_up": "answered", "unfinished": "answered",
                   "abandoned": "abandoned", "blocked": "blocked", "unanswered": "unanswered"}


def is_ccsim_contacts(raw: pd.DataFrame) -> bool:
    """Whether a table read from a file is ccsim's own contacts (``contacts.parquet``)."""
    return {"replication", "contact_id", "arrival", "outcome", "queue_time"} <= set(raw.columns)


def from_ccsim(raw: pd.DataFrame, path: Path, shown: str) -> tuple[pd.DataFrame, list[str]]:
    """The first replication of a ccsim contacts table in the canonical log form.

    Its days are dated by the week the file carries, else by its folder's
    ``scenario.json`` (:func:`sim.saved_week.saved_week`); when neither says, day ``d``
    is ``d`` days after a Monday, and a warning says so: a run that named its weekdays
    (Monday to Friday) would be dated wrong. Contacts after the run's measured days
    (a ``cooldown``'s, :func:`sim.saved_week.saved_days`) are left out, with a warning:
    read as days of the log, a cooldown that ends within opening hours made a partial day.
    A warm-up's are kept (arrivals of the scenario), with a warning that says so.

    Args:
        raw: The table as read from ``path``.
        path: The file.
        shown: The file's name in messages.

    Returns:
        The table, and the warnings for the user (one line each, the file named).

    Raises:
        CallLogError: A column it reads is missing or not what ccsim writes, the week or
            days the file carries are damaged, or the folder's scenario.json cannot be read.
    """
    missing = [c for c in _CCSIM_READ if c not in raw.columns]
    if missing:  # a trimmed copy: its contacts cannot be told
        raise CallLogError(f"{shown}: missing column {missing[0]!r}: ccsim's contacts are "
                           "read with it (columns: " + ", ".join(map(str, raw.columns))
                           + "); read the run's own contacts.parquet")
    raw = _ccsim_types(raw, shown)
    first = raw[raw["replication"] == raw["replication"].min()]
    from sim.saved_week import (
        RUN_WEEK_KEY,
        SavedWeekError,
        saved_days,
        saved_warmup,
        saved_week,
    )
    from sim.scenario_errors import ScenarioError

    try:
        week, known = saved_week(path)
        measured, warmup = saved_days(path), saved_warmup(path)
    except SavedWeekError as exc:
        raise CallLogError(f"{shown}: {exc}") from None
    except ScenarioError as exc:
        raise CallLogError(f"{shown}: its run's days cannot be dated: "
                           f"{str(exc).splitlines()[0]}") from None
    warnings = [] if known else [
        f"{shown}: does not say which weekday each day of its run stood for (no "
        f"{RUN_WEEK_KEY.decode()} in the file, no scenario.json beside it): read with day 0 "
        "a Monday and day d d days later, which misdates a run that named its weekdays (a "
        "Monday-to-Friday run's day 5 becomes a Saturday), and a cooldown's contacts (after "
        "its last day) are read as more days; put the run's scenario.json beside it"]
    if measured is not None:  # a cooldown's contacts: a log has the run's days only
        after = (first["arrival"] >= measured * DAY).to_numpy()
        if after.any():
            warnings.append(f"{shown}: {int(after.sum()):,} contacts of its run's cooldown "
                            f"(after its {measured} days) left out: they are no day of the log")
            first = first[~after]
    warm = int((first["arrival"] < warmup).sum()) if warmup else 0
    if warm:  # kept: they are the scenario's arrivals (left out, day 0 would start late)
        warnings.append(f"{shown}: {warm:,} contacts arrived in its run's warm-up (the first "
                        f"{format_duration(warmup)} of day 0, the simulated center starting "
                        "empty): read as the log's, though the run's summary leaves them out "
                        "and their waits are an emptier center's")
    days = int(first["arrival"].max() // DAY) + 1 if len(first) else 1
    return ccsim_table(first, None if week is None else week.calendar(days)), warnings


_CCSIM_READ = ("replication", "arrival", "contact_type", "outcome", "answered", "wait", "handle",
               "group", "transfers", "issue_id")  # what ccsim_table reads
_CCSIM_NUMBERS = ("replication", "arrival", "wait", "handle", "transfers", "answer", "end",
                  *AGENT_WORK)
_CCSIM_FLAGS = {"true": True, "false": False, "1": True, "0": False}


def _ccsim_types(raw: pd.DataFrame, shown: str) -> pd.DataFrame:
    """The columns of ccsim's contacts in their own types when read as text (from CSV).

    A CSV holds every column as text: the numbers and the ``answered`` and ``callback``
    flags are read back, and empty cells (NaN when written) are missing again, as in the
    Parquet file (``misrouted`` too).
    """
    out = raw.copy()
    for column in raw.columns:
        text = raw[column]
        if pd.api.types.is_numeric_dtype(text) or pd.api.types.is_bool_dtype(text):
            continue
        if column in _CCSIM_NUMBERS:
            blank = (text.astype(str).str.strip() == "").to_numpy()
            values = pd.to_numeric(text.where(~blank), errors="coerce")
            bad = (values.isna().to_numpy() & ~blank) | (blank & (column not in (
                "wait", "handle", "answer", "end", *AGENT_WORK)))
            if bad.any():
                raise CallLogError(row_error(shown, column, bad, text, "not a number"))
            out[column] = values.astype(float)
        elif column in ("answered", "callback", "misrouted"):
            flags = text.astype(str).str.strip().str.lower().map(_CCSIM_FLAGS)
            bad = flags.isna().to_numpy()
            if bad.any():
                raise CallLogError(row_error(shown, column, bad, text, "must be True or False"))
            out[column] = flags.astype(bool)
        elif pd.api.types.is_object_dtype(text) or pd.api.types.is_string_dtype(text):
            out[column] = text.where(text.astype(str) != "")
    return out


def ccsim_table(contacts: pd.DataFrame, calendar: np.ndarray | None = None) -> pd.DataFrame:
    """Contacts of one ccsim replication in the canonical log form.

    Contacts solved in the IVR are left out: they never reached a queue, a log has none.
    So are callers who balked (their outcome is none of :data:`~sim.calllog.OUTCOMES`; an
    ACD may log them as short abandons). Those never answered and still waiting when the
    run ended (a caller without patience, or one who took a callback nobody made) keep
    their outcome ``unanswered``: they arrived (left out, the arrivals of a run's last
    hours with nobody to answer them were fitted short by them), and their patience is
    only a lower bound, neither an answer nor an abandon (:func:`sim.fit.fit_log`).

    Args:
        contacts: One replication's contacts (``RunResult.contacts`` rows).
        calendar: Days from :data:`~sim.calllog.EPOCH` (a Monday) of each run day
            (:func:`sim.weekdays.calendar_days`), at least up to the last arrival's day;
            None: day ``d`` is ``d`` days after it.
    """
    rows = contacts[contacts["outcome"].astype(str).isin(_CCSIM_OUTCOMES)]
    # a contact answered, then hung up (on hold, or in the next queue after a transfer) or
    # still waiting in that queue at the end (unfinished), was answered for its first
    # queue: the log's outcome and wait are the first queue's
    outcome = rows["outcome"].astype(str).map(_CCSIM_OUTCOMES).where(~rows["answered"],
                                                                       "answered")
    seconds = rows["arrival"].to_numpy(dtype=float)
    if calendar is not None:
        day = (seconds // DAY).astype(int)
        seconds = np.asarray(calendar)[day] * DAY + seconds % DAY
    table = pd.DataFrame({
        "arrival": EPOCH + pd.to_timedelta(seconds, unit="s"),
        "contact_type": rows["contact_type"].astype(str).to_numpy(),
        "wait": rows["wait"].fillna(0.0).to_numpy(dtype=float),
        "outcome": outcome.to_numpy(),
        "handle": np.where(outcome == "answered", rows["handle"].to_numpy(dtype=float), np.nan),
        "group": np.where(outcome == "answered", rows["group"].astype(str), None),
        "transfers": rows["transfers"].to_numpy(dtype=float),
        "customer": rows["issue_id"].to_numpy(),
    })
    if {"answer", "end"} <= set(rows.columns):  # into the queue: an IVR menu's time
        menu = first_wait_ends(rows) - table["wait"].to_numpy() - rows["arrival"].to_numpy()
        table["menu"] = np.where(outcome == "blocked", np.nan, np.maximum(menu.round(6), 0.0))
    if "end" in rows:  # from the arrival to its end (the last talk, or the hang-up)
        table["duration"] = (rows["end"] - rows["arrival"]).to_numpy(dtype=float)
    if "agent" in rows:  # who answered (the last to): its group and ccsim's agent number
        table["agent"] = np.where(outcome == "answered", rows["group"].astype(str) + " #"
                                  + rows["agent"].astype(str), None)
    for column in AGENT_WORK:  # on hold, and the agents' after-call work after it
        if column in rows:
            table[column] = np.where(outcome == "answered",
                                     rows[column].fillna(0.0).to_numpy(dtype=float), 0.0)
    if "callback" in rows:  # took a callback: off the line (and its trunk line) from the queue on
        table["callback"] = rows["callback"].to_numpy(dtype=bool)
    if "misrouted" in rows:  # sent to the wrong queue first: a transfer that is no handoff
        table["misrouted"] = rows["misrouted"].to_numpy(dtype=bool)
    return table.sort_values("arrival", kind="stable").reset_index(drop=True)
