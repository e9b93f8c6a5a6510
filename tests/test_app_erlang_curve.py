"""The hockey stick's Erlang curve describes the load the page ran, or is not drawn.

The curve took the raw handle mean and the first day's drawn contacts: a handle-time cap
(the README's classroom step on ``speed_vs_resolution``), after-call work and repeat
contacts were left out, and the grey curve was drawn for another load, far from the
simulated points (under a 5-minute cap: 0.920 at 16 agents, simulated 0.998; a pool of
48 with 30 s of wrap-up: 0.920, simulated 0.613). Journeys Erlang's model cannot
describe (transfers, callbacks, several talks) leave the curve out, said in a line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.app import hockey
from sim.app import settings as controls
from sim.app.model import Session
from sim.loader import load_scenario, scenario_from_yaml, with_overrides
from sim.replicate import run
from sim.staffing_start import agent_time

ROOT = Path(__file__).resolve().parents[1] / "scenarios"

WRAP = """
name: Erlang C with wrap-up
seed: 1
days: 1
interval: 1h
warmup: 2h
service_level: {threshold: 20s, target: 0.80}
contact_types:
  calls:
    arrivals: {rate: 600/h}
    handle: {dist: exponential, mean: 4m}
    wrap_up: {dist: lognormal, mean: 30s, cv: 0.5}
agents:
  pool:
    skills: [calls]
    staff: 48
"""


def _page_scenario(base, payload):
    wanted = controls.read_settings(payload, base, "test")
    return with_overrides(base, controls.overrides(base, wanted))


def test_the_curve_takes_the_capped_talk():
    scenario = _page_scenario(load_scenario(ROOT / "speed_vs_resolution.yaml"),
                              {"handle_cap": 300})
    assert hockey.erlang_fits(scenario) is None
    aht = hockey.offered_load(scenario)["aht"]
    assert aht == agent_time(scenario.contact_types["support"], 1.0) and aht < 300


def test_the_curve_counts_after_call_work():
    scenario = scenario_from_yaml(WRAP, source="wrap.yaml")
    assert hockey.erlang_fits(scenario) is None
    assert hockey.offered_load(scenario)["aht"] == pytest.approx(270.0)  # 240 s + 30 s


def test_the_rate_counts_the_repeat_contacts_the_run_offered():
    """Over a week, repeat calls of earlier days come on top of the drawn ones."""
    scenario = load_scenario(ROOT / "speed_vs_resolution.yaml", overrides={"days": 7})
    result = run(scenario, replications=2)
    rate = hockey.offered_load(scenario, result.intervals)["rate"]
    drawn = hockey.offered_load(scenario)["rate"]
    measured = result.intervals[(result.intervals["contact_type"] == "all")
                                & result.intervals["staff"].notna()]
    assert rate == pytest.approx(measured["offered"].mean() / scenario.interval)
    assert rate > 1.05 * drawn  # (10% of the calls come back, capped or not)


@pytest.mark.parametrize(("name", "why"), [
    ("refund_vs_relations.yaml", "several agent groups"),
    ("storm_surge.yaml", None)])
def test_journeys_erlang_cannot_describe_leave_the_curve_out(name, why):
    scenario = load_scenario(ROOT / name)
    reason = hockey.erlang_fits(scenario)
    assert reason is not None and (why is None or reason == why)


def test_a_transfer_leaves_the_curve_out():
    scenario = scenario_from_yaml(WRAP.replace(
        "    wrap_up: {dist: lognormal, mean: 30s, cv: 0.5}",
        "    transfer: {probability: 0.2, to: calls}"), source="t.yaml")
    assert hockey.erlang_fits(scenario) == ("contacts take more than one talk (transfers, "
                                           "consults, misroutes)")


def test_repeats_over_several_days_leave_the_curve_out():
    """Repeats due while closed all call at the next opening: no curve at the mean load.

    The README's classroom step on ``speed_vs_resolution`` runs 7 days: its repeat calls
    of the evening and night came in the first hour (324 calls against 113 an hour, 20%
    answered in time), and Erlang A at the day's mean load drew 97% at 16 agents where
    the run answered 81%. One day has no calls of an earlier day: its curve stays.
    """
    base = load_scenario(ROOT / "speed_vs_resolution.yaml")
    week = _page_scenario(base, {"handle_cap": 300, "days": 7})
    assert hockey.erlang_fits(week) == ("contacts coming back while closed all call at the "
                                        "next opening (a burst)")
    assert hockey.erlang_fits(_page_scenario(base, {"handle_cap": 300})) is None
    always_open = week.model_copy(update={"open": 0.0, "close": 86400.0})
    assert hockey.erlang_fits(always_open) is None


@pytest.mark.parametrize("days", [1, 7])
def test_the_curve_goes_through_the_simulated_point(days):
    """End to end on the page: the curve within 3 points of the simulated service level.

    At the current agents; it was 8 points off (0.920 against 0.998); over the README's
    7 days it was 16 points off (0.97 against 0.81): there, no curve is drawn.
    """
    session = Session(ROOT / "speed_vs_resolution.yaml")
    assert session.run({"handle_cap": 300, "replications": 3, "days": days}) is not None
    session.wait(300)
    hockey = session.state()["result"]["hockey"]
    if days > 1:
        assert hockey["curve"] == [] and hockey["model"].startswith("no Erlang curve: ")
        return
    curve = {c["agents"]: c["service_level"] for c in hockey["curve"]}
    here = next(p for p in hockey["points"] if p["agents"] == hockey["current"])
    assert abs(curve[hockey["current"]] - here["service_level"]) < 0.03, (curve, here)
