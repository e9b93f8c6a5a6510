"""``ccsim staff``: every number it prints is the one its files hold.

One search on a tiny two-day scenario opening at 08:00:30 (interval starts off the whole
minute), two groups with shrinkage. From ``FILE.csv`` alone, by hand:

- the summary's rows per day and group (peak, lowest, scheduled peak, agent-hours of the
  plan, Erlang C and Erlang A, the lowest hold-out service level of a measured interval,
  the intervals below their target) and the agent-hour totals line;
- ``--full``'s rows: day, clock, group, the requirements and the plan, as in the CSV;
- the CSV's ``clock`` is its ``start`` as a clock time, to the second;
- ``FILE.yaml``'s ``staff`` of each group, interval by interval, is the CSV's ``scheduled``
  (README: ``--out`` is the scenario with each group's ``staff`` per interval).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main

DAY = 86400
OPEN = 8 * 3600 + 30


def clock(seconds: float) -> str:
    """``HH:MM``, or ``HH:MM:SS`` off the whole minute."""
    s = int(seconds + 0.5)  # seconds >= 0
    return f"{s // 3600:02d}:{s // 60 % 60:02d}" + (f":{s % 60:02d}" if s % 60 else "")


@pytest.fixture(scope="module")
def staffed(tmp_path_factory):
    """(summary output, --full output, the CSV, the written scenario)."""
    tmp = tmp_path_factory.mktemp("staff")
    scenario = {
        "name": "parity", "seed": 4, "days": 2, "open": clock(OPEN),
        "close": clock(OPEN + 4 * 1800), "interval": "30m",
        "service_level": {"threshold": "20s", "target": 0.8},
        "contact_types": {"calls": {"arrivals": {"per_interval": [20, 40, 60, 30],
                                                 "day_factors": [1.0, 1.3]},
                                    "handle": {"dist": "exponential", "mean": "3m"},
                                    "patience": {"dist": "exponential", "mean": "2m"}},
                          "chats": {"arrivals": {"rate": "30/h"},
                                    "handle": {"dist": "exponential", "mean": "4m"}}},
        "agents": {"phones": {"skills": ["calls"], "staff": 3, "shrinkage": 0.25},
                   "desk": {"skills": ["chats"], "staff": 3, "shrinkage": 0.1}}}
    (tmp / "s.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    outputs = []
    for extra in ([], ["--full"]):
        done = CliRunner().invoke(main, ["staff", str(tmp / "s.yaml"), "-r", "2", "--holdout",
                                         "2", "-w", "1", "-q", "--out", str(tmp / "f.yaml"),
                                         *extra])
        assert done.exit_code == 0, done.output
        outputs.append(done.output)
    return (*outputs, pd.read_csv(tmp / "f.csv"),
            yaml.safe_load((tmp / "f.yaml").read_text()))


def printed_table(output: str, first: str) -> pd.DataFrame:
    """The table whose header starts with ``first``, cut at its right-aligned headers.

    A cell may be blank (``vs_erlang`` where the plan is Erlang C's), so each column is
    the text between the previous header's end and its own.
    """
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == [first])
    header = lines[start]
    ends = [m.end() for m in re.finditer(r"\S+", header)]
    cuts = list(zip([0, *ends[:-1]], ends))
    rows = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        rows.append([line[a:b].strip() for a, b in cuts])
    return pd.DataFrame(rows, columns=header.split())


def test_the_csv_clock_is_its_start(staffed):
    """08:00:30 opens the day: the clock column says so, not 08:00."""
    table = staffed[2]
    assert table.clock.tolist() == [clock(s % DAY) for s in table.start]


def test_summary_rows_are_the_csvs(staffed):
    """Per day and group, each printed number recomputed from the CSV's intervals."""
    summary, table = printed_table(staffed[0], "day"), staffed[2]
    assert len(summary) == 4
    for row in summary.itertuples():
        part = table[(table.day == int(row.day)) & (table.group == row.group)]
        measured = part[part.measured]
        assert int(row.peak) == part.simulated.max()
        assert int(row.lowest) == part.simulated.min()
        assert int(row.scheduled_peak) == part.scheduled.max()
        for column, source in (("agent_hours", "simulated"), ("erlang_c_hours", "erlang_c"),
                               ("erlang_a_hours", "erlang_a")):
            assert float(getattr(row, column)) == pytest.approx(part[source].sum() * 0.5,
                                                                abs=0.05)
        assert float(row.lowest_sl) == pytest.approx(
            measured.holdout_service_level.min(), abs=0.0005)
        assert int(row.below_target) == int(
            (measured.holdout_service_level < measured.holdout_target - 1e-12).sum())


def test_the_totals_line_is_the_csvs(staffed):
    """agent-hours on the phones: the CSV's columns summed over the run, x 0.5 h."""
    table = staffed[2]
    line = re.search(r"Erlang C ([\d,.]+), Erlang A ([\d,.]+), simulation ([\d,.]+) "
                     r"\(([+-][\d.]+)% vs Erlang C\)", staffed[0])
    assert line, staffed[0]
    sums = [table[c].sum() * 0.5 for c in ("erlang_c", "erlang_a", "simulated")]
    assert [float(x) for x in line.groups()[:3]] == pytest.approx(sums, abs=0.05)
    assert float(line[4]) == pytest.approx(100 * (sums[2] - sums[0]) / sums[0], abs=0.05)


def test_full_rows_are_the_csvs(staffed):
    """Every interval printed with --full is the CSV's row, clock to the second."""
    full, table = printed_table(staffed[1], "day"), staffed[2]
    assert full.clock.tolist() == table.clock.tolist()
    assert full.group.tolist() == table.group.tolist()
    for column in ("erlang_c", "erlang_a", "simulated", "scheduled"):
        assert full[column].astype(int).tolist() == table[column].tolist(), column


def test_the_written_staff_is_the_scheduled_column(staffed):
    """FILE.yaml staffs each group as the CSV's ``scheduled``, every interval of both days."""
    document, table = staffed[3], staffed[2]
    for group, spec in document["agents"].items():
        staff = spec["staff"]
        per_run = np.resize(staff, 8) if len(staff) == 4 else np.asarray(staff)
        assert per_run.tolist() == table[table.group == group].scheduled.tolist(), group
