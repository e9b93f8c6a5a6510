"""What ``ccsim schedule`` prints names what it counted: the span of its hours, its clocks.

- The paid hours and cost of a plan are those of its plan days: one day (worked every
  day), or in a week plan (``--days-per-agent``) one each of the run's days of the week -
  7 from a run of a week or more, fewer from a shorter run (README "Shift scheduling").
  The label says "a day", "a week", or "for N days" when the plan has N < 7 days; the
  hours printed are those of ``shifts.csv`` over the plan days (each row once).
- The NOT HELD line names the interval furthest below its target at its exact start,
  seconds included where it is not a whole minute (as the shifts are written); so do
  the refusals of a shift (outside opening hours, overlapping breaks).
"""

from __future__ import annotations

import re
from unittest.mock import patch

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from matplotlib.figure import Figure

from sim.cli import main


def no_figure(result) -> Figure:
    """An empty figure: drawing the two is most of a schedule's time, tested elsewhere."""
    return Figure()


def scenario(days: int, **fields) -> dict:
    """One group of 2 agents, one day's hourly intervals 08:00-12:00 (unless ``fields``)."""
    return {"name": "labels", "seed": 5, "days": days, "open": "08:00", "close": "12:00",
            "interval": "1h", "service_level": {"threshold": "20s", "target": 0.8},
            "contact_types": {"calls": {"arrivals": {"rate": "20/h"},
                                        "handle": {"dist": "exponential", "mean": "4m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 2}}} | fields


def schedule(tmp_path, document: dict, options: list[str]):
    """``ccsim schedule`` on ``document`` (one round, no figures): output and shifts.csv."""
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    out = tmp_path / "out"
    with patch.multiple("sim.plots.shifts", coverage_figure=no_figure, gantt_figure=no_figure):
        done = CliRunner().invoke(main, [
            "schedule", str(tmp_path / "s.yaml"), "-r", "1", "-w", "1", "--max-rounds", "1",
            "-q", "--out", str(out), *options])
    assert done.exit_code == 0, done.output
    return done.output, pd.read_csv(out / "shifts.csv")


@pytest.mark.parametrize(("days", "per_agent"), [(1, None), (3, None), (2, 1), (3, 2),
                                                 (5, 4), (7, 5), (9, 5)])
def test_the_hours_are_labelled_with_the_days_they_cover(tmp_path, days, per_agent):
    """Plan days: 1 (one day's plan), else min(days, 7): the run's days counted from 0."""
    options = ["--requirement", "staff", "--lengths", "4h"]
    if per_agent:
        options += ["--days-per-agent", str(per_agent)]
    output, shifts = schedule(tmp_path, scenario(days), options)
    plan_days = 1 if per_agent is None else min(days, 7)
    assert shifts.day.astype(str).nunique() == plan_days
    label = "a day" if per_agent is None else "a week" if plan_days == 7 else \
        f"for {plan_days} days"
    total = re.search(r"^  total: ([\d,.]+) paid hours (.*)$", output, re.M)
    assert total and total[2] == label, output
    assert float(total[1]) == (shifts["count"] * shifts.paid_hours).sum()
    assert re.search(rf"^  pool: \d+ agents?, [\d,.]+ paid hours {label};", output, re.M), output


@pytest.mark.parametrize(("days", "label"), [(5, "a week"), (10, "a week"), (3, "for 3 days")])
def test_a_week_is_the_weekdays_the_center_works(tmp_path, days, label):
    """Day factors naming Monday to Friday: the run's days are those; 5 of them are its week."""
    factors = {day: 1.0 for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    document = scenario(days)
    document["contact_types"]["calls"]["arrivals"]["day_factors"] = factors
    output, shifts = schedule(tmp_path, document, ["--requirement", "staff", "--lengths", "4h",
                                                   "--days-per-agent", "2"])
    assert shifts.day.nunique() == min(days, 5)
    assert re.search(rf"^  total: [\d,.]+ paid hours {label}$", output, re.M), output


def clock(seconds: int) -> str:
    """``HH:MM``, or ``HH:MM:SS`` off the whole minute, worked out by hand."""
    text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    return text + (f":{seconds % 60:02d}" if seconds % 60 else "")


@pytest.mark.parametrize("opening", [8 * 3600 + 30, 8 * 3600 + 7 * 60 + 45, 8 * 3600])
def test_not_held_names_the_intervals_exact_start(tmp_path, opening):
    """One agent for 1 Erlang cannot hold: the line names an interval start to the second."""
    starts = [opening + k * 1800 for k in range(4)]
    document = scenario(1, open=clock(opening), close=clock(starts[-1] + 1800),
                        interval="30m")
    document["contact_types"]["calls"]["arrivals"]["rate"] = "60/h"
    document["agents"]["pool"]["staff"] = [1, 1, 1, 1]
    output, shifts = schedule(tmp_path, document, ["--requirement", "staff", "--lengths", "2h"])
    line = re.search(r"NOT HELD: .*furthest below its target: calls at day 1 (\S+), ", output)
    assert line, output
    assert line[1] in [clock(t) for t in starts], output
    assert shifts.start.tolist() == [clock(opening)]


@pytest.mark.parametrize(("shift", "message"), [
    ({"start": "06:07:30", "length": "1h", "count": 1},
     r"runs 06:07:30-07:07:30, wholly outside opening hours 08:00:30-12:00:30"),
    ({"start": "09:00", "length": "2h", "count": 1,
      "breaks": [{"at": "450s", "length": "15m"}, {"at": "10m", "length": "15m"}]},
     r"\(09:10 is inside both\)"),
    ({"start": "09:00:10", "length": "2h", "count": 1,
      "breaks": [{"at": "7m", "length": "15m"}, {"at": "10m", "length": "15m"}]},
     r"\(09:10:10 is inside both\)"),
])
def test_a_shifts_refusal_names_its_clocks_to_the_second(tmp_path, shift, message):
    """``ccsim validate``: the clocks a refused shift is named by are those it was given."""
    document = scenario(1, open="08:00:30", close="12:00:30")
    document["agents"]["pool"] = {"skills": ["calls"], "shifts": [shift]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    done = CliRunner().invoke(main, ["validate", str(tmp_path / "s.yaml")])
    assert done.exit_code == 2, done.output
    assert re.search(message, done.output), done.output


def test_the_coverage_figure_says_what_the_output_says(tmp_path):
    """coverage.png: the span of its hours as printed, interval starts to the second."""
    from sim.plots import shifts as plots

    drawn = []

    def keep(result):
        drawn.append(real(result))
        return drawn[-1]

    real = plots.coverage_figure
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(
        scenario(3, open="08:00:30", close="12:00:30"), sort_keys=False))
    with patch.multiple("sim.plots.shifts", coverage_figure=keep, gantt_figure=no_figure):
        done = CliRunner().invoke(main, [
            "schedule", str(tmp_path / "s.yaml"), "--requirement", "staff", "--lengths", "4h",
            "--days-per-agent", "2", "-r", "1", "-w", "1", "--max-rounds", "1", "-q",
            "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    ax = drawn[0].axes[0]
    assert "paid hours for 3 days," in ax.get_title(loc="left")
    starts = [clock(8 * 3600 + 30 + k * 3600) for k in range(4)]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels and set(labels) <= set(starts), labels


def test_a_shift_to_closing_at_midnight_ends_at_24_00(tmp_path):
    """Open 20:00-24:00: a 4h shift ends at 24:00 (none crosses midnight), not 00:00."""
    output, shifts = schedule(tmp_path, scenario(1, open="20:00", close="24:00"),
                              ["--requirement", "staff", "--lengths", "4h"])
    assert shifts[["start", "end"]].values.tolist() == [["20:00", "24:00"]]
    coverage = pd.read_csv(tmp_path / "out" / "coverage.csv")
    assert coverage.interval.tolist() == ["20:00-21:00", "21:00-22:00", "22:00-23:00",
                                          "23:00-24:00"]
    assert re.search(r"^ pool +all +t4h +20:00 +24:00 ", output, re.M), output
