"""Backtest: the simulated and the logged KPIs are counted over the same contacts, alike.

A backtest is only a test of the model if both sides are measured the same way: the
same days, the same intervals and the run's own definitions of its KPIs. The logs here
are ccsim's own contacts (one replication), whose interval table the run also writes, so
the backtest's actual side must equal that table exactly.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import sim
from sim.backtest import BACKTEST_KPIS, backtest
from sim.calllog import CallLog, read_call_log
from sim.calllog_ccsim import ccsim_table
from sim.loader import scenario_from_dict


def _log(result) -> CallLog:
    """The first replication of a run as a call log."""
    contacts = result.contacts
    return CallLog("run", ccsim_table(contacts[contacts["replication"] == 0]))


class TestSameDays:
    """The simulated side covers the log's days, no more."""

    def test_cooldown_contacts_are_not_counted(self):
        """A scenario with a cooldown simulates the same offered contacts per day.

        Contacts of the cooldown come after the log's last day; they come from streams
        of their own, so the measured days' contacts are the same with or without one.
        """
        scenario = sim.load_scenario("scenarios/erlang_a.yaml",
                                     overrides={"warmup": 0, "days": 1})
        log = _log(sim.run(scenario, seed=3))
        plain = backtest(scenario, log, replications=2, seed=4)
        later = backtest(scenario.model_copy(update={"cooldown": 86400.0}), log,
                         replications=2, seed=4)
        np.testing.assert_array_equal(later.mean["offered"].to_numpy(),
                                      plain.mean["offered"].to_numpy())


def _two_types(definition: str) -> dict:
    """Calls (20 s) and chats with their own 2-minute threshold, on one busy pool."""
    kinds = {"calls": {}, "chats": {"service_level": {"threshold": "2m"}}}
    return {
        "name": "two thresholds", "days": 1, "open": "08:00", "close": "14:00",
        "interval": "1h", "service_level": {"threshold": "20s", "definition": definition},
        "contact_types": {name: {"arrivals": {"rate": "300/h"},
                                 "handle": {"dist": "exponential", "mean": "4m"},
                                 "patience": {"dist": "exponential", "mean": "2m"}, **own}
                          for name, own in kinds.items()},
        "agents": {"pool": {"skills": ["calls", "chats"], "staff": 40}},
    }


class TestSameDefinitions:
    """The log's service level is the run's KPI: its definition, each type's threshold."""

    @pytest.mark.parametrize("definition", ["offered", "answered", "short_abandons_excluded"])
    def test_actual_service_level_equals_the_runs(self, definition):
        """Backtesting a run against its own contacts: actual SL == intervals.csv's ``all``."""
        scenario = scenario_from_dict(_two_types(definition))
        result = sim.run(scenario, seed=5)
        bt = backtest(scenario, _log(result), replications=2, seed=6)
        theirs = result.intervals.query("contact_type == 'all'").set_index("start")
        np.testing.assert_allclose(bt.actual["service_level"].to_numpy(),
                                   theirs["service_level"].to_numpy(dtype=float), rtol=1e-12)
        assert bt.actual["abandon_rate"].to_numpy() == pytest.approx(
            theirs["abandon_rate"].to_numpy(dtype=float), rel=1e-12)


class TestPooledMean:
    """The simulated mean of a ratio is the pooled ratio over replications, as intervals.csv.

    An interval's service level over replications is answered in time / offered, both
    summed (:func:`sim.intervals.pool_intervals`); a mean of each replication's share
    over-weights replications with few callers and is another number.
    """

    @pytest.mark.parametrize("definition", ["offered", "short_abandons_excluded"])
    def test_mean_equals_the_runs_intervals(self, definition):
        """Backtest's simulated mean per interval == the same run's intervals.csv ``all``."""
        scenario = scenario_from_dict(_two_types(definition))
        scenario = scenario.model_copy(update={"agents": {"pool": scenario.agents["pool"]
                                                          .model_copy(update={"staff": 25})}})
        log = _log(sim.run(scenario, seed=5))
        bt = backtest(scenario, log, replications=4, seed=6)
        result = sim.run(scenario, seed=6, replications=4)  # the backtest's own run: 1 day
        theirs = result.intervals.query("contact_type == 'all'").set_index("start")
        for kpi in ("offered", "service_level", "asa", "abandon_rate"):
            np.testing.assert_allclose(bt.mean[kpi].to_numpy(),
                                       theirs[kpi].to_numpy(dtype=float), rtol=1e-12,
                                       err_msg=kpi)


def test_replayed_log_offers_every_logged_contact(tmp_path):
    """A scenario replaying the log (a trace) offers exactly the log's contacts per interval.

    Two weeks of weekdays: ten days with calls, twelve on the calendar. The trace keeps
    the calendar (its weekend is empty), so the run must cover all twelve days.
    """
    days = pd.bdate_range("2026-03-02", periods=10)
    minutes = np.arange(0, 240, 4)
    arrival = [(d + pd.Timedelta(hours=8, minutes=int(m))).isoformat()
               for d in days for m in minutes]
    path = tmp_path / "weekdays.csv"
    pd.DataFrame({"arrival": arrival, "wait": 1.0, "outcome": "answered",
                  "handle": 120.0}).to_csv(path, index=False)
    scenario = scenario_from_dict({
        "name": "replay", "open": "08:00", "close": "12:00", "interval": "1h",
        "contact_types": {"calls": {"arrivals": {"trace": path.name},
                                    "handle": {"dist": "exponential", "mean": "2m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 5}}}, base_dir=tmp_path)
    bt = backtest(scenario, read_call_log(path), replications=2, seed=1)
    assert bt.actual["offered"].to_numpy() == pytest.approx([15.0] * 4)
    np.testing.assert_array_equal(bt.mean["offered"].to_numpy(),
                                  bt.actual["offered"].to_numpy())
    # day by day too: each simulated day is the date it replays, the weekend skipped
    assert list(bt.daily.index) == list(days)
    np.testing.assert_array_equal(bt.daily["mean"].to_numpy(), [60.0] * 10)
    np.testing.assert_array_equal(bt.daily["actual"].to_numpy(), [60.0] * 10)



def weekday_backtest(tmp_path):
    """A backtest of ten weekdays (08:00-12:00, hourly intervals) and its figure."""
    from sim.fit_report import backtest_figure

    days = pd.bdate_range("2026-03-02", periods=10)
    arrival = [(d + pd.Timedelta(hours=8, minutes=int(m))).isoformat()
               for d in days for m in np.arange(0, 240, 4 + (d.day_of_week == 0))]
    path = tmp_path / "weekdays.csv"
    pd.DataFrame({"arrival": arrival, "wait": 1.0, "outcome": "answered",
                  "handle": 120.0}).to_csv(path, index=False)
    scenario = scenario_from_dict({
        "name": "daily", "open": "08:00", "close": "12:00", "interval": "1h",
        "contact_types": {"calls": {"arrivals": {"rate": "14/h"},
                                    "handle": {"dist": "exponential", "mean": "2m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 5}}})
    bt = backtest(scenario, read_call_log(path), replications=3, seed=1)
    return bt, backtest_figure(bt)


def test_figure_shows_each_open_day(tmp_path):
    """The backtest figure has a panel of offered contacts per open day of the log.

    Per interval, a week's days are pooled, so a misplaced Monday did not show in the
    figure; the daily comparison (``Backtest.daily``) was printed only. The panel plots
    the actual and the simulated mean per date, with the 95% band, labelled by weekday.
    """
    bt, fig = weekday_backtest(tmp_path)
    (daily,) = [ax for ax in fig.axes if ax.get_title().startswith("Offered per open day")]
    assert f"MAE {bt.daily_mae:.3g}" in daily.get_title()
    lines = {line.get_label(): line.get_ydata() for line in daily.get_lines()}
    np.testing.assert_array_equal(lines["actual"], bt.daily["actual"].to_numpy())
    np.testing.assert_array_equal(lines["simulated mean"], bt.daily["mean"].to_numpy())
    labels = [t.get_text() for t in daily.get_xticklabels()]
    assert labels[:2] == ["Mon\n2 Mar", "Tue\n3 Mar"] and len(labels) == 10
    fig.savefig(tmp_path / "bt.png")

def test_interval_panels_say_per_interval_and_read_clock_times(tmp_path):
    """The per-interval panels are titled per interval and ticked at whole clock hours.

    The offered panel plotted contacts per interval (a mean day) under the title "Offered
    per day", next to the panel of offered per open day, whose values are a whole day's;
    and its hour axis read 7.5, 10.0, 12.5. Its line must be the per-interval means, its
    title must not claim a day, and every tick label must be a clock time on the hour.
    """
    bt, fig = weekday_backtest(tmp_path)
    panels = [ax for ax in fig.axes if not ax.get_title().startswith("Offered per open day")]
    assert len(panels) == len(BACKTEST_KPIS)
    (offered,) = [ax for ax in panels if ax.get_title().startswith("Offered")]
    assert "per day" not in offered.get_title() and "per interval" in offered.get_title()
    actual = next(line for line in offered.get_lines() if line.get_label() == "actual")
    np.testing.assert_allclose(actual.get_ydata()[:-1], bt.actual["offered"].to_numpy())
    fig.canvas.draw()
    for ax in panels:
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert labels and all(re.fullmatch(r"\d\d:00", label) for label in labels), labels


class TestOutsideHours:
    """Contacts arriving outside the scenario's opening hours are compared on neither side.

    The simulated side has none (a scenario's arrivals fall in its hours), so counting
    the log's into the first or last interval would charge the model with them; they are
    left out of both sides, and how many is reported.
    """

    EXTRA = ("07:00", "12:30", "23:00")  # before opening, after closing, at night

    def write(self, tmp_path, extra: tuple[str, ...]):
        """Two days of a call every 4 minutes from 08:00 to 12:00, and ``extra`` calls."""
        days = pd.bdate_range("2026-03-02", periods=2)
        arrival = [(d + pd.Timedelta(hours=8, minutes=int(m))).isoformat()
                   for d in days for m in np.arange(0, 240, 4)]
        arrival += [f"2026-03-02T{clock}:00" for clock in extra]
        path = tmp_path / "log.csv"
        pd.DataFrame({"arrival": arrival, "wait": 1.0, "outcome": "answered",
                      "handle": 120.0}).to_csv(path, index=False)
        return path

    def scenario(self, tmp_path, arrivals: dict):
        return scenario_from_dict({
            "name": "hours", "open": "08:00", "close": "12:00", "interval": "1h",
            "contact_types": {"calls": {"arrivals": arrivals,
                                        "handle": {"dist": "exponential", "mean": "2m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 5}}}, base_dir=tmp_path)

    def test_logged_calls_outside_hours_not_in_any_interval(self, tmp_path):
        """The log's 15 calls per interval, not 16 at 08:00 and 11:00; 3 left out, said so."""
        scenario = self.scenario(tmp_path, {"rate": "15/h"})
        bt = backtest(scenario, read_call_log(self.write(tmp_path, self.EXTRA)),
                      replications=2, seed=1)
        assert bt.actual["offered"].to_numpy() == pytest.approx([15.0] * 4)
        assert bt.outside_actual == len(self.EXTRA)
        assert bt.outside_simulated == 0.0

    def test_replayed_calls_outside_hours_left_out_alike(self, tmp_path):
        """A trace does not replay them (none is drawn then): offered equal, 3 left out."""
        path = self.write(tmp_path, self.EXTRA)
        scenario = self.scenario(tmp_path, {"trace": path.name})
        bt = backtest(scenario, read_call_log(path), replications=2, seed=1)
        np.testing.assert_array_equal(bt.mean["offered"].to_numpy(),
                                      bt.actual["offered"].to_numpy())
        assert (bt.outside_actual, bt.outside_simulated) == (3, 0.0)

    def test_cli_says_how_many(self, tmp_path):
        """`ccsim backtest` prints how many logged contacts were left out, and why."""
        done = backtest_cli(tmp_path, self.write(tmp_path, self.EXTRA))
        assert ("outside opening hours 08:00-12:00, not compared: 3 logged contacts (2.4%), "
                "0 simulated per replication") in done.stdout
        assert ("days compared: 2 open days of the log; days with contacts outside opening "
                "hours only (closed), not compared: 0\n") in done.stdout


def backtest_cli(tmp_path, log):
    """``ccsim backtest`` of a center open 08:00-12:00 (15 calls an hour) on ``log``: rc 0."""
    import subprocess
    import sys

    yaml = tmp_path / "s.yaml"
    yaml.write_text("name: s\nopen: 08:00\nclose: 12:00\ninterval: 1h\ncontact_types:\n"
                    "  calls: {arrivals: {rate: 15/h},\n"
                    "          handle: {dist: exponential, mean: 2m}}\n"
                    "agents: {pool: {skills: [calls], staff: 5}}\n")
    done = subprocess.run([sys.executable, "-m", "sim", "backtest", str(yaml), str(log),
                           "-r", "2", "--out", str(tmp_path / "bt.png")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def test_cli_names_closed_days(tmp_path):
    """`ccsim backtest` says which days were closed (no contact in its opening hours)."""
    done = backtest_cli(tmp_path, TestClosedDays().write(tmp_path))
    assert ("days compared: 2 open days of the log; days with contacts outside opening "
            "hours only (closed), not compared: 1 (Tue 2026-03-03)") in done.stdout
    assert done.stdout.splitlines()[-1].startswith("MAE per interval: ")


class TestClosedDays:
    """A day of the log without a contact in the scenario's opening hours is a closed day.

    A log cannot tell a day the center was closed (a holiday: a few stray calls at night,
    or none) from a day nobody called; at the volumes a scenario is fitted to, the second
    does not happen. Such a day is not a day of the log: it does not divide the offered
    contacts per day and is not simulated, on either side; what is in the scenario's
    hours decides (open 24 hours, every day with a contact counts).
    """

    STRAYS = ("2026-03-03T07:00:00", "2026-03-03T23:00:00")  # Tuesday: out of hours only

    def write(self, tmp_path):
        """Monday and Wednesday: a call every 4 minutes 08:00-12:00; Tuesday: strays."""
        arrival = [(pd.Timestamp(d) + pd.Timedelta(hours=8, minutes=int(m))).isoformat()
                   for d in ("2026-03-02", "2026-03-04") for m in np.arange(0, 240, 4)]
        path = tmp_path / "log.csv"
        pd.DataFrame({"arrival": sorted(arrival + list(self.STRAYS)), "wait": 1.0,
                      "outcome": "answered", "handle": 120.0}).to_csv(path, index=False)
        return path

    def scenario(self, tmp_path, arrivals: dict, hours=("08:00", "12:00")):
        return scenario_from_dict({
            "name": "closed", "open": hours[0], "close": hours[1], "interval": "1h",
            "contact_types": {"calls": {"arrivals": arrivals,
                                        "handle": {"dist": "exponential", "mean": "2m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 5}}}, base_dir=tmp_path)

    def test_closed_day_does_not_dilute_offered(self, tmp_path):
        """15 calls per interval per day (30 over 2 open days), not 10 (over 3); said so."""
        path = self.write(tmp_path)
        bt = backtest(self.scenario(tmp_path, {"rate": "15/h"}), read_call_log(path),
                      replications=10, seed=1)
        assert bt.actual["offered"].to_numpy() == pytest.approx([15.0] * 4)
        assert list(bt.closed_days) == [pd.Timestamp("2026-03-03")]
        # the simulated side: 2 days of 15/h; over 2 x 10 replications of an interval,
        # the mean is within 4.5 Poisson standard deviations of 15
        sd = np.sqrt(15.0 / (2 * 10))
        assert np.abs(bt.mean["offered"].to_numpy() - 15.0).max() < 4.5 * sd

    def test_replayed_closed_day_left_out_alike(self, tmp_path):
        """A trace replays the strays too: both sides count 2 days, offered equal (15)."""
        path = self.write(tmp_path)
        bt = backtest(self.scenario(tmp_path, {"trace": path.name}), read_call_log(path),
                      replications=2, seed=1)
        np.testing.assert_array_equal(bt.mean["offered"].to_numpy(), [15.0] * 4)
        np.testing.assert_array_equal(bt.actual["offered"].to_numpy(), [15.0] * 4)

    def test_open_all_day_counts_every_day(self, tmp_path):
        """Open 24 hours, the strays are in hours: Tuesday is a day of the log."""
        path = self.write(tmp_path)
        bt = backtest(self.scenario(tmp_path, {"rate": "1/h"}, ("00:00", "24:00")),
                      read_call_log(path), replications=2, seed=1)
        assert len(bt.closed_days) == 0
        assert bt.actual["offered"].sum() == pytest.approx((120 + 2) / 3)


def test_no_contact_in_hours_is_an_error(tmp_path):
    """A log without a contact in the opening hours has nothing to compare: one line."""
    from sim.calllog import CallLogError

    path = tmp_path / "night.csv"
    pd.DataFrame({"arrival": list(TestClosedDays.STRAYS), "wait": 1.0,
                  "outcome": "answered", "handle": 60.0}).to_csv(path, index=False)
    scenario = TestClosedDays().scenario(tmp_path, {"rate": "15/h"})
    with pytest.raises(CallLogError, match=r"night.csv: arrival: no contact arrives within "
                                           r"the scenario's opening hours \(08:00-12:00\)"):
        backtest(scenario, read_call_log(path), replications=2, seed=1)


class TestTypeNames:
    """The log's contact types are read as ``ccsim fit`` and a trace read them.

    ``a b`` and ``a_b`` both become the scenario name ``a_b``: ``CallLog.type_names``
    refuses that (a fit of them as one is a fit of neither); the backtest must not take
    both silently as ``a_b``.
    """

    def write(self, tmp_path):
        """An hour of calls of types ``a b`` and ``a_b``, and a scenario of ``a_b`` and ``c``."""
        arrival = [f"2026-03-02T08:{m:02d}:00" for m in range(0, 60, 4)]
        log = tmp_path / "log.csv"
        pd.DataFrame({"arrival": arrival, "contact_type": ["a b", "a_b"] * 7 + ["c"],
                      "wait": 1.0, "outcome": "answered", "handle": 60.0}).to_csv(log,
                                                                                index=False)
        yaml = tmp_path / "s.yaml"
        yaml.write_text("name: s\nopen: 08:00\nclose: 09:00\ninterval: 1h\ncontact_types:\n"
                        "  a_b: {arrivals: {rate: 7/h}, handle: {dist: exponential, mean: 1m},"
                        " service_level: {threshold: 1m}}\n"
                        "  c: {arrivals: {rate: 1/h}, handle: {dist: exponential, mean: 1m}}\n"
                        "agents: {pool: {skills: [a_b, c], staff: 3}}\n")
        return log, yaml

    def test_colliding_names_refused(self, tmp_path):
        """``backtest`` raises CallLogError naming both types, as ``fit`` does."""
        from sim.calllog import CallLogError

        log, yaml = self.write(tmp_path)
        with pytest.raises(CallLogError, match=r"'a b' and 'a_b' both become .*'a_b'"):
            backtest(sim.load_scenario(yaml), read_call_log(log), replications=2, seed=1)

    def test_cli_one_line_exit_2(self, tmp_path):
        """`ccsim backtest` prints one line naming the log and the column, exit code 2."""
        import subprocess
        import sys

        log, yaml = self.write(tmp_path)
        done = subprocess.run([sys.executable, "-m", "sim", "backtest", str(yaml), str(log),
                               "-r", "2", "--out", str(tmp_path / "bt.png")],
                              capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{log}: contact_type: 'a b' and 'a_b'")
        assert not (tmp_path / "bt.png").exists()


def test_cli_gives_a_shares_error_in_points(tmp_path):
    """The MAE of a share is in percentage points ('4.1 pts'), in the line and the titles.

    It read '4.1%', which reads as a relative error (an outside check).
    """
    import re

    from sim import fit_report

    done = backtest_cli(tmp_path, TestClosedDays().write(tmp_path))
    line = done.stdout.splitlines()[-1]
    assert re.search(r"service_level [\d.]+ pts, asa [\d.]+ s, abandon_rate [\d.]+ pts$",
                     line), line
    titles = []
    real = fit_report.backtest_figure

    def kept(bt):
        fig = real(bt)
        titles.extend(ax.get_title() for ax in fig.axes)
        return fig

    from unittest import mock

    from click.testing import CliRunner

    from sim.cli import main
    with mock.patch.object(fit_report, "backtest_figure", kept):
        CliRunner().invoke(main, ["backtest", str(tmp_path / "s.yaml"),
                                  str(TestClosedDays().write(tmp_path)), "-r", "2",
                                  "--out", str(tmp_path / "bt2.png")])
    shares = [t for t in titles if t.startswith(("Service level", "Abandon rate"))]
    assert len(shares) == 2 and all(re.search(r"MAE [\d.]+ pts$", t) for t in shares), titles
