"""The staffing ceiling bounds a search that runs away, never one that more agents help.

The default ceiling (:func:`sim.staffing_limits.agent_ceiling`) is ten times the Erlang C
agents of the peak *first-contact* load, plus ten. Repeat contacts (an issue resolved at
its 30th contact) are load Erlang C never sees: a scenario whose simulated peak needs 75
agents, staffed by ``ccsim staff`` before the ceiling came in, stopped at 50 ("no staffing
up to 50 agents per group meets the goal"), and the cost search could not move a count
above the ceiling at all. The ceiling now also covers ten times the load the plans'
simulation offered, so both searches end where they did before. The start now counts
repeat contacts too (:mod:`sim.start_repeats`), and so does its ceiling: here the
first-contact ceiling is the one of the same calls without repeats.
"""

from __future__ import annotations

import pytest

from sim.cost_search import CostResult, find_cost_staffing
from sim.loader import scenario_from_dict
from sim.staffing import _goal
from sim.staffing_limits import agent_ceiling

# 60 first contacts an hour of 2 min (2 Erlangs: a first-contact ceiling of 50), but
# only 3% of contacts resolve the issue: ~20 contacts per issue in the day, some 40
# Erlangs that need more agents at the simulated peak than that ceiling allows
REPEATS = {
    "name": "broken product", "seed": 2, "days": 1, "open": "00:00", "close": "16:00",
    "interval": "4h", "warmup": "8h",
    "service_level": {"threshold": "20s", "target": 0.8},
    "contact_types": {"calls": {
        "arrivals": {"rate": "60/h"},
        "handle": {"dist": "exponential", "mean": "2m"},
        "resolution": 0.03,
        "repeat": {"probability": 1.0, "delay": {"dist": "exponential", "mean": "5m"},
                   "max_contacts": 100}}},
    "agents": {"pool": {"skills": ["calls"], "staff": 2}},
    "costs": {"agents": {"pool": {"hourly": 30}}},
}


@pytest.fixture(scope="module")
def searched() -> tuple[CostResult, int]:
    """The cost search of REPEATS (find_staffing's plan its start), the first-contact ceiling."""
    scenario = scenario_from_dict(REPEATS)
    calls = {k: v for k, v in REPEATS["contact_types"]["calls"].items() if k != "repeat"}
    first = scenario_from_dict({**REPEATS, "contact_types": {"calls": calls}})
    ceiling = agent_ceiling(first, _goal(first, None, None, None, None)).agents
    return find_cost_staffing(scenario, replications=2, trim_budget=0), ceiling


class TestCeilingOfRepeatLoad:
    def test_a_search_past_the_first_contact_ceiling_still_ends(self, searched):
        """Repeat contacts need more agents than the first-contact ceiling: staffed anyway."""
        result, ceiling = searched  # (before: ValueError, no staffing up to the ceiling)
        assert int(result.start.table["simulated"].max()) > ceiling

    def test_the_cost_search_tries_counts_above_that_ceiling(self, searched):
        """Every measured count of the start is above it: the cost search still tries others."""
        result, ceiling = searched
        measured = result.start.table.loc[result.start.table["measured"], "simulated"]
        assert (measured > ceiling).all()  # (else the next line tests nothing)
        assert result.evaluations > 1  # (before: 1, the start plan, no count could move)
