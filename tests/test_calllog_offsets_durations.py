"""Two log forms once read with a wrong or row-less reason (both now read as meant).

1. ISO 8601 allows a UTC offset of hours alone (``+01``), which PostgreSQL writes for
   every ``timestamptz`` (``2026-03-29 01:55:00+01``). A log across the daylight-saving
   change (``+01`` then ``+02``) is one time zone, as the README's ``+01:00`` then
   ``+02:00`` is, and is read that way in that form; in the short form it is refused as
   "timestamps of several time zones", naming no row.
2. A Parquet log whose waits are a duration column (pyarrow ``duration``, pandas
   ``timedelta64``) is refused with "must be under a year" for a 32-second wait: its
   nanoseconds were read as seconds.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.calllog import read_call_log


def test_short_utc_offsets_across_dst_read_as_local_times(tmp_path):
    path = tmp_path / "pg.csv"
    path.write_text(
        "arrival,answer,end,outcome\n"
        "2026-03-29 01:50:00+01,2026-03-29 01:50:30+01,2026-03-29 01:52:30+01,answered\n"
        "2026-03-29 01:59:00+01,2026-03-29 03:00:10+02,2026-03-29 03:02:10+02,answered\n"
        "2026-03-29 03:10:00+02,2026-03-29 03:10:30+02,2026-03-29 03:12:30+02,answered\n")
    table = read_call_log(path).table
    assert table["arrival"].dt.strftime("%H:%M").tolist() == ["01:50", "01:59", "03:10"]
    assert table["wait"].tolist() == [30.0, 70.0, 30.0]  # 01:59+01 -> 03:00:10+02 is 70 s


def test_duration_column_wait_is_read_as_seconds_or_refused_for_its_kind(tmp_path):
    frame = pd.DataFrame({
        "arrival": pd.date_range("2026-03-02 08:00", periods=3, freq="5min"),
        "wait": pd.to_timedelta([0.0, 32.571, 5.0], unit="s"),
        "outcome": ["answered"] * 3, "handle": [100.0, 120.0, 90.0]})
    path = tmp_path / "calls.parquet"
    frame.to_parquet(path)
    table = read_call_log(path).table  # (its nanoseconds were read as seconds: "under a year")
    assert table["wait"].tolist() == pytest.approx([0.0, 32.571, 5.0])


@pytest.mark.parametrize("arrivals", [
    ["2026-03-29 00:30:00 +0100", "2026-03-29 04:00:00 +0200"],    # space before the offset
    ["2026-03-29 00:30:00 +01:00", "2026-03-29 04:00:00 +02:00"],
    ["20260329T003000+0100", "20260329T040000+0200"],               # ISO 8601 basic format
])
def test_offsets_read_before_the_change_still_read(tmp_path, arrivals):
    """Offsets after a space, or the basic form, across a daylight-saving change.

    Read before the +hh fix (local clock times kept); it refused them as 'timestamps of
    several time zones' (found in review).
    """
    rows = pd.DataFrame({"arrival": arrivals, "wait": [0, 0], "outcome": ["answered"] * 2,
                         "handle": [60, 60]})
    rows.to_csv(path := tmp_path / "log.csv", index=False)
    log = read_call_log(path)
    assert list(log.table["arrival"].astype(str)) == ["2026-03-29 00:30:00",
                                                      "2026-03-29 04:00:00"]
