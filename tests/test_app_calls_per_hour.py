"""Calls per hour typed on the page are read, and refused, as calls per hour.

The page turned the typed rate into an arrival factor (``Number("")`` is 0): an emptied
field ran a day with no calls without a word, and -5 or 1e12 were refused as an
"arrival_factor" the trainer never touched (found by an outside check of the page). The
page now sends the rate as typed; the server makes the factor and names the field.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.app import settings as controls
from sim.app.settings import SettingsError
from sim.loader import load_scenario

ERLANG_A = Path(__file__).resolve().parents[1] / "scenarios" / "erlang_a.yaml"


@pytest.mark.parametrize(("typed", "says"), [
    ("", "calls_per_hour: must be a number, got ''"),
    (-5, "calls_per_hour: must be >= 0, got -5"),
    (1e12, "calls_per_hour: must be <= "),
    ("1,000", "calls_per_hour: must be a number with no comma (12.5, 1000), got '1,000'"),
])
def test_a_bad_rate_is_refused_naming_it(typed, says):
    scenario = load_scenario(ERLANG_A)
    with pytest.raises(SettingsError) as info:
        controls.read_settings({"calls_per_hour": typed}, scenario, "erlang_a.yaml")
    lines = info.value.lines()
    assert len(lines) == 1 and says in lines[0], lines


def test_a_rate_typed_is_the_factor_of_the_scenarios():
    scenario = load_scenario(ERLANG_A)  # 600 calls an hour
    settings = controls.read_settings({"calls_per_hour": "650"}, scenario, "erlang_a.yaml")
    assert settings.arrival_factor == pytest.approx(650 / 600, rel=1e-15)
    assert controls.overrides(scenario, settings)["contact_types.calls.arrivals.rate"] == (
        "650.0/h")
