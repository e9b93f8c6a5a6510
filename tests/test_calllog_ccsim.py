"""A run's contacts read as a call log: its measured days only, and every column it needs.

A run with a ``cooldown`` goes on after its last day, and its contacts.parquet has the
cooldown's contacts too. Read as a log (``ccsim fit``, ``ccsim backtest``) they made more
days, a partial one where the cooldown ends within opening hours. A copy of the file
without one of the columns the reading takes (a trimmed export) was an internal error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calllog import read_call_log
from sim.fit import fit_log
from sim.loader import scenario_from_dict
from sim.results_folder import write_run
from sim.units import DAY


def _run(tmp_path, hours: int = 12, **fields) -> pd.DataFrame:
    """A run written to ``tmp_path`` of 30 calls an hour for ``hours`` from 08:00."""
    scenario = scenario_from_dict({
        "name": "run", "open": "08:00", "close": f"{8 + hours}:00", "interval": "1h",
        "contact_types": {"calls": {
            "arrivals": {"per_interval": [30.0] * hours},
            "handle": {"dist": "exponential", "mean": "4m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 4}}, **fields})
    result = sim.run(scenario, seed=5)
    write_run(result, tmp_path)
    return result.contacts


def _cooldown_run(tmp_path) -> pd.DataFrame:
    """4 days 08:00-20:00 of 30 calls an hour, and a cooldown to 09:00 of a fifth day."""
    return _run(tmp_path, days=4, cooldown="9h")


@pytest.mark.parametrize("told_by", ["file", "scenario.json"])
def test_a_runs_cooldown_is_no_day_of_its_log(tmp_path, told_by):
    """A run's contacts read as a log have its measured days only, not its cooldown's.

    The cooldown's hour of calls made a fifth, partial day of 30 calls: the fitted
    volume per day fell from ~360 to ~294, outside 4 Poisson standard errors of the true
    360 (a mean of 4 daily totals: sqrt(360 / 4)). The file says how many days its run
    measured (its metadata); a copy saved by another program, by the run's
    scenario.json beside it.
    """
    contacts = _cooldown_run(tmp_path)
    path = tmp_path / "contacts.parquet"
    if told_by == "scenario.json":
        pd.read_parquet(path).to_parquet(path)  # saved again: no ccsim metadata
    assert (contacts["arrival"] >= 4 * DAY).sum() > 10  # the cooldown has calls
    log = read_call_log(path)
    assert len(log.days) == 4
    assert len(log.table) == int((contacts["arrival"] < 4 * DAY).sum())
    assert any("cooldown" in w for w in log.warnings)
    per_day = sum(fit_log(log, 3600.0).types["calls"].arrivals.per_interval)
    assert abs(per_day - 360.0) <= 4 * np.sqrt(360.0 / 4), per_day


@pytest.mark.parametrize("value", [b"", b"four", b"0", b"-3", b"2.5"])
def test_damaged_run_days_are_one_line(tmp_path, value):
    """A damaged ``ccsim.run_days`` is refused naming the file and the key, not guessed."""
    import pyarrow.parquet as pq

    from sim.calllog import CallLogError

    _cooldown_run(tmp_path)
    path = tmp_path / "contacts.parquet"
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata(
        {**table.schema.metadata, b"ccsim.run_days": value}), path)
    with pytest.raises(CallLogError) as caught:
        read_call_log(path)
    (line,) = str(caught.value).splitlines()
    assert line.startswith(f"{path}: ccsim.run_days: must be a whole number of days >= 1"), line


@pytest.mark.parametrize("column", ["wait", "handle", "answered", "contact_type", "group",
                                    "transfers", "issue_id"])
def test_a_missing_column_is_one_line(tmp_path, column):
    """A column the reading needs, missing: one line naming the file and column, exit 2.

    It was `internal error (KeyError: 'handle')`, exit 1.
    """
    from click.testing import CliRunner

    from sim.cli import main

    _cooldown_run(tmp_path)
    path = tmp_path / "trimmed.parquet"
    pd.read_parquet(tmp_path / "contacts.parquet").drop(columns=[column]).to_parquet(path)
    done = CliRunner().invoke(main, ["fit", str(path), "--out", str(tmp_path / "f.yaml"),
                                     "--no-report"])
    assert done.exit_code == 2, done.output
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"{path}: missing column {column!r}: "), line


@pytest.mark.parametrize("told_by", ["file", "scenario.json"])
def test_a_runs_warmup_is_kept_and_told(tmp_path, told_by):
    """A run's warm-up contacts stay in its log, and a warning says how many and why.

    They are arrivals of the scenario: left out, the log's first day would start at the
    warm-up's end and the fit would halve the volume of its first hours. But the run's
    summary leaves them out and they met a center that started empty: before the fix
    nothing said why the log held more contacts than the run offered.
    """
    contacts = _run(tmp_path, hours=4, days=2, warmup="9h")
    path = tmp_path / "contacts.parquet"
    if told_by == "scenario.json":
        pd.read_parquet(path).to_parquet(path)  # saved again: no ccsim metadata
    warm = int((contacts["arrival"] < 9 * 3600).sum())
    log = read_call_log(path)
    assert warm > 10 and len(log.table) == len(contacts)
    (line,) = [w for w in log.warnings if "warm-up" in w]
    assert line.startswith(f"{path}: {warm} contacts arrived in its run's warm-up (the first "
                           "9h of day 0"), line
