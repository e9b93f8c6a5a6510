"""Hold-out checks of ``ccsim fit``: a log of a known scenario, fitted back, simulated again.

The truth is simulated for many days (one replication: the days are the samples, the
system empties overnight); its contacts are read as a call log and fitted; the fitted
scenario is simulated for as many days. Each daily count of the fitted run must agree
with the truth's within 4 standard errors of the difference of the two means (from the
days' own spread). The fit's own estimation error (rates and means from ~10,000 calls,
about 1%) is small against that tolerance (about 5% of the counts compared).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calllog import read_call_log
from sim.fit import fit_log
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict
from sim.units import DAY

DAYS = 21


def _truth(**extra) -> dict:
    """8 hours of 60 calls an hour for 3 agents (4 Erlangs): 5 trunk lines, so some block."""
    return {"name": "lines", "days": DAYS, "open": "08:00", "close": "16:00", "interval": "1h",
            "contact_types": {"calls": {
                "arrivals": {"per_interval": [60.0] * 8},
                "handle": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "3m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 3}}, **extra}


def _daily(contacts: pd.DataFrame, days: int) -> dict[str, np.ndarray]:
    """Offered (reached a queue) and blocked contacts per day."""
    day = (contacts["arrival"].to_numpy() // DAY).astype(int)
    out = {}
    for name, rows in (("offered", ~contacts["blocked"].to_numpy(bool)),
                       ("blocked", contacts["blocked"].to_numpy(bool))):
        out[name] = np.bincount(day[rows], minlength=days)[:days].astype(float)
    return out


def _agree(truth: np.ndarray, fitted: np.ndarray) -> tuple[float, float]:
    """The difference of the means, and 4 standard errors of it."""
    se = np.sqrt(truth.var(ddof=1) / truth.size + fitted.var(ddof=1) / fitted.size)
    return float(fitted.mean() - truth.mean()), float(4 * se)


def _refit(tmp_path, truth: dict) -> tuple[dict, object]:
    """The truth's contacts as a log, fitted (staff given: the one number a log cannot tell)."""
    contacts = sim.run(scenario_from_dict(truth), seed=11).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    fitted = fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0)
    return _daily(contacts, DAYS), scenario_dict(fitted, "refit", staff=[3] * 8)


def test_a_log_with_busy_signals_fits_its_trunk_lines(tmp_path):
    """The fitted scenario blocks and offers what the truth did, day by day.

    Blocked calls did arrive: they count in the fitted arrivals, so the fitted scenario
    must have the trunk lines that blocked them. Without ``lines`` it offered every
    arrival to the agents (about 17% more load) and blocked none.
    """
    truth, fitted = _refit(tmp_path, _truth(lines=5))
    assert fitted.get("lines") == 5  # an exact log: the calls in the system at each block
    assert truth["blocked"].mean() > 30  # the check has something to check
    run = sim.run(scenario_from_dict({**fitted, "days": DAYS}), seed=12).contacts
    again = _daily(run, DAYS)
    for kpi in ("offered", "blocked"):
        diff, tolerance = _agree(truth[kpi], again[kpi])
        assert abs(diff) <= tolerance, (kpi, truth[kpi].mean(), again[kpi].mean(), tolerance)


def test_a_log_without_busy_signals_fits_no_lines(tmp_path):
    """No blocked call in the log: nothing tells a trunk limit, and none is fitted."""
    _, fitted = _refit(tmp_path, _truth())
    assert "lines" not in fitted


@pytest.mark.parametrize("rounding", [0, 1])
def test_lines_from_a_rounded_log(tmp_path, rounding):
    """Times rounded to the second (an ACD export) still tell the lines exactly.

    Rounding the arrival, the wait and the handle apart can make a call seem to end a
    second after the next one arrived: the calls on the lines at each busy signal are
    counted, not the most ever seen at once.
    """
    contacts = sim.run(scenario_from_dict({**_truth(lines=5), "days": 5}), seed=3).contacts
    log = pd.DataFrame({
        "arrival": (pd.Timestamp("2026-03-02") + pd.to_timedelta(
            contacts["arrival"].round(rounding), unit="s")).dt.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "wait": contacts["wait"].fillna(0.0).round(rounding),
        "outcome": np.select([contacts["blocked"].to_numpy(bool),
                              contacts["answered"].to_numpy(bool)],
                             ["blocked", "answered"], "abandoned"),
        "handle": contacts["handle"].round(rounding)})
    log.to_csv(tmp_path / "calls.csv", index=False)
    fitted = fit_log(read_call_log(tmp_path / "calls.csv"), 3600.0)
    assert fitted.lines == 5


@pytest.mark.parametrize("form", ["contacts.parquet", "timed.csv"])
def test_lines_held_through_the_menu(tmp_path, form):
    """A call holds its line from its arrival, through the IVR menu, to its hang-up.

    The menu's minute before the queue was left out (a line held for the wait and the
    talk only): 5 lines were fitted as 3, and the fitted scenario blocked far more calls.
    ccsim's own contacts tell the hang-up (``end``); an ACD's timed log, the queue entry.
    """
    truth = _truth(lines=5, days=5)
    truth["contact_types"]["calls"]["ivr"] = {"time": {"dist": "deterministic", "value": "1m"}}
    contacts = sim.run(scenario_from_dict(truth), seed=3).contacts
    assert contacts["blocked"].sum() > 30  # the check has something to check
    if form == "contacts.parquet":
        contacts.to_parquet(tmp_path / form)
    else:  # queue entry: the answer (or hang-up) less the wait
        answered = contacts["answered"].to_numpy(bool)
        blocked = contacts["blocked"].to_numpy(bool)

        def at(seconds):
            return (pd.Timestamp("2026-03-02") + pd.to_timedelta(seconds, unit="s")
                    ).dt.strftime("%Y-%m-%dT%H:%M:%S.%f").where(~np.isnan(seconds), "")

        left = np.where(answered, contacts["answer"], contacts["end"])
        pd.DataFrame({
            "arrival": at(contacts["arrival"]),
            "queue_start": at(pd.Series(np.where(blocked, np.nan, left - contacts["wait"]))),
            "answer": at(contacts["answer"].where(answered)),
            "end": at(contacts["end"].where(~blocked)),
            "outcome": np.select([blocked, answered], ["blocked", "answered"], "abandoned"),
        }).to_csv(tmp_path / form, index=False)
    assert fit_log(read_call_log(tmp_path / form), 3600.0).lines == 5


def test_the_menu_before_the_queue_is_fitted(tmp_path):
    """The fitted scenario holds lines through the menu as the truth did: blocks as many.

    With the lines right but no menu, a fitted call held its line a minute less: 81
    busy signals a day for the truth's 128 (with the lines fitted from the wait and the
    talk only, 4, it blocked 138 by chance).
    """
    truth = _truth(lines=5)
    truth["contact_types"]["calls"]["ivr"] = {"time": {"dist": "deterministic", "value": "1m"}}
    truth, fitted = _refit(tmp_path, truth)
    assert fitted["contact_types"]["calls"].get("ivr") == {
        "time": {"dist": "deterministic", "value": 60.0}}
    run = sim.run(scenario_from_dict({**fitted, "days": DAYS}), seed=12).contacts
    again = _daily(run, DAYS)
    for kpi in ("offered", "blocked"):
        diff, tolerance = _agree(truth[kpi], again[kpi])
        assert abs(diff) <= tolerance, (kpi, truth[kpi].mean(), again[kpi].mean(), tolerance)


def test_the_fit_report_and_summary_say_the_lines(tmp_path):
    """`ccsim fit` prints the lines, writes them into the scenario and its report."""
    import yaml
    from click.testing import CliRunner

    from sim.cli import main

    contacts = sim.run(scenario_from_dict({**_truth(lines=5), "days": 2}), seed=3).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    out = tmp_path / "fitted.yaml"
    done = CliRunner().invoke(main, ["fit", str(tmp_path / "contacts.parquet"), "--interval",
                                     "1h", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert "trunk lines: 5 " in done.stdout
    assert yaml.safe_load(out.read_text())["lines"] == 5
    assert "Trunk lines: 5 " in (tmp_path / "fitted.fit_report.html").read_text()
