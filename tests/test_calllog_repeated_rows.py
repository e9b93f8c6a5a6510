"""Rows repeating an earlier one in every column: refused where they name agents, else warned.

A log whose last days were exported twice was read without a word: those days' volume
doubled and, each repeated answered row naming the same agent at the same moment, every
agent seen on two contacts at once: the call center was fitted as a chat desk
(``channel: chat``, ``concurrency: 2``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.calllog import CallLogError, read_call_log
from sim.cli import main


def _log(tmp_path, agents: bool = True):
    """Four days of three agents' calls, days 3 and 4 exported twice."""
    rng = np.random.default_rng(1)
    rows = []
    for day in range(4):
        t0 = pd.Timestamp("2026-03-02") + pd.Timedelta(days=day, hours=8)
        free, t = np.zeros(3), 0.0
        for _ in range(60):
            t += rng.exponential(8 * 3600 / 60)
            a = int(np.argmin(free))
            start = max(t, free[a])
            handle = float(rng.exponential(240))
            free[a] = start + handle
            rows.append({"arrival": (t0 + pd.Timedelta(seconds=t)).isoformat(),
                         "wait": round(start - t, 3), "outcome": "answered",
                         "handle": round(handle, 3), "agent": f"a{a}"})
    frame = pd.DataFrame(rows)
    frame = pd.concat([frame, frame[frame["arrival"].str[:10] >= "2026-03-04"]])
    if not agents:
        frame = frame.drop(columns="agent")
    frame.to_csv(path := tmp_path / "calls.csv", index=False)
    return path


def test_repeated_rows_naming_agents_are_refused(tmp_path):
    path = _log(tmp_path)
    message = (f"{path}: row 241 repeats row 121 in every column (and 119 more rows repeat "
               "others): a log joined from overlapping exports? The same agent cannot answer "
               "one contact twice: remove the repeated rows")
    with pytest.raises(CallLogError) as refused:
        read_call_log(path)
    assert str(refused.value) == message
    done = CliRunner().invoke(main, ["fit", str(path), "--no-report",
                                     "--out", str(tmp_path / "f.yaml")])
    assert done.exit_code == 2 and done.output.strip() == message, done.output


def test_repeated_rows_without_agents_are_read_with_a_warning(tmp_path):
    path = _log(tmp_path, agents=False)
    log = read_call_log(path)
    assert len(log.table) == 360 and log.warnings == (
        f"{path}: row 241 repeats row 121 in every column (and 119 more rows repeat "
        "others): a log joined from overlapping exports? Each is read as a contact of its "
        "own",)
    done = CliRunner().invoke(main, ["fit", str(path), "--no-report",
                                     "--out", str(tmp_path / "f.yaml")])
    assert done.exit_code == 0 and "warning: " + log.warnings[0] in done.output


def test_repeated_abandoned_rows_with_a_blank_agent_are_only_warned(tmp_path):
    """Two abandoned calls alike to the second, the agent cell blank: a warning.

    No agent is named (a CSV's blank cell reads as '', which was taken for a named agent
    and refused: found in review).
    """
    rows = pd.DataFrame({"arrival": ["2026-03-02T08:00:00", "2026-03-02T08:00:05",
                                     "2026-03-02T08:00:05", "2026-03-02T08:01:00"],
                         "wait": [0, 30, 30, 0],
                         "outcome": ["answered", "abandoned", "abandoned", "answered"],
                         "handle": ["120", "", "", "60"], "agent": ["a1", "", "", "a2"]})
    rows.to_csv(path := tmp_path / "log.csv", index=False)
    log = read_call_log(path)
    assert len(log.table) == 4 and len(log.warnings) == 1
