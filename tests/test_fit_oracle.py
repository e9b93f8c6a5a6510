"""`ccsim fit`'s estimates recomputed from scratch on logs of known make-up.

Kaplan-Meier, the censored gamma and lognormal likelihoods, the repeat share and the
agents seen busy are computed here by hand (numpy loops, a Nelder-Mead of the censored
log-likelihood written out), never with the fitting module's helpers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calllog_gen import generate_log
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, stats

import sim
from sim.calllog import CallLog, read_call_log
from sim.fit import fit_log, fit_patience
from sim.fit_capacity import observed_staff
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict


def _repeat_scenario() -> dict:
    """Unresolved calls come back within hours, half of them as chats."""
    return {"name": "repeats", "days": 3, "open": "08:00", "close": "16:00", "interval": "1h",
            "contact_types": {
                "calls": {"arrivals": {"per_interval": [20] * 8},
                          "handle": {"dist": "exponential", "mean": "3m"}, "resolution": 0.6,
                          "repeat": {"delay": {"dist": "exponential", "mean": "4h"},
                                     "switch_to": "chat", "switch": 0.5}},
                "chat": {"arrivals": {"per_interval": [5] * 8},
                         "handle": {"dist": "exponential", "mean": "3m"}}},
            "agents": {"pool": {"skills": ["calls", "chat"], "staff": 12}}}


def test_repeat_share_counts_a_repeat_in_the_type_it_comes_as(tmp_path):
    """A chat after the same customer's call within 7 days is a repeat chat.

    ccsim's contacts read as a log (customer: the issue): each type's share must be its
    repeat contacts (origin `repeat`, as the run's repeats count them) over its
    contacts. Counting a customer's contacts within one type only, a call's repeat that
    came back as a chat was nobody's repeat: the chats' share was 0 against 40%.
    """
    contacts = sim.run(scenario_from_dict(_repeat_scenario()), seed=1).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    fitted = fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0).types
    for name in ("calls", "chat"):
        mine = contacts[contacts["contact_type"] == name]
        share = float((mine["origin"] == "repeat").mean())
        assert share > 0.1, (name, share)  # repeats do come as both types
        assert fitted[name].repeat_share == pytest.approx(share, rel=1e-12), name


def test_repeat_delay_runs_from_the_previous_contacts_end(tmp_path):
    """The fitted mean delay is a repeat's wait after its customer's last contact ended.

    ccsim's ``repeat.delay`` runs from the end of the unresolved contact (its talk), and
    a user sets it from ``ccsim fit``'s figure. A center open round the clock (no delay
    moved to the next opening), talks of 30 minutes against a delay of 1 hour: the fitted
    delay must be the run's own (each repeat's arrival less its issue's previous end,
    exactly), and within 4 standard errors of the 1 hour drawn (the few repeats the
    run's end cuts off move it by ~0.3% of an hour). Measured from the previous arrival,
    it was the delay plus the wait and the talk (~1 h 35 min).
    """
    spec = {"name": "round the clock", "days": 14, "open": "00:00", "close": "24:00",
            "interval": "1h", "contact_types": {"calls": {
                "arrivals": {"rate": "6/h"}, "handle": {"dist": "exponential", "mean": "30m"},
                "patience": {"dist": "exponential", "mean": "10m"}, "resolution": 0.5,
                "repeat": {"probability": 1.0, "delay": {"dist": "exponential", "mean": "1h"},
                           "max_contacts": 3}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 7}}}
    contacts = sim.run(scenario_from_dict(spec), seed=3).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    fitted = fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0).types["calls"]
    # by hand: each repeat against the contact of its issue just before it
    ordered = contacts.sort_values(["issue_id", "arrival"], kind="stable")
    same = ordered["issue_id"].to_numpy()[1:] == ordered["issue_id"].to_numpy()[:-1]
    repeat = same & (ordered["origin"].to_numpy()[1:] == "repeat")
    gaps = (ordered["arrival"].to_numpy()[1:] - ordered["end"].to_numpy()[:-1])[repeat]
    assert gaps.size > 1000 and (gaps >= 0).all()
    assert fitted.repeat_delay == pytest.approx(gaps.mean(), rel=1e-9)
    assert abs(fitted.repeat_delay - 3600.0) < 4 * gaps.std(ddof=1) / np.sqrt(gaps.size)


def test_repeat_share_and_delay_by_hand():
    """Per type: contacts whose customer had any contact in the 7 days before, and the gap.

    a: call Mon 08:00, chat Mon 10:00 (a repeat chat 2 h on), call Fri 08:00 (4 days
    after the chat: a repeat call), call the Monday after, 10 days on (not one); a blank
    customer is nobody's repeat. Each contact waits 1 s and talks 60 s: a repeat's delay
    runs from the previous contact's end, 61 s after its arrival.
    """
    rows = [("2026-03-02T08:00", "calls", "a"), ("2026-03-02T10:00", "chat", "a"),
            ("2026-03-06T08:00", "calls", "a"), ("2026-03-16T08:00", "calls", "a"),
            ("2026-03-02T09:00", "calls", None), ("2026-03-02T09:30", "calls", None),
            ("2026-03-03T09:00", "chat", "b")]
    table = pd.DataFrame(rows, columns=["arrival", "contact_type", "customer"]).assign(
        arrival=lambda f: pd.to_datetime(f["arrival"]), wait=1.0, outcome="answered",
        handle=60.0).sort_values("arrival").reset_index(drop=True)
    fitted = fit_log(CallLog("log.csv", table), 3600.0).types
    assert fitted["chat"].repeat_share == pytest.approx(1 / 2)
    assert fitted["chat"].repeat_delay == pytest.approx(2 * 3600.0 - 61.0)
    assert fitted["calls"].repeat_share == pytest.approx(1 / 5)
    assert fitted["calls"].repeat_delay == pytest.approx((4 * 24 - 2) * 3600.0 - 61.0)


def _answered(rows) -> CallLog:
    """A log of answered calls: (arrival, wait, handle) each."""
    table = pd.DataFrame(rows, columns=["arrival", "wait", "handle"]).assign(
        arrival=lambda f: pd.to_datetime(f["arrival"]), contact_type="calls",
        outcome="answered").sort_values("arrival").reset_index(drop=True)
    return CallLog("log.csv", table)


def _busy_by_hand(log: CallLog, open_s: float, interval: float, n: int) -> list[int]:
    """Agents talking at once, peak per interval and day on a 1-second grid, median of days.

    Each answered call keeps an agent from its answer (arrival + wait) until a second
    before its end (logs round times), as :func:`sim.fit_capacity.observed_staff` documents.
    """
    t = log.table
    first = t["arrival"].dt.normalize().min()
    start = (t["arrival"] - first).dt.total_seconds().to_numpy() + t["wait"].to_numpy()
    end = start + np.maximum(t["handle"].to_numpy() - 1.0, 0.0)
    days = sorted({int(s // 86400) for s in (t["arrival"] - first).dt.total_seconds()})
    peaks = np.zeros((len(days), n), dtype=int)
    for i, day in enumerate(days):
        for k in range(n):
            grid = day * 86400 + open_s + k * interval + np.arange(int(interval))
            busy = ((start[:, None] <= grid) & (grid < end[:, None])).sum(axis=0)
            peaks[i, k] = busy.max()
    return [max(1, int(v)) for v in np.median(peaks, axis=0)]


def test_staff_seen_counts_calls_that_span_an_interval():
    """Three calls of nearly 2 hours from 08:00: three agents busy in every half hour.

    The peak was taken at the moments a call started or ended within the interval only,
    so an interval that long calls span without a start or end saw 0 (shown as 1):
    [3, 1, 1, 2, 1, 1] for [3, 3, 3, 3, 1, 1].
    """
    log = _answered([("2026-03-02T08:00:00", 0, 7000), ("2026-03-02T08:01:00", 0, 7000),
                     ("2026-03-02T08:02:00", 0, 7000), ("2026-03-02T10:30:00", 0, 60)])
    assert observed_staff(log, 8 * 3600, 1800, 6) == [3, 3, 3, 3, 1, 1]
    assert _busy_by_hand(log, 8 * 3600, 1800, 6) == [3, 3, 3, 3, 1, 1]


@given(st.lists(st.tuples(st.integers(0, 3), st.integers(7 * 3600, 12 * 3600),
                          st.integers(0, 600), st.integers(1, 5000)), min_size=1, max_size=25))
@settings(max_examples=40, deadline=None)
def test_staff_seen_equals_a_second_by_second_count(calls):
    """Random logs over 4 days: the staff seen equals the brute-force count per second."""
    log = _answered([(pd.Timestamp("2026-03-02") + pd.Timedelta(days=d, seconds=s), w, h)
                     for d, s, w, h in calls])
    assert observed_staff(log, 8 * 3600, 1800, 8) == _busy_by_hand(log, 8 * 3600, 1800, 8)


@pytest.fixture(scope="module")
def waits():
    """An independent M/M/5+M log (calllog_gen): about 12% abandon, many answered wait."""
    frame = generate_log(np.random.default_rng(3), per_interval=[30, 50, 60, 40],
                         interval=1800.0, open_s=9 * 3600.0, days=6, agents=5,
                         handle_mean=300.0, patience_mean=200.0)
    return frame["wait"].to_numpy(), (frame["outcome"] == "abandoned").to_numpy()


def test_kaplan_meier_by_hand(waits):
    """S(t) = prod over abandon times u <= t of (1 - abandoned at u / waited at least u)."""
    wait, abandoned = waits
    patience = fit_patience(wait, abandoned)
    survival, steps = 1.0, []
    for u in np.unique(wait[abandoned]):
        survival *= 1 - np.sum(abandoned & (wait == u)) / np.sum(wait >= u)
        steps.append((u, survival))
    u, s = np.array(steps).T
    np.testing.assert_allclose(patience.km.sf.evaluate(u), s, rtol=1e-12)


def test_censored_fits_maximise_the_likelihood(waits):
    """Each family's fit is the censored maximum-likelihood one.

    Nelder-Mead on the log-likelihood written out (density of abandon waits, survival of
    answered waits > 0) finds nothing better; the exponential's mean is total wait /
    abandons.
    """
    wait, abandoned = waits
    patience = fit_patience(wait, abandoned)
    seen, cut = np.maximum(wait[abandoned], 1e-3), wait[~abandoned & (wait > 0)]
    fits = {f.family: f for f in patience.fits}
    assert fits["exponential"].spec["mean"] == pytest.approx(
        (seen.sum() + cut.sum()) / seen.size, rel=1e-4)
    families = {"gamma": lambda p: stats.gamma(np.exp(p[0]), scale=np.exp(p[1])),
                "lognormal": lambda p: stats.lognorm(np.exp(p[0]), scale=np.exp(p[1]))}
    for family, dist in families.items():
        def minus_loglik(p, dist=dist):
            d = dist(p)
            return -(d.logpdf(seen).sum() + d.logsf(cut).sum())
        best = optimize.minimize(minus_loglik, [0.0, np.log(seen.mean())], method="Nelder-Mead",
                                 options={"xatol": 1e-9, "fatol": 1e-9, "maxiter": 4000})
        loglik = (4 - fits[family].aic) / 2  # AIC = 2k - 2 loglik, k = 2
        assert loglik >= -best.fun - 1e-3, family
        assert fits[family].spec["mean"] == pytest.approx(dist(best.x).mean(), rel=1e-3)


def test_held_out_week_within_the_fitted_models_spread(tmp_path):
    """Fit one week of an independent M/G/15+M log, run it, compare the next week's KPIs.

    Each KPI of the held-out week (computed here from its rows) must lie within 4
    standard deviations of the fitted scenario's runs, the variance being a week's own
    (over the runs: var (1 + 1/R)) twice over, for the fitted parameters carry about as
    much sampling error as the week itself (both a week of the same calls).
    """
    weeks = [generate_log(np.random.default_rng(seed), per_interval=[60, 90, 110, 80],
                          interval=1800.0, open_s=9 * 3600.0, days=5, agents=15,
                          handle_mean=240.0, handle_cv=0.7, patience_mean=150.0,
                          day_factors=[1.3, 1.0, 0.9, 0.9, 0.9], start=start)
             for seed, start in ((1, "2026-03-02"), (2, "2026-03-09"))]
    weeks[0].to_csv(tmp_path / "fit.csv", index=False)
    spec = scenario_dict(fit_log(read_call_log(tmp_path / "fit.csv"), 1800.0), "fitted",
                         staff=[15] * 4)
    spec["days"] = 5
    runs = sim.run(scenario_from_dict(spec), seed=4, replications=20).contacts

    def kpis(rows: pd.DataFrame) -> np.ndarray:
        answered = rows["outcome"] == "answered"
        return np.array([len(rows), (answered & (rows["wait"] <= 20)).mean(),
                         (rows["outcome"] == "abandoned").mean(), rows["wait"][answered].mean()])

    held = kpis(weeks[1])
    simulated = np.array([kpis(r.assign(outcome=np.where(r["answered"], "answered",
                                                         r["outcome"])))
                          for _, r in runs.groupby("replication")])
    assert 0.03 < held[2] < 0.3  # callers do wait and abandon
    spread = simulated.std(axis=0, ddof=1) * np.sqrt(2 * (1 + 1 / len(simulated)))
    z = (held - simulated.mean(axis=0)) / spread
    assert np.all(np.abs(z) < 4), dict(zip(["offered", "sl", "abandon", "asa"], z, strict=True))


def test_durations_under_a_millisecond_are_one_value():
    """Handle times and abandon waits all under 1 ms are one value: nothing to fit.

    Raised to 1 ms to have a density, they have no spread left; scipy's gamma fit of
    them raised ValueError (a traceback, exit 1, from `ccsim fit`).
    """
    rows = [("2026-03-02T08:00", 0.0, "answered", 0.0),
            ("2026-03-02T08:01", 0.0, "answered", 4e-4),
            ("2026-03-02T08:02", 0.0, "abandoned", None),
            ("2026-03-02T08:03", 2e-4, "abandoned", None),
            ("2026-03-02T08:04", 5.0, "answered", 0.0)]
    table = pd.DataFrame(rows, columns=["arrival", "wait", "outcome", "handle"]).assign(
        arrival=lambda f: pd.to_datetime(f["arrival"]), contact_type="calls")
    calls = fit_log(CallLog("log.csv", table), 3600.0).types["calls"]
    assert calls.handle is None and calls.handle_fits == []
    assert calls.patience is not None and np.isfinite(calls.patience.best.spec["mean"])
