"""A run's own contacts replayed as a trace give the run back, contact for contact.

Parity (tier 6): a scenario is run, its ``contacts.parquet`` replayed by the same
scenario with ``arrivals: {trace: contacts.parquet, trace_handle: true}``. The replay
takes each contact's arrival, type and talk (with its hold) from the log and draws the
rest from the same streams (patience per type in arrival order, wrap-up and IVR keyed by
the customer), so with no repeat, retrial or transfer every contact's wait, outcome,
answer and end agree too; under another seed, only what the log tells (arrivals, types
and the talks of the contacts answered in both) is sure to. With fewer agents, the
replay's customers are the same people (arrivals, talks, patience: a caller who gives up
in both gives up at the same wait); only the waits change.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import sim
from sim.loader import scenario_from_dict
from sim.results_folder import write_run

SPEC = {
    "name": "round trip", "days": 2, "open": "08:00", "close": "12:00", "interval": "30m",
    "lines": 11,
    "contact_types": {
        "billing": {"arrivals": {"rate": "70/h", "day_factors": {"monday": 1.2,
                                                                 "tuesday": 1.0}},
                    "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.8},
                    "patience": {"dist": "exponential", "mean": "2m"},
                    "wrap_up": {"dist": "gamma", "mean": "30s", "cv": 0.5},
                    "ivr": {"time": {"dist": "uniform", "low": "10s", "high": "40s"}}},
        "cards": {"arrivals": {"rate": "30/h"},
                  "handle": {"dist": "gamma", "mean": "6m", "cv": 0.6},
                  "patience": {"dist": "exponential", "mean": "3m"}}},
    "agents": {"desk": {"skills": ["billing", "cards"], "staff": 9}},
}
COLUMNS = ["arrival", "answer", "end", "wait", "handle", "wrap_up"]


def _contacts(spec: dict, folder, seed: int = 8) -> pd.DataFrame:
    result = sim.run(scenario_from_dict(spec, base_dir=folder), seed=seed)
    return result.contacts.sort_values(["arrival", "contact_type"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The run, its replay, the replay with 7 agents instead of 9, and with another seed."""
    folder = tmp_path_factory.mktemp("round_trip")
    result = sim.run(scenario_from_dict(SPEC), seed=8)
    write_run(result, folder)
    replay = copy.deepcopy(SPEC)
    for ct in replay["contact_types"].values():
        ct["arrivals"] = {"trace": "contacts.parquet", "trace_handle": True}
    fewer = copy.deepcopy(replay)
    fewer["agents"]["desk"]["staff"] = 7
    ran = result.contacts.sort_values(["arrival", "contact_type"]).reset_index(drop=True)
    return (ran, _contacts(replay, folder), _contacts(fewer, folder),
            _contacts(replay, folder, seed=9))


def test_the_replay_is_the_run(runs):
    """Every contact's type, outcome and times agree (to float rounding through dates)."""
    ran, again, _, _ = runs
    assert ran["outcome"].value_counts()[["abandoned", "blocked"]].min() > 0  # all kinds
    assert len(again) == len(ran)
    assert again["contact_type"].tolist() == ran["contact_type"].tolist()
    assert again["outcome"].tolist() == ran["outcome"].tolist()
    for column in COLUMNS:
        np.testing.assert_allclose(again[column], ran[column], rtol=0, atol=1e-6,
                                   err_msg=column)


def test_fewer_agents_change_waits_not_customers(runs):
    """The same arrivals and talks; a caller who abandons in both, at the same wait."""
    _, again, fewer, _ = runs
    assert len(fewer) == len(again)
    np.testing.assert_allclose(fewer["arrival"], again["arrival"], rtol=0, atol=1e-9)
    both = (fewer["answered"] & again["answered"]).to_numpy()
    np.testing.assert_allclose(fewer["handle"][both], again["handle"][both], atol=1e-9)
    gave_up = ((fewer["outcome"] == "abandoned") & (again["outcome"] == "abandoned")).to_numpy()
    assert gave_up.sum() > 10
    np.testing.assert_allclose(fewer["wait"][gave_up], again["wait"][gave_up], atol=1e-9)
    assert fewer["wait"].mean() > again["wait"].mean() + 1.0


def test_another_seed_keeps_what_the_log_tells(runs):
    """Arrivals, types and logged talks are the log's; the waits are another draw's.

    Under the run's own seed the drawn talks are the logged ones anyway: without
    ``trace_handle`` that replay is the run too. Under seed 9 they are not.
    """
    ran, _, _, other = runs
    assert len(other) == len(ran)
    np.testing.assert_allclose(other["arrival"], ran["arrival"], rtol=0, atol=1e-6)
    assert other["contact_type"].tolist() == ran["contact_type"].tolist()
    both = (other["answered"] & ran["answered"]).to_numpy()
    assert both.sum() > len(ran) / 2
    np.testing.assert_allclose(other["handle"][both], ran["handle"][both], rtol=0, atol=1e-9)
    assert not np.allclose(other["wait"].fillna(0), ran["wait"].fillna(0))
