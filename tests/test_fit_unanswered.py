"""Callers still waiting when a run ended are arrivals of its log, censored in patience.

``contacts.parquet`` keeps every contact that reached a queue, those never answered and
still waiting at the end of the run among them (outcome ``unanswered``: a caller with no
patience, or one who took a callback nobody made). Read back as a call log
(``ccsim fit``), such a caller arrived: it counts in the arrivals of its interval, and in
the patience fit it is a lower bound (right-censored at its time waiting on the phone),
neither answered nor abandoned. Left out, a run with nobody on duty in its last hour was
fitted with the hour's arrivals short by the callers still waiting (all of them without
patience, then the hour was not fitted at all).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calllog import CallLog, read_call_log
from sim.calllog_ccsim import ccsim_table
from sim.fit import fit_log
from sim.loader import scenario_from_dict

RATE = 720.0  # calls an hour, every hour


def _short_last_hour(**journey) -> dict:
    """Four hours of 720 calls an hour, answered by 50 agents, and nobody in the fourth."""
    calls = {"arrivals": {"rate": f"{RATE:g}/h"},
             "handle": {"dist": "exponential", "mean": "4m"}, **journey}
    return {"name": "short last hour", "days": 1, "open": "08:00", "close": "12:00",
            "interval": "1h", "contact_types": {"calls": calls},
            "agents": {"pool": {"skills": ["calls"], "staff": [50, 50, 50, 0]}}}


WITH_CALLBACKS = {"patience": {"dist": "exponential", "mean": "5m"},
                  "callback": {"threshold": "1m", "accept": 0.3}}


def _run_and_fit(tmp_path, spec: dict, seed: int = 3):
    """The run's contacts (its one replication), and their fit at hourly intervals."""
    result = sim.run(scenario_from_dict(spec), seed=seed)
    result.contacts.to_parquet(tmp_path / "contacts.parquet")
    return result, fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0)


@pytest.mark.parametrize("journey", [{}, WITH_CALLBACKS], ids=["no_patience", "callbacks"])
def test_the_unanswered_hour_is_fitted_at_its_rate(tmp_path, journey):
    """Each hour's fitted rate is within 4 standard errors of the true 720 an hour.

    One day: each hourly count is Poisson with mean 720, standard error sqrt(720) = 27
    calls. Without patience every caller of the fourth hour is still waiting at the end;
    with patience and callbacks, about 3 in 10 are (they took a callback nobody made).
    """
    result, fitted = _run_and_fit(tmp_path, _short_last_hour(**journey))
    waiting = (result.contacts["outcome"] == "unanswered").sum()
    assert waiting > 150  # the fault this checks has something to lose
    assert (fitted.open, fitted.close) == (8 * 3600.0, 12 * 3600.0)
    per_hour = fitted.types["calls"].arrivals.per_interval
    tolerance = 4 * np.sqrt(RATE)
    assert len(per_hour) == 4
    for hour, count in enumerate(per_hour):
        assert abs(count - RATE) <= tolerance, (hour, count, tolerance)


def test_the_fit_counts_abandons_as_the_run_does(tmp_path):
    """Abandon rate = abandoned / offered, the unanswered offered; callback takers uncensored.

    The run's own ``abandon_rate`` KPI is the oracle. A caller who took a callback hung
    up on entering the queue: its patience is told no further than its time on the phone
    (0 s here), not its wait for a call back that never came (hours, read as patience).
    """
    result, fitted = _run_and_fit(tmp_path, _short_last_hour(**WITH_CALLBACKS))
    c = result.contacts
    assert (c["outcome"] == "unanswered").sum() > 150
    calls = fitted.types["calls"]
    assert calls.abandon_rate == pytest.approx(result.summary["abandon_rate"], abs=1e-12)
    answered = c["answered"].to_numpy(bool)
    on_phone = ~c["callback"].to_numpy(bool)
    assert calls.patience.abandoned == int((c["outcome"] == "abandoned").sum())
    assert calls.patience.censored == int((answered & on_phone & (c["wait"] > 0)).sum())
    assert calls.handle_values.size == int(answered.sum())


def _hand_made() -> pd.DataFrame:
    """Five contacts of one replication: 2 answered, 2 abandoned, 1 still waiting at the end."""
    rows = [  # arrival, outcome, answered, wait, handle
        (28_800.0, "completed", True, 10.0, 200.0),
        (28_900.0, "completed", True, 30.0, 260.0),
        (29_000.0, "abandoned", False, 40.0, np.nan),
        (29_100.0, "abandoned", False, 80.0, np.nan),
        (29_200.0, "unanswered", False, 1_000.0, np.nan),
    ]
    frame = pd.DataFrame(rows, columns=["arrival", "outcome", "answered", "wait", "handle"])
    n = len(frame)
    return frame.assign(replication=0, contact_id=np.arange(n), issue_id=np.arange(n),
                        contact_type="calls", queue_time=frame["wait"],
                        group=np.where(frame["answered"], "pool", None),
                        transfers=0, callback=False)


def test_a_caller_still_waiting_is_a_censored_patience():
    """Exponential censored MLE: (sum of every wait) / abandons = (10+30+40+80+1000) / 2.

    The caller still waiting after 1,000 s had a patience of at least 1,000 s: neither an
    abandon (that would be 3 abandons) nor left out (that would be 160 / 2 = 80 s).
    """
    table = ccsim_table(_hand_made())
    assert table["outcome"].tolist() == ["answered", "answered", "abandoned", "abandoned",
                                         "unanswered"]
    calls = fit_log(CallLog("hand", table), 3600.0).types["calls"]
    assert calls.contacts == 5
    assert (calls.patience.abandoned, calls.patience.censored) == (2, 3)
    exponential = next(f for f in calls.patience.fits if f.family == "exponential")
    assert exponential.frozen.mean() == pytest.approx((10 + 30 + 40 + 80 + 1000) / 2)
    assert sorted(calls.handle_values.tolist()) == [200.0, 260.0]
    assert calls.abandon_rate == pytest.approx(2 / 5)
