"""What ``ccsim schedule`` and ``ccsim staff`` print counts in the singular where it is 1.

"1 agents", "1 replications", "after 1 rounds", "1 agents on 1 shifts" were printed
where one agent, replication, round or shift was counted. Each run here counts one of
everything it can, and no line (nor a figure's title) may pair the number 1 with a plural.
"""

from __future__ import annotations

import re
from unittest.mock import patch

import yaml
from click.testing import CliRunner
from matplotlib.figure import Figure

import sim.plots.shifts as shift_plots
from sim.cli import main
from sim.units import counted

PLURAL_ONE = re.compile(r"(?<![\d.,])1 (?:[a-z-]+ )?(agents|replications|rounds|shifts|plans"
                        r"|schedules|intervals)\b")


def _scenario(tmp_path) -> str:
    """One agent enough: 6 calls an hour of 4 minutes, 08:00-12:00, staff 1."""
    document = {"name": "one", "seed": 5, "days": 1, "open": "08:00", "close": "12:00",
                "interval": "1h", "service_level": {"threshold": "20s", "target": 0.5},
                "contact_types": {"calls": {"arrivals": {"rate": "6/h"},
                                            "handle": {"dist": "exponential", "mean": "4m"}}},
                "agents": {"pool": {"skills": ["calls"], "staff": 1}}}
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return str(path)


def test_counted_names_one_in_the_singular():
    assert [counted(n, "agent") for n in (0, 1, 2, 15)] == [
        "0 agents", "1 agent", "2 agents", "15 agents"]


def test_schedule_of_one_agent_on_one_shift(tmp_path):
    """One agent on one 4-hour shift, one replication, one round: all in the singular."""
    titles: list[str] = []

    def keep_titles(draw):
        def drawn(result) -> Figure:
            fig = draw(result)
            titles.extend(ax.get_title(loc="left") for ax in fig.axes)
            return Figure()
        return drawn

    with patch.multiple("sim.plots.shifts",
                        coverage_figure=keep_titles(shift_plots.coverage_figure),
                        gantt_figure=keep_titles(shift_plots.gantt_figure)):
        done = CliRunner().invoke(main, [
            "schedule", _scenario(tmp_path), "--requirement", "staff", "--lengths", "4h",
            "-r", "1", "-w", "1", "--max-rounds", "1", "--out", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    assert re.search(r"^  pool: 1 agent, ", done.output, re.M), done.output
    assert "1 replication)" in done.output, done.output
    assert "1 agent on 1 shift" in " ".join(titles), titles
    assert not PLURAL_ONE.search(done.output + "\n".join(titles)), done.output + str(titles)


def test_staff_with_one_replication(tmp_path):
    """``ccsim staff -r 1``: one replication per plan, in the singular."""
    done = CliRunner().invoke(main, ["staff", _scenario(tmp_path), "-r", "1", "-w", "1"])
    assert done.exit_code == 0, done.output
    assert "1 replication per plan" in done.output, done.output
    assert not PLURAL_ONE.search(done.output), done.output
