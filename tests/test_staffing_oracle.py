"""The staffing search ends at a local minimum of its own evaluation: no agent can go.

The oracle is the definition itself, computed apart from the search: the plan
``find_staffing`` returns (without the hold-out, which adds agents on other random
numbers on purpose) meets the goal under :func:`sim.staffing.evaluate_plan` (the same
seed, replications and blocks the search judged by), and the plan with one agent fewer
in any cell the search moves (a group in a measured run of equal load, or in one
interval with ``smooth=False``) misses it somewhere, when the trim (the search's last
step, one cell at a time) has no budget: by default it stops after as many plans as the
search before it simulated. A plan with a removable agent is a
search that stopped early: joint removals that failed together and were each given up,
or "cannot go down" marks kept after the plan around them changed.
"""

import math

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

import sim
from sim.cost_search import plan_of
from sim.staffing import evaluate_plan, find_staffing, measured_intervals

BANK = "scenarios/small_bank.yaml"


def removable(scenario: sim.Scenario, result) -> list[tuple[str, int]]:
    """(group, block) cells of ``result``'s plan where one agent fewer still meets the goal.

    Also asserts that the plan itself meets it, judged as the search judges.
    """
    plan = plan_of(result)
    table = result.table
    blocks = table[table.group == table.group.iloc[0]].block.to_numpy()

    def meets(trial: np.ndarray) -> bool:
        return bool(evaluate_plan(scenario, trial, result.goal, result.replications,
                                  result.seed, blocks=blocks, full=False).ok.all())

    assert meets(plan)
    measured = measured_intervals(scenario)
    out = []
    for g, group in enumerate(scenario.agents):
        for b in np.unique(blocks[measured]):
            cells = blocks == b
            if plan[g, cells].min() > 0:
                fewer = plan.copy()
                fewer[g, cells] -= 1
                if meets(fewer):
                    out.append((group, int(b)))
    return out


def morning_bank() -> sim.Scenario:
    """The small bank's morning: its two contact types and three groups, four hours."""
    bank = sim.load_scenario(BANK, overrides={"days": 1})
    cut = {"close": "12:00", "variants": {}}
    for name, ct in bank.contact_types.items():
        cut[f"contact_types.{name}.arrivals.per_interval"] = list(ct.arrivals.per_interval[:8])
    for group in bank.agents:  # the search replaces the staffing: any will do
        cut[f"agents.{group}.staff"], cut[f"agents.{group}.shifts"] = 5, None
    return sim.load_scenario(BANK, overrides={"days": 1, **cut})


def test_bank_morning_has_no_removable_agent():
    """Three groups sharing cards, one overflowing to billing: no agent in any cell can go."""
    bank = morning_bank()
    result = find_staffing(bank, replications=3, holdout=0, trim_budget=math.inf)
    assert result.converged and result.trim.minimum
    assert removable(bank, result) == []


@st.composite
def small_centers(draw) -> dict:
    """One day of 2-4 hours, one or two contact types, a specialist and maybe a generalist."""
    hours = draw(st.integers(2, 4))
    types = ["calls", "cards"][:draw(st.integers(1, 2))]
    data = {"name": "small", "days": 1, "open": "08:00", "close": f"{8 + hours:02d}:00",
            "interval": draw(st.sampled_from(["30m", "1h"])),
            "service_level": {"threshold": f"{draw(st.sampled_from([20, 60]))}s",
                              "target": draw(st.sampled_from([0.7, 0.8, 0.9]))},
            "contact_types": {}, "agents": {}}
    ipd = hours * (2 if data["interval"] == "30m" else 1)
    for name in types:
        per = draw(st.lists(st.integers(5, 30), min_size=ipd, max_size=ipd))
        ct = {"arrivals": {"per_interval": per},
              "handle": {"dist": "exponential", "mean": f"{draw(st.integers(2, 6))}m"}}
        if draw(st.booleans()):
            ct["patience"] = {"dist": "exponential", "mean": f"{draw(st.integers(1, 5))}m"}
        data["contact_types"][name] = ct
        data["agents"][f"{name}_team"] = {"skills": [name], "staff": 1}
    if draw(st.booleans()):
        data["agents"]["generalists"] = {"skills": types, "staff": 1}
    return data


@settings(derandomize=True, max_examples=8, deadline=None)
@given(small_centers(), st.booleans())
def test_no_removable_agent_on_small_centers(data, smooth):
    """On random small centers, with and without runs of equal load: a local minimum."""
    scenario = sim.scenario_from_dict(data)
    result = find_staffing(scenario, replications=2, holdout=0, smooth=smooth,
                           trim_budget=math.inf)
    assert result.converged and result.trim.minimum
    assert removable(scenario, result) == []


# found by the test below (40 examples) before hold-out repairs were re-checked
THREE_GROUPS = {
    "name": "small", "days": 1, "open": "08:00", "close": "12:00", "interval": "1h",
    "service_level": {"threshold": "20s", "target": 0.9},
    "contact_types": {
        "calls": {"arrivals": {"per_interval": [18, 27, 13, 19]},
                  "handle": {"dist": "exponential", "mean": "6m"}},
        "cards": {"arrivals": {"per_interval": [18, 17, 26, 27]},
                  "handle": {"dist": "exponential", "mean": "2m"}}},
    "agents": {"calls_team": {"skills": ["calls"], "staff": 1},
               "cards_team": {"skills": ["cards"], "staff": 1},
               "generalists": {"skills": ["calls", "cards"], "staff": 1}},
}


@settings(derandomize=True, max_examples=6, deadline=None)
@given(small_centers())
@example(THREE_GROUPS)
def test_plan_after_the_holdout_meets_the_goal_it_reports(data):
    """Agents the hold-out adds can lower another interval on the search's replications.

    The plan returned must still meet the goal there (its table reports that
    evaluation): judged apart, as the search judges, with a one-replication hold-out
    that repairs often.
    """
    scenario = sim.scenario_from_dict(data)
    result = find_staffing(scenario, replications=1, holdout=1, trim_budget=0)
    plan, table = plan_of(result), result.table
    blocks = table[table.group == table.group.iloc[0]].block.to_numpy()
    assert evaluate_plan(scenario, plan, result.goal, result.replications, result.seed,
                         blocks=blocks, full=False).ok.all()
