"""A log that gives queue_start/answer/end timestamps instead of wait and handle.

An ACD export leaves a contact's ``answer`` blank when nobody answered: an abandoned
caller's wait is its hang-up (``end``) less its queue start, a blocked one has neither.
Every wait and handle is recomputed here from the text with the standard library.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.calllog import OUTCOMES, CallLogError, read_call_log
from sim.fit import fit_log

ROWS = [  # arrival, queue_start, answer, end, outcome
    ("2026-03-02T08:00:00", "2026-03-02T08:00:10", "2026-03-02T08:00:40",
     "2026-03-02T08:05:00", "answered"),
    ("2026-03-02T08:01:00", "2026-03-02T08:01:10", "", "2026-03-02T08:02:10", "abandoned"),
    ("2026-03-02T08:02:00", "2026-03-02T08:02:05", "", "2026-03-02T08:02:35", "abandoned"),
    ("2026-03-02T08:02:30", "", "", "", "blocked"),
    ("2026-03-02T08:03:00", "2026-03-02T08:03:00", "2026-03-02T08:03:20",
     "2026-03-02T08:04:00", "answered"),
]


def _write(tmp_path, rows, suffix=".csv"):
    frame = pd.DataFrame(rows, columns=["arrival", "queue_start", "answer", "end", "outcome"])
    path = tmp_path / f"log{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:  # Parquet: real timestamps, NaT where blank
        for column in ("arrival", "queue_start", "answer", "end"):
            frame[column] = pd.to_datetime(frame[column].replace("", None))
        frame.to_parquet(path)
    return path


def _by_hand(rows):
    """(wait, handle) per row: from the standard library's datetime, None where none."""
    def t(text):
        return datetime.fromisoformat(text)
    out = []
    for _, start, answer, end, outcome in rows:
        if outcome == "answered":
            out.append(((t(answer) - t(start)).total_seconds(),
                        (t(end) - t(answer)).total_seconds()))
        elif outcome == "abandoned":
            out.append(((t(end) - t(start)).total_seconds(), None))
        else:
            out.append((0.0, None))
    return out


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_abandoned_wait_until_hang_up(tmp_path, suffix):
    """Abandoned: end - queue_start (answer blank); blocked: 0; answered: as before.

    A blank answer was refused ('row 2: answer: not an ISO timestamp'): no log of
    abandoned calls could be read by its timestamps.
    """
    table = read_call_log(_write(tmp_path, ROWS, suffix)).table
    for (wait, handle), (_, row) in zip(_by_hand(ROWS), table.iterrows(), strict=True):
        assert row["wait"] == pytest.approx(wait)
        assert (pd.isna(row["handle"]) if handle is None else row["handle"] == handle)
    patience = fit_log(read_call_log(_write(tmp_path, ROWS, suffix)), 1800.0).types["calls"]
    assert patience.abandon_rate == pytest.approx(2 / 4)


@pytest.mark.parametrize(("row", "message"), [
    (("2026-03-02T08:05:00", "2026-03-02T08:05:00", "", "2026-03-02T08:06:00", "answered"),
     "row 6: answer: an answered contact needs its answer time, got ''"),
    (("2026-03-02T08:05:00", "2026-03-02T08:05:00", "", "", "abandoned"),
     "row 6: end: an abandoned contact needs its end (hang-up) time, got ''"),
    (("2026-03-02T08:05:00", "", "", "2026-03-02T08:06:00", "abandoned"),
     "row 6: queue_start: not an ISO timestamp, got ''"),
])
def test_a_needed_time_left_blank_is_named(tmp_path, row, message):
    """One line naming the file, the row and the column."""
    path = _write(tmp_path, [*ROWS, row])
    with pytest.raises(CallLogError, match=f"^{re.escape(f'{path}: {message}')}$"):
        read_call_log(path)


def test_fit_refuses_a_log_without_handle_times(tmp_path):
    """No end (nor handle) column: `ccsim fit` says so, one line, exit 2.

    It wrote a scenario of 1-second deterministic handle times and staff 1 (nobody seen
    busy), noting only 'fewer than 2 distinct handle times'.
    """
    from click.testing import CliRunner

    from sim.cli import main

    path = tmp_path / "log.csv"
    pd.DataFrame([r[:3] + r[4:] for r in ROWS if r[4] == "answered"],
                 columns=["arrival", "queue_start", "answer", "outcome"]).to_csv(path, index=False)
    done = CliRunner().invoke(main, ["fit", str(path), "--out", str(tmp_path / "f.yaml"),
                                     "--no-report"])
    assert done.exit_code == 2, done.output
    assert done.stderr.strip() == (
        f"{path}: handle: no answered contact has a handle time (give a handle column, or "
        "answer and end timestamps): handle times cannot be fitted")
    assert not (tmp_path / "f.yaml").exists()


@given(st.lists(st.tuples(st.integers(0, 5 * 86400), st.integers(0, 600), st.integers(0, 900),
                          st.integers(0, 3000), st.sampled_from(OUTCOMES)),
                min_size=1, max_size=20))
@settings(max_examples=30, deadline=None)
def test_timestamps_read_as_the_durations_they_tell(rows):
    """Parity: a log of queue_start/answer/end reads as the same log of wait and handle.

    Arrival a, queue entry q s later, wait w, talk h (whole seconds): the timed log gives
    queue_start a+q, answer a+q+w (answered only), end (answered: +h; abandoned: a+q+w).
    """
    start = datetime(2026, 3, 2)

    def at(seconds):
        return (start + timedelta(seconds=seconds)).isoformat()

    _same_logs(rows, at)


def _same_logs(rows, at):
    """The log of queue_start/answer/end rows reads as the one of wait and handle rows.

    ``rows``: (a, q, w, h, outcome) in whole seconds; ``at``: seconds as a timestamp. The
    timed log tells each call's time before the queue too (``menu``): q, blocked NaN; and
    from its arrival to its end (``duration``): q + w + h (abandoned q + w), blocked NaN.
    """
    timed, plain = [], []
    menus = sorted([(a, np.nan if outcome == "blocked" else q,
                     np.nan if outcome == "blocked" else q + w + h * (outcome == "answered"))
                    for a, q, w, h, outcome in rows],
                   key=lambda row: at(row[0])[:19])  # by local arrival, as the table
    for a, q, w, h, outcome in rows:
        answered, blocked = outcome == "answered", outcome == "blocked"
        timed.append((at(a), "" if blocked else at(a + q),
                      at(a + q + w) if answered else "",
                      "" if blocked else at(a + q + w + (h if answered else 0)), outcome))
        plain.append((at(a), "" if blocked else w, outcome, h if answered else ""))
    with tempfile.TemporaryDirectory() as folder:
        one, two = Path(folder) / "timed.csv", Path(folder) / "plain.csv"
        pd.DataFrame(timed, columns=["arrival", "queue_start", "answer", "end",
                                     "outcome"]).to_csv(one, index=False)
        pd.DataFrame(plain, columns=["arrival", "wait", "outcome", "handle"]).to_csv(
            two, index=False)
        table = read_call_log(one).table
        np.testing.assert_array_equal(table.pop("menu"), [menu for _, menu, _ in menus])
        np.testing.assert_array_equal(table.pop("duration"), [span for _, _, span in menus])
        pd.testing.assert_frame_equal(table, read_call_log(two).table)


@pytest.mark.parametrize("handle", [False, True])
def test_answered_waits_need_answer_times(tmp_path, handle):
    """queue_start and end but no answer column: refused, one line naming file and column.

    An answered caller's end is after its talk: its wait was read as end - queue_start,
    talk included (the first row's 30 s wait read as 290 s, so patience and service
    level were fitted to waits of several minutes). Abandoned rows alone would be right,
    but a log of answered calls cannot be read so; with a handle column as well, which
    part of end - queue_start was the wait is still only a guess.
    """
    from click.testing import CliRunner

    from sim.cli import main

    frame = pd.DataFrame([r[:2] + r[3:] for r in ROWS], columns=["arrival", "queue_start",
                                                                    "end", "outcome"])
    if handle:
        frame["handle"] = [260.0, "", "", "", 40.0]
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(CallLogError) as caught:
        read_call_log(path)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}: missing column 'answer': "), line
    done = CliRunner().invoke(main, ["fit", str(path), "--out", str(tmp_path / "f.yaml"),
                                     "--no-report"])
    assert done.exit_code == 2, done.output
    assert done.stderr.strip() == line


def test_abandoned_calls_alone_need_no_answer_times(tmp_path):
    """A log of abandoned and blocked calls only: each wait is its end - queue_start."""
    rows = [r for r in ROWS if r[4] != "answered"]
    path = tmp_path / "log.csv"
    pd.DataFrame([r[:2] + r[3:] for r in rows],
                 columns=["arrival", "queue_start", "end", "outcome"]).to_csv(path, index=False)
    waits = read_call_log(path).table["wait"].tolist()
    assert waits == [wait for wait, _ in _by_hand(rows)]


PARIS = ZoneInfo("Europe/Paris")
# 00:00 UTC on the nights the clocks change in 2026: 02:00 -> 03:00 (+01:00 -> +02:00) on
# 29 March, 03:00 -> 02:00 (+02:00 -> +01:00) on 25 October, both at 01:00 UTC
CHANGES = (datetime(2026, 3, 29, tzinfo=timezone.utc), datetime(2026, 10, 25, tzinfo=timezone.utc))


@given(st.sampled_from(CHANGES),
       st.lists(st.tuples(st.integers(0, 2 * 3600), st.integers(0, 600), st.integers(0, 3600),
                          st.integers(0, 3600), st.sampled_from(OUTCOMES)),
                min_size=1, max_size=12))
@settings(max_examples=30, deadline=None)
def test_durations_across_a_clock_change_are_the_time_elapsed(change, rows):
    """A wait or talk that spans a daylight-saving change lasts what the clock's offsets tell.

    Times as an ACD in Paris writes them (local clock, its UTC offset): a wait from
    01:59:00+01:00 to 03:00:30+02:00 is 90 s, not the 3,690 s between the two clock
    readings; in October a talk from 02:58+02:00 to 02:05+01:00 is 7 minutes, and the log
    was refused ('wait: must be >= 0'). The timed log reads as the same log of waits and
    handle times in seconds, its arrivals in local clock time (as the offsets' test above).
    """
    start = change - timedelta(hours=1)

    def at(seconds):
        return (start + timedelta(seconds=seconds)).astimezone(PARIS).isoformat()

    _same_logs(rows, at)


@pytest.mark.parametrize("change", CHANGES)
def test_parquet_times_of_a_time_zone_tell_durations_elapsed(tmp_path, change):
    """A Parquet log with times in a zone (Europe/Paris): a talk across the change as long.

    The answer at 00:59 UTC and the end at 01:01 UTC are 2 minutes apart; their local
    clock readings are an hour and 2 minutes apart (March) or 58 minutes before (October).
    """
    times = [change + timedelta(minutes=m) for m in (55, 59, 61)]
    frame = pd.DataFrame({"arrival": pd.to_datetime(times[:1]).tz_convert(PARIS),
                          "answer": pd.to_datetime(times[1:2]).tz_convert(PARIS),
                          "end": pd.to_datetime(times[2:]).tz_convert(PARIS),
                          "outcome": ["answered"]})
    frame.to_parquet(tmp_path / "log.parquet")
    row = read_call_log(tmp_path / "log.parquet").table.iloc[0]
    assert (row["wait"], row["handle"]) == (240.0, 120.0)
