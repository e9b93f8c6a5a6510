"""Transfers to a back office, fitted from a call log (sim.fit_transfers).

Fitted as before, a back office reached only by transfer (experts, specialists) answered
the front desk's type from the start, pooled with the desk, at the mean talk of both legs:
the desk's callers were answered by the experts too, and ``wrap_up.yaml``'s own contacts
backtested 12.7 points of service level off per interval. Here the log's own contacts of
a desk transferring a fifth of its calls to experts (cold) are fitted, and the fitted
numbers are held against the scenario that made them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calllog import read_call_log
from sim.cli_fit import _summary
from sim.fit import fit_log
from sim.fit_report import fit_html
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict

P, DESK, EXPERT = 0.2, 240.0, 600.0  # the transfer's chance; the talks' means (exponential)


def _office(days: int, staff: int = 3) -> dict:
    """A desk of 6 transferring a fifth of its calls to ``staff`` experts, 8 hours a day."""
    patience = {"dist": "exponential", "mean": "5m"}
    return {"name": "office", "days": days, "open": "08:00", "close": "16:00", "interval": "1h",
            "service_level": {"threshold": "20s", "target": 0.8},
            "contact_types": {
                "desk": {"arrivals": {"per_interval": [70.0] * 8},
                         "handle": {"dist": "exponential", "mean": DESK}, "patience": patience,
                         "transfer": {"probability": P, "to": "expert"}},
                "expert": {"arrivals": {"rate": 0}, "patience": patience,
                           "handle": {"dist": "exponential", "mean": EXPERT}}},
            "agents": {"front": {"skills": ["desk"], "staff": 6},
                       "experts": {"skills": ["expert"], "staff": staff}}}


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    """The office's own contacts over 10 days (seed 5), fitted."""
    path = tmp_path_factory.mktemp("office") / "contacts.parquet"
    sim.run(scenario_from_dict(_office(10)), seed=5).contacts.to_parquet(path)
    return fit_log(read_call_log(path), 3600.0)


def test_the_back_office_is_a_type_reached_by_transfer(fitted):
    """The desk transfers to a type named after the experts, who answer it alone.

    Each fitted number is the truth's within 4 standard errors of its estimate: the
    share transferred (binomial), the desk's talk (untransferred contacts' mean), the
    experts' talk (the moved contacts' talk less the desk's mean: the variances add).
    """
    t = fitted.log.table
    answered = t[t["outcome"] == "answered"]
    spec = scenario_dict(fitted, "fitted")
    desk, expert = spec["contact_types"]["desk"], spec["contact_types"]["experts"]
    assert desk["transfer"]["to"] == "experts"
    assert spec["agents"]["experts"]["skills"] == ["experts"]
    assert spec["agents"]["front"]["skills"] == ["desk"]
    assert expert["arrivals"] == {"rate": 0} and expert["patience"] == desk["patience"]
    n = len(answered)
    assert abs(desk["transfer"]["probability"] - P) < 4 * np.sqrt(P * (1 - P) / n)
    plain = answered.loc[answered["transfers"] == 0, "handle"]
    moved = answered.loc[(answered["transfers"] > 0) & (answered["group"] == "experts"),
                         "handle"]
    assert abs(fitted.types["desk"].handle.frozen.mean() - DESK) < 4 * DESK / np.sqrt(len(plain))
    se = np.sqrt((DESK**2 + EXPERT**2) / len(moved) + DESK**2 / len(plain))
    assert abs(expert["handle"]["mean"] - EXPERT) < 4 * se
    # an exponential's cv is 1; the variance of a sum of exponentials estimated from n
    # values has a relative standard error of about sqrt(8 / n): 4 of them, halved for the cv
    assert abs(expert["handle"]["cv"] - 1.0) < 2 * np.sqrt(8 / len(moved)) * 2
    assert sim.run(scenario_from_dict(spec), seed=1).summary["answered"] > 0


def test_the_fitted_desk_answers_as_the_real_one(fitted):
    """Hold-out: the fitted scenario's service level is the truth's, on fresh replications.

    Both run 10 replications of 5 days with another seed; their service levels agree
    within 4 standard errors of the difference (from the replications). Pooled with the
    experts, the fitted desk answered in time far more often (0.83 against 0.73: 9 of them).
    """
    spec = scenario_dict(fitted, "fitted") | {"days": 5}
    levels = [sim.run(scenario_from_dict(s), replications=10, seed=11
                      ).replications["service_level"] for s in (_office(5), spec)]
    se = np.sqrt(sum(x.var(ddof=1) / len(x) for x in levels))
    assert abs(levels[1].mean() - levels[0].mean()) < 4 * se, (levels[0].mean(),
                                                               levels[1].mean(), se)


def test_the_fit_says_it(fitted):
    """The printed fit and the report name the transfer and the type reached by it."""
    lines = [line.strip() for line in _summary(fitted)]
    share = fitted.types["desk"].transfer.probability
    assert (f"transfer        {share:.2%} of answered to experts (those that ended with group "
            "experts)") in lines
    assert any(x.startswith("reached         only by transfer, from desk (group experts)")
               for x in lines), lines
    assert "group experts: 3 agents, answers experts" in lines
    page = fit_html(fitted, [])
    assert "<h2>experts</h2>" in page and "only by transfer, from desk" in page


def test_a_group_with_callers_of_its_own_is_no_back_office(tmp_path):
    """Transferred to a group that answers its own callers too: no transfer fitted (as before).

    The second leg's talk cannot be told there (the log gives a contact's talk on both legs).
    """
    spec = _office(3)
    spec["contact_types"]["expert"]["arrivals"] = {"per_interval": [10.0] * 8}
    sim.run(scenario_from_dict(spec), seed=2).contacts.to_parquet(tmp_path / "c.parquet")
    fitted = fit_log(read_call_log(tmp_path / "c.parquet"), 3600.0)
    assert fitted.second_legs == {} and fitted.types["desk"].transfer is None
    types = scenario_dict(fitted, "f")["contact_types"]
    assert set(types) == {"desk", "expert"} and "transfer" not in types["desk"]


def test_without_groups_or_transfers_nothing_changes(tmp_path):
    """A log without the group column (or no transfer) fits no transfer."""
    rows = pd.DataFrame({"arrival": ["2026-03-02T08:00:00", "2026-03-02T08:01:00"],
                         "wait": [0, 0], "outcome": ["answered"] * 2, "handle": [600, 300],
                         "transfers": [1, 0]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    fitted = fit_log(read_call_log(tmp_path / "log.csv"), 1800.0)
    assert fitted.second_legs == {} and "transfer" not in scenario_dict(
        fitted, "f")["contact_types"]["calls"]


PAT = {"dist": "exponential", "mean": "5m"}
IVR = {"time": {"dist": "deterministic", "value": 30}, "misroute": 0.25,
       "misroute_talk": {"dist": "exponential", "mean": 60}}


def _misrouted(days: int = 5) -> dict:
    """Refund misrouted 25% and transferring 10% to a back office; relations misrouted only."""
    return {"name": "m", "days": days, "open": "08:00", "close": "16:00", "interval": "1h",
            "service_level": {"threshold": "20s", "target": 0.8},
            "contact_types": {
                "refund": {"arrivals": {"per_interval": [60.0] * 8}, "patience": PAT,
                           "handle": {"dist": "exponential", "mean": 240}, "ivr": IVR,
                           "transfer": {"probability": 0.1, "to": "specialist"}},
                "relations": {"arrivals": {"per_interval": [40.0] * 8}, "patience": PAT,
                              "handle": {"dist": "exponential", "mean": 240}, "ivr": IVR},
                "specialist": {"arrivals": {"rate": 0}, "patience": PAT,
                               "handle": {"dist": "exponential", "mean": 600}}},
            "agents": {"refunds": {"skills": ["refund"], "staff": 7},
                       "rel": {"skills": ["relations"], "staff": 5},
                       "spec": {"skills": ["specialist"], "staff": 3}}}


def test_misrouted_contacts_are_not_counted_as_transfers_to_the_back_office(tmp_path):
    """A misroute put right is no transfer to the back office that hung up on the way.

    It ends with its own type's group, transfers=1 (ccsim's contacts mark it misrouted).
    The fitted chance was 0.32 for a true 0.10, and relations, which never transfers
    there, got 0.24 (found in review).
    """
    path = tmp_path / "c.parquet"
    sim.run(scenario_from_dict(_misrouted()), seed=3).contacts.to_parquet(path)
    fitted = fit_log(read_call_log(path), 3600.0)
    types = scenario_dict(fitted, "f")["contact_types"]
    assert abs(types["refund"]["transfer"]["probability"] - 0.10) < 0.03, types["refund"]
    relations = types["relations"].get("transfer")
    assert relations is None or relations["probability"] < 0.02, relations


def _two_desks(p_b: float) -> dict:
    return {"name": "two", "days": 5, "open": "08:00", "close": "16:00", "interval": "1h",
            "service_level": {"threshold": "20s", "target": 0.8},
            "contact_types": {
                "a": {"arrivals": {"per_interval": [60.0] * 8}, "patience": PAT,
                      "handle": {"dist": "exponential", "mean": 120},
                      "transfer": {"probability": 0.2, "to": "expert"}},
                "b": {"arrivals": {"per_interval": [20.0] * 8}, "patience": PAT,
                      "handle": {"dist": "exponential", "mean": 400},
                      "transfer": {"probability": p_b, "to": "expert"}},
                "expert": {"arrivals": {"rate": 0}, "patience": PAT,
                           "handle": {"dist": "exponential", "mean": 600}}},
            "agents": {"fa": {"skills": ["a"], "staff": 4}, "fb": {"skills": ["b"], "staff": 4},
                       "experts": {"skills": ["expert"], "staff": 6}}}


def test_a_source_always_transferring_does_not_cancel_the_others_transfer(tmp_path):
    """Desk b transfers every call to the experts (a triage line), desk a a fifth.

    b's first leg cannot be told (no untransferred contact): b is left out, said so, and
    a's transfer fitted; the whole back office was dropped, with a note that its contacts
    'took no longer than the others', 600 s more (found in review).
    """
    path = tmp_path / "c.parquet"
    sim.run(scenario_from_dict(_two_desks(1.0)), seed=3).contacts.to_parquet(path)
    fitted = fit_log(read_call_log(path), 3600.0)
    assert not any("took no longer than the others" in n for n in fitted.notes), fitted.notes
    assert fitted.types["a"].transfer is not None and fitted.types["b"].transfer is None
    assert "b: (nearly) every answered contact transferred: a first leg's talk cannot be told " \
           "from the second's, no transfer fitted" in fitted.notes
    spec = scenario_dict(fitted, "f")
    assert spec["contact_types"]["a"]["transfer"]["to"] == "experts"
    assert sim.run(scenario_from_dict(spec), seed=1).summary["answered"] > 0
