"""Names with two ``$`` signs are drawn as written in every report figure, not as TeX math.

matplotlib reads text between two ``$`` signs as math: a scenario named "Fees: $5 per call
vs $2 per call" was titled "Fees: 5percallvs2 per call" in day.png (found by an outside
check of the animation, which was fixed alone in 7029b6a). Names come from the user's
scenario: its ``name``, and its variants'.
"""

from __future__ import annotations

import pytest
from matplotlib.text import Text

from sim import plots
from sim.compare import compare
from sim.loader import scenario_from_dict

SCENARIO = {
    "name": "Fees: $5 per call vs $2 per call", "seed": 3, "days": 1,
    "open": "08:00", "close": "12:00", "interval": "30m",
    "contact_types": {"payment": {"arrivals": {"rate": "60/h"},
                                    "handle": {"dist": "exponential", "mean": "4m"},
                                    "patience": {"dist": "exponential", "mean": "3m"}}},
    "agents": {"desk": {"skills": ["payment"], "staff": 5}},
}


def drawn_as_math(fig) -> list[str]:
    """The texts of ``fig`` matplotlib would draw as math (a figure naming none: refused).

    A figure without the names (the interval figure has none) passes whatever it does
    with them: such a case could not fail.
    """
    named = [t.get_text() for t in fig.findobj(Text) if "$" in t.get_text()]
    assert named, "no name with $ signs in this figure: nothing to check"
    return [text for t in fig.findobj(Text) if (text := t.get_text())
            and t._preprocess_math(text)[1]]


@pytest.fixture(scope="module")
def runs():
    scenario = scenario_from_dict(SCENARIO)
    other = scenario_from_dict({**SCENARIO, "agents": {
        "desk": {"skills": ["payment"], "staff": 6}}})
    return compare({"$5 a call$": scenario, "$2 a call$": other}, replications=2,
                       trace_every=60.0)


@pytest.mark.parametrize("draw", [
    lambda r: plots.day_figure(r.results["$5 a call$"]),
    lambda r: plots.wait_cdf(r.results),
    lambda r: plots.occupancy_figure(r.results),
    lambda r: plots.kpi_bars(r),
    lambda r: plots.difference_figure(r),
], ids=["day", "wait_cdf", "occupancy", "kpis", "differences"])
def test_names_with_dollars_are_words(runs, draw):
    fig = draw(runs)
    assert drawn_as_math(fig) == []
