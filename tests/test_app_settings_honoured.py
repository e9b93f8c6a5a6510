"""The page's controls change the run as they say, or are refused: never shown and ignored.

On a scenario without patience (erlang_c), a typed patience and "Offer callbacks" were
accepted, listed among the changes, and changed nothing (overrides skipped types without
a patience); so was a self-service share on a scenario without an IVR. And pressing Run
on the page's own defaults changed the handle times where their mean lands on a
hundredth of 5 (the page rounds 300.25 up to 300.3, Python's round took it for 300.2).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import sim
from sim.app import settings as controls
from sim.loader import load_scenario, scenario_from_yaml, with_overrides

ROOT = Path(__file__).resolve().parents[1] / "scenarios"


def test_a_patience_typed_on_a_center_without_one_gives_callers_one():
    """Erlang C to Erlang A: an exponential patience of the mean typed, for every type."""
    sc = load_scenario(ROOT / "erlang_c.yaml")
    wanted = controls.read_settings({"patience": 60}, sc, "erlang_c")
    changed = controls.overrides(sc, wanted)
    assert changed == {"days": 1, "contact_types.calls.patience": {"dist": "exponential",
                                                                   "mean": 60.0}}
    assert with_overrides(sc, changed).contact_types["calls"].patience.mean == 60.0
    # callbacks, with or without it (callers who never hang up take one too: the engine
    # offers it; the page refused it once for a reason the engine contradicts)
    for payload in ({"patience": 60, "callbacks": True}, {"callbacks": True}):
        wanted = controls.read_settings(payload, sc, "erlang_c")
        changed = controls.overrides(sc, wanted)
        assert changed["contact_types.calls.callback"] == controls.CALLBACK
    run = sim.run(with_overrides(sc, changed | {"agents.pool.staff": 38}), seed=1)
    assert run.summary["callbacks"] > 0  # (waits past 2 minutes, taken)


def test_self_service_without_an_ivr_is_refused():
    sc = load_scenario(ROOT / "small_bank.yaml")
    with pytest.raises(controls.SettingsError, match="no contact type has an IVR"):
        controls.read_settings({"self_service": 0.5}, sc, "small_bank")


TWO = """
name: Two queues
seed: 3
days: 1
open: "08:00"
close: "12:00"
interval: 30m
contact_types:
  billing:
    arrivals: {rate: 90/h}
    handle: {dist: exponential, mean: 300s}
    patience: {dist: exponential, mean: 4m}
  cards:
    arrivals: {rate: 30/h}
    handle: {dist: exponential, mean: 301s}
    patience: {dist: exponential, mean: 4m}
agents:
  pool:
    skills: [billing, cards]
    staff: 11
"""


def test_the_page_defaults_sent_back_change_nothing():
    """The fields as the page fills them (Math.round(10 x) / 10: halves up) are no change."""
    sc = scenario_from_yaml(TWO, source="two.yaml")
    base = controls.defaults(sc)
    assert base.aht == 300.25

    def tenth(x: float) -> float:
        return math.floor(10 * x + 0.5) / 10

    page = {**base.as_dict(), "aht": tenth(base.aht), "patience": tenth(base.patience)}
    assert controls.overrides(sc, controls.read_settings(page, sc, "two.yaml")) == {"days": 1}
