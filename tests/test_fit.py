"""Fitting a scenario from a call log: parameter recovery, censored patience, round trip.

Logs come from two sources that share no code: ccsim itself, and the small numpy
M/M/c+M generator in tests/calllog_gen.py. Tolerances are the issue's acceptance
figures where it sets them, else confidence intervals computed from the data.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from calllog_gen import generate_log
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sim
from sim.calllog import CallLog, CallLogError, parse_columns, read_call_log
from sim.fit import fit_durations, fit_log, fit_patience
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict

# a day of 16 half-hour intervals, busier mid-morning and mid-afternoon
PROFILE = [120, 160, 200, 240, 260, 250, 220, 200, 190, 210, 240, 250, 230, 190, 150, 110]
TRUE = {"handle_mean": 240.0, "handle_cv": 0.8, "patience_mean": 300.0, "agents": 32}


@pytest.fixture(scope="module")
def independent(tmp_path_factory):
    """Ten weekdays of an independent M/M/c+M-like log (lognormal handle), as CSV."""
    frame = generate_log(np.random.default_rng(2026), per_interval=PROFILE, interval=1800.0,
                         open_s=8 * 3600.0, days=10, agents=TRUE["agents"],
                         handle_mean=TRUE["handle_mean"], handle_cv=TRUE["handle_cv"],
                         patience_mean=TRUE["patience_mean"])
    path = tmp_path_factory.mktemp("log") / "calls.csv"
    frame.to_csv(path, index=False)
    return path, fit_log(read_call_log(path), 1800.0)


class TestAcceptance:
    """The issue's acceptance checks on a log written by an independent simulation."""

    def test_handle_mean_within_3_percent(self, independent):
        """The chosen family's mean is within 3% of the true handle mean."""
        _, fit = independent
        handle = fit.types["calls"].handle
        assert handle.family == "lognormal"  # AIC picks the true family
        assert handle.spec["mean"] == pytest.approx(TRUE["handle_mean"], rel=0.03)
        low, high = handle.mean_ci
        assert low <= TRUE["handle_mean"] <= high

    def test_patience_mean_within_15_percent(self, independent):
        """Censored patience is within 15% of the truth."""
        _, fit = independent
        patience = fit.types["calls"].patience
        assert patience.best.frozen.mean() == pytest.approx(TRUE["patience_mean"], rel=0.15)

    def test_arrivals_per_interval_within_8_percent_on_average(self, independent):
        """Mean relative error of the per-interval means is under 8%."""
        _, fit = independent
        got = np.array(fit.types["calls"].arrivals.per_interval)
        assert np.mean(np.abs(got / np.array(PROFILE) - 1)) < 0.08
        assert fit.open == 8 * 3600 and fit.close == 16 * 3600

    def test_fitted_scenario_reproduces_abandon_rate(self, independent):
        """Run with the true staffing, the fitted scenario abandons like the log (25%)."""
        _, fit = independent
        data = scenario_dict(fit, "fitted", staff=[TRUE["agents"]] * 16)
        data["days"] = 5
        result = sim.run(scenario_from_dict(data), seed=3, replications=2)
        logged = fit.types["calls"].abandon_rate
        assert 0.02 < logged < 0.15  # the log is a test of patience at all
        assert result.summary["abandon_rate"] == pytest.approx(logged, rel=0.25)


class TestPatience:
    """Patience from censored waits, against the naive abandon-times-only estimate."""

    @pytest.fixture(scope="class")
    @classmethod
    def light(cls):
        """A log with about 4% abandonment: most callers are answered before giving up."""
        frame = generate_log(np.random.default_rng(7), per_interval=[300] * 16,
                             interval=1800.0, open_s=8 * 3600.0, days=4, agents=41,
                             handle_mean=240.0, patience_mean=600.0)
        return frame

    def test_recovered_where_naive_is_5x_off(self, light):
        """4% abandon: censored within 15%, naive off by 5x or more."""
        abandoned = (light["outcome"] == "abandoned").to_numpy()
        assert 0.02 <= abandoned.mean() <= 0.06
        fit = fit_patience(light["wait"].to_numpy(), abandoned)
        assert fit.best.frozen.mean() == pytest.approx(600.0, rel=0.15)
        assert 600.0 / fit.naive_mean >= 5.0
        exp = next(f for f in fit.fits if f.family == "exponential")
        low, high = exp.mean_ci
        assert low <= 600.0 <= high

    def test_exponential_closed_form_matches_scipy(self, light):
        """The closed-form censored exponential MLE equals scipy's CensoredData fit."""
        abandoned = (light["outcome"] == "abandoned").to_numpy()
        wait = light["wait"].to_numpy()
        fit = fit_patience(wait, abandoned)
        exp = next(f for f in fit.fits if f.family == "exponential")
        data = stats.CensoredData(uncensored=np.maximum(wait[abandoned], 1e-3),
                                  right=wait[~abandoned & (wait > 0)])
        _, scale = stats.expon.fit(data, floc=0)
        assert exp.frozen.mean() == pytest.approx(scale, rel=1e-4)

    def test_kaplan_meier_agrees_with_the_fit(self, light):
        """Where KM is defined, its survival is within its 95% band of the fitted curve."""
        abandoned = (light["outcome"] == "abandoned").to_numpy()
        fit = fit_patience(light["wait"].to_numpy(), abandoned)
        sf = fit.km.sf
        t = np.quantile(sf.quantiles, 0.5)
        ci = sf.confidence_interval(0.95)
        assert ci.low.evaluate(t) <= fit.best.frozen.sf(t) <= ci.high.evaluate(t)

    def test_nobody_abandoned_means_no_patience(self):
        """Without abandons, patience is not estimated (it cannot be told from infinite)."""
        assert fit_patience(np.array([1.0, 5.0, 0.0]), np.zeros(3, bool)) is None

    @pytest.mark.parametrize("first_wait", [0.0, 3.0])
    def test_abandons_after_equal_waits(self, first_wait):
        """Abandons all at one wait, few answered callers waiting: a valid fit, no FitError.

        Whole-second ACD logs of a quiet center look like this: lognormal and gamma have
        no spread to fit (or fit a cv of 0, which a scenario refuses); the exponential
        (closed form) still fits.
        """
        fit = fit_patience(np.array([first_wait, 0.0, 0.0, 5.0, 5.0]),
                           np.array([False, False, False, True, True]))
        assert fit is not None
        assert 0 < fit.best.spec["mean"] < float("inf")
        assert fit.best.spec.get("cv", 1.0) > 0, fit.best.spec


class TestHandle:
    """Handle-time families by maximum likelihood and AIC."""

    @pytest.mark.parametrize(("family", "draw"), [
        ("exponential", lambda r: r.exponential(200.0, 4000)),
        ("gamma", lambda r: r.gamma(4.0, 50.0, 4000)),
        ("lognormal", lambda r: r.lognormal(np.log(200.0) - 0.18, 0.6, 4000)),
    ])
    def test_aic_picks_the_true_family(self, family, draw):
        """AIC chooses the family that generated the data, and its mean CI covers 200 s."""
        fits = fit_durations(draw(np.random.default_rng(11)))
        assert fits[0].family == family
        low, high = fits[0].mean_ci
        assert low <= 200.0 <= high


class TestRoundTrip:
    """simulate -> export contacts.parquet -> fit -> simulate: the same KPIs within CIs."""

    def test_round_trip(self, tmp_path):
        """KPIs of the refitted scenario match the original's within their CIs."""
        data = {
            "name": "original", "days": 5, "open": "08:00", "close": "16:00",
            "interval": "30m",
            "contact_types": {"calls": {
                "arrivals": {"per_interval": [150] * 16},
                "handle": {"dist": "gamma", "mean": "4m", "cv": 0.6},
                "patience": {"dist": "exponential", "mean": "4m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 20}},
        }
        original = sim.run(scenario_from_dict(data), seed=5, replications=4)
        path = tmp_path / "contacts.parquet"
        original.contacts.to_parquet(path)
        fit = fit_log(read_call_log(path), 1800.0)
        calls = fit.types["calls"]
        assert calls.handle.family == "gamma"
        assert calls.handle.spec["mean"] == pytest.approx(240.0, rel=0.03)
        refit = scenario_dict(fit, "refit", staff=[20] * 16)
        refit["days"] = 5
        again = sim.run(scenario_from_dict(refit), seed=6, replications=4)
        for kpi in ("service_level", "asa", "abandon_rate", "offered"):
            a, b = original.summary[kpi], again.summary[kpi]
            # difference of two independent means: half-widths add in quadrature
            half = np.hypot(original.ci[kpi], again.ci[kpi])
            # the refit estimates from one replication's log: allow its own error too
            assert abs(a - b) <= 2.0 * half + 0.05 * abs(a), kpi


class TestLogs:
    """Reading logs: formats, column maps and one-line errors with row numbers."""

    def write(self, tmp_path, text):
        path = tmp_path / "log.csv"
        path.write_text(text)
        return path

    def test_column_named_twice(self):
        """arrival=a,arrival=b: which one was meant? Refused, not the last silently."""
        with pytest.raises(ValueError, match=r"^'arrival' is mapped twice \('a', then 'b'\)$"):
            parse_columns("arrival=a,wait=w,arrival=b")

    @pytest.mark.parametrize("interval", ["1s", "59s"])
    def test_cli_interval_under_a_minute(self, tmp_path, interval):
        """--interval under a scenario's minimum is blamed on --interval, not on the output."""
        path = self.write(tmp_path, "arrival,wait,outcome,handle\n"
                                    "2026-03-02T08:00:00,1,answered,100\n")
        out = tmp_path / "new" / "f.yaml"
        done = subprocess.run([sys.executable, "-m", "sim", "fit", str(path), "--interval",
                               interval, "--out", str(out)], capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"--interval: must be at least 1m, got {interval}"), line
        assert not out.exists()

    def test_columns_map_other_names(self, tmp_path):
        """--columns maps the log's names to the canonical ones."""
        path = self.write(tmp_path, "Start,Q,Res,T\n2026-03-02T08:00:01,3,answered,100\n"
                                    "2026-03-02T08:01:00,7,abandoned,\n")
        log = read_call_log(path, parse_columns("arrival=Start,wait=Q,outcome=Res,handle=T"))
        assert list(log.table["outcome"]) == ["answered", "abandoned"]
        assert log.table["handle"].iloc[0] == 100.0 and np.isnan(log.table["handle"].iloc[1])

    def test_timestamps_instead_of_wait(self, tmp_path):
        """queue_start/answer/end give wait and handle."""
        path = self.write(tmp_path, "arrival,queue_start,answer,end,outcome\n"
                          "2026-03-02T08:00:00,2026-03-02T08:00:10,2026-03-02T08:00:40,"
                          "2026-03-02T08:05:40,answered\n")
        row = read_call_log(path).table.iloc[0]
        assert (row["wait"], row["handle"]) == (30.0, 300.0)

    def test_daylight_saving_change_keeps_local_times(self, tmp_path):
        """A log across a DST change (+01:00, then +02:00) is read in local clock time."""
        path = self.write(tmp_path, "arrival,wait,outcome,handle\n"
                          "2026-03-28T08:00:00+01:00,3,answered,100\n"
                          "2026-03-30T08:00:00+02:00,7,answered,100\n"
                          "2026-03-30T09:00:00,1,abandoned,\n")
        arrival = read_call_log(path).table["arrival"]
        assert list(arrival.dt.strftime("%m-%d %H:%M")) == ["03-28 08:00", "03-30 08:00",
                                                            "03-30 09:00"]

    def test_cli_daylight_saving_change(self, tmp_path):
        """`ccsim fit` on a log across a DST change writes a scenario, no internal error."""
        rows = [f"2026-03-{day}T{hour}:{minute:02d}:00{offset},{minute % 7},answered,"
                f"{100 + minute}" for day, offset in (("27", "+01:00"), ("30", "+02:00"))
                for hour in ("08", "09") for minute in range(0, 60, 5)]
        path = self.write(tmp_path, "arrival,wait,outcome,handle\n" + "\n".join(rows))
        done = subprocess.run([sys.executable, "-m", "sim", "fit", str(path), "--out",
                               str(tmp_path / "f.yaml"), "--no-report"],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "open 8h-10h" in done.stdout

    @pytest.mark.parametrize(("text", "message"), [
        ("arrival,outcome\n2026-03-02T08:00:00,answered\n", "missing column 'wait'"),
        ("arrival,wait,outcome\n2026-03-02T08:00:00,1,answered\nyesterday,1,answered\n",
         "row 2: arrival: not an ISO timestamp, got 'yesterday'"),
        ("arrival,wait,outcome\n2026-03-02T08:00:00,-4,answered\n",
         "row 1: wait: must be a finite number >= 0, got '-4'"),
        ("arrival,wait,outcome\n2026-03-02T08:00:00,4,answered\n2026-03-02T08:00:00,4,lost\n",
         "row 2: outcome: must be one of answered, abandoned, blocked, got 'lost'"),
    ])
    def test_bad_log_one_line(self, tmp_path, text, message):
        """Each fault is named with its row and column."""
        with pytest.raises(CallLogError, match=message.replace("(", r"\(")):
            read_call_log(self.write(tmp_path, text))

    def test_cli_bad_log_exit_2(self, tmp_path):
        """`ccsim fit` on a bad log prints one line naming file and row, exit 2."""
        path = self.write(tmp_path, "arrival,wait,outcome\n2026-03-02T08:00:00,x,answered\n")
        done = subprocess.run([sys.executable, "-m", "sim", "fit", str(path), "--out",
                               str(tmp_path / "f.yaml")], capture_output=True, text=True)
        assert done.returncode == 2
        assert done.stderr.strip() == (f"{path}: row 1: wait: not a number of seconds, got 'x'")

    @pytest.mark.parametrize("command", ["fit", "backtest"])
    def test_cli_out_is_the_log(self, tmp_path, command):
        """--out naming the call log itself: one line, exit 2, and the log left intact."""
        path = self.write(tmp_path, "arrival,wait,outcome,handle\n"
                                    "2026-03-02T08:00:00,1,answered,100\n"
                                    "2026-03-02T08:10:00,2,answered,90\n")
        before = path.read_text()
        scenario = tmp_path / "s.yaml"
        scenario.write_text("name: s\nopen: 08:00\nclose: 09:00\ncontact_types:\n"
                            "  calls: {arrivals: {rate: 2/h},\n"
                            "          handle: {dist: exponential, mean: 2m}}\n"
                            "agents: {pool: {skills: [calls], staff: 1}}\n")
        args = (["fit", path] if command == "fit" else ["backtest", scenario, path, "-r", "2"])
        done = subprocess.run([sys.executable, "-m", "sim", *map(str, args), "--out",
                               str(path)], capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.splitlines()
        assert line == f"--out: cannot write {path}: it is the input {path}", line
        assert path.read_text() == before

    def test_cli_two_fits_into_one_folder_keep_both_reports(self, tmp_path):
        """Two fits into one folder (a.yaml, b.yaml): each keeps its own report, naming it."""
        logs = {"a": "2026-03-02T08:00:00,1,answered,100\n2026-03-02T08:10:00,2,answered,90\n",
                "b": "2026-03-03T09:00:00,1,answered,200\n2026-03-03T09:10:00,5,abandoned,\n"}
        folder = tmp_path / "folder"
        for name, rows in logs.items():
            log = tmp_path / f"{name}_calls.csv"
            log.write_text("arrival,wait,outcome,handle\n" + rows)
            done = subprocess.run([sys.executable, "-m", "sim", "fit", str(log), "--out",
                                   str(folder / f"{name}.yaml")], capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            report = folder / f"{name}.fit_report.html"
            assert done.stderr.strip() == f"wrote {folder / name}.yaml, {report}"
        assert sorted(p.name for p in folder.iterdir()) == [
            "a.fit_report.html", "a.yaml", "b.fit_report.html", "b.yaml"]
        for name, other in (("a", "b"), ("b", "a")):
            html = (folder / f"{name}.fit_report.html").read_text()
            assert f"<h1>Fit of {tmp_path / name}_calls.csv</h1>" in html
            assert f"{name}.yaml" in html and f"{other}.yaml" not in html
            assert f"{other}_calls.csv" not in html

    def test_cli_report_path_a_folder(self, tmp_path):
        """A folder where the report goes (a.fit_report.html/): refused before any work."""
        path = self.write(tmp_path, "arrival,wait,outcome,handle\n"
                                    "2026-03-02T08:00:00,1,answered,100\n")
        (tmp_path / "a.fit_report.html").mkdir()
        out = tmp_path / "a.yaml"
        done = subprocess.run([sys.executable, "-m", "sim", "fit", str(path), "--out",
                               str(out)], capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.splitlines()
        assert line == (f"--out: cannot write {tmp_path / 'a.fit_report.html'}: it is a "
                        "folder, not a file"), line
        assert not out.exists()

    def test_cli_fit_then_backtest(self, independent, tmp_path):
        """`ccsim fit` writes a scenario `run` accepts and a report; backtest prints MAE, draws."""
        path, _ = independent
        out = tmp_path / "fitted.yaml"
        done = subprocess.run([sys.executable, "-m", "sim", "fit", str(path), "--out", str(out),
                               "--staff", str(TRUE["agents"])], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "patience naive" in done.stdout
        assert (tmp_path / "fitted.fit_report.html").read_text().count("data:image/png") == 3
        sim.load_scenario(out)
        png = tmp_path / "bt.png"
        done = subprocess.run([sys.executable, "-m", "sim", "backtest", str(out), str(path),
                               "-r", "3", "--out", str(png)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        mae = done.stdout.splitlines()[-1]
        assert mae.startswith("MAE per interval: offered")
        assert png.stat().st_size > 10_000


def test_ccsim_contacts_read_as_a_log(tmp_path):
    """A ccsim contacts.parquet is a log: its first replication, outcomes mapped."""
    scenario = sim.load_scenario("scenarios/erlang_a.yaml")
    result = sim.run(scenario, seed=1, replications=2)
    result.contacts.to_parquet(tmp_path / "contacts.parquet")
    log = read_call_log(tmp_path / "contacts.parquet")
    first = result.contacts[result.contacts["replication"] == 0]
    assert len(log.table) == len(first)
    counts = log.table["outcome"].value_counts()
    assert counts.get("abandoned", 0) == int(first["abandoned"].sum())
    assert isinstance(log.table["arrival"].iloc[0], pd.Timestamp)


def test_callers_who_hung_up_stay_in_the_log():
    """Answered, then hung up on hold: in the log as answered (an ACD logs the answer)."""
    from sim.calllog_ccsim import ccsim_table

    scenario = sim.load_scenario("scenarios/fraud_consult.yaml", overrides={"days": 1})
    contacts = sim.run(scenario, seed=1).contacts
    hung_up = contacts["outcome"] == "hung_up"
    assert hung_up.sum() > 0
    table = ccsim_table(contacts)
    assert len(table) == int((contacts["answered"] | contacts["abandoned"]
                              | contacts["blocked"]).sum())
    assert (table["outcome"] == "answered").sum() == int(contacts["answered"].sum())
    assert (table["outcome"] == "abandoned").sum() == int(contacts["abandoned"].sum())


class TestParity:
    """Backtest KPIs and the fit's counts agree with what ccsim itself reports."""

    def test_backtest_kpis_equal_ccsim_intervals(self):
        """interval_kpis on ccsim's contacts equals intervals.csv (pooled over replications)."""
        from sim.backtest import interval_kpis
        from sim.calllog_ccsim import ccsim_table

        scenario = sim.load_scenario("scenarios/erlang_a.yaml")
        result = sim.run(scenario, seed=2, replications=3)
        mine = interval_kpis(ccsim_table(result.contacts), 0.0, 3600.0, 24, 3,
                             scenario.threshold("calls"))
        theirs = result.intervals.query("contact_type == 'calls'").set_index("start")
        measured = (theirs.index >= scenario.warmup) & (theirs.index < 86400)  # the warm-up
        theirs, mine = theirs[measured], mine[mine.index >= scenario.warmup]  # is not counted
        for kpi in ("offered", "service_level", "asa", "abandon_rate"):
            np.testing.assert_allclose(mine[kpi].to_numpy(), theirs[kpi].to_numpy(dtype=float),
                                       rtol=1e-9, err_msg=kpi)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 13), st.integers(8 * 3600, 12 * 3600 - 1)),
                min_size=1, max_size=60))
def test_arrival_counts_conserved(calls):
    """Fitted per-interval means x days (x day factor) add up to the contacts in the log."""
    frame = pd.DataFrame({
        "arrival": [pd.Timestamp("2026-03-02") + pd.Timedelta(days=d, seconds=s)
                    for d, s in calls],
        "wait": 0.0, "outcome": "answered", "handle": 60.0})
    log = CallLog("x.csv", frame.assign(contact_type="calls").sort_values("arrival")
                  .reset_index(drop=True))
    fit = fit_log(log, 1800.0)
    arrivals = fit.types["calls"].arrivals
    assert sum(arrivals.per_interval) * len(log.days) == pytest.approx(len(calls), abs=0.05)
    assert arrivals.days.sum() == len(calls)
    by_day = dict(zip(arrivals.weekdays, arrivals.day_factors, strict=True))
    expected = sum(sum(arrivals.per_interval) * by_day[d.day_name()] for d in log.days)
    assert expected == pytest.approx(len(calls), rel=0.01)


def test_repeat_share_from_customers(tmp_path):
    """With a customer column, the share of contacts followed by the same customer's.

    The delay runs from the previous contact's end: its arrival + 1 s wait + 60 s talk.
    """
    path = tmp_path / "log.csv"
    path.write_text("arrival,wait,outcome,handle,customer\n"
                    "2026-03-02T08:00:00,1,answered,60,a\n"
                    "2026-03-02T09:00:00,1,answered,60,a\n"
                    "2026-03-02T10:00:00,1,answered,60,b\n"
                    "2026-03-20T10:00:00,1,answered,60,b\n")  # 18 days later: not a repeat
    calls = fit_log(read_call_log(path), 3600.0).types["calls"]
    assert calls.repeat_share == pytest.approx(0.25)
    assert calls.repeat_delay == pytest.approx(3600.0 - 61.0)


@pytest.mark.parametrize(("transfers", "customers", "says"), [
    ("0,0,0,0", "a,a,b,c", ["calls: the log shows 25% repeat contacts, which",
                            "count the repeats as new callers"]),
    ("1,0,1,0", "a,b,c,d", ["calls: the log shows 0.50 transfers per answered contact, which",
                            "a transfer's second wait is left out"]),
    ("1,0,0,0", "a,a,b,c", ["the log shows 25% repeat contacts and 0.25 transfers per answered"]),
    ("0,0,0,0", "a,b,c,d", []),
])
def test_note_on_repeats_and_transfers_the_fit_leaves_out(tmp_path, transfers, customers, says):
    """A log's repeats and transfers are named in a note: the fitted scenario has neither.

    Its backtest's waits run short where the log's calls were transferred (a second wait
    the fitted scenario never simulates), which nothing said before.
    """
    path = tmp_path / "log.csv"
    rows = ["arrival,wait,outcome,handle,customer,transfers"] + [
        f"2026-03-02T{8 + k:02d}:00:00,1,answered,60,{who},{moved}"
        for k, (who, moved) in enumerate(zip(customers.split(","), transfers.split(",")))]
    path.write_text("\n".join(rows) + "\n")
    notes = [n for n in fit_log(read_call_log(path), 3600.0).notes if "the log shows" in n]
    assert len(notes) == (1 if says else 0), notes
    for part in says:
        assert part in notes[0], notes


def test_report_names_the_menu_the_text_names(tmp_path):
    """The report's table has the IVR menu before the queue, as the printed fit has.

    A log with queue_start tells the time before the queue; the text printed it, the
    report's table left it out.
    """
    from sim.fit_report import _spec_text, fit_html

    path = tmp_path / "log.csv"
    path.write_text("arrival,queue_start,answer,end,outcome\n" + "".join(
        f"2026-03-02T{8 + k:02d}:00:00,2026-03-02T{8 + k:02d}:00:{30 + 5 * k},"
        f"2026-03-02T{8 + k:02d}:01:00,2026-03-02T{8 + k:02d}:0{3 + k}:00,answered\n"
        for k in range(4)))
    fit = fit_log(read_call_log(path), 3600.0)
    menu = fit.types["calls"].menu
    assert menu is not None
    page = fit_html(fit, [])
    assert f"<tr><th>IVR menu</th><td>{_spec_text(menu)} before the queue</td></tr>" in page


def test_cli_bad_columns_exit_2(tmp_path):
    """An unknown canonical name in --columns is one line, exit 2."""
    path = tmp_path / "log.csv"
    path.write_text("arrival,wait,outcome\n2026-03-02T08:00:00,1,answered\n")
    done = subprocess.run([sys.executable, "-m", "sim", "fit", str(path), "--columns",
                           "start=CallStart", "--out", str(tmp_path / "f.yaml")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.startswith("--columns: unknown column name 'start'")
    assert len(done.stderr.strip().splitlines()) == 1


def test_transfer_share_matches_ccsim(tmp_path):
    """From ccsim's contacts (legs counted in `transfers`), the share equals transfer_rate."""
    scenario = sim.load_scenario("scenarios/refund_vs_relations.yaml", overrides={"days": 1})
    result = sim.run(scenario, seed=4)
    result.contacts.to_parquet(tmp_path / "contacts.parquet")
    fit = fit_log(read_call_log(tmp_path / "contacts.parquet"), 1800.0)
    contacts = result.contacts[result.contacts["answered"]]
    for name, t in fit.types.items():
        mine = contacts[contacts["contact_type"] == name]
        assert t.transfer_share == pytest.approx(mine["transfers"].sum() / len(mine))
    total = sum(t.transfer_share * (len(contacts[contacts["contact_type"] == n]))
                for n, t in fit.types.items()) / len(contacts)
    assert total == pytest.approx(result.summary["transfer_rate"], rel=0.02)
