"""Trace-driven arrivals: ``arrivals: {trace: calls.csv}`` replays a call log's arrivals."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from calllog_gen import generate_log

import sim
from sim.arrivals import expected_counts
from sim.calllog import read_call_log
from sim.loader import ScenarioError

SCENARIO = """name: replay
days: {days}
open: "08:00"
close: "12:00"
interval: 30m
contact_types:
  calls:
    arrivals: {arrivals}
    handle: {{dist: exponential, mean: 4m}}
    patience: {{dist: exponential, mean: 5m}}
agents:
  pool: {{skills: [calls], staff: 8}}
"""


@pytest.fixture(scope="module")
def log_path(tmp_path_factory):
    """Three days of a small independent log (CSV)."""
    folder = tmp_path_factory.mktemp("trace")
    frame = generate_log(np.random.default_rng(3), per_interval=[40, 60, 70, 50, 45, 60, 55, 30],
                         interval=1800.0, open_s=8 * 3600.0, days=3, agents=8,
                         handle_mean=240.0, patience_mean=300.0)
    frame.to_csv(folder / "calls.csv", index=False)
    return folder / "calls.csv"


def scenario_file(log_path, arrivals: str, days: int = 3):
    path = log_path.parent / "replay.yaml"
    path.write_text(SCENARIO.format(days=days, arrivals=arrivals))
    return path


class TestReplay:
    """The trace's arrivals (and handle times) are replayed exactly."""

    def test_arrivals_replayed_in_every_replication(self, log_path):
        """Every replication offers exactly the logged arrival times."""
        scenario = sim.load_scenario(scenario_file(log_path, "{trace: calls.csv}"))
        result = sim.run(scenario, seed=1, replications=2)
        logged = np.sort(read_call_log(log_path).seconds())
        for _, rows in result.contacts.groupby("replication"):
            np.testing.assert_allclose(np.sort(rows["arrival"].to_numpy()), logged, atol=1e-6)

    def test_logged_handle_times_kept(self, log_path):
        """With trace_handle, answered-in-the-log contacts talk for their logged time."""
        scenario = sim.load_scenario(scenario_file(log_path,
                                                   "{trace: calls.csv, trace_handle: true}"))
        contacts = sim.run(scenario, seed=1).contacts.sort_values("arrival")
        table = read_call_log(log_path).table
        logged = (table["outcome"] == "answered").to_numpy()
        answered_both = contacts["answered"].to_numpy() & logged
        np.testing.assert_allclose(contacts["handle"].to_numpy()[answered_both],
                                   table["handle"].to_numpy()[answered_both], atol=1e-6)

    def test_fewer_days_replay_the_first(self, log_path):
        """A scenario of one day replays the log's first day only."""
        scenario = sim.load_scenario(scenario_file(log_path, "{trace: calls.csv}", days=1))
        contacts = sim.run(scenario, seed=1).contacts
        seconds = read_call_log(log_path).seconds()
        assert len(contacts) == int((seconds < 86400).sum())

    def test_expected_counts_are_the_trace_per_interval(self, log_path):
        """Staffing's expected counts are the trace's own counts per interval."""
        scenario = sim.load_scenario(scenario_file(log_path, "{trace: calls.csv}"))
        counts = expected_counts(scenario, scenario.contact_types["calls"].arrivals, "calls")
        seconds = read_call_log(log_path).seconds()
        assert counts.sum() == len(seconds)
        day0 = seconds[seconds < 86400]
        assert counts[0] == int(((day0 >= 8 * 3600) & (day0 < 8.5 * 3600)).sum())


class TestBadTraces:
    """A bad trace is one line naming the scenario, the field and the reason."""

    def test_missing_file(self, log_path):
        """A trace that does not exist names itself."""
        with pytest.raises(ScenarioError, match=r"arrivals.trace: .*nothere\.csv: cannot read"):
            sim.load_scenario(scenario_file(log_path, "{trace: nothere.csv}"))

    def test_two_forms(self, log_path):
        """A trace and a rate together are refused."""
        with pytest.raises(ScenarioError, match="exactly one of 'rate', 'per_interval' and"):
            sim.load_scenario(scenario_file(log_path, "{trace: calls.csv, rate: 5/h}"))

    def test_trace_handle_without_trace(self, log_path):
        """trace_handle needs a trace."""
        with pytest.raises(ScenarioError, match="'trace_handle' needs a 'trace'"):
            sim.load_scenario(scenario_file(log_path, "{rate: 5/h, trace_handle: true}"))

    def test_bad_row_in_trace_via_cli(self, log_path):
        """A bad row in the trace is one line with the row number, exit 2."""
        (log_path.parent / "bad.csv").write_text(
            "arrival,wait,outcome\n2026-03-02T08:00:00,1,answered\n2026-03-02T08:01:00,1,lost\n")
        path = scenario_file(log_path, "{trace: bad.csv}")
        done = subprocess.run([sys.executable, "-m", "sim", "validate", str(path)],
                              capture_output=True, text=True)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1
        assert "bad.csv: row 2: outcome: must be one of" in done.stderr


class TestTypesOfTheTrace:
    """A trace of several contact types: each scenario type replays its own rows."""

    @pytest.fixture
    def two_types(self, log_path, tmp_path):
        """The log with its calls split into types named as a CRM writes them."""
        frame = pd.read_csv(log_path)
        frame["contact_type"] = np.where(np.arange(len(frame)) % 3 == 0, "lost card",
                                         "billing")
        frame.to_csv(tmp_path / "two.csv", index=False)
        return tmp_path / "two.csv", frame

    def scenario(self, folder, names):
        types = "\n".join(f"  {name}:\n    arrivals: {{trace: two.csv}}\n"
                          f"    handle: {{dist: exponential, mean: 4m}}" for name in names)
        text = SCENARIO.split("contact_types:")[0].format(days=3, arrivals="") + (
            "contact_types:\n" + types + "\nagents:\n  pool: {skills: ["
            + ", ".join(names) + "], staff: 8}\n")
        path = folder / "two.yaml"
        path.write_text(text)
        return path

    def test_each_type_replays_its_rows_under_its_scenario_name(self, two_types):
        """`lost card` in the log is `lost_card` in a fitted scenario: its calls are replayed.

        The trace matched its rows by the log's raw names, so `lost_card` silently got no
        arrivals at all.
        """
        path, frame = two_types
        scenario = sim.load_scenario(self.scenario(path.parent, ["billing", "lost_card"]))
        offered = sim.run(scenario, seed=1).contacts["contact_type"].value_counts()
        assert offered.get("lost_card", 0) == (frame["contact_type"] == "lost card").sum()
        assert offered.get("billing", 0) == (frame["contact_type"] == "billing").sum()

    def test_a_type_the_trace_lacks_is_an_error(self, two_types):
        """A type with no rows in a trace of several: one line naming the types it has."""
        path, _ = two_types
        with pytest.raises(ScenarioError, match=r"contact_types\.cards\.arrivals\.trace: "
                                                 r"has no rows of contact type 'cards' "
                                                 r"\(it has billing, lost_card\)"):
            sim.load_scenario(self.scenario(path.parent, ["billing", "cards"]))


class TestOutsideHours:
    """A logged contact outside the opening hours is not replayed, as none is drawn then."""

    LOG = ("arrival,wait,outcome,handle\n"
           "2026-03-02T07:00:00,1,answered,60\n"   # before opening
           "2026-03-02T08:10:00,1,answered,60\n"
           "2026-03-02T09:00:00,1,answered,60\n"
           "2026-03-02T12:30:00,1,answered,60\n"   # after closing
           "2026-03-02T23:00:00,1,answered,60\n"   # after closing
           "2026-03-03T08:20:00,1,answered,60\n")
    IN_HOURS = (8 * 3600 + 600, 9 * 3600, 86400 + 8 * 3600 + 1200)

    def scenario_path(self, tmp_path, days: int = 2, cooldown: str = "0s"):
        (tmp_path / "calls.csv").write_text(self.LOG)
        path = tmp_path / "replay.yaml"
        path.write_text(SCENARIO.format(days=days, arrivals="{trace: calls.csv}")
                        + f"cooldown: {cooldown}\n")
        return path

    @pytest.mark.parametrize(("days", "cooldown"), [(2, "0s"), (1, "1d")])
    def test_only_contacts_in_hours_replayed(self, tmp_path, days, cooldown):
        """07:00, 12:30 and 23:00 in a center open 08:00-12:00 are offered to nobody.

        The 12:30 and 23:00 calls were answered at once by agents gone home, the 07:00
        one waited for opening; the second day's call is the cooldown's with days: 1.
        """
        scenario = sim.load_scenario(self.scenario_path(tmp_path, days, cooldown))
        contacts = sim.run(scenario, seed=1).contacts
        assert sorted(contacts["arrival"].tolist()) == pytest.approx(list(self.IN_HOURS))

    def test_replayed_are_the_expected_counts(self, tmp_path):
        """Staffing's expected counts and the run offer the same contacts (parity)."""
        scenario = sim.load_scenario(self.scenario_path(tmp_path))
        counts = expected_counts(scenario, scenario.contact_types["calls"].arrivals, "calls")
        assert len(sim.run(scenario, seed=1).contacts) == counts.sum() == len(self.IN_HOURS)

    @pytest.mark.parametrize("command", ["validate", "run"])
    def test_cli_prints_how_many(self, tmp_path, command):
        """A warning line names the trace and counts the contacts not replayed, exit 0."""
        path = self.scenario_path(tmp_path)
        args = [command, str(path)] + (["--no-report", "--out", str(tmp_path / "r")]
                                        if command == "run" else [])
        done = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True,
                              text=True)
        assert done.returncode == 0, done.stderr
        warnings = [line for line in done.stderr.splitlines() if "warning" in line]
        assert warnings == [f"{path}: warning: contact_types.calls.arrivals.trace: 3 of its 6 "
                            "contacts in the run's days arrive outside the opening hours "
                            "08:00-12:00: not replayed, as no drawn contact arrives then"]
