"""A time without a UTC offset beside one with: read in the same clock, and said.

A wait or talk told by two timestamps of different offsets lasts the time that elapsed
(the offsets' difference taken off: a daylight-saving change). A time with no offset
tells none; it is read in its own clock time, as if local (the warning of b45bb73 says
so), so beside a time with an offset it is in that one's clock: nothing is taken off.
It was taken as UTC there: an arrival at 08:00+01:00 answered at a bare 08:00:20 waited
3,620 s, without a word (the bare times were in another column than the offsets), and a
bare arrival among +01:00 rows was refused, "wait: must be >= 0 (answer before
arrival), got -3580" (found reviewing the change since 8823d77).
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.calllog import read_call_log

ZONE = "+01:00"


def _write(path, arrival_zone: str, answer_zone: str, bare_row: int | None = None) -> None:
    """Six calls 5 minutes apart from 08:00, each answered after 20 s, ended 4 min in."""
    rows = []
    for i in range(6):
        arrival = f"2026-03-02T08:{5 * i:02d}:00" + (arrival_zone if i != bare_row else "")
        rows.append((arrival, f"2026-03-02T08:{5 * i:02d}:20{answer_zone}",
                     f"2026-03-02T08:{5 * i + 4:02d}:00{answer_zone}", "answered"))
    pd.DataFrame(rows, columns=["arrival", "answer", "end", "outcome"]).to_csv(path, index=False)


def test_bare_answers_beside_zoned_arrivals_wait_as_written(tmp_path):
    """Arrivals +01:00, answers and ends bare: 20 s waits, 220 s talks, and a warning."""
    path = tmp_path / "calls.csv"
    _write(path, ZONE, "")
    log = read_call_log(path)
    assert log.table["wait"].tolist() == [20.0] * 6
    assert log.table["handle"].tolist() == [220.0] * 6
    assert log.warnings == tuple(
        f"{path}: row 1: {column}: no UTC offset, where arrival gives one (row 1: "
        f"'2026-03-02T08:00:00+01:00'): read in its own clock time, as if local; give every "
        f"row's offset, or none, got '2026-03-02T08:0{minute}' (and 5 more rows)"
        for column, minute in (("answer", "0:20"), ("end", "4:00")))


def test_a_bare_arrival_among_zoned_rows_is_read_not_refused(tmp_path):
    """One arrival without its offset: its wait is the 20 s written, the row warned of."""
    path = tmp_path / "calls.csv"
    _write(path, ZONE, ZONE, bare_row=3)
    log = read_call_log(path)
    assert log.table["wait"].tolist() == [20.0] * 6
    (warning,) = log.warnings
    assert warning.startswith(f"{path}: row 4: arrival: no UTC offset, where other rows give "
                              "one (row 1: '2026-03-02T08:00:00+01:00')"), warning


@pytest.mark.parametrize(("arrival", "answer"), [(ZONE, "Z"), ("", ""), (ZONE, ZONE)])
def test_offsets_told_on_both_sides_are_taken_off(tmp_path, arrival, answer):
    """Both told (08:00+01:00 is 07:00Z), or neither: as before, and nothing said."""
    path = tmp_path / "calls.csv"
    _write(path, arrival, answer)
    log = read_call_log(path)
    # 08:00:20Z is an hour and 20 s after 08:00+01:00 (07:00Z)
    assert log.table["wait"].tolist() == [3620.0 if answer == "Z" else 20.0] * 6
    assert log.warnings == ()
