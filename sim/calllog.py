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
  ``answer``/``end`` timestamps instead: until ``answer`` if answered, until ``end`` if
  abandoned, its ``answer`` blank; a log with answered contacts needs ``answer``);
- ``outcome``: ``answered``, ``abandoned`` or ``blocked``;
- ``handle``: seconds of talk, answered contacts only (or ``end`` - ``answer``); a wait
  or handle time must be under a year (:data:`~sim.calllog_columns.MAX_DURATION`);
- optional ``group`` (who answered), ``customer`` (to find repeat contacts),
  ``transfers`` (how many times the contact was transferred: a whole number, blank 0),
  ``hold`` (seconds the caller was on hold, beside ``handle``'s talk) and ``wrap_up``
  (seconds of the agents' after-call work after it): answered contacts', blank 0; and
  ``agent`` (who answered it, any id; blank: not told).

ccsim's own ``contacts.parquet`` is recognised and read as a log (its first
replication, its days dated as the weekdays the run's days stood for:
:mod:`sim.calllog_ccsim`). Every problem is a :class:`CallLogError` whose message names
the file, the row and the column. Each column is read by :mod:`sim.calllog_columns`.
"""

from __future__ import annotations

import csv
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calllog_columns import (
    AGENT_WORK,
    EPOCH,
    CallLogError,
    bare_among_zoned,
    blank_cells,
    count_column,
    elapsed,
    one_value_each,
    repeated_rows,
    row_error,
    seconds_column,
    time_column,
    within_a_year,
)

__all__ = ["EPOCH", "OUTCOMES", "CallLog", "CallLogError",
           "parse_columns", "read_call_log", "scenario_name"]

REQUIRED = ("arrival", "wait", "outcome")
OPTIONAL = ("contact_type", "handle", "group", "customer", "queue_start", "answer", "end",
            "transfers", "hold", "wrap_up", "agent")
OUTCOMES = ("answered", "abandoned", "blocked")


@dataclass(frozen=True)
class CallLog:
    """A checked call log.

    Attributes:
        path: The file it was read from (as given).
        table: One row per contact: ``arrival`` (Timestamp), ``contact_type`` (str),
            ``wait`` and ``handle`` (seconds, handle NaN unless answered), ``outcome``
            (one of :data:`OUTCOMES`, or in ccsim's own ``unanswered``: still waiting at its
            run's end, its wait until then), ``group``/``customer`` when present (str, None
            where blank); ``menu`` (seconds from the arrival into the queue: an IVR menu,
            on the line; NaN: blocked, or not told) when the log tells it (``queue_start``,
            or ccsim's own times);
            ``callback`` (bool: took a callback, off the line from the queue on) in ccsim's own;
            ``duration`` (seconds from the arrival to the contact's end: its last talk,
            or the hang-up; NaN where not given) when the log has ``end`` times;
            ``hold`` and ``wrap_up`` (seconds, 0 unless answered) and ``agent`` (str,
            None where blank) where given.
        warnings: What the user should know of how it was read, one line each, the file
            named (``ccsim fit`` and ``ccsim backtest`` print them on stderr).
    """

    path: str
    table: pd.DataFrame
    warnings: tuple[str, ...] = ()

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
            name = "all_contacts" if name == "all" else name  # ('all': every type's rows)
            if name in by_name:
                raise CallLogError(f"{self.path}: contact_type: {by_name[name]!r} and {raw!r} "
                                   f"both become the scenario name {name!r}; rename one in the "
                                   "log" + (" ('all' is reserved)" * (name == "all_contacts")))
            names[raw], by_name[name] = name, raw
        return names

    def on_call(self) -> np.ndarray:
        """Seconds each contact was on the call with an agent: its talk and any hold.

        NaN where it has no handle time (not answered, or not told). On hold, caller and
        agent are both on the call: the fit, the busy count, the trunk lines and a replay
        (``trace_handle``) take the hold with the talk.
        """
        talk = self.table["handle"].to_numpy(dtype=float)
        return talk + self.table["hold"].to_numpy(dtype=float) if "hold" in self.table else talk

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
        ValueError: On a malformed pair, an unknown canonical name, or a name or a
            column given twice.
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
        if column in mapping.values():  # one column read as two: the first would be lost
            first = next(k for k, v in mapping.items() if v == column)
            raise ValueError(f"{column!r} is mapped twice ({first!r}, then {name!r})")
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
    from sim.calllog_ccsim import from_ccsim, is_ccsim_contacts  # it reads this module's

    if is_ccsim_contacts(raw):
        table, warnings = from_ccsim(raw, Path(path), shown)
        return CallLog(shown, table, tuple(warnings))
    _mapping_fits(raw, columns or {}, shown)
    renamed = raw.rename(columns={v: k for k, v in (columns or {}).items()})
    table = _check(renamed, shown)
    return CallLog(shown, table, repeated_rows(renamed, shown) + bare_among_zoned(renamed, shown))



def _mapping_fits(raw: pd.DataFrame, columns: dict[str, str], shown: str) -> None:
    """Refuse a mapping that would leave two columns of one name, or map a missing one."""
    for name, column in columns.items():
        if column not in raw.columns:  # the log's own `name`, if any, would be read instead
            raise CallLogError(f"{shown}: {name}: --columns maps {column!r} to it, but the "
                               "log has no such column (columns: "
                               + ", ".join(map(str, raw.columns)) + ")")
        if column != name and name in raw.columns:
            raise CallLogError(f"{shown}: {name}: the log has a column {name!r} and --columns "
                               f"maps {column!r} to it; map the one meant, rename the other")


def _one_each(names: list, shown: str) -> None:
    """Refuse a header naming a column twice: pandas would read the second as ``name.1``."""
    seen: dict[str, int] = {}
    for place, name in enumerate(map(str, names), start=1):
        if not name.strip():  # blank cells (an export's trailing commas) are never read
            continue
        if name in seen:
            raise CallLogError(f"{shown}: {name}: the header names this column twice "
                               f"(columns {seen[name]} and {place}); keep one")
        seen[name] = place


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
            import pyarrow.parquet as pq

            _one_each(pq.read_schema(path).names, shown)
            return pd.read_parquet(path)
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False,
                             encoding="utf-8-sig")
        _one_each(header.iloc[0].tolist(), shown)
        # index_col=False: pandas would take rows one field longer than the header (a
        # trailing comma) as an index column and read every column one to the left
        text = {"dtype": str, "keep_default_na": False, "encoding": "utf-8-sig",
                "index_col": False, "skip_blank_lines": False}
        try:
            with warnings.catch_warnings(record=True) as cut:  # longer rows cut to fit
                warnings.simplefilter("always", pd.errors.ParserWarning)
                table = pd.read_csv(path, **text)
        except pd.errors.ParserError:  # a row longer than the first one
            cut, table = [True], pd.read_csv(path, usecols=range(header.shape[1]), **text)
        if cut:
            _beyond_header(path, shown, header.shape[1])
        # blank lines dropped here, not by the parser: the rows keep their lines' numbers
        return table[~(table == "").all(axis=1).to_numpy()]
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


def _beyond_header(path: Path, shown: str, width: int) -> None:
    """Refuse a row with a value beyond the header's columns (blank fields are not read)."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        rows = csv.reader(file)
        next(rows, None)
        for number, fields in enumerate(rows, start=1):
            if any(f.strip() for f in fields[width:]):
                raise CallLogError(f"{shown}: row {number}: {len(fields)} fields, but the "
                                   f"header names {width} columns; a column's name is missing "
                                   "from the header, or a value has a comma unquoted")


def _timed_wait(frame: pd.DataFrame, arrival: pd.Series, answered: np.ndarray,
                blocked: np.ndarray, shown: str) -> pd.Series:
    """Waits from timestamps: until ``answer`` if answered, until ``end`` if abandoned.

    An ACD leaves ``answer`` blank when nobody answered: an abandoned caller waited from
    ``queue_start`` (else the arrival) until hanging up (``end``; without an ``end``
    column, the ``answer`` column's time). A blocked contact never queued: wait 0, its
    times may be blank. An answered contact needs the ``answer`` column: its ``end`` is
    after its talk (a wait until then would count the talk as waiting).
    """
    has = set(frame.columns)
    if "answer" not in has and answered.any():  # its end is after its talk, not its wait
        raise CallLogError(f"{shown}: missing column 'answer': an answered contact's wait "
                           "ends at its answer time, its end is after its talk (columns: "
                           + ", ".join(map(str, frame.columns))
                           + "; give answer times or a wait column, or map other names with "
                           "--columns NAME=COLUMN)")
    since = "queue_start" if "queue_start" in has else "arrival"
    start = (time_column(frame, "queue_start", shown, allow_blank=blocked)
             if "queue_start" in has else arrival)
    wait = pd.Series(0.0, index=frame.index)
    left = ~answered & ~blocked
    for rows, until, who in ((answered, "answer" if "answer" in has else "end", "answered"),
                             (left, "end" if "end" in has else "answer", "abandoned")):
        text = frame[until]
        blank = blank_cells(text) & rows
        if blank.any():
            what = "answer time" if until == "answer" else "end (hang-up) time"
            raise CallLogError(row_error(shown, until, blank, text,
                                         f"an {who} contact needs its {what}"))
        part = elapsed(frame, until, since, time_column(frame, until, shown, allow_blank=~rows),
                       start)
        bad = rows & (part < 0).to_numpy()
        if bad.any():
            raise CallLogError(row_error(shown, "wait", bad, part,
                                         f"must be >= 0 ({until} before {since})"))
        within_a_year(part.where(rows), text, until, since, shown)
        wait = wait.where(~rows, part)
    return wait


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
    one_value_each(frame, REQUIRED + OPTIONAL, shown)
    arrival = time_column(frame, "arrival", shown)
    outcome = frame["outcome"].astype(str).str.strip().str.lower()
    unknown = ~outcome.isin(OUTCOMES).to_numpy()
    if unknown.any():
        raise CallLogError(row_error(shown, "outcome", unknown, frame["outcome"],
                                     "must be one of " + ", ".join(OUTCOMES)))
    answered = (outcome == "answered").to_numpy()
    blocked = (outcome == "blocked").to_numpy()
    if "wait" in has:
        wait = seconds_column(frame, "wait", shown, allow_blank=blocked).fillna(0.0)
    else:
        wait = _timed_wait(frame, arrival, answered, blocked, shown)
    if "handle" in has:
        handle = seconds_column(frame, "handle", shown, allow_blank=~answered)
    elif {"answer", "end"} <= has:
        handle = elapsed(frame, "end", "answer",
                         time_column(frame, "end", shown, allow_blank=~answered),
                         time_column(frame, "answer", shown, allow_blank=~answered))
        bad = answered & (handle < 0).to_numpy()
        if bad.any():
            raise CallLogError(row_error(shown, "end", bad, frame["end"],
                                         "must not be before answer"))
        within_a_year(handle.where(answered), frame["end"], "end", "answer", shown)
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
    for column in ("group", "customer", "agent"):  # ids; blank or null (withheld): none
        if column in has:
            ids = frame[column].astype(str).str.strip()
            table[column] = ids.where(frame[column].notna() & (ids != "")).to_numpy()
    if "transfers" in has:
        table["transfers"] = count_column(frame, "transfers", shown)
    for column in AGENT_WORK:  # (an unanswered contact's: none)
        if column in has:
            seconds = seconds_column(frame, column, shown, blank_cells(frame[column]))
            table[column] = np.where(answered, seconds.fillna(0.0).to_numpy(), 0.0)
    if "hold" in has and "handle" not in has:  # timed by answer and end: the hold is
        talk = table["handle"].to_numpy() - table["hold"].to_numpy()  # within end - answer
        bad = answered & (talk < 0)
        if bad.any():
            raise CallLogError(row_error(shown, "hold", bad, frame["hold"],
                                         "must not exceed end - answer (a hold is in the call)"))
        table["handle"] = talk
    if "end" in has:  # when the contact ended (the last talk, or the hang-up): where given
        duration = elapsed(frame, "end", "arrival", time_column(
            frame, "end", shown, allow_blank=np.ones(len(frame), bool)), arrival)
        bad = (duration < 0).to_numpy()
        if bad.any():
            raise CallLogError(row_error(shown, "end", bad, frame["end"],
                                         "must not be before arrival"))
        within_a_year(duration, frame["end"], "end", "arrival", shown)
        table["duration"] = duration.to_numpy()
    if "queue_start" in has and "wait" not in has:  # a line is held from the arrival on,
        before = elapsed(frame, "queue_start", "arrival",  # through any menu before the queue
                         time_column(frame, "queue_start", shown, allow_blank=blocked),
                         arrival).to_numpy()
        early = ~blocked & (before < -1.0)  # (a second's rounding apart allowed: clipped)
        if early.any():
            raise CallLogError(row_error(shown, "queue_start", early, frame["queue_start"],
                                         "must not be before arrival"))
        table["menu"] = np.where(blocked, np.nan, np.maximum(before, 0.0))
    blank = (table["contact_type"] == "").to_numpy() | (  # (a Parquet null stays null)
        frame["contact_type"].isna().to_numpy() if "contact_type" in has else False)
    if blank.any():
        raise CallLogError(row_error(shown, "contact_type", blank, frame["contact_type"],
                                     "must not be empty"))
    return table.sort_values("arrival", kind="stable").reset_index(drop=True)
