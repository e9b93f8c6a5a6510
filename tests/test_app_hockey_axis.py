"""The hockey stick's agents axis says what it counts.

It was labelled "agents on the phones" whatever the scenario, while the page counts a
group's agents at its peak: a group on shifts as all its shifts of the day together (21
for small_bank's cards team, though at most 18 are on the phones at once), a per-interval
staff at its busiest interval, and scheduled agents before shrinkage and absence. With
several groups the axis is their sum, though only the first group is varied.
"""

from __future__ import annotations

from pathlib import Path

from sim.app import hockey
from sim.app.model import Session
from sim.loader import load_scenario, scenario_from_yaml

ROOT = Path(__file__).resolve().parents[1] / "scenarios"

ONE = """
name: one pool
seed: 1
days: 1
contact_types:
  calls:
    arrivals: {rate: 100/h}
    handle: {dist: exponential, mean: 4m}
agents:
  pool:
    skills: [calls]
    staff: 10
"""


def test_one_constant_group_counts_agents_on_the_phones():
    assert hockey.agents_axis(scenario_from_yaml(ONE, source="one.yaml")) == (
        "agents on the phones")


def test_shrinkage_counts_scheduled_agents():
    scenario = scenario_from_yaml(ONE + "    shrinkage: 0.2\n", source="one.yaml")
    axis = hockey.agents_axis(scenario)
    assert "on the phones" not in axis and "scheduled" in axis


def test_shifts_and_several_groups_are_named():
    axis = hockey.agents_axis(load_scenario(ROOT / "small_bank.yaml"))
    assert "on the phones" not in axis
    assert "shifts: all of the day" in axis and "all groups" in axis and "busiest" in axis


def test_the_page_draws_the_axis_it_counts():
    """End to end: small_bank's hockey stick names its axis (in the SVG and the state)."""
    session = Session(ROOT / "small_bank.yaml")
    assert session.run({"replications": 1}) is not None
    session.wait(300)
    stick = session.state()["result"]["hockey"]
    assert stick["axis"] == hockey.agents_axis(load_scenario(ROOT / "small_bank.yaml"))
    assert stick["axis"] in stick["svg"] and "agents on the phones" not in stick["svg"]


def test_a_day_without_calls_says_so():
    """Arrival factor 0: the hockey stick was an empty frame with ticks -0.045..0.045."""
    empty = [{"agents": a, "service_level": None, "mean_wait": None, "service_level_ci": None,
              "mean_wait_ci": None} for a in (40, 41, 42)]
    svg = hockey.hockey_figure(empty, [], 41, 0.8, 20.0, "no Erlang curve")
    assert svg.count("no contacts offered") == 2 and "0.045" not in svg
