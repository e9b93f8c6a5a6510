"""The staffing ceiling bounds a search that runs away, never one that more agents help.

The default ceiling (:func:`sim.staffing_limits.agent_ceiling`) is ten times the Erlang C
agents of the peak *first-contact* load, plus ten. Repeat contacts (an issue resolved at
its 30th contact) are load Erlang C never sees: a scenario whose simulated peak needs 75
agents, staffed by ``ccsim staff`` before the ceiling came in, stopped at 50 ("no staffing
up to 50 agents per group meets the goal"). The ceiling now also covers ten times the
load the plans' simulation offered, so such a search ends where it did before.
"""

from __future__ import annotations

from sim.loader import scenario_from_dict
from sim.staffing import _goal, find_staffing
from sim.staffing_limits import agent_ceiling

# 15 first contacts an hour of 4 min (1 Erlang: Erlang C asks for 3 agents at 80/20, a
# ceiling of 40), but only 3% of contacts resolve the issue: ~20 contacts per issue in
# the day, some 20 Erlangs that need more agents than the first-contact ceiling allows
# at the simulated peak
REPEATS = {
    "name": "broken product", "seed": 2, "days": 1, "open": "00:00", "close": "16:00",
    "interval": "4h", "warmup": "8h",
    "service_level": {"threshold": "20s", "target": 0.8},
    "contact_types": {"calls": {
        "arrivals": {"rate": "30/h"},
        "handle": {"dist": "exponential", "mean": "2m"},
        "resolution": 0.03,
        "repeat": {"probability": 1.0, "delay": {"dist": "exponential", "mean": "5m"},
                   "max_contacts": 100}}},
    "agents": {"pool": {"skills": ["calls"], "staff": 2}},
}


class TestCeilingOfRepeatLoad:
    def test_a_search_past_the_first_contact_ceiling_still_ends(self):
        """Repeat contacts need more agents than the first-contact ceiling: staffed anyway."""
        scenario = scenario_from_dict(REPEATS)
        goal = _goal(scenario, None, None, None, None)
        first_contacts = agent_ceiling(scenario, goal).agents
        found = find_staffing(scenario, replications=2, trim_budget=0)
        peak = int(found.table["simulated"].max())
        assert peak > first_contacts  # (before: ValueError, no staffing up to the ceiling)
