"""Call logs: an ACD export read into one checked table, one row per contact.

A call log is what a contact center's phone system (the ACD) writes: when each
contact arrived, what it was about, how long it waited and how it ended. ``ccsim fit``
estimates a scenario from one and ``ccsim backtest`` compares a scenario against it.

The canonical columns (``--columns arrival=CallStart,...`` maps other names):

- ``arrival``: ISO timestamp, or seconds from day 0 (a Monday, as in ccsim's
  ``contacts.parquet``): a column of numbers is seconds whatever their size (``1999`` is
  00:33:19 of day 0, not a year); one kind per column (so for the other time columns);
- ``contact_type``: what the contact was about (default: ``calls`` for every row);
- ``wait``: seconds in the queue until answered or hung up (or give ``queue_start`` and
  ``answer``/``end`` timestamps instead);
- ``outcome``: ``answered``, ``abandoned`` or ``blocked``;
- ``handle``: seconds of talk, answered contacts only (or ``end`` - ``answer``);
- optional ``group`` (who answered), ``customer`` (to find repeat contacts) and
  ``transfers`` (how many times the contact was transferred: a whole number, blank 0).

ccsim's own ``contacts.parquet`` is recognised and read as a log (its first
replication). Every problem is a :class:`CallLogError` whose message names the file, the
row and the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REQUIRED = ("arrival", "wait", "outcome")
OPTIONAL = ("contact_type", "handle", "group", "customer", "queue_start", "answer", "end",
            "transfers")
OUTCOMES = ("answered", "abandoned", "blocked")
EPOCH = pd.Timestamp("2026-01-05")  # a Monday: day 0 of logs timed in seconds (ccsim's own)
_OFFSET = r"(Z|[+-]\d{2}:?\d{2})$"  # the UTC offset ending an ISO timestamp
_CCSIM_OUTCOMES = {"completed": "answered", "hung_up": "answered", "unfinished": "answered",
                   "abandoned": "abandoned", "blocked": "blocked"}


class CallLogError(ValueError):
    """A call log that cannot be read; the message is one line naming file, row and column."""


@dataclass(frozen=True)
class CallLog:
    """A checked call log.

    Attributes:
        path: The file it was read from (as given).
        table: One row per contact: ``arrival`` (Timestamp), ``contact_type`` (str),
            ``wait`` and ``handle`` (seconds, handle NaN unless answered), ``outcome``
            (one of :data:`OUTCOMES`), and ``group``/``customer`` when present.
    """

    path: str
    table: pd.DataFrame

    @property
    def days(self) -> pd.DatetimeIndex:
        """The days the log has contacts on (the days the center was open), in order."""
        return pd.DatetimeIndex(self.table["arrival"].dt.normalize().unique()).sort_values()

    def type_names(self) -> dict[str, str]:
        """{contact type of the log: its name in a scenario (:func:`scenario_name`)}.

        Raises:
            CallLogError: Two types would share a name (``a b`` and ``a_b``): a fit of
                them as one, or of one over the other, would be a fit of neither.
        """
        names: dict[str, str] = {}
        by_name: dict[str, str] = {}
        for raw in sorted(self.table["contact_type"].astype(str).unique()):
            name = scenario_name(raw)
            if name in by_name:
                raise CallLogError(f"{self.path}: contact_type: {by_name[name]!r} and {raw!r} "
                                   f"both become the scenario name {name!r}; rename one in the "
                                   "log")
            names[raw], by_name[name] = name, raw
        return names

    def seconds(self) -> np.ndarray:
        """Arrival times in seconds from 00:00 of the log's first day."""
        start = self.days[0]
        return (self.table["arrival"] - start).dt.total_seconds().to_numpy()


def scenario_name(text: str) -> str:
    """A contact type name the scenario format accepts (letters, digits, _ and -)."""
    name = re.sub(r"[^A-Za-z0-9_\-]", "_", text.strip()) or "calls"
    return name if re.match(r"[A-Za-z_]", name) else f"t_{name}"


def parse_columns(text: str | None) -> dict[str, str]:
    """``arrival=CallStart,wait=QueueSecs`` as {canonical name: name in the file}.

    Raises:
        ValueError: On a malformed pair, an unknown canonical name or one given twice.
    """
    mapping: dict[str, str] = {}
    for pair in (text or "").split(","):
        if not pair.strip():
            continue
        name, sep, column = pair.partition("=")
        name, column = name.strip(), column.strip()
        if not sep or not name or not column:
            raise ValueError(f"expected NAME=COLUMN, got {pair.strip()!r}")
        if name not in REQUIRED + OPTIONAL:
            raise ValueError(f"unknown column name {name!r}; choose from "
                             + ", ".join(REQUIRED + OPTIONAL))
        if name in mapping:  # which one was meant? not the last, silently
            raise ValueError(f"{name!r} is mapped twice ({mapping[name]!r}, then {column!r})")
        mapping[name] = column
    return mapping


def read_call_log(path: str | Path, columns: dict[str, str] | None = None,
                  max_bytes: int | None = None, shown: str | None = None) -> CallLog:
    """Read and check a call log (CSV or Parquet).

    Args:
        path: The log file.
        columns: {canonical name: column name in the file} for renamed columns.
        max_bytes: Refuse a larger file (trace files named in a scenario).
        shown: The name to give in messages (default: ``path``).

    Raises:
        CallLogError: One line naming the file, the row and the problem.
    """
    shown = shown or str(path)
    raw = _read_table(Path(path), shown, max_bytes)
    if _is_ccsim_contacts(raw):
        return CallLog(shown, _from_ccsim(raw, shown))
    renamed = raw.rename(columns={v: k for k, v in (columns or {}).items()})
    return CallLog(shown, _check(renamed, shown))


def _read_table(path: Path, shown: str, max_bytes: int | None) -> pd.DataFrame:
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise CallLogError(f"{shown}: not a file")
        if max_bytes is not None and size > max_bytes:
            raise CallLogError(f"{shown}: the file is larger than {max_bytes // 2**20} MB")
        with open(path, "rb") as file:
            magic = file.read(4)
        if magic == b"PAR1":
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except CallLogError:
        raise
    except OSError as exc:
        raise CallLogError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CallLogError(f"{shown}: not a UTF-8 CSV or a Parquet file") from None
    except pd.errors.EmptyDataError:
        raise CallLogError(f"{shown}: the file is empty") from None
    except Exception as exc:  # pyarrow/pandas parser errors have many types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CallLogError(f"{shown}: not a readable CSV or Parquet file: {first}") from None


def _is_ccsim_contacts(raw: pd.DataFrame) -> bool:
    return {"replication", "contact_id", "arrival", "outcome", "queue_time"} <= set(raw.columns)


def _from_ccsim(raw: pd.DataFrame, shown: str) -> pd.DataFrame:
    """The first replication of a ccsim contacts.parquet in the canonical log form."""
    raw = _ccsim_types(raw, shown)
    return ccsim_table(raw[raw["replication"] == raw["replication"].min()])


_CCSIM_NUMBERS = ("replication", "arrival", "wait", "handle", "transfers")
_CCSIM_FLAGS = {"true": True, "false": False, "1": True, "0": False}


def _ccsim_types(raw: pd.DataFrame, shown: str) -> pd.DataFrame:
    """The columns of ccsim's contacts in their own types when read as text (from CSV).

    A CSV holds every column as text: the numbers and the ``answered`` flag are read
    back, and empty cells (NaN when written) are missing again, as in the Parquet file.
    """
    out = raw.copy()
    for column in raw.columns:
        text = raw[column]
        if pd.api.types.is_numeric_dtype(text) or pd.api.types.is_bool_dtype(text):
            continue
        if column in _CCSIM_NUMBERS:
            blank = (text.astype(str).str.strip() == "").to_numpy()
            values = pd.to_numeric(text.where(~blank), errors="coerce")
            bad = (values.isna().to_numpy() & ~blank) | (blank & (column != "wait")
                                                          & (column != "handle"))
            if bad.any():
                raise CallLogError(_row_error(shown, column, bad, text, "not a number"))
            out[column] = values.astype(float)
        elif column == "answered":
            flags = text.astype(str).str.strip().str.lower().map(_CCSIM_FLAGS)
            bad = flags.isna().to_numpy()
            if bad.any():
                raise CallLogError(_row_error(shown, column, bad, text, "must be True or False"))
            out[column] = flags.astype(bool)
        elif pd.api.types.is_object_dtype(text) or pd.api.types.is_string_dtype(text):
            out[column] = text.where(text.astype(str) != "")
    return out


def ccsim_table(contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts of one ccsim replication in the canonical log form.

    Contacts solved in the IVR and those never answered and still waiting at the end of
    the run (``unanswered``) are left out: a log has neither. So are callers who balked
    (their outcome is none of :data:`OUTCOMES`; an ACD may log them as short abandons).
    """
    rows = contacts[contacts["outcome"].astype(str).isin(_CCSIM_OUTCOMES)]
    # a contact answered, then hung up (on hold, or in the next queue after a transfer) or
    # still waiting in that queue at the end (unfinished), was answered for its first
    # queue: the log's outcome and wait are the first queue's
    outcome = rows["outcome"].astype(str).map(_CCSIM_OUTCOMES).where(~rows["answered"],
                                                                       "answered")
    table = pd.DataFrame({
        "arrival": EPOCH + pd.to_timedelta(rows["arrival"].to_numpy(), unit="s"),
        "contact_type": rows["contact_type"].astype(str).to_numpy(),
        "wait": rows["wait"].fillna(0.0).to_numpy(dtype=float),
        "outcome": outcome.to_numpy(),
        "handle": np.where(outcome == "answered", rows["handle"].to_numpy(dtype=float), np.nan),
        "group": rows["group"].astype(str).to_numpy(),
        "transfers": rows["transfers"].to_numpy(dtype=float),
        "customer": rows["issue_id"].to_numpy(),
    })
    return table.sort_values("arrival", kind="stable").reset_index(drop=True)


def _row_error(shown: str, column: str, bad: np.ndarray, values: pd.Series, reason: str) -> str:
    rows = np.flatnonzero(bad)
    more = f" (and {rows.size - 1} more rows)" if rows.size > 1 else ""
    # row 1 is the first data row; in a CSV it is line 2, under the header
    return (f"{shown}: row {rows[0] + 1}: {column}: {reason}, got "
            f"{str(values.iloc[rows[0]])!r}{more}")


_MAX_SECONDS = 100 * 366 * 86400.0  # seconds from day 0 beyond a century are no log's


def _times(frame: pd.DataFrame, column: str, shown: str) -> pd.Series:
    """A column of times as local clock times: date-times, or seconds from day 0.

    A column of numbers is seconds from :data:`EPOCH` whatever their size (``1999`` is
    00:33:19 of day 0, never the year 1999); ISO date-times are read as such. Which of
    the two a column holds is told by its first filled row; a row of the other kind is
    refused.
    """
    text = frame[column]
    if pd.api.types.is_datetime64_any_dtype(text):
        return text.dt.tz_localize(None) if text.dt.tz is not None else text
    if pd.api.types.is_numeric_dtype(text) and not pd.api.types.is_bool_dtype(text):
        seconds, first = text.astype(float), True
    else:
        stripped = text.astype(str).str.strip()
        seconds = pd.to_numeric(stripped.where(stripped != ""), errors="coerce")
        given = np.flatnonzero((stripped != "").to_numpy())  # a blank row tells no kind
        first = bool(given.size) and bool(seconds.notna().iloc[given[0]])
    numeric = seconds.notna().to_numpy()
    if first:
        return _from_seconds(seconds, text, column, shown, ~numeric)
    if numeric.any():
        raise CallLogError(_row_error(shown, column, numeric, text,
                                      "seconds among date-times"))
    parsed = _local_times(text.astype(str).str.strip(), shown, column)
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise CallLogError(_row_error(shown, column, bad, text, "not an ISO timestamp"))
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _from_seconds(seconds: pd.Series, text: pd.Series, column: str, shown: str,
                  missing: np.ndarray) -> pd.Series:
    """Seconds from day 0 as times from :data:`EPOCH` (a column whose first row is a number)."""
    if missing.any():
        raise CallLogError(_row_error(shown, column, missing, text,
                                      "not a number of seconds (the column is seconds from day 0)"))
    values = seconds.to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0) | (values > _MAX_SECONDS)
    if bad.any():
        raise CallLogError(_row_error(shown, column, bad, text,
                                      "must be seconds from day 0, >= 0 and within a century"))
    return pd.Series(EPOCH + pd.to_timedelta(values, unit="s"), index=text.index)


def _local_times(text: pd.Series, shown: str, column: str) -> pd.Series:
    """ISO timestamps as local clock times (NaT where unreadable), their UTC offsets dropped.

    A log across a daylight-saving change has two offsets (``+01:00``, then ``+02:00``):
    the rows of each offset are read apart, so every contact keeps its local clock time.
    """
    offsets = text.str.extract(_OFFSET, expand=False).fillna("")
    parts = []
    for offset in offsets.unique():
        rows = text[offsets == offset]
        try:
            part = pd.to_datetime(rows, errors="coerce", format="ISO8601")
        except ValueError as exc:  # offsets pandas reads but the pattern does not tell apart
            raise CallLogError(f"{shown}: {column}: timestamps of several time zones "
                               f"({str(exc).split('.')[0]})") from None
        parts.append(part.dt.tz_localize(None) if part.dt.tz is not None else part)
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts).reindex(text.index)


def _seconds(frame: pd.DataFrame, column: str, shown: str, allow_blank: np.ndarray) -> pd.Series:
    text = frame[column]
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce").astype(float)
    missing = values.isna().to_numpy() & ~allow_blank
    if missing.any():
        raise CallLogError(_row_error(shown, column, missing, text, "not a number of seconds"))
    bad = ~np.isfinite(values.fillna(0.0).to_numpy()) | (values.fillna(0.0).to_numpy() < 0)
    if bad.any():
        raise CallLogError(_row_error(shown, column, bad, text, "must be a finite number >= 0"))
    return values


def _count(frame: pd.DataFrame, column: str, shown: str) -> np.ndarray:
    """A count per row: a blank or null cell is 0, any other a whole number >= 0."""
    text = frame[column]
    blank = (text.isna() | (text.astype(str).str.strip() == "")).to_numpy()
    values = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~blank & ~(np.isfinite(values) & (values >= 0) & (values == np.round(values)))
    if bad.any():
        raise CallLogError(_row_error(shown, column, bad, text, "must be a whole number >= 0"))
    return np.where(blank, 0.0, values)


def _check(frame: pd.DataFrame, shown: str) -> pd.DataFrame:
    if len(frame) == 0:
        raise CallLogError(f"{shown}: the log has no rows")
    has = set(frame.columns)
    timed = "queue_start" in has or "answer" in has
    need = [c for c in REQUIRED if not (c == "wait" and timed and "wait" not in has)]
    missing = [c for c in need if c not in has]
    if missing:
        raise CallLogError(f"{shown}: missing column {missing[0]!r} (columns: "
                           + ", ".join(map(str, frame.columns))
                           + "; map other names with --columns NAME=COLUMN)")
    arrival = _times(frame, "arrival", shown)
    outcome = frame["outcome"].astype(str).str.strip().str.lower()
    unknown = ~outcome.isin(OUTCOMES).to_numpy()
    if unknown.any():
        raise CallLogError(_row_error(shown, "outcome", unknown, frame["outcome"],
                                      "must be one of " + ", ".join(OUTCOMES)))
    answered = (outcome == "answered").to_numpy()
    blocked = (outcome == "blocked").to_numpy()
    if "wait" in has:
        wait = _seconds(frame, "wait", shown, allow_blank=blocked).fillna(0.0)
    else:
        start = _times(frame, "queue_start", shown) if "queue_start" in has else arrival
        until = _times(frame, "answer" if "answer" in has else "end", shown)
        wait = (until - start).dt.total_seconds()
        bad = (wait < 0).to_numpy()
        if bad.any():
            raise CallLogError(_row_error(shown, "wait", bad, wait, "must be >= 0 (answer "
                                          "before queue_start)"))
    if "handle" in has:
        handle = _seconds(frame, "handle", shown, allow_blank=~answered)
    elif {"answer", "end"} <= has:
        handle = (_times(frame, "end", shown) - _times(frame, "answer", shown)).dt.total_seconds()
        bad = answered & (handle < 0).to_numpy()
        if bad.any():
            raise CallLogError(_row_error(shown, "end", bad, frame["end"],
                                          "must not be before answer"))
    else:
        handle = pd.Series(np.nan, index=frame.index)
    table = pd.DataFrame({
        "arrival": arrival,
        "contact_type": (frame["contact_type"].astype(str).str.strip()
                         if "contact_type" in has else "calls"),
        "wait": np.where(blocked, 0.0, wait.to_numpy(dtype=float)),
        "outcome": outcome.to_numpy(),
        "handle": np.where(answered, handle.to_numpy(dtype=float), np.nan),
    })
    if "group" in has:
        table["group"] = frame["group"].astype(str).to_numpy()
    if "customer" in has:  # a blank or null id (a withheld number) is no known customer
        ids = frame["customer"].astype(str).str.strip()
        table["customer"] = ids.where(frame["customer"].notna() & (ids != "")).to_numpy()
    if "transfers" in has:
        table["transfers"] = _count(frame, "transfers", shown)
    blank = (table["contact_type"] == "").to_numpy()
    if blank.any():
        raise CallLogError(_row_error(shown, "contact_type", blank, frame["contact_type"],
                                      "must not be empty"))
    return table.sort_values("arrival", kind="stable").reset_index(drop=True)
