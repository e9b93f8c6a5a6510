"""Staffing a group whose work comes from transfers and consults (second legs).

A specialist desk reached only by transfer has no first contacts of its own: a start from
first-line arrivals gives it no agents, and a goal judged on first waits only is met
while the transferred customers wait in its queue for ever. The start plan counts the
second legs' load, and the search judges the legs waiting in each queue.
"""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner
from scipy import integrate, stats

import sim
from sim.cli import main
from sim.loader import scenario_from_dict
from sim.staffing import find_staffing, group_loads
from sim.staffing_start import agent_time

TRIAGE = {
    "name": "triage desk handing half its calls on", "seed": 5, "days": 1,
    "open": "08:00", "close": "11:00", "interval": "1h",
    "service_level": {"threshold": "30s", "target": 0.8},
    "contact_types": {
        "triage": {"arrivals": {"rate": "100/h"},
                   "handle": {"dist": "exponential", "mean": "2m"},
                   "patience": {"dist": "exponential", "mean": "3m"},
                   "transfer": {"probability": 0.5, "to": "specialist"}},
        "specialist": {"arrivals": {"rate": 0},
                       "handle": {"dist": "exponential", "mean": "6m"},
                       "patience": {"dist": "exponential", "mean": "5m"}}},
    "agents": {"desk": {"skills": ["triage"], "staff": 6},
               "specialists": {"skills": ["specialist"], "staff": 6}},
}


def leg_service_level(result: sim.RunResult, queue: str, threshold: float) -> tuple[float, int]:
    """Share of the legs that entered ``queue`` after a first leg answered within ``threshold``."""
    legs = result.legs
    legs = legs[(legs["queue"] == queue) & (legs["reason"] != "duplicate")]
    answered = legs["answered"].notna() & (legs["wait"] <= threshold)
    return float(answered.mean()), len(legs)


def test_start_counts_the_transferred_load():
    """The specialists' start load is half the triage calls x the specialist's handle time."""
    scenario = scenario_from_dict(TRIAGE)
    _, work, _ = group_loads(scenario)
    specialist = scenario.contact_types["specialist"]
    expected = 0.5 * 100 / 3600 * agent_time(specialist, 1.0)  # 5 Erlangs
    np.testing.assert_allclose(work[1], expected, rtol=1e-12)


def test_start_counts_consults_asked_in_a_consult():
    """fraud_consult.yaml: billing consults fraud, whose agents consult cloning in turn.

    Billing's customers hang up after an exponential 6 minutes on hold, calling the
    consult off: fraud talks E[min(T, P)] = m (1 - E[exp(-T / m)]) of its lognormal 4
    minutes (cv 0.5), m = 360 s (integrated here by scipy). Fraud asks cloning halfway
    through its talk, if the customer still holds (E[exp(-T / 2m)]), and the patience
    left is exponential again (memoryless): cloning's lognormal 5 minutes are cut alike,
    as the engine calls the chain off (before, they were counted whole).
    """
    scenario = sim.load_scenario("scenarios/fraud_consult.yaml")
    _, work, _ = group_loads(scenario)
    consults = 180 / 3600 * 0.3  # billing's consults per second
    sigma2 = np.log(1 + 0.5**2)

    def mean_exp(mean: float, scale: float) -> float:  # E[exp(-T / scale)], T lognormal
        talk = stats.lognorm(s=np.sqrt(sigma2), scale=mean * np.exp(-sigma2 / 2))
        return integrate.quad(lambda t: np.exp(-t / scale) * talk.pdf(t), 0, np.inf)[0]

    cut = 360.0 * (1 - mean_exp(240.0, 360.0))
    np.testing.assert_allclose(work[1], consults * cut, rtol=1e-4)  # their talk, cut short
    holding = mean_exp(240.0, 720.0)
    cloning = consults * 0.15 * holding * 360.0 * (1 - mean_exp(300.0, 360.0))
    np.testing.assert_allclose(work[2], cloning, rtol=1e-3)


def test_triage_goal_is_judged_in_the_specialist_queue():
    """Half the triage calls wait for a specialist: the plan staffs them, and they are answered."""
    scenario = scenario_from_dict(TRIAGE)
    result = find_staffing(scenario, replications=2, holdout=0, trim_budget=0)
    specialists = result.table[result.table["group"] == "specialists"]
    assert (specialists["simulated"] > 0).all()
    # the plan meets the goal on the search's own replications: the specialist queue too
    run = sim.run(result.scenario, seed=result.seed, replications=2)
    level, legs = leg_service_level(run, "specialist", 30.0)
    assert legs > 0.5 * 100 * 3 * 2 * 0.5  # half of the answered calls, roughly
    assert level >= 0.8 - 1e-12


def test_wrap_up_staffs_its_specialists(tmp_path):
    """`ccsim staff` on the bundled wrap_up.yaml exits 0, specialists on, transfers answered."""
    out = tmp_path / "staffed.yaml"
    result = CliRunner().invoke(main, ["staff", "scenarios/wrap_up.yaml", "-r", "2",
                                       "--set", "days=1", "--quiet", "--out", str(out)])
    assert result.exit_code == 0, result.output
    staffed = sim.load_scenario(str(out))
    assert min(np.atleast_1d(staffed.agents["specialists"].staff)) > 0
    run = sim.run(staffed, seed=staffed.seed, replications=2)
    level, legs = leg_service_level(run, "specialist", 30.0)
    assert legs > 0
    assert level >= 0.8 - 1e-12
