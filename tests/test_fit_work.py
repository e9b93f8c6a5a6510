"""A call log's hold and after-call work: read, fitted, and counted as the agents' time.

An ACD logs a contact's talk, its time on hold and the agent's after-call work (wrap-up)
apart. Read as talk alone, a log of a center whose agents spend a minute on notes after
each five-minute call was fitted as a center a fifth less busy: ``wrap_up.yaml``'s own
contacts over 20 days backtested 13.9 points of service level off per interval, the
fitted scenario answering in time far more often than the log. Now the optional ``hold``
and ``wrap_up`` columns (ccsim's own contacts carry both) are read; the fit adds a
contact's hold to its handle time (caller and agent are both on the call) and fits the
after-call work as the type's ``wrap_up``; an agent counts busy through both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calllog import CallLogError, read_call_log
from sim.cli_fit import _summary
from sim.fit import fit_log
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict


def _desk(days: int, staff: int = 5, **calls) -> dict:
    """Calls to one team over 8 hours, each followed by after-call work (about 4.5 Erlangs)."""
    return {"name": "desk", "days": days, "open": "08:00", "close": "16:00", "interval": "1h",
            "contact_types": {"calls": {
                "arrivals": {"per_interval": [45.0] * 8},
                "handle": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "3m"},
                "wrap_up": {"dist": "lognormal", "mean": "2m", "cv": 0.5}, **calls}},
            "agents": {"team": {"skills": ["calls"], "staff": staff}}}


def _log(tmp_path, scenario: dict, seed: int = 3):
    contacts = sim.run(scenario_from_dict(scenario), seed=seed).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    return contacts, read_call_log(tmp_path / "contacts.parquet")


def test_after_call_work_is_fitted_as_the_types_wrap_up(tmp_path):
    """The fitted wrap_up is the logged work's: its family and mean, within 4 SE of the 2 min.

    The handle time stays the talk (the 4-minute exponential, within 4 SE), and the
    scenario written has the wrap_up: it runs.
    """
    contacts, log = _log(tmp_path, _desk(days=6))
    answered = contacts[contacts["outcome"] == "completed"]
    work = answered["wrap_up"].to_numpy()
    assert work.size > 1500 and (work > 0).all()
    fitted = fit_log(log, 3600.0).types["calls"]
    assert fitted.wrap_up is not None and fitted.wrap_up["dist"] == "lognormal"
    se = work.std(ddof=1) / np.sqrt(work.size)
    assert abs(fitted.wrap_up["mean"] - 120.0) < 4 * se
    talk = answered["handle"].to_numpy()
    assert abs(fitted.handle.spec["mean"] - 240.0) < 4 * talk.std(ddof=1) / np.sqrt(talk.size)
    assert fitted.hold_mean is None  # no hold in this log
    spec = scenario_dict(fit_log(log, 3600.0), "fitted")
    assert spec["contact_types"]["calls"]["wrap_up"] == fitted.wrap_up
    assert sim.run(scenario_from_dict(spec), seed=1).summary["answered"] > 0
    line = next(x for x in _summary(fit_log(log, 3600.0)) if "wrap-up" in x)
    assert "lognormal" in line and "after-call work" in line, line


def test_hold_is_in_the_handle_time(tmp_path):
    """A consult's hold: the fitted handle times are talk plus hold, contact by contact."""
    scenario = _desk(days=2, staff=8, consult={
        "probability": 0.5, "to": "experts", "talk": {"dist": "exponential", "mean": "1m"}})
    del scenario["contact_types"]["calls"]["wrap_up"]
    scenario["contact_types"]["experts"] = {"arrivals": {"rate": 0},
                                            "handle": {"dist": "exponential", "mean": "3m"}}
    scenario["agents"]["experts"] = {"skills": ["experts"], "staff": 3}
    contacts, log = _log(tmp_path, scenario)
    answered = contacts[contacts["outcome"] == "completed"].sort_values("arrival")
    assert (answered["hold"] > 0).sum() > 200
    fitted = fit_log(log, 3600.0).types["calls"]
    np.testing.assert_allclose(np.sort(fitted.handle_values),
                               np.sort((answered["handle"] + answered["hold"]).to_numpy()))
    assert fitted.hold_mean == pytest.approx(answered["hold"].mean())
    assert fitted.wrap_up is None
    line = next(x for x in _summary(fit_log(log, 3600.0)) if x.strip().startswith("hold"))
    assert "in the handle time" in line, line


def test_agents_are_busy_through_their_after_call_work(tmp_path):
    """Overloaded, every agent talks or wraps up: the busy count is the 5 on duty.

    A minute's talk, then four of notes: counted on the talk alone, the agents wrapping
    up were idle, and the most seen talking at once was 4 of the 5.
    """
    _, log = _log(tmp_path, _desk(days=3, **{
        "arrivals": {"per_interval": [90.0] * 8}, "handle": {"dist": "exponential", "mean": "1m"},
        "wrap_up": {"dist": "deterministic", "value": "4m"}}))
    assert fit_log(log, 3600.0).staff == [5] * 8


@pytest.mark.parametrize(("cell", "reason"), [
    ("-5", "must be a finite number >= 0"), ("soon", "not a number of seconds")])
@pytest.mark.parametrize("column", ["hold", "wrap_up"])
def test_a_bad_cell_is_one_line(tmp_path, column, cell, reason):
    """A bad hold or wrap-up is refused on one line naming file, row and column; blank is 0."""
    rows = pd.DataFrame({"arrival": [0.0, 60.0, 120.0], "wait": [0.0, 5.0, 9.0],
                         "outcome": ["answered"] * 3, "handle": [100.0, 200.0, 300.0],
                         column: ["", "30", cell]})
    path = tmp_path / "log.csv"
    rows.to_csv(path, index=False)
    with pytest.raises(CallLogError) as caught:
        read_call_log(path)
    assert str(caught.value).startswith(f"{path}: row 3: {column}: {reason}"), caught.value
    rows[column] = ["", "30", "12"]
    rows.to_csv(path, index=False)
    assert read_call_log(path).table[column].tolist() == [0.0, 30.0, 12.0]


def _consults(days: int, **calls) -> dict:
    """``_desk`` whose calls consult experts half the time: the caller on hold meanwhile."""
    scenario = _desk(days=days, staff=8, consult={
        "probability": 0.5, "to": "experts", "talk": {"dist": "exponential", "mean": "1m"}},
        **calls)
    scenario["contact_types"]["experts"] = {"arrivals": {"rate": 0},
                                            "handle": {"dist": "exponential", "mean": "3m"}}
    scenario["agents"]["experts"] = {"skills": ["experts"], "staff": 3}
    return scenario


def test_a_csv_copy_of_ccsim_contacts_reads_alike(tmp_path):
    """The contacts of ccsim saved as CSV: the same hold and wrap-up as the Parquet file.

    And a bad cell there is one line naming file, row and column (it was numpy's
    ValueError, uncaught).
    """
    contacts, log = _log(tmp_path, _consults(days=1))
    assert (log.table["hold"] > 0).sum() > 50 and (log.table["wrap_up"] > 0).sum() > 50
    contacts.to_csv(tmp_path / "contacts.csv", index=False)
    again = read_call_log(tmp_path / "contacts.csv")
    for column in ("hold", "wrap_up"):
        np.testing.assert_array_equal(again.table[column], log.table[column])
    contacts["hold"] = contacts["hold"].astype(object)
    contacts.loc[contacts.index[5], "hold"] = "soon"
    contacts.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(CallLogError, match=r"bad\.csv: row \d+: hold: not a number"):
        read_call_log(tmp_path / "bad.csv")


def test_after_call_work_some_contacts_lack_is_fitted_by_its_mean_and_cv(tmp_path):
    """Zeros among the wrap-up times: a gamma of all times' mean and cv, and a note.

    Raised to a millisecond and fitted by likelihood, 80% zeros made a lognormal of
    cv 20,000 and a mean far from the logged one. A scenario's wrap-up follows every
    contact: the gamma keeps the agents' mean work (the load) and its spread.
    """
    work = np.where(np.arange(2000) % 5 == 0, 60.0 + np.arange(2000) % 7, 0.0)
    rows = pd.DataFrame({"arrival": np.arange(2000) * 30.0 % 36000 + 8 * 3600,
                         "wait": 0.0, "outcome": "answered",
                         "handle": 200.0 + np.arange(2000) % 13, "wrap_up": work})
    rows.to_csv(tmp_path / "log.csv", index=False)
    fitted = fit_log(read_call_log(tmp_path / "log.csv"), 3600.0)
    spec = fitted.types["calls"].wrap_up
    assert spec["dist"] == "gamma"
    assert spec["mean"] == pytest.approx(work.mean(), rel=1e-3)
    assert spec["cv"] == pytest.approx(work.std() / work.mean(), rel=1e-3)
    assert any("80% of answered contacts" in note for note in fitted.notes), fitted.notes


def test_a_hold_within_timestamps_is_not_counted_twice(tmp_path):
    """Timed by answer and end, a contact's talk is end - answer - hold: its hold once.

    The fitted handle (talk and hold) is end - answer; it was end - answer + hold. A
    hold longer than the call is refused on one line.
    """
    rows = pd.DataFrame({"arrival": [0.0, 60.0, 120.0], "answer": [10.0, 70.0, 125.0],
                         "end": [310.0, 270.0, 425.0], "outcome": ["answered"] * 3,
                         "hold": [60.0, 0.0, 30.0]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    log = read_call_log(tmp_path / "log.csv")
    assert log.table["handle"].tolist() == [240.0, 200.0, 270.0]  # the talk
    assert log.on_call().tolist() == [300.0, 200.0, 300.0]
    rows.loc[1, "hold"] = 250.0
    rows.to_csv(tmp_path / "log.csv", index=False)
    with pytest.raises(CallLogError, match=r"log\.csv: row 2: hold: must not exceed"):
        read_call_log(tmp_path / "log.csv")


def test_a_caller_on_hold_holds_a_line(tmp_path):
    """Trunk lines from a log with holds: a caller on hold is on a line too (10 lines).

    Counted through its wait and talk alone, 10 lines were fitted as 9.
    """
    scenario = _consults(days=2, arrivals={"per_interval": [120.0] * 8})
    scenario["lines"] = 10
    contacts, log = _log(tmp_path, scenario)
    assert contacts["blocked"].sum() > 30 and (contacts["hold"] > 0).sum() > 200
    assert fit_log(log, 3600.0).lines == 10


def test_a_replayed_contact_talks_and_holds_its_logged_time(tmp_path):
    """trace_handle: a contact answered in the log talks its talk and hold, as fitted."""
    _, log = _log(tmp_path, _consults(days=1))
    table = log.table
    table.assign(arrival=log.seconds()).to_csv(tmp_path / "calls.csv", index=False)
    replay = {"name": "replay", "days": 1, "open": "08:00", "close": "16:00",
              "interval": "1h", "contact_types": {"calls": {
                  "arrivals": {"trace": "calls.csv", "trace_handle": True},
                  "handle": {"dist": "exponential", "mean": "4m"}}},
              "agents": {"team": {"skills": ["calls"], "staff": 30}}}
    contacts = sim.run(scenario_from_dict(replay, base_dir=tmp_path), seed=1).contacts
    answered = (table["outcome"] == "answered").to_numpy()
    np.testing.assert_allclose(contacts.sort_values("arrival")["handle"].to_numpy()[answered],
                               log.on_call()[answered], atol=1e-6)


def test_a_repeat_delay_runs_from_the_end_of_the_hold_too(tmp_path):
    """Without end times a contact ends after its menu, wait, talk and hold."""
    from sim.fit_repeats import repeat_gaps

    rows = pd.DataFrame({"arrival": [0.0, 1000.0], "wait": [10.0, 0.0],
                         "outcome": ["answered"] * 2, "handle": [200.0, 100.0],
                         "hold": [90.0, 0.0], "customer": ["a", "a"]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    gaps = repeat_gaps(read_call_log(tmp_path / "log.csv").table)
    assert gaps.tolist()[1] == pytest.approx(1000.0 - 10.0 - 200.0 - 90.0)
