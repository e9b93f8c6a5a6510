"""Times a log cannot mean: a date without a clock time, a queue entered before the call.

Both were read without a word: dates alone put every contact at 00:00 (the fit opened
00:00-00:30), and a ``queue_start`` a minute before the arrival was clipped to a menu of
0 s, the wait measured from it.
"""

from __future__ import annotations

import pytest

from sim.calllog import CallLogError, read_call_log


def test_a_date_without_a_clock_time_is_refused(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("arrival,wait,outcome,handle\n2026-03-02,0,answered,100\n"
                    "2026-03-03,0,answered,100\n")
    with pytest.raises(CallLogError, match=r"row 1: arrival: a date without a clock time, "
                                           r"got '2026-03-02' \(and 1 more row\)"):
        read_call_log(path)
    for text in ("2026-03-02 08:00", "2026-03-02T08", "20260302T080000", "2026-03-02 0800",
                 "2026-03-02 08", "20260302 080000", "2026-03-02 0800+0100"):  # clock times
        # (the basic forms after a space were refused once: found in review)
        path.write_text(f"arrival,wait,outcome,handle\n{text},0,answered,100\n")
        assert read_call_log(path).table["arrival"].dt.hour.tolist() == [8]


def test_a_queue_entered_before_the_call_is_refused(tmp_path):
    path = tmp_path / "calls.csv"
    head = "arrival,queue_start,answer,end,outcome\n"
    path.write_text(head + "2026-03-02T08:00:00,2026-03-02T07:59:00,2026-03-02T08:01:00,"
                    "2026-03-02T08:05:00,answered\n")
    with pytest.raises(CallLogError, match="row 1: queue_start: must not be before arrival"):
        read_call_log(path)
    path.write_text(head + "2026-03-02T08:00:01,2026-03-02T08:00:00,2026-03-02T08:01:00,"
                    "2026-03-02T08:05:00,answered\n")  # a second apart: rounding, read
    assert read_call_log(path).table["menu"].tolist() == [0.0]
