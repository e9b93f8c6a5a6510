"""The columns of a call log read one at a time: times, seconds and counts.

Each reader takes the log as a table of text (a CSV) or of typed columns (a Parquet
file) and gives the column in one kind (local clock times, seconds, whole counts), or
refuses it with a :class:`CallLogError` whose one line names the file, the first row at
fault (row 1 is the first data row, line 2 of a CSV), the column, the rule and the
value received. :mod:`sim.calllog` puts the columns together into a log.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.units import counted

EPOCH = pd.Timestamp("2026-01-05")  # a Monday: day 0 of logs timed in seconds (ccsim's own)
AGENT_WORK = ("hold", "wrap_up")  # an answered contact's seconds beside its talk (blank: 0)
# the UTC offset ending an ISO timestamp, after its clock time: Z, +hh:mm, +hhmm or +hh
# (PostgreSQL's timestamptz writes +01); a date alone (2026-03-02) has none
# (hh:mm[:ss[.f]] or the basic hhmm[ss[.f]]; a space before the offset allowed, as read
# before: 2026-03-29 00:30:00 +0100)
_CLOCK = r"\d{2}(?::\d{2}(?::\d{2}(?:[.,]\d+)?)?|\d{2}(?:\d{2}(?:[.,]\d+)?)?) ?"
_OFFSET = _CLOCK + r"(Z|[+-]\d{2}(?::?\d{2})?)$"


class CallLogError(ValueError):
    """A call log that cannot be read; the message is one line naming file, row and column."""


def row_error(shown: str, column: str, bad: np.ndarray, values: pd.Series,
              reason: str) -> str:
    """One line naming the file, the first bad row, the column, the reason and its value."""
    rows = np.flatnonzero(bad)
    more = f" (and {counted(rows.size - 1, 'more row')})" if rows.size > 1 else ""
    # row 1 is the first data row; in a CSV it is line 2, under the header (the label:
    # blank lines skipped keep the rows after them numbered as the file's lines)
    return (f"{shown}: row {row_number(values, rows[0])}: {column}: {reason}, got "
            f"{str(values.iloc[rows[0]])!r}{more}")


def row_number(values: pd.Series, position: int) -> int:
    """The row a position of the log as read stands for (1: the first data row)."""
    label = values.index[position]
    return int(label) + 1 if isinstance(label, (int, np.integer)) else position + 1


_MAX_SECONDS = 100 * 366 * 86400.0  # seconds from day 0 beyond a century are no log's
# a wait or handle time of a year or more is no contact's (a placeholder such as 1e308 or
# 999999999, or a typed year): fitted or replayed, it overflows numpy and scipy (a
# variance of 1e308 squared) or keeps a replay's agent busy for ever
MAX_DURATION = 366 * 86400.0


def one_value_each(frame: pd.DataFrame, columns: tuple[str, ...], shown: str) -> None:
    """Refuse a column read whose cells hold lists or records (a nested Parquet column).

    Read as text, a list of contact types was one type named ``['a' 'b']``.
    """
    for column in columns:
        if column in frame and frame[column].dtype == object:  # (text is a string dtype)
            nested = frame[column].map(_nested).to_numpy(dtype=bool)
            if nested.any():
                raise CallLogError(row_error(shown, column, nested, frame[column],
                                             "a list, not one value"))


def _nested(value: object) -> bool:
    return isinstance(value, list | tuple | dict | set | np.ndarray)


def hashable(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with nested cells (lists, records) as their text, so rows can be hashed."""
    return frame.apply(lambda c: c.map(lambda v: repr(v.tolist() if isinstance(v, np.ndarray)
                                                      else v) if _nested(v) else v)
                       if c.dtype == object else c)


def blank_cells(text: pd.Series) -> np.ndarray:
    """Where a column's cells are blank: null, or only spaces."""
    return (text.isna() | (text.astype(str).str.strip() == "")).to_numpy()


def time_column(frame: pd.DataFrame, column: str, shown: str,
                allow_blank: np.ndarray | None = None) -> pd.Series:
    """A column of times as local clock times: date-times, or seconds from day 0.

    A column of numbers is seconds from :data:`EPOCH` whatever their size (``1999`` is
    00:33:19 of day 0, never the year 1999); ISO date-times are read as such. Which of
    the two a column holds is told by its first filled row; a row of the other kind is
    refused. Rows where ``allow_blank`` is true may be blank (NaT); no other may.
    """
    text = frame[column]
    blank = blank_cells(text)
    allowed = blank & (np.zeros(blank.shape, bool) if allow_blank is None else allow_blank)
    if pd.api.types.is_datetime64_any_dtype(text):
        if (blank & ~allowed).any():
            raise CallLogError(row_error(shown, column, blank & ~allowed, text, "no time"))
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
        return _from_seconds(seconds, text, column, shown, ~numeric & ~allowed)
    if numeric.any():
        raise CallLogError(row_error(shown, column, numeric, text,
                                     "seconds among date-times"))
    parsed = _local_times(text.astype(str).str.strip(), shown, column)
    bad = parsed.isna().to_numpy() & ~allowed
    if bad.any():
        raise CallLogError(row_error(shown, column, bad, text, "not an ISO timestamp"))
    # a date alone is midnight: every contact of a day at 00:00 (the fit opened 00:00-00:30)
    dated = ~blank & text.astype(str).str.fullmatch(  # (a date and nothing more)
        r"\s*\d{4}[-/.]?\d{1,2}[-/.]?\d{1,2}\s*").to_numpy(dtype=bool)
    if dated.any():
        raise CallLogError(row_error(shown, column, dated, text, "a date without a clock time"))
    if parsed.dt.tz is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _from_seconds(seconds: pd.Series, text: pd.Series, column: str, shown: str,
                  missing: np.ndarray) -> pd.Series:
    """Seconds from day 0 as times from :data:`EPOCH` (a column whose first row is a number)."""
    if missing.any():
        raise CallLogError(row_error(shown, column, missing, text,
                                     "not a number of seconds (the column is seconds from day 0)"))
    values = seconds.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):  # NaN: a blank allowed (the others are missing)
        bad = ~np.isnan(values) & (~np.isfinite(values) | (values < 0)
                                   | (values > _MAX_SECONDS))
    if bad.any():
        raise CallLogError(row_error(shown, column, bad, text,
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


TIME_COLUMNS = ("arrival", "queue_start", "answer", "end")


def _told(text: pd.Series) -> np.ndarray:
    """Where a column of times tells its UTC offset (``Z``, ``+01:00``; a tz-aware column)."""
    if pd.api.types.is_datetime64_any_dtype(text):
        return text.notna().to_numpy() if text.dt.tz is not None else np.zeros(len(text), bool)
    if pd.api.types.is_numeric_dtype(text):  # seconds from day 0: no zone
        return np.zeros(len(text), bool)
    return text.astype(str).str.strip().str.extract(_OFFSET, expand=False).notna().to_numpy()


def bare_among_zoned(frame: pd.DataFrame, shown: str) -> tuple[str, ...]:
    """A warning per time column with rows of no UTC offset, where the log gives some one.

    Each row is read in its own clock time (a daylight-saving change's two offsets
    alike), and a time without an offset is read as if local, in the clock of a time
    beside it (:func:`elapsed`); but its clock is not told: it may be UTC (two exports
    joined, an hour or more off the others). The first such row is named, and the first
    row giving an offset: in the same column, else in another.
    """
    columns = [c for c in TIME_COLUMNS  # (seconds from day 0 tell no zone)
               if c in frame and not pd.api.types.is_numeric_dtype(frame[c])]
    told = {column: _told(frame[column]) for column in columns}
    zoned = [(column, int(np.flatnonzero(rows)[0])) for column, rows in told.items()
             if rows.any()]
    found = []
    for column in columns if zoned else ():
        text = frame[column]
        bare = ~blank_cells(text) & ~told[column]
        if not bare.any():
            continue
        own = told[column].any()
        other, first = (column, int(np.flatnonzero(told[column])[0])) if own else zoned[0]
        found.append(row_error(shown, column, bare, text, (
            f"no UTC offset, where {'other rows give' if own else f'{other} gives'} one "
            f"(row {row_number(frame[other], first)}: {str(frame[other].iloc[first])!r}): "
            "read in its own clock time, as if local; give every row's offset, or none")))
    return tuple(found)


def utc_offsets(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Each row's UTC offset in seconds, as its time tells it (NaN: none told, or blank).

    :func:`time_column` reads local clock times; a duration between two of them spans a
    daylight-saving change when their offsets differ (a wait from 01:59+01:00 to
    03:00+02:00 is a minute, not an hour and a minute): less the offsets' difference, it
    is the time that elapsed.
    """
    text = frame[column]
    told = _told(text)
    if pd.api.types.is_datetime64_any_dtype(text):
        if text.dt.tz is None:
            return np.full(len(text), np.nan)
        local = text.dt.tz_localize(None) - text.dt.tz_convert("UTC").dt.tz_localize(None)
        return local.dt.total_seconds().to_numpy()
    parts = text.astype(str).str.strip().str.extract(_CLOCK + r"([+-])(\d{2}):?(\d{2})?$")
    sign = np.where(parts[0] == "-", -1.0, 1.0)
    hours, minutes = (pd.to_numeric(parts[i]).fillna(0.0).to_numpy() for i in (1, 2))
    return np.where(told, sign * (hours * 3600.0 + minutes * 60.0), np.nan)  # Z: 0


def elapsed(frame: pd.DataFrame, later: str, earlier: str, later_at: pd.Series,
            earlier_at: pd.Series) -> pd.Series:
    """Seconds from each row's ``earlier`` time to its ``later`` one, as they elapsed.

    Where both times tell their UTC offsets, less the offsets' difference; where one
    does not, it is read in the other's clock (as if local, :func:`bare_among_zoned`
    warns): nothing is taken off (taken as UTC, a bare 08:00:20 answer to an 08:00+01:00
    arrival waited an hour and 20 s).

    Args:
        frame: The log as read, whose ``later`` and ``earlier`` columns tell the times'
            UTC offsets (:func:`utc_offsets`).
        later: The later time's column.
        earlier: The earlier time's column.
        later_at: The later times as :func:`time_column` reads them (local clock times):
            less the offsets' difference, a span across a daylight-saving change is the
            time that passed.
        earlier_at: The earlier times, read so.
    """
    shift = np.nan_to_num(utc_offsets(frame, later) - utc_offsets(frame, earlier))
    return (later_at - earlier_at).dt.total_seconds() - shift


def seconds_column(frame: pd.DataFrame, column: str, shown: str,
                   allow_blank: np.ndarray) -> pd.Series:
    """Durations in seconds, each under :data:`MAX_DURATION` (NaN: blank where allowed)."""
    text = frame[column]
    if pd.api.types.is_bool_dtype(text.dtype):  # (a Parquet column of flags: True is no 1 s)
        raise CallLogError(row_error(shown, column, ~blank_cells(text), text,
                                     "not a number of seconds"))
    if pd.api.types.is_timedelta64_dtype(text.dtype) or str(text.dtype).startswith("duration"):
        text = text.dt.total_seconds()  # (a Parquet duration: its nanoseconds are not seconds)
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce").astype(float)
    missing = values.isna().to_numpy() & ~allow_blank
    if missing.any():
        raise CallLogError(row_error(shown, column, missing, text, "not a number of seconds"))
    given = values.fillna(0.0).to_numpy()
    bad = ~np.isfinite(given) | (given < 0)
    if bad.any():
        raise CallLogError(row_error(shown, column, bad, text, "must be a finite number >= 0"))
    long = given >= MAX_DURATION
    if long.any():
        raise CallLogError(row_error(shown, column, long, text,
                                     "must be under a year (366 days)"))
    return values


def count_column(frame: pd.DataFrame, column: str, shown: str) -> np.ndarray:
    """A count per row: a blank or null cell is 0, any other a whole number >= 0."""
    text = frame[column]
    blank = blank_cells(text)
    values = pd.to_numeric(text.where(~blank), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~blank & ~(np.isfinite(values) & (values >= 0) & (values == np.round(values)))
    if bad.any():
        raise CallLogError(row_error(shown, column, bad, text, "must be a whole number >= 0"))
    return np.where(blank, 0.0, values)


def repeated_rows(frame: pd.DataFrame, shown: str) -> tuple[str, ...]:
    """A warning where rows repeat an earlier one in every column; refused with agents.

    Two exports that overlap, joined, count the overlap twice: its days' volume doubled
    and, where each row names its agent, every agent on two contacts at once (the center
    was fitted as a chat desk). Naming the same agent at the same moment, a repeat is no
    other contact: refused. Without agents two calls may match to the second: a warning.
    """
    rows = pd.util.hash_pandas_object(hashable(frame), index=False)  # (blanks alike)
    repeated = rows.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return ()
    row = int(np.flatnonzero(repeated)[0])
    first = int(np.flatnonzero(rows.to_numpy() == rows.to_numpy()[row])[0])
    more = int(repeated.sum()) - 1
    said = (f"{shown}: row {row_number(rows, row)} repeats row {row_number(rows, first)} in "
            "every column"
            + (f" (and {more:,} more rows repeat others)" if more else "")
            + ": a log joined from overlapping exports?")
    if "agent" in frame and not blank_cells(frame["agent"])[repeated].all():
        raise CallLogError(f"{said} The same agent cannot answer one contact twice: "
                           "remove the repeated rows")
    return (f"{said} Each is read as a contact of its own",)


def within_a_year(seconds: pd.Series, text: pd.Series, column: str, since: str,
                   shown: str) -> None:
    """Refuse a duration told by two timestamps of a year or more (as a column's would be)."""
    long = (seconds >= MAX_DURATION).to_numpy()
    if long.any():
        raise CallLogError(row_error(shown, column, long, text,
                                     f"must be under a year after {since}"))
