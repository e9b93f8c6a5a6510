"""A forecast error that a log cannot tell is said to be unknown, not printed as 0.0%.

The day-level forecast error is the spread of a weekday's daily totals beyond Poisson:
a log with no day of the week seen twice (one day, or one week) has no such spread to
measure, and ``ccsim fit`` printed 'forecast error 0.0%' as if its days had been found
as steady as Poisson counts (found by an outside check of one-day logs). The fitted
scenario still has none (nothing to fit it from); the text and the report say why.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from sim.cli import main


def _log(path, days: int) -> None:
    """``days`` weekdays from Monday 2026-03-02 of 20 calls 08:00-08:40, a two abandoned."""
    rows = [(f"{day.date()}T08:{2 * i:02d}:00", 5.0, "abandoned" if i < 2 else "answered",
             None if i < 2 else 100.0 + i)
            for day in pd.bdate_range("2026-03-02", periods=days) for i in range(20)]
    pd.DataFrame(rows, columns=["arrival", "wait", "outcome", "handle"]).to_csv(path,
                                                                                 index=False)


@pytest.mark.parametrize(("days", "told"), [(1, False), (5, False), (6, True)])
def test_forecast_error_not_told_by_one_day_per_weekday(tmp_path, days, told):
    """1 day, or Monday to Friday once: not estimated; a second Monday tells it (0.0%)."""
    path = tmp_path / "calls.csv"
    _log(path, days)
    done = CliRunner().invoke(main, ["fit", str(path), "--out", str(tmp_path / "f.yaml"),
                                     "--interval", "1h"])
    assert done.exit_code == 0, done.output
    (line,) = [x for x in done.stdout.splitlines() if "forecast error" in x]
    report = (tmp_path / "f.fit_report.html").read_text()
    if told:
        assert line.endswith("; forecast error 0.0%"), line
        assert "not estimated" not in report
    else:
        unknown = "forecast error not estimated (no day of the week seen twice)"
        assert line.endswith(f"; {unknown}"), line
        assert "not estimated (no day of the week seen twice)" in report
