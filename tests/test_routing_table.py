"""The compiled routing table (sim.routing_table) and the places that read it.

Routing used to be worked out three times (the engine, ``metrics.serving_groups``,
``staffing.load_shares``); these tests pin what those answered before the table, on every
bundled scenario and on random ones, so reading the table changes no number.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from strategies import scenarios

from sim.loader import load_scenario, scenario_from_dict
from sim.metrics import serving_groups
from sim.staffing import load_shares

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


def old_serving_groups(scenario, contact_type: str) -> list[str]:
    """``metrics.serving_groups`` as it was before the table (every routing step's group)."""
    return [step.group for step in scenario.routes(contact_type)]


def old_load_shares(scenario) -> dict[str, dict[str, float]]:
    """``staffing.load_shares`` as it was before the table (the first-line groups share)."""
    shares = {}
    for name in scenario.contact_types:
        steps = scenario.routes(name)
        first = [s.group for s in steps if s.after == 0.0] or [steps[0].group]
        shares[name] = {g: 1.0 / len(first) for g in dict.fromkeys(first)}
    return shares


def assert_same_answers(scenario) -> None:
    for name in scenario.contact_types:
        assert serving_groups(scenario, name) == old_serving_groups(scenario, name), name
    assert load_shares(scenario) == old_load_shares(scenario)


class TestParity:
    """serving_groups and load_shares answer as their definitions before the table."""

    @pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
    def test_bundled_scenarios(self, path):
        """Every bundled scenario: the same serving groups and load shares."""
        assert_same_answers(load_scenario(path))

    def test_unknown_contact_type_has_no_serving_group(self):
        """A name that is no contact type is served by nobody (as before: an empty list)."""
        scenario = load_scenario(ROOT / "scenarios" / "small_bank.yaml")
        assert serving_groups(scenario, "all") == old_serving_groups(scenario, "all") == []

    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(scenarios())
    def test_random_scenarios(self, data):
        """Random scenarios (overflow delays, blending, several groups): the same answers."""
        assert_same_answers(scenario_from_dict(data))
