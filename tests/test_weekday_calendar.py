"""One weekday per run day: arrivals, shifts, the schedule search and ccsim's own log agree.

With day factors named by day of the week (``{monday: 2, ...}``) a Monday-to-Friday run
is Mon, Tue, ..., Fri, Mon, ...: run day 5 is a Monday. A shift's ``days``, the week plan
of ``ccsim schedule --days-per-agent`` and the dates ``contacts.parquet`` is read back
with must all say so too (:func:`sim.weekdays.weekday_of`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.arrivals import expected_counts
from sim.backtest import backtest, on_dates
from sim.calllog import CallLogError, read_call_log
from sim.cli import main
from sim.loader import scenario_from_dict
from sim.requirement_sources import requirement_from_staffing
from sim.results_folder import write_run
from sim.saved_week import RUN_WEEK_KEY, week_from_metadata, week_metadata
from sim.scenario_errors import ScenarioError
from sim.schedule_outputs import shifts_table
from sim.shift_loop import Settings, schedule
from sim.shift_templates import default_templates
from sim.staffing import Goal, erlang_requirement
from sim.weekdays import WEEKDAYS, calendar_days, weekday_of

HOUR = 3600.0
WORKWEEK = ("monday", "tuesday", "wednesday", "thursday", "friday")
MONDAY_HEAVY = {"monday": 2.0, "tuesday": 1.0, "wednesday": 1.0, "thursday": 1.0,
                "friday": 1.0}


def workweek_data(days: int = 10, shift_days=None, factors=None, rate: str = "60/h") -> dict:
    """A Monday-to-Friday center, 08:00-10:00; ``team`` works one shift (on ``shift_days``)."""
    shift = {"start": "08:00", "length": "2h", "count": 4}
    if shift_days is not None:
        shift["days"] = shift_days
    return {"name": "workweek", "seed": 3, "days": days, "open": "08:00", "close": "10:00",
            "interval": "1h",
            "contact_types": {"calls": {
                "arrivals": {"rate": rate, "day_factors": factors or MONDAY_HEAVY},
                "handle": {"dist": "exponential", "mean": "2m"},
                "patience": {"dist": "exponential", "mean": "1m"}}},
            "agents": {"team": {"skills": ["calls"], "shifts": [shift]}}}


def staffed_days(scenario) -> list[int]:
    """The run days on which ``team`` has anyone on the phones."""
    on = requirement_from_staffing(scenario)[0].reshape(scenario.days, -1)
    return [int(d) for d in np.flatnonzero(on.max(axis=1) > 0)]


class TestWeekdayOf:
    def test_named_run_cycles_its_days_from_monday(self):
        """Mon-Fri named: run day 5 is a Monday (0), day 9 a Friday (4)."""
        sc = scenario_from_dict(workweek_data())
        assert [weekday_of(sc, d) for d in range(10)] == [0, 1, 2, 3, 4] * 2

    def test_listed_factors_have_no_weekday(self):
        """A list of factors cycles from day 0, whatever weekday that is: none is named."""
        sc = scenario_from_dict(workweek_data(factors=[1.0, 2.0]))
        assert weekday_of(sc, 3) is None


class TestCalendar:
    @given(named=st.sets(st.integers(0, 6), min_size=1), days=st.integers(1, 30),
           skip=st.lists(st.integers(0, 29), max_size=5))
    @settings(max_examples=60, deadline=None)
    def test_dates_fall_on_each_days_weekday(self, named, days, skip):
        """Dated days rise, each on its own weekday, whether cycled or listed (holidays out)."""
        factors = {WEEKDAYS[w].value: 1.0 for w in named}
        sc = scenario_from_dict(workweek_data(days=days, factors=factors))
        cycled = [weekday_of(sc, d) for d in range(days)]
        assert cycled == [sorted(named)[d % len(named)] for d in range(days)]
        dates = pd.date_range("2026-01-05", periods=days + len(skip)).delete(
            sorted({k for k in skip if k < days + len(skip)}))[:days]
        for run in (sc, on_dates(sc, dates)):
            offsets = calendar_days(run, days)
            assert np.all(np.diff(offsets) >= 1)
            assert [int(o) % 7 for o in offsets] == [weekday_of(run, d) for d in range(days)]
            # what contacts.parquet carries dates every day alike, a cooldown's days too
            carried = week_from_metadata(week_metadata(run)[RUN_WEEK_KEY])
            np.testing.assert_array_equal(carried.calendar(days + 3),
                                          calendar_days(run, days + 3))

    def test_weekdays_one_per_day(self):
        """A run's ``weekdays`` lists one weekday per run day."""
        with pytest.raises(ScenarioError, match=r"weekdays: must list one weekday per day of "
                                                r"the run \(10\), got 2"):
            scenario_from_dict({**workweek_data(), "weekdays": ["monday", "Tuesday"]})

    def test_weekdays_need_named_factors(self):
        """Listed weekdays without named day factors would be read by nothing."""
        with pytest.raises(ScenarioError, match="weekdays: lists the weekday of each run day, "
                                                "but no contact type names"):
            scenario_from_dict({**workweek_data(days=1, factors=[1.0]),
                                "weekdays": ["monday"]})

    def test_a_shorter_run_keeps_its_weeks_shifts(self):
        """Three days of a Mon-Fri week: a Thursday shift is of the week, not refused."""
        sc = scenario_from_dict(workweek_data(days=3, shift_days=["thursday"]))
        assert staffed_days(sc) == []


class TestShiftDays:
    @pytest.mark.parametrize("days", [[0], ["monday"], ["Monday"]])
    def test_monday_shift_staffs_both_mondays(self, days):
        """``days: [0]`` (0 = Monday) or ``[monday]`` staff run days 0 and 5 of a Mon-Fri run.

        Counted as ``d % 7`` from day 0, the shift was worked on days 0 and 7 (a
        Wednesday of the run) and not on the second Monday.
        """
        sc = scenario_from_dict(workweek_data(shift_days=days))
        assert staffed_days(sc) == [0, 5]
        contacts = sim.run(sc, seed=4).contacts
        answered = contacts[contacts["answered"].astype(bool)]
        assert sorted(set((answered["arrival"] // 86400).astype(int))) == [0, 5]

    def test_listed_factors_keep_counting_from_day_0(self):
        """Without named days a shift's ``days`` are still ``d % 7`` (golden records kept)."""
        sc = scenario_from_dict(workweek_data(shift_days=[0], factors=[1.0]))
        assert staffed_days(sc) == [0, 7]

    @pytest.mark.parametrize(("days", "factors", "reason"), [
        (["saturday"], None, "'saturday' is not a day of this run (monday, tuesday, "
                             "wednesday, thursday and friday"),
        ([1, 5], None, "5 (saturday) is not a day of this run"),
        (["monday"], [1.0, 2.0], "names a day of the week, but the run's days are none"),
        (["someday"], None, "must be a day of the week"),
    ])
    def test_refused_in_one_line(self, tmp_path, days, factors, reason):
        """A shift day the run never has: file, field path, reason; exit 2."""
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(workweek_data(shift_days=days, factors=factors)),
                        encoding="utf-8")
        result = CliRunner().invoke(main, ["validate", str(path)])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        bad = 1 if days == [1, 5] else 0
        assert lines[0].startswith(f"{path}: agents.team.shifts[0].days[{bad}]: "), lines[0]
        assert reason in lines[0], lines[0]


class TestWeekPlan:
    def test_plans_the_runs_weekdays_by_name(self):
        """``--days-per-agent``: five plan days, Monday to Friday, each worked on its own days.

        Counted as ``d % 7``, a 10-day Mon-Fri run gave seven plan days ("day 0".."day 6"),
        the second Monday planned as a "day 5" with Tuesday's volume.
        """
        sc = scenario_from_dict(workweek_data(rate="120/h"))
        goal = Goal(0.8, 20.0)
        plan_settings = Settings(default_templates([2 * HOUR], 1800.0), goal, days_per_agent=4,
                                 replications=2, holdout_seed=5, max_rounds=1)
        result = schedule(sc, erlang_requirement(sc, goal), plan_settings)
        plan = result.plans["team"]
        assert plan.need.shape[0] == 5
        assert list(dict.fromkeys(shifts_table(result)["day"])) == list(WORKWEEK)
        written = {w for s in result.scenario.agents["team"].shifts for w in s.days}
        assert written == set(WORKWEEK)
        on = requirement_from_staffing(result.scenario)[0].reshape(sc.days, -1)
        # Mondays (days 0 and 5) carry twice the volume: both get Monday's plan
        np.testing.assert_array_equal(on[0], on[5])
        assert on[0].sum() > on[1].sum()
        for d in range(5):
            np.testing.assert_array_equal(on[d], on[d + 5])


class TestOwnOutput:
    def test_contacts_are_dated_by_the_runs_weekdays(self, tmp_path):
        """Run day 5 of a Mon-Fri run is read back as the second Monday, no weekend between."""
        sc = scenario_from_dict(workweek_data())
        write_run(sim.run(sc, seed=8), tmp_path)
        log = read_call_log(tmp_path / "contacts.parquet")
        expected = pd.bdate_range("2026-01-05", periods=10)
        assert list(log.days) == list(expected)

    def test_backtest_against_its_own_two_weeks_aligns(self, tmp_path):
        """Each open day of its own output is simulated as its own weekday.

        Per day the simulated mean of R replications and the logged count differ by a
        Poisson count's noise: sd sqrt(lambda (1 + 1/R)) with lambda the day's expected
        contacts; 4 sd bound each of the 10 days (a 6e-5 two-sided chance each). Dated
        2026-01-05 + d, days 5 and 6 were a weekend the scenario does not open: simulated
        0 against about 120 logged.
        """
        sc = scenario_from_dict(workweek_data(shift_days=["monday", 1, 2, 3, 4]))
        write_run(sim.run(sc, seed=8), tmp_path)
        log = read_call_log(tmp_path / "contacts.parquet")
        reps = 20
        bt = backtest(sc, log, replications=reps, seed=11)
        assert list(bt.daily.index) == list(pd.bdate_range("2026-01-05", periods=10))
        expected = np.array([120.0 * MONDAY_HEAVY[w] for w in WORKWEEK] * 2)
        bound = 4 * np.sqrt(expected * (1 + 1 / reps))
        diff = np.abs(bt.daily["mean"].to_numpy() - bt.daily["actual"].to_numpy())
        assert np.all(diff <= bound), (diff, bound)

    def test_backtest_dates_give_shifts_their_weekday(self):
        """A Monday holiday: run day 4 is the first Friday, day 5 the second Tuesday.

        The backtest's run stands for the log's dates; a Tuesday shift is worked on the
        run days that are Tuesdays (1 and 5), as the day factors are given.
        """
        sc = scenario_from_dict(workweek_data(shift_days=["tuesday"]))
        dates = pd.bdate_range("2026-01-05", periods=10).delete(5)
        run = on_dates(sc, dates)
        assert [weekday_of(run, d) for d in range(9)] == [0, 1, 2, 3, 4, 1, 2, 3, 4]
        assert staffed_days(run) == [1, 5]
        counts = expected_counts(run, run.contact_types["calls"].arrivals).reshape(9, -1)
        assert counts.sum(axis=1).tolist() == [240.0, *[120.0] * 8]

    def test_unreadable_scenario_beside_is_one_line(self, tmp_path):
        """A scenario.json beside the contacts that cannot be read: named, not a traceback.

        The contacts are an older ccsim's (no week of their own): the scenario.json dates them.
        """
        sc = scenario_from_dict(workweek_data(days=2))
        write_run(sim.run(sc, seed=8), tmp_path)
        contacts = tmp_path / "contacts.parquet"
        pd.read_parquet(contacts).to_parquet(contacts, index=False)
        (tmp_path / "scenario.json").write_text("{", encoding="utf-8")
        with pytest.raises(CallLogError, match=r"contacts.parquet: its run's days cannot be "
                                               r"dated: .*scenario.json: cannot be read"):
            read_call_log(tmp_path / "contacts.parquet")


class TestContactsCarryTheirWeek:
    """A contacts.parquet copied out of its folder is dated as in it (``ccsim.run_week``)."""

    @staticmethod
    def _written(tmp_path, data: dict, streamed: bool):
        """A run's folder, written in one piece or streamed by ``ccsim run``."""
        folder = tmp_path / "run"
        if streamed:
            path = tmp_path / "workweek.yaml"
            path.write_text(yaml.safe_dump(data), encoding="utf-8")
            result = CliRunner().invoke(main, ["run", str(path), "--seed", "8", "--workers", "1",
                                               "--no-report", "-q", "--out", str(folder)])
            assert result.exit_code == 0, result.output
        else:
            write_run(sim.run(scenario_from_dict(data), seed=8), folder)
        return folder

    @staticmethod
    def _alone(folder, tmp_path):
        """The folder's contacts.parquet copied alone into another folder."""
        copy = tmp_path / "copy"
        copy.mkdir()
        (copy / "contacts.parquet").write_bytes((folder / "contacts.parquet").read_bytes())
        return copy / "contacts.parquet"

    @pytest.mark.parametrize("streamed", [False, True])
    def test_copied_alone_it_keeps_its_weekdays(self, tmp_path, streamed):
        """Mon-Fri, 10 days: day 5 is the second Monday, without the scenario.json beside it.

        Before, a copy was dated day 0 = Monday, day d = d days on: days 5 and 6 a weekend.
        """
        folder = self._written(tmp_path, workweek_data(), streamed)
        log = read_call_log(self._alone(folder, tmp_path))
        assert list(log.days) == list(pd.bdate_range("2026-01-05", periods=10))
        assert list(log.days) == list(read_call_log(folder / "contacts.parquet").days)
        assert log.warnings == ()

    def test_backtest_dates_are_carried_too(self, tmp_path):
        """A backtest's run (weekdays listed, a Monday holiday) is dated by its listed days."""
        dates = pd.bdate_range("2026-01-05", periods=10).delete(5)
        run = on_dates(scenario_from_dict(workweek_data()), dates)
        write_run(sim.run(run.model_copy(update={"days": 9}), seed=8), tmp_path / "run")
        log = read_call_log(self._alone(tmp_path / "run", tmp_path))
        assert list(log.days) == list(dates[:9])

    def test_plain_days_say_so(self, tmp_path):
        """A run of no weekday copied alone: day d is d days on, and no warning."""
        folder = self._written(tmp_path, workweek_data(days=3, factors=[1.0, 2.0]), False)
        log = read_call_log(self._alone(folder, tmp_path))
        assert list(log.days) == list(pd.date_range("2026-01-05", periods=3))
        assert log.warnings == ()

    @pytest.mark.parametrize("command", ["fit", "backtest"])
    def test_a_file_that_says_nothing_warns(self, tmp_path, command):
        """No metadata (an older ccsim's), no scenario.json: dated from Monday, one warning line."""
        folder = self._written(tmp_path, workweek_data(days=3), False)
        older = tmp_path / "older.parquet"
        pd.read_parquet(folder / "contacts.parquet").to_parquet(older, index=False)
        args = (["fit", str(older), "--no-report", "--out", str(tmp_path / "fitted.yaml")]
                if command == "fit" else
                ["backtest", str(tmp_path / "scenario.yaml"), str(older), "-r", "2",
                 "--out", str(tmp_path / "bt.png")])
        (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(workweek_data(days=3)),
                                                encoding="utf-8")
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        warned = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
        assert len(warned) == 1, result.stderr
        assert warned[0].startswith(f"warning: {older}: "), warned[0]
        assert "Monday" in warned[0] and "scenario.json" in warned[0], warned[0]
        assert read_call_log(older).warnings == (warned[0].removeprefix("warning: "),)

    def test_a_trace_that_says_nothing_warns(self, tmp_path):
        """The same file replayed as a scenario's trace: the warning reaches the user too.

        Before, loading the scenario read the log and dropped its warnings.
        """
        folder = self._written(tmp_path, workweek_data(days=3), False)
        older = tmp_path / "older.parquet"
        pd.read_parquet(folder / "contacts.parquet").to_parquet(older, index=False)
        data = workweek_data(days=3)
        for ct in data["contact_types"].values():
            ct["arrivals"] = {"trace": "older.parquet"}
        scenario = tmp_path / "replay.yaml"
        scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
        result = CliRunner().invoke(main, ["validate", str(scenario)])
        assert result.exit_code == 0, result.output
        warned = [line for line in result.stderr.splitlines()
                  if "does not say which weekday" in line]
        assert warned and all(line.startswith(f"{scenario}: warning: contact_types.")
                              for line in warned), result.stderr
        assert ".arrivals.trace: older.parquet: does not say" in warned[0], warned[0]

    @pytest.mark.parametrize("value", [b"{not json", b"[1, 2]", b'{"cycle": [7]}',
                                       b'{"cycle": []}', b'{"cycle": [0], "listed": "x"}',
                                       b'{"cycle": [true]}', b'{"cycle": [4, 0]}'])
    def test_damaged_metadata_is_one_line(self, tmp_path, value):
        """A ``ccsim.run_week`` that is not what ccsim writes: file and key named, exit 2."""
        import pyarrow.parquet as pq

        folder = self._written(tmp_path, workweek_data(days=2), False)
        table = pq.read_table(folder / "contacts.parquet")
        damaged = tmp_path / "damaged.parquet"
        pq.write_table(table.replace_schema_metadata(
            {**table.schema.metadata, b"ccsim.run_week": value}), damaged)
        result = CliRunner().invoke(main, ["fit", str(damaged), "--no-report",
                                           "--out", str(tmp_path / "fitted.yaml")])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"{damaged}: ccsim.run_week: "), lines[0]
