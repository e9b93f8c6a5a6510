"""Days are numbered from 1 in everything a person reads, staffing and schedule alike.

``ccsim staff`` prints and writes ``day`` 1 for the run's first day (as ``--day`` and the
run's figures, :func:`sim.weekdays.day_label`). ``ccsim schedule --days-per-agent``, for
the same scenario, names the same days the same way: its printed table, ``shifts.csv``,
``coverage.csv``, the day heads of ``coverage.png`` and the day lists of ``gantt.png``.
Only the scenario it writes keeps the scenario format's shift ``days`` (0: the run's
first day, day ``d`` of the run being ``d % 7``), and its header says so.
"""

from __future__ import annotations

import io
import re
from unittest.mock import patch

import pandas as pd
import yaml
from click.testing import CliRunner

from sim.cli import main


def three_days(tmp_path) -> str:
    """Three unequal days (list day factors: numbered, no weekday) of 08:00-12:00."""
    document = {
        "name": "days", "seed": 5, "days": 3, "open": "08:00", "close": "12:00",
        "interval": "1h", "service_level": {"threshold": "20s", "target": 0.8},
        "contact_types": {"calls": {
            "arrivals": {"rate": "20/h", "day_factors": [1.0, 1.5, 0.8]},
            "handle": {"dist": "exponential", "mean": "4m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 2}}}
    path = tmp_path / "days.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return str(path)


def printed_days(output: str, header: str) -> set[str]:
    """The ``day`` column of the table whose header line starts with ``header``."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == header.split())
    table = []
    for line in lines[start:]:
        if not line.strip():
            break
        table.append(line)
    return {str(v) for v in pd.read_fwf(io.StringIO("\n".join(table))).day}


def test_schedule_numbers_the_days_as_staff_does(tmp_path):
    """Staff's days 1-3 are the schedule's days 1-3 in its text, CSVs and both figures."""
    from sim.plots import shifts as plots

    path = three_days(tmp_path)
    staffed = CliRunner().invoke(main, ["staff", path, "-r", "2", "-w", "1", "-q",
                                        "--out", str(tmp_path / "staff.yaml")])
    assert staffed.exit_code == 0, staffed.output
    staff_days = {str(d) for d in pd.read_csv(tmp_path / "staff.csv").day}
    assert staff_days == {"1", "2", "3"}
    assert printed_days(staffed.output, "day group") == staff_days

    drawn = {}

    def keep(draw):
        def kept(result):
            drawn[draw.__name__] = draw(result)
            return drawn[draw.__name__]
        return kept

    out = tmp_path / "out"
    with patch.multiple("sim.plots.shifts", coverage_figure=keep(plots.coverage_figure),
                        gantt_figure=keep(plots.gantt_figure)):
        done = CliRunner().invoke(main, [
            "schedule", path, "--requirement", str(tmp_path / "staff.csv"), "--lengths", "4h",
            "--days-per-agent", "2", "-r", "1", "-w", "1", "--max-rounds", "1", "-q",
            "--out", str(out)])
    assert done.exit_code == 0, done.output
    shifts = pd.read_csv(out / "shifts.csv")
    assert {str(d) for d in shifts.day} == staff_days
    assert {str(d) for d in pd.read_csv(out / "coverage.csv").day} == staff_days
    assert printed_days(done.output, "group day") == staff_days

    heads = {t.get_text() for t in drawn["coverage_figure"].axes[0].texts}
    assert heads == {f"day {d}" for d in staff_days}
    listed = set()
    for text in drawn["gantt_figure"].axes[0].texts:
        found = re.fullmatch(r"x\d+ days? ([\d,]+)", text.get_text())
        assert found, text.get_text()
        listed |= set(found[1].split(","))
    assert listed == staff_days

    # the scenario written keeps the format's shift days (0: the run's first), and says so
    written = (out / "scenario.yaml").read_text()
    assert "0 is the run's first day" in written
    entries = yaml.safe_load(written)["agents"]["pool"]["shifts"]
    by_count = {e["count"]: {d + 1 for d in e["days"]} for e in entries}
    for row in shifts.itertuples():
        assert row.day in by_count[row.count]


def test_a_fitted_scenario_names_its_first_day_1(tmp_path):
    """``ccsim fit``'s header: the run's first day is day 1 (a Monday), as staff prints it."""
    import numpy as np
    from calllog_gen import generate_log

    log = generate_log(np.random.default_rng(3), per_interval=[20.0, 20.0], interval=1800.0,
                       open_s=9 * 3600.0, days=3, agents=3, handle_mean=180.0,
                       patience_mean=300.0)  # from Monday 2026-03-02
    log.to_csv(tmp_path / "log.csv", index=False)
    done = CliRunner().invoke(main, ["fit", str(tmp_path / "log.csv"), "--out",
                                     str(tmp_path / "fitted.yaml"), "--no-report"])
    assert done.exit_code == 0, done.output
    header = (tmp_path / "fitted.yaml").read_text().split("\nname:")[0]
    assert "day 1 (the run's first) a Monday" in header, header
    assert "day 0" not in header, header
