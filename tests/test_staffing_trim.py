"""The trim, the staffing search's last step: cells one at a time, within a budget of plans.

Oracles computed apart from the search: the plans of the same search with trim budgets
0 and 1 (same seed and replications, so the same descent before the trim), and
:func:`sim.staffing.evaluate_plan` on the cell the trim must try first, the open cell
with the most agent-hours.
"""

import math

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.cost_search import plan_of
from sim.staffing import evaluate_plan, find_staffing, measured_intervals
from sim.staffing_search import PlanSearch

CENTER = {
    "name": "two teams", "days": 1, "open": "08:00", "close": "11:00", "interval": "30m",
    "service_level": {"threshold": "20s", "target": 0.8},
    "contact_types": {
        "calls": {"arrivals": {"per_interval": [20, 30, 30, 30, 25, 10]},
                  "handle": {"dist": "exponential", "mean": "4m"},
                  "patience": {"dist": "exponential", "mean": "3m"}},
        "cards": {"arrivals": {"per_interval": [10, 15, 15, 15, 10, 5]},
                  "handle": {"dist": "exponential", "mean": "5m"}}},
    "agents": {"calls_team": {"skills": ["calls"], "staff": 1},
               "cards_team": {"skills": ["cards"], "staff": 1},
               "generalists": {"skills": ["calls", "cards"], "staff": 1}},
}
OPTIONS = {"replications": 2, "seed": 3, "holdout": 0}


@pytest.fixture(scope="module")
def center() -> sim.Scenario:
    return sim.scenario_from_dict(CENTER)


@pytest.fixture(scope="module")
def untrimmed(center):
    return find_staffing(center, trim_budget=0, **OPTIONS)


def blocks_of(result) -> np.ndarray:
    table = result.table
    return table[table.group == table.group.iloc[0]].block.to_numpy()


def test_no_budget_no_trim(untrimmed):
    """Budget 0: nothing simulated, nothing saved, not claimed a local minimum."""
    trim = untrimmed.trim
    assert (trim.plans, trim.saved, trim.budget) == (0, 0.0, 0)
    assert trim.open > 0 and not trim.minimum


def test_default_budget_is_the_plans_before_it(center, untrimmed):
    """By default the trim may simulate as many plans as the search did before it."""
    result = find_staffing(center, **OPTIONS)
    assert result.trim.budget == untrimmed.evaluations
    assert result.trim.plans <= result.trim.budget
    assert result.evaluations == untrimmed.evaluations + result.trim.plans


@pytest.mark.parametrize("budget", [1, 6])
def test_budget_bounds_the_plans_and_saved_is_what_went(center, untrimmed, budget):
    """At most ``budget`` plans; the plan is the untrimmed one less what ``saved`` says."""
    result = find_staffing(center, trim_budget=budget, **OPTIONS)
    before, after = plan_of(untrimmed), plan_of(result)
    assert result.trim.plans <= budget
    assert result.evaluations == untrimmed.evaluations + result.trim.plans
    assert (after <= before).all()
    hours = (before - after).sum() * center.interval / 3600.0
    assert result.trim.saved == pytest.approx(hours)
    assert evaluate_plan(center, after, result.goal, result.replications, result.seed,
                         blocks=blocks_of(result), full=False).ok.all()


def test_the_cell_of_most_agent_hours_is_tried_first(center, untrimmed, monkeypatch):
    """Budget 1: the one trial is the cell of the most agent-hours (the earliest on a tie).

    The plan is the untrimmed one less that agent if that meets the goal, else unchanged.
    """
    tried = []
    lose = PlanSearch.lose
    monkeypatch.setattr(PlanSearch, "lose",
                        lambda self, plan, cell: tried.append(cell) or lose(self, plan, cell))
    plan, blocks = plan_of(untrimmed), blocks_of(untrimmed)
    measured = measured_intervals(center)
    cells = [(plan[g, blocks == b].sum(), -b, g) for b in np.unique(blocks[measured])
             for g in range(plan.shape[0]) if plan[g, blocks == b].min() > 0]
    _, b, g = max(cells, key=lambda c: c[:2])
    fewer = plan.copy()
    fewer[g, blocks == -b] -= 1
    meets = evaluate_plan(center, fewer, untrimmed.goal, untrimmed.replications,
                          untrimmed.seed, blocks=blocks, full=False).ok.all()
    result = find_staffing(center, trim_budget=1, **OPTIONS)
    assert result.trim.plans == 1 and tried == [(g, -b)]
    np.testing.assert_array_equal(plan_of(result), fewer if meets else plan)


def note(path) -> str:
    """The comment heading a staffed scenario file, its lines joined."""
    lines = path.read_text().splitlines()
    return " ".join(line[2:] for line in lines if line.startswith("# "))


def test_unbounded_trim_is_a_local_minimum_and_says_so(tmp_path):
    """The CLI names the end: a local minimum with ``all``, untried cells with a budget.

    The staffed file's comment says it too.
    """
    path = tmp_path / "center.yaml"
    path.write_text(yaml.safe_dump(CENTER))
    runner = CliRunner()
    args = ["staff", str(path), "--replications", "2", "--seed", "3", "--holdout", "0",
            "--workers", "1", "--quiet"]
    staffed = tmp_path / "staffed.yaml"
    out = runner.invoke(main, [*args, "--trim-budget", "all", "--out", str(staffed)])
    assert out.exit_code == 0, out.output
    assert "trim: a local minimum: one agent fewer in any group and run" in out.output
    assert "Trim: a local minimum on the search's replications" in note(staffed)
    out = runner.invoke(main, [*args, "--trim-budget", "0", "--out", str(staffed)])
    assert "trim: none (--trim-budget 0), so not shown to be a local minimum" in out.output
    assert "Trim: 0 plans (--trim-budget), not shown" in note(staffed)
    out = runner.invoke(main, [*args, "--trim-budget", "1"])
    assert "trim: stopped at its budget," in out.output
    assert "it simulated 1 plan and" in out.output


@pytest.mark.parametrize("value", ["-1", "1.5", "some", "nan"])
def test_a_bad_budget_is_one_line_and_exit_2(tmp_path, value):
    """As every option of the CLI: one line naming the option, exit code 2."""
    path = tmp_path / "center.yaml"
    path.write_text(yaml.safe_dump(CENTER))
    out = CliRunner().invoke(main, ["staff", str(path), "--trim-budget", value])
    assert out.exit_code == 2
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and "--trim-budget" in lines[0] and "'all'" in lines[0], lines


@pytest.mark.parametrize("budget", [-1, math.nan])
def test_api_refuses_a_budget_below_0(center, budget):
    with pytest.raises(ValueError, match="'trim_budget' must be >= 0"):
        find_staffing(center, trim_budget=budget, **OPTIONS)
