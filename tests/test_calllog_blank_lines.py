"""Blank lines in a CSV log do not shift the row numbers its messages name.

Row N is the file's line N + 1 (under the header). The parser skipped blank lines, so
with two of them above it, a bad value on line 6 was named "row 3".
"""

from __future__ import annotations

import pytest

from sim.calllog import CallLogError, read_call_log


def test_a_bad_row_below_blank_lines_is_named_by_its_line(tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("arrival,wait,outcome,handle\n\n2026-03-02T08:00:00,0,answered,100\n\n"
                    "2026-03-02T08:05:00,0,answered,100\n2026-03-02T08:06:00,x,answered,100\n")
    with pytest.raises(CallLogError, match=r"calls.csv: row 5: wait: not a number of seconds"):
        read_call_log(path)
    path.write_text(path.read_text().replace(",x,", ",7,"))
    log = read_call_log(path)  # blank lines are no contacts
    assert log.table["wait"].tolist() == [0.0, 0.0, 7.0]
