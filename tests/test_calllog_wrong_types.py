"""Call logs whose columns hold the wrong kind of value: one line, exit 2, nothing written.

Found by an outside check of how logs come in (``ccsim fit``, ``ccsim backtest`` and a
replayed ``trace``): a Parquet column of lists (even one ccsim does not read, such as
``tags``) was ``internal error (TypeError: unhashable type)``, exit 1; a Parquet column
of True/False read as ``wait`` or ``handle`` was taken as waits and talks of 1 and 0
seconds (a fit of 1-second calls, exit 0); and an ``arrival`` column mixing timestamps
with a UTC offset and without one was read without a word, though the rows without an
offset tell no zone (a row written in UTC fell an hour outside the others): now said.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from sim.calllog import read_call_log
from sim.cli import main


def _log(rows: int = 40) -> pd.DataFrame:
    """A good log: calls a minute apart from 08:00 on Monday 2026-03-02, answered."""
    return pd.DataFrame({
        "arrival": [f"2026-03-02T08:{i:02d}:00" for i in range(rows)],
        "wait": [5.0] * rows,
        "outcome": ["answered"] * (rows - 2) + ["abandoned"] * 2,
        "handle": [100.0 + i for i in range(rows - 2)] + [None, None]})


def _refused(tmp_path, path, starts: str) -> None:
    """``ccsim fit`` refuses ``path`` in one line starting ``starts``, exit 2, no output."""
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["fit", str(path), "--out", str(out / "f.yaml"),
                                     "--interval", "1h"])
    assert done.exit_code == 2, done.output
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(starts), line
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("column", ["tags", "contact_type", "customer", "agent"])
def test_a_parquet_column_of_lists(tmp_path, column):
    """Lists in a column read (a type, an id) are refused naming it; in another, ignored."""
    frame = _log()
    frame[column] = [["a", "b"]] * len(frame)
    path = tmp_path / "nested.parquet"
    frame.to_parquet(path)
    if column == "tags":  # not read: the log is read as it would be without it
        assert len(read_call_log(path).table) == len(frame)
        return
    _refused(tmp_path, path, f"{path}: row 1: {column}: a list, not one value, got ")


@pytest.mark.parametrize("column", ["wait", "handle", "hold", "wrap_up"])
def test_a_parquet_column_of_true_and_false_is_no_duration(tmp_path, column):
    """True/False is no number of seconds (a CSV's 'True' is refused alike)."""
    frame = _log()
    frame[column] = frame["handle"].notna() if column == "handle" else True
    path = tmp_path / "flags.parquet"
    frame.to_parquet(path)
    _refused(tmp_path, path, f"{path}: row 1: {column}: not a number of seconds, got 'True'")


def test_a_parquet_column_of_true_and_false_is_no_duration_in_a_replay(tmp_path):
    """Replayed with its talks (trace_handle), the same log was 1-second calls."""
    import yaml

    import sim

    frame = _log()
    frame["handle"] = frame["handle"].notna()
    frame.to_parquet(tmp_path / "flags.parquet")
    (tmp_path / "replay.yaml").write_text(yaml.safe_dump({
        "name": "replay", "open": "08:00", "close": "12:00", "interval": "1h",
        "contact_types": {"calls": {
            "arrivals": {"trace": "flags.parquet", "trace_handle": True},
            "handle": {"dist": "exponential", "mean": "2m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 2}}}))
    with pytest.raises(sim.ScenarioError, match=r"flags\.parquet: row 1: handle: not a number "
                                                r"of seconds, got 'True'"):
        sim.load_scenario(tmp_path / "replay.yaml")


@pytest.mark.parametrize("odd", ["2026-03-02T08:03:00", "2026-03-02T07:03:00"])
def test_timestamps_with_and_without_a_utc_offset_are_said(tmp_path, odd):
    """Rows with an offset and rows without: the bare ones' clock is not told; a warning.

    Each row is read in its own clock time, as the rows of two offsets of a
    daylight-saving change are (sim.calllog_columns; 850c57d chose to read a bare row so
    too), but a bare 07:03 among +01:00 rows may be UTC (two exports joined): it was read
    as a stray call before opening without a word. ``ccsim fit`` names the first such
    row; every row given an offset (+01:00 and Z alike), nothing is said.
    """
    frame = _log()
    frame["arrival"] = frame["arrival"] + "+01:00"
    frame.loc[3, "arrival"] = odd
    path = tmp_path / "zones.csv"
    frame.to_csv(path, index=False)
    log = read_call_log(path)
    assert log.table["arrival"].dt.strftime("%H:%M").tolist()[:5] == sorted(
        ["08:00", "08:01", "08:02", odd[11:16], "08:04"])[:5]
    said = (f"{path}: row 4: arrival: no UTC offset, where other rows give one (row 1: "
            f"'2026-03-02T08:00:00+01:00'): read in its own clock time, as if local; give "
            f"every row's offset, or none, got '{odd}'")
    assert log.warnings == (said,)
    done = CliRunner().invoke(main, ["fit", str(path), "--out", str(tmp_path / "f.yaml"),
                                     "--interval", "1h", "--no-report"])
    assert done.exit_code == 0, done.output
    assert f"warning: {said}" in done.stderr.splitlines()
    frame.loc[3, "arrival"] = odd + "Z"
    frame.to_csv(path, index=False)
    assert read_call_log(path).warnings == ()
