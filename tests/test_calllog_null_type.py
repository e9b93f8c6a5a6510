"""A Parquet log's null contact_type is refused in one line naming its row (it crashed, exit 1).

A CSV's blank contact_type is refused in one line (row, column, exit 2); the same blank
in a Parquet file (a null) is read by pandas 3's ``astype(str)`` as NaN, not ``""``, so
it passes the blank check and ``CallLog.type_names`` sorts a float among strings.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from sim.calllog import CallLogError, read_call_log
from sim.cli import main


def _log(tmp_path):
    frame = pd.DataFrame({
        "arrival": pd.date_range("2026-03-02 08:00", periods=6, freq="5min"),
        "contact_type": ["billing", "billing", None, "cards", "billing", "cards"],
        "wait": [0.0, 5.0, 3.0, 1.0, 0.0, 2.0],
        "outcome": ["answered"] * 6,
        "handle": [100.0, 120.0, 90.0, 200.0, 80.0, 150.0],
    })
    path = tmp_path / "calls.parquet"
    frame.to_parquet(path)
    return path


def test_read_refuses_null_contact_type_naming_row(tmp_path):
    with pytest.raises(CallLogError, match=r"row 3: contact_type"):
        read_call_log(_log(tmp_path))


def test_fit_cli_null_contact_type_is_one_line_exit_2(tmp_path):
    path = _log(tmp_path)
    result = CliRunner().invoke(main, ["fit", str(path), "--no-report",
                                       "--out", str(tmp_path / "f.yaml")])
    assert result.exit_code == 2, result.output
    assert "row 3" in result.output and "contact_type" in result.output
