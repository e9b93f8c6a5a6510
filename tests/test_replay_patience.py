"""A replay with ``trace_patience``: each logged caller's patience is what its log says.

A caller who abandoned after waiting w on the phone had a patience of w; one answered
after w (or still waiting after w when the log ended) had one of at least w. Replayed
with ``trace_patience: true`` the first gives up at w again, and the second's patience
is drawn from the type's ``patience`` above w. Drawn afresh (the default), a patience
has nothing to do with the log: under any seed but the run's own, other callers abandon.

The measure: the contacts whose outcome (abandoned or not) differs between the log and
its replay with the staffing that produced it, contact by contact in arrival order.
With ``trace_patience`` and ``trace_handle`` the replay is the log, under any seed
(every caller's patience falls on the same side of its wait, by induction over the
queue's events), so none differs; drawn, a share about the abandon rate does.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.distributions import parse_distribution
from sim.loader import scenario_from_dict
from sim.logged_patience import cdf, logged_patience
from sim.results_folder import write_run
from sim.scenario_errors import ScenarioError

SPEC = {
    "name": "patience replay", "days": 2, "open": "08:00", "close": "12:00",
    "interval": "30m",
    "contact_types": {
        "calls": {"arrivals": {"rate": "100/h"},
                  "handle": {"dist": "lognormal", "mean": "4m", "cv": 0.8},
                  "patience": {"dist": "gamma", "mean": "2m", "cv": 0.7}}},
    "agents": {"desk": {"skills": ["calls"], "staff": 6}},
}


def _replay(folder, seed: int, staff: int = 6, trace_patience: bool = False) -> pd.DataFrame:
    spec = copy.deepcopy(SPEC)
    arrivals = {"trace": "contacts.parquet", "trace_handle": True}
    if trace_patience:
        arrivals["trace_patience"] = True
    spec["contact_types"]["calls"]["arrivals"] = arrivals
    spec["agents"]["desk"]["staff"] = staff
    result = sim.run(scenario_from_dict(spec, base_dir=folder), seed=seed)
    return result.contacts.sort_values("arrival", kind="stable").reset_index(drop=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The log (seed 8), its replays under seed 9, drawn and logged, and with 5 agents."""
    folder = tmp_path_factory.mktemp("patience_replay")
    result = sim.run(scenario_from_dict(SPEC), seed=8)
    write_run(result, folder)
    log = result.contacts.sort_values("arrival", kind="stable").reset_index(drop=True)
    return {"log": log, "drawn": _replay(folder, 9), "logged": _replay(folder, 9, 6, True),
            "logged_again": _replay(folder, 9, 6, True),
            "fewer": _replay(folder, 9, 5, True), "folder": folder}


def _gave_up(contacts: pd.DataFrame) -> np.ndarray:
    return (contacts["outcome"] == "abandoned").to_numpy()


def test_logged_patience_reproduces_who_abandoned(runs):
    """Outcomes differing from the log's: none with trace_patience, many drawn afresh."""
    log, drawn, logged = runs["log"], runs["drawn"], runs["logged"]
    assert len(drawn) == len(logged) == len(log)
    assert _gave_up(log).sum() > 40  # a queue with abandons to reproduce
    differ_drawn = int((_gave_up(drawn) != _gave_up(log)).sum())
    differ_logged = int((_gave_up(logged) != _gave_up(log)).sum())
    assert differ_logged == 0, differ_logged
    assert differ_drawn > 10, differ_drawn
    np.testing.assert_allclose(logged["wait"], log["wait"], rtol=0, atol=1e-6)


def test_the_same_seed_gives_the_same_replay(runs):
    """trace_patience draws from the patience stream: a seed gives one result."""
    pd.testing.assert_frame_equal(runs["logged"], runs["logged_again"])


def test_fewer_agents_keep_the_logged_patience(runs):
    """With 5 agents: a logged abandon gives up at its logged wait; no one sooner than logged.

    An answered caller's patience is drawn above its logged wait: if it abandons now, it
    waited longer than it did in the log.
    """
    log, fewer = runs["log"], runs["fewer"]
    gave_up_now = _gave_up(fewer)
    assert fewer["wait"].mean() > log["wait"].mean() + 1.0  # the queue is longer
    both = gave_up_now & _gave_up(log)
    assert both.sum() > 40
    np.testing.assert_allclose(fewer["wait"][both], log["wait"][both], rtol=0, atol=1e-6)
    newly = gave_up_now & ~_gave_up(log)
    assert newly.sum() > 5
    assert (fewer["wait"][newly] >= log["wait"][newly] - 1e-6).all()


def test_trace_patience_needs_a_trace():
    """trace_patience without a trace is refused, naming the field."""
    spec = copy.deepcopy(SPEC)
    spec["contact_types"]["calls"]["arrivals"] = {"rate": "5/h", "trace_patience": True}
    with pytest.raises(ScenarioError, match="'trace_patience' needs a 'trace'"):
        scenario_from_dict(spec)


def test_a_scenario_without_it_dumps_as_before(runs):
    """``trace_patience`` is dumped only where set: scenario.json and sweep prints unchanged."""
    spec = copy.deepcopy(SPEC)
    spec["contact_types"]["calls"]["arrivals"] = {"trace": "contacts.parquet"}
    plain = scenario_from_dict(spec, base_dir=runs["folder"])
    assert "trace_patience" not in plain.model_dump()["contact_types"]["calls"]["arrivals"]
    spec["contact_types"]["calls"]["arrivals"]["trace_patience"] = True
    told = scenario_from_dict(spec, base_dir=runs["folder"])
    assert told.model_dump()["contact_types"]["calls"]["arrivals"]["trace_patience"] is True
    assert told.contact_types["calls"].arrivals.trace_digest() != (
        plain.contact_types["calls"].arrivals.trace_digest())


FAMILIES = [
    {"dist": "exponential", "mean": "2m"},
    {"dist": "lognormal", "mean": "2m", "cv": 1.3},
    {"dist": "gamma", "mean": "2m", "cv": 0.5},
    {"dist": "erlang", "mean": "2m", "k": 3},
    {"dist": "uniform", "low": "30s", "high": "5m"},
    {"dist": "triangular", "low": "10s", "mode": "1m", "high": "6m"},
]


@pytest.mark.parametrize("spec", FAMILIES, ids=[f["dist"] for f in FAMILIES])
def test_a_censored_patience_is_the_distribution_above_the_wait(spec):
    """Drawn above a wait w: distributed as the patience given it exceeds w (KS test).

    ``cdf`` is checked against the family's own draws first (its parameters as ``sample``
    reads them); then 4,000 draws above w = the median against (F(x) - F(w)) / (1 - F(w)).
    A KS p-value under 1e-4 (a 1-in-10,000 false alarm) fails.
    """
    patience = parse_distribution(spec)
    rng = np.random.default_rng(5)
    assert stats.kstest(patience.sample(rng, 4000), lambda x: cdf(patience, x)).pvalue > 1e-4
    w = float(np.median(patience.sample(rng, 4000)))
    drawn = logged_patience(patience, rng.random(4000), np.full(4000, w), np.zeros(4000, bool))
    assert (drawn >= w).all()
    below = cdf(patience, np.array([w]))[0]
    truncated = stats.kstest(drawn, lambda x: (cdf(patience, x) - below) / (1 - below))
    assert truncated.pvalue > 1e-4


def test_logged_patience_of_the_simple_cases():
    """Abandoned: the wait; no patience: never hangs up; empirical: a value above the wait."""
    wait, gave_up = np.array([30.0, 30.0, 100.0, 500.0]), np.array([True, False, False, False])
    u = np.array([0.5, 0.5, 0.99, 0.5])
    assert logged_patience(None, u, wait, gave_up).tolist() == [30.0, np.inf, np.inf, np.inf]
    values = parse_distribution({"dist": "empirical", "values": [20, 60, 120, 240]})
    # above 30: 60, 120 or 240 alike (u 0.5: 120); above 100: 120 or 240 (0.99: 240);
    # above 500 none: the wait itself
    assert logged_patience(values, u, wait, gave_up).tolist() == [30.0, 120.0, 240.0, 500.0]
    fixed = parse_distribution({"dist": "deterministic", "value": 60})
    assert logged_patience(fixed, u, wait, gave_up).tolist() == [30.0, 60.0, 100.0, 500.0]
