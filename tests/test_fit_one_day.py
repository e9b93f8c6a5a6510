"""A one-day log is told of in the singular: "1 open day", "1 agent", not "1 days".

``ccsim fit`` of one day's log with one agent printed "42 contacts, 1 days", wrote
"over 1 open days" into the scenario's header and its report, and "Staff: 1 agents seen
busy at once"; ``ccsim backtest`` printed "days compared: 1 open days of the log".
"""

from __future__ import annotations

import numpy as np
from calllog_gen import generate_log
from click.testing import CliRunner

from sim.cli import main
from sim.fit_capacity import count_span, group_text


def _one_day_log(tmp_path):
    """08:00-09:00 of one Monday, 40 calls for one agent (busy in every half hour)."""
    log = tmp_path / "log.csv"
    generate_log(np.random.default_rng(1), per_interval=[20, 20], interval=1800,
                 open_s=8 * 3600, days=1, agents=1, handle_mean=120,
                 patience_mean=180).to_csv(log, index=False)
    return log


def test_fit_and_backtest_of_one_day_say_day_and_agent(tmp_path):
    """Printed, written in the YAML header, the report and the backtest: singular."""
    log, out = _one_day_log(tmp_path), tmp_path / "fitted.yaml"
    done = CliRunner().invoke(main, ["fit", str(log), "--interval", "30m", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert " contacts, 1 day, open 8h-9h" in done.output.splitlines()[0], done.output
    assert out.read_text().splitlines()[0].endswith(" contacts over 1 open day.")
    html = (tmp_path / "fitted.fit_report.html").read_text()
    assert " contacts over 1 open day, open 8h to 9h" in html
    assert "Staff: 1 agent seen busy at once per interval" in html
    done = CliRunner().invoke(main, ["backtest", str(out), str(log), "-r", "2",
                                     "--out", str(tmp_path / "bt.png")])
    assert done.exit_code == 0, done.output
    assert "days compared: 1 open day of the log;" in done.output
    for text in (done.output, html, out.read_text()):
        assert not any(f" 1 {word}" in text for word in ("days", "open days", "agents")), text


def test_a_group_of_one_agent_is_one_agent():
    """A group and a count span with a noun: '1 agent', '2 agents', '1-2 agents'."""
    assert group_text("chat", ["chat"], [1, 1], None) == "chat: 1 agent, answers chat"
    assert count_span([2, 2], "agent") == "2 agents"
    assert count_span([1, 2], "agent") == "1-2 agents"
    assert count_span([1, 2]) == "1-2"
