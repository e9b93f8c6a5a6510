"""The call-log path checked against oracles that share no code with it.

A known scenario is simulated, its contacts read back as a log and fitted: the fit must
recover the truth within tolerances from the sample size (Poisson counts, s/sqrt(n) for
a mean, mean/sqrt(abandoned) for the censored exponential patience), on the replication
fitted and on one held out. A backtest's logged side must equal the same KPIs computed
with pandas from the CSV text, its simulated side the same computation on the run's own
contacts, its bands the 95% prediction interval of one more replication's values, and its days the
log's dates with their own weekdays' factors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

import sim
from sim.backtest import backtest
from sim.calllog import CallLog, read_call_log
from sim.fit import fit_arrivals, fit_log
from sim.loader import scenario_from_dict

PER_INTERVAL = [40, 60, 80, 100, 100, 80, 60, 40]
FACTORS = {"monday": 1.3, "tuesday": 1.0, "wednesday": 0.9, "thursday": 0.9, "friday": 0.9}
HANDLE_MEAN, PATIENCE_MEAN = 240.0, 180.0
WEEK = list(FACTORS)


def _truth(days: int = 5) -> dict:
    return {
        "name": "truth", "days": days, "open": "08:00", "close": "12:00", "interval": "30m",
        "weekdays": [WEEK[d % 5] for d in range(days)],
        "contact_types": {"calls": {
            "arrivals": {"per_interval": PER_INTERVAL, "day_factors": FACTORS},
            "handle": {"dist": "lognormal", "mean": HANDLE_MEAN, "cv": 0.8},
            "patience": {"dist": "exponential", "mean": PATIENCE_MEAN}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 14}}}


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    """Replication 0 (fitted) and replication 1 (held out), each read back as a log."""
    folder = tmp_path_factory.mktemp("roundtrip")
    contacts = sim.run(scenario_from_dict(_truth()), seed=11, replications=2).contacts
    out = {}
    for r in (0, 1):  # a log is its file's first replication: one file per replication
        path = folder / f"rep{r}.parquet"
        contacts[contacts["replication"] == r].to_parquet(path)
        log = read_call_log(path)
        out[r] = (log, fit_log(log, 1800.0).types["calls"])
    return out


class TestRoundTrip:
    """Fitting a simulated log recovers the scenario it was simulated from."""

    @pytest.mark.parametrize("r", [0, 1])
    def test_arrivals_per_interval(self, fits, r):
        """Mean per interval: chi-square of Poisson z-scores below its 99.9% point.

        Each interval's count over the 5 days is Poisson with mean per_interval x the
        sum of the day factors (5.0), so the fitted mean has variance that / 25.
        """
        fitted = np.array(fits[r][1].arrivals.per_interval)
        truth = np.array(PER_INTERVAL, dtype=float) * sum(FACTORS.values()) / 5
        z = (fitted - truth) / np.sqrt(truth / 5)
        assert float(np.sum(z**2)) < stats.chi2.ppf(0.999, len(truth)), z

    @pytest.mark.parametrize("r", [0, 1])
    def test_day_factors_by_name(self, fits, r):
        """Each weekday's factor within 4 standard errors (delta method, Poisson totals)."""
        arrivals = fits[r][1].arrivals
        got = dict(zip(arrivals.weekdays, arrivals.day_factors, strict=True))
        assert list(got) == [d.capitalize() for d in WEEK]
        daily = sum(PER_INTERVAL)
        for day, factor in FACTORS.items():
            # factor = N_d / mean(N): var ~ factor^2 (1/N_d + 1/sum N) for Poisson N
            se = factor * np.sqrt(1 / (factor * daily) + 1 / (5 * daily))
            assert abs(got[day.capitalize()] - factor) < 4 * se, (day, got)

    @pytest.mark.parametrize("r", [0, 1])
    def test_handle_mean(self, fits, r):
        """Fitted mean handle within 4 s/sqrt(n) of the truth; the family is lognormal."""
        t = fits[r][1]
        x = t.handle_values
        assert abs(t.handle.spec["mean"] - HANDLE_MEAN) < 4 * x.std(ddof=1) / np.sqrt(x.size)
        assert t.handle.family == "lognormal"
        assert t.handle.spec["cv"] == pytest.approx(0.8, abs=0.1)

    @pytest.mark.parametrize("r", [0, 1])
    def test_patience_censored_mle(self, fits, r):
        """Exponential censored MLE (total wait / abandons): within 4 mean/sqrt(d).

        Its bias is O(mean/d) (under 1 s here), its standard error mean/sqrt(d). The
        naive mean of abandon times alone is far below (README: 5-20 times too short).
        """
        log, t = fits[r]
        table = log.table
        abandoned = int((table["outcome"] == "abandoned").sum())
        expected = table.loc[table["outcome"] != "blocked", "wait"].sum() / abandoned
        assert t.patience.best.family == "exponential"
        assert t.patience.best.spec["mean"] == pytest.approx(expected, rel=1e-4)
        assert abs(expected - PATIENCE_MEAN) < 4 * PATIENCE_MEAN / np.sqrt(abandoned)
        assert t.patience.naive_mean < PATIENCE_MEAN / 3

    def test_held_out_agrees_with_fitted(self, fits):
        """The held-out replication's estimates agree with the fitted one's within 4 SE."""
        a, b = fits[0][1], fits[1][1]
        se = HANDLE_MEAN * 0.8 * np.sqrt(1 / a.handle_values.size + 1 / b.handle_values.size)
        assert abs(a.handle.spec["mean"] - b.handle.spec["mean"]) < 4 * se
        se = PATIENCE_MEAN * np.sqrt(1 / a.patience.abandoned + 1 / b.patience.abandoned)
        assert abs(a.patience.best.spec["mean"] - b.patience.best.spec["mean"]) < 4 * se


# -- backtest: both sides computed from scratch ------------------------------------------

OPEN_H, CLOSE_H = 8, 12
THRESHOLD = {"calls": 20.0, "lost card": 60.0}  # the log's names; `lost_card` in the scenario
BT_FACTORS = {"monday": 2.0, "tuesday": 1.0, "wednesday": 0.5, "thursday": 1.0, "friday": 1.0}


def _backtest_scenario(definition: str, **extra) -> dict:
    own = {"calls": {}, "lost_card": {"service_level": {"threshold": "1m"}}}
    return {
        "name": "bt", "days": 5, "open": f"{OPEN_H:02d}:00", "close": f"{CLOSE_H:02d}:00",
        "interval": "1h", "service_level": {"threshold": "20s", "definition": definition},
        "contact_types": {name: {
            "arrivals": {"per_interval": [120, 160, 160, 120], "day_factors": BT_FACTORS},
            "handle": {"dist": "exponential", "mean": "4m"},
            "patience": {"dist": "exponential", "mean": "1m"}, **o}
            for name, o in own.items()},
        "agents": {"pool": {"skills": ["calls", "lost_card"], "staff": 22}}, **extra}


@pytest.fixture(scope="module")
def log_csv(tmp_path_factory):
    """Wed 2026-03-04 to Fri 2026-03-13 on weekdays; Mon 03-09 a holiday (night calls only).

    Two types, blocked rows, and contacts before opening and after closing.
    """
    rng = np.random.default_rng(5)
    rows = []
    for date in pd.bdate_range("2026-03-04", "2026-03-13"):
        holiday = date == pd.Timestamp("2026-03-09")
        n = 6 if holiday else int(rng.integers(150, 250))
        hours = rng.uniform(0, 3, n) if holiday else rng.uniform(7, 13, n)  # some outside
        for h in hours:
            kind = rng.choice(["answered", "abandoned", "blocked"], p=[0.8, 0.15, 0.05])
            wait = "" if kind == "blocked" else f"{rng.exponential(40):.2f}"
            handle = f"{rng.exponential(200):.1f}" if kind == "answered" else ""
            rows.append(((date + pd.Timedelta(hours=h)).isoformat(),
                         rng.choice(list(THRESHOLD)), wait, kind, handle))
    rng.shuffle(rows)  # an export need not be sorted
    path = tmp_path_factory.mktemp("bt") / "calls.csv"
    pd.DataFrame(rows, columns=["arrival", "contact_type", "wait", "outcome", "handle"]).to_csv(
        path, index=False)
    return path


def _kpis(slot, offered, answered, abandoned, wait, threshold, definition, days):
    """Per hour slot 0-3: offered per day, service level, ASA, abandon rate (pooled sums)."""
    frame = pd.DataFrame({"slot": slot, "offered": offered, "answered": answered,
                          "abandoned": abandoned,
                          "in_time": answered & (wait <= threshold),
                          "short": abandoned & (wait <= threshold),
                          "answered_wait": np.where(answered, wait, 0.0)})[offered]
    s = frame.groupby("slot").sum().reindex(range(CLOSE_H - OPEN_H), fill_value=0)
    denominator = {"offered": s["offered"], "answered": s["answered"],
                   "short_abandons_excluded": s["offered"] - s["short"]}[definition]
    return pd.DataFrame({"offered": s["offered"] / days,
                         "service_level": s["in_time"] / denominator,
                         "asa": s["answered_wait"] / s["answered"],
                         "abandon_rate": s["abandoned"] / s["offered"]})


def _actual(path, definition):
    df = pd.read_csv(path)
    t = pd.to_datetime(df["arrival"])
    hour = (t - t.dt.normalize()).dt.total_seconds().to_numpy() / 3600
    inside = (hour >= OPEN_H) & (hour < CLOSE_H)
    dates = pd.DatetimeIndex(sorted(set(t.dt.normalize()[inside])))
    outcome = df["outcome"].to_numpy()
    offered = inside & (outcome != "blocked")
    kpis = _kpis((hour // 1 - OPEN_H).astype(int), offered, outcome == "answered",
                 outcome == "abandoned", df["wait"].fillna(0).to_numpy(),
                 df["contact_type"].map(THRESHOLD).to_numpy(), definition, len(dates))
    daily = t.dt.normalize()[offered].value_counts().reindex(dates, fill_value=0)
    return kpis, dates, daily, int((~inside).sum())


@pytest.mark.parametrize("definition", ["offered", "answered", "short_abandons_excluded"])
def test_backtest_actual_side_is_the_csv(log_csv, definition):
    """Logged KPIs per interval, open and closed days and per-day offered, from the CSV."""
    kpis, dates, daily, outside = _actual(log_csv, definition)
    bt = backtest(scenario_from_dict(_backtest_scenario(definition)), read_call_log(log_csv),
                  replications=2, seed=1)
    for kpi in kpis:
        np.testing.assert_allclose(bt.actual[kpi].to_numpy(), kpis[kpi].to_numpy(),
                                   rtol=1e-12, err_msg=kpi)
    assert list(bt.days) == list(dates)
    assert list(bt.closed_days) == [pd.Timestamp("2026-03-09")]
    np.testing.assert_array_equal(bt.daily["actual"].to_numpy(), daily.to_numpy())
    assert bt.outside_actual == outside


@pytest.mark.parametrize("definition", ["offered", "short_abandons_excluded"])
def test_backtest_simulated_side_is_the_runs_contacts(log_csv, definition):
    """Simulated KPIs: the run over the open dates, weekdays theirs, computed from contacts.

    The scenario is written out by hand for the 7 open dates (Wed 03-04 .. Fri 03-13
    without the weekend and the Monday holiday), each run day its date's weekday; the
    mean is the pooled ratio, the band the 95% prediction interval of one more replication.
    """
    reps = 4
    _, dates, _, _ = _actual(log_csv, definition)
    weekdays = [d.day_name().lower() for d in dates]
    assert weekdays[0] == "wednesday" and "monday" not in weekdays[:5]
    bt = backtest(scenario_from_dict(_backtest_scenario(definition)), read_call_log(log_csv),
                  replications=reps, seed=3)
    by_hand = scenario_from_dict(_backtest_scenario(definition) | {
        "days": len(dates), "weekdays": weekdays})
    contacts = sim.run(by_hand, seed=3, replications=reps).contacts
    day = (contacts["arrival"] // 86400).astype(int).to_numpy()
    hour = (contacts["arrival"] % 86400).to_numpy() / 3600
    inside = (hour >= OPEN_H) & (hour < CLOSE_H) & (day < len(dates))
    offered = inside & (contacts["answered"] | contacts["abandoned"]
                        | (contacts["outcome"] == "unanswered")).to_numpy()
    threshold = np.where(contacts["contact_type"] == "lost_card", 60.0, 20.0)
    args = [(hour // 1 - OPEN_H).astype(int), offered, contacts["answered"].to_numpy(),
            contacts["abandoned"].to_numpy(), contacts["wait"].fillna(0).to_numpy(), threshold,
            definition]
    pooled = _kpis(*args, len(dates) * reps)
    assert (pooled["asa"] > 0).all() and pooled["abandon_rate"].max() > 0.05, pooled  # queues
    rep = contacts["replication"].to_numpy()
    each = [_kpis(*[a[rep == r] if isinstance(a, np.ndarray) else a for a in args], len(dates))
            for r in range(reps)]
    for kpi in pooled:
        np.testing.assert_allclose(bt.mean[kpi].to_numpy(), pooled[kpi].to_numpy(),
                                   rtol=1e-12, err_msg=kpi)
        values = np.vstack([e[kpi].to_numpy() for e in each])
        # a 95% prediction interval of one more replication: t on reps - 1 degrees
        half = (stats.t.ppf(0.975, reps - 1) * values.std(axis=0, ddof=1)
                * np.sqrt(1 + 1 / reps))
        top = 1.0 if kpi in ("service_level", "abandon_rate") else np.inf
        np.testing.assert_allclose(bt.low[kpi].to_numpy(),
                                   np.clip(values.mean(axis=0) - half, 0, top), rtol=1e-12,
                                   err_msg=kpi)
        np.testing.assert_allclose(bt.high[kpi].to_numpy(),
                                   np.clip(values.mean(axis=0) + half, 0, top), rtol=1e-12,
                                   err_msg=kpi)
    per_day = [np.bincount(day[offered & (rep == r)], minlength=len(dates)) for r in range(reps)]
    np.testing.assert_allclose(bt.daily["mean"].to_numpy(), np.mean(per_day, axis=0))


def test_replay_is_the_logs_contacts(log_csv):
    """A replayed log: each type's contacts in the hours at the logged times, logged talk.

    Day 0 is the log's first date (Wed 03-04); the run spans the calendar to Fri 03-13,
    weekend and holiday included. With ``trace_handle`` a contact answered in the log
    talks for its logged handle time whenever the run answers it.
    """
    df = pd.read_csv(log_csv)
    t = pd.to_datetime(df["arrival"])
    seconds = (t - pd.Timestamp("2026-03-04")).dt.total_seconds().to_numpy()
    hour = seconds % 86400 / 3600
    df = df.assign(s=seconds)[(hour >= OPEN_H) & (hour < CLOSE_H)]
    spec = _backtest_scenario("offered", days=10)
    for ct in spec["contact_types"].values():
        ct["arrivals"] = {"trace": log_csv.name, "trace_handle": True}
    scenario = scenario_from_dict(spec, base_dir=log_csv.parent)
    contacts = sim.run(scenario, seed=2).contacts
    for logged, name in (("calls", "calls"), ("lost card", "lost_card")):
        mine = df[df["contact_type"] == logged].sort_values("s", kind="stable")
        ran = contacts[contacts["contact_type"] == name].sort_values("arrival", kind="stable")
        np.testing.assert_allclose(ran["arrival"].to_numpy(), mine["s"].to_numpy(), atol=1e-6)
        both = ran["answered"].to_numpy() & (mine["outcome"] == "answered").to_numpy()
        assert both.sum() > 100
        np.testing.assert_allclose(ran["handle"].to_numpy()[both],
                                   mine["handle"].to_numpy()[both], atol=1e-6)


def test_forecast_error_unbiased():
    """forecast_error² averages the true cv² over many logs (Var N = mu + cv² mu²).

    300 logs of 4 weeks of weekdays, daily totals Poisson with a gamma multiplier of
    cv 0.2 (mean 50 a day). Per weekday the sample variance of its n totals, on n - 1
    degrees of freedom, estimates mu + cv² mu²: the Poisson part to subtract is mu on
    those n - 1, not on all n days. Subtracting it n times biased cv² by -1/((n-1) mu)
    (-0.0067 here: 5 standard errors of this mean); clipping at 0 (5% of logs) biases
    it up by less than one.
    """
    rng = np.random.default_rng(1)
    days = pd.bdate_range("2026-03-02", periods=20)
    cv, mu, estimates = 0.2, 50.0, []
    for _ in range(300):
        n = rng.poisson(mu * rng.gamma(1 / cv**2, cv**2, days.size))
        times = pd.Series(np.repeat(days.to_numpy(), n)) + pd.to_timedelta(
            rng.uniform(8 * 3600, 12 * 3600, n.sum()), unit="s")
        estimates.append(fit_arrivals(times, days, 8 * 3600.0, 3600.0, 4).forecast_error**2)
    e = np.array(estimates)
    assert abs(e.mean() - cv**2) < 4 * e.std(ddof=1) / np.sqrt(e.size), e.mean()


def test_cli_prints_the_logs_kpis(log_csv, tmp_path):
    """`ccsim backtest`'s printed actual side and its days equal pandas on the CSV."""
    from click.testing import CliRunner

    from sim.cli import main

    scenario = tmp_path / "bt.yaml"
    scenario.write_text(yaml.safe_dump(_backtest_scenario("offered")))
    done = CliRunner().invoke(main, ["backtest", str(scenario), str(log_csv), "--replications",
                                     "2", "--out", str(tmp_path / "bt.png")])
    assert done.exit_code == 0, done.output
    kpis, dates, daily, outside = _actual(log_csv, "offered")
    lines = done.stdout.splitlines()
    for hour, line in zip(range(OPEN_H, CLOSE_H), lines[1:1 + CLOSE_H - OPEN_H], strict=True):
        cells = line.replace("%", "").replace(" s", "").split()
        assert cells[0] == f"{hour:02d}:00"
        row = kpis.iloc[hour - OPEN_H]
        assert float(cells[1]) == pytest.approx(row["offered"], abs=0.051)
        assert float(cells[3]) == pytest.approx(100 * row["service_level"], abs=0.051)
        assert float(cells[5]) == pytest.approx(row["asa"], abs=0.051)
        assert float(cells[7]) == pytest.approx(100 * row["abandon_rate"], abs=0.051)
    assert f"not compared: {outside:,} logged contacts" in done.stdout
    shown = {line.split()[1]: int(line.split()[2].replace(",", ""))
             for line in lines if line[:3] in ("Mon", "Tue", "Wed", "Thu", "Fri")}
    assert shown == {str(d.date()): int(n) for d, n in daily.items()}
    assert f"days compared: {len(dates)} open days" in done.stdout
    assert "not compared: 1 (Mon 2026-03-09)" in done.stdout


@pytest.mark.parametrize(("text", "message"), [
    ("arrival,outcome\n2026-03-04T08:00:00,answered\n", "missing column 'wait'"),
    ("arrival,wait,outcome\n2026-03-04T08:00:00,1,answered\n2026-03-04T25:00:00,1,answered\n",
     "row 2: arrival: not an ISO timestamp, got '2026-03-04T25:00:00'"),
    ("arrival,wait,outcome,handle\n2026-03-04T08:00:00,1,answered,-5\n",
     "row 1: handle: must be a finite number >= 0, got '-5'"),
    ("", "the file is empty"),
    ("arrival,wait,outcome\n", "the log has no rows"),
    ("arrival,wait,outcome,handle\n2026-03-04T08:00:00,1,answered,60,7\n",
     "row 1: 5 fields, but the header names 4 columns"),
])
@pytest.mark.parametrize("command", ["fit", "backtest"])
def test_cli_bad_log_one_line_exit_2(tmp_path, text, message, command):
    """A malformed log: one line naming the file, the row and column, exit 2, no traceback."""
    from click.testing import CliRunner

    from sim.cli import main

    log = tmp_path / "calls.csv"
    log.write_text(text)
    scenario = tmp_path / "bt.yaml"
    scenario.write_text(yaml.safe_dump(_backtest_scenario("offered")))
    args = ([str(log), "--out", str(tmp_path / "f.yaml"), "--no-report"] if command == "fit"
            else [str(scenario), str(log), "--out", str(tmp_path / "bt.png")])
    done = CliRunner().invoke(main, [command, *args])
    assert done.exit_code == 2, done.output
    assert isinstance(done.exception, SystemExit)
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"{log}: {message}"), done.stderr


def test_unsorted_log_read_as_sorted(log_csv, tmp_path):
    """The fixture's rows are shuffled: the fit equals the fit of the same rows sorted."""
    frame = pd.read_csv(log_csv, dtype=str, keep_default_na=False)
    ordered = tmp_path / "sorted.csv"
    frame.assign(t=pd.to_datetime(frame["arrival"])).sort_values("t").drop(columns="t").to_csv(
        ordered, index=False)
    a, b = (fit_log(read_call_log(p), 3600.0).types for p in (log_csv, ordered))
    for name in a:
        assert a[name].arrivals.per_interval == b[name].arrivals.per_interval
        assert a[name].handle.spec == b[name].handle.spec
        assert a[name].patience.best.spec == b[name].patience.best.spec


def test_forecast_error_of_a_type_closed_one_weekday():
    """A type nobody contacts on Saturdays keeps the forecast error its other days show.

    Calls come Monday to Saturday, chats Monday to Friday (cv 0.3 a day): the chats'
    estimate must be the one of their rows alone, not 0 because a Saturday expects none.
    """
    rng = np.random.default_rng(4)
    days = pd.date_range("2026-03-02", periods=28)
    days = days[days.day_of_week < 6]
    weekday = np.asarray(days.day_of_week < 5)
    rows = []
    for name, open_days in (("calls", np.ones(days.size, bool)), ("chats", weekday)):
        n = rng.poisson(200 * rng.gamma(1 / 0.09, 0.09, days.size)) * open_days
        rows.append(pd.DataFrame({"arrival": pd.Series(np.repeat(days.to_numpy(), n))
                                  + pd.to_timedelta(rng.uniform(8 * 3600, 12 * 3600, n.sum()),
                                                    unit="s"),
                                  "contact_type": name, "wait": 0.0, "outcome": "answered",
                                  "handle": rng.exponential(200.0, n.sum())}))
    both = pd.concat(rows).sort_values("arrival").reset_index(drop=True)
    together = fit_log(CallLog("log.csv", both), 3600.0).types["chats"].arrivals
    alone = fit_log(CallLog("log.csv", rows[1].sort_values("arrival").reset_index(drop=True)),
                    3600.0).types["chats"].arrivals
    assert alone.forecast_error > 0.15
    assert together.forecast_error == alone.forecast_error
