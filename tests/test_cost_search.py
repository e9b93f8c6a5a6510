"""Cost search (``ccsim staff --objective cost``): least cost against brute force.

On a one-interval Erlang C center (Poisson arrivals, exponential handle times, patient
callers) the plan is one number, so every count can be simulated with the same seeds as
the search used; the search must land on the brute force's cheapest count, with the goal
(the cheapest count that meets it) and without (wages against waiting).
"""

from __future__ import annotations

import re
import subprocess
import sys
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
import yaml
from helpers import TWO_WAGES

import sim
from sim.cost_search import find_cost_staffing, plan_of
from sim.staffing import Goal, evaluate_plan

CENTER = {
    "name": "one interval Erlang C", "seed": 2, "days": 1, "open": "08:00", "close": "09:00",
    "interval": "1h", "warmup": "500m",  # 20 minutes to fill the queue, 40 measured
    "service_level": {"threshold": "20s", "target": 0.8},
    "contact_types": {"calls": {"arrivals": {"rate": "600/h"},
                                "handle": {"dist": "exponential", "mean": "4m"}}},
    "agents": {"pool": {"skills": ["calls"], "staff": 40}},
    "costs": {"agents": {"pool": {"hourly": 30}}, "per_wait_minute": 1.0},
}
REPS, SEED = 5, 11


def brute_force(scenario: sim.Scenario, counts) -> dict[int, tuple[float, bool]]:
    """Count -> (mean total cost, goal met), each count simulated on the search's seeds."""
    goal = Goal(0.8, 20.0)
    out = {}
    for n in counts:
        result = evaluate_plan(scenario, np.array([[n]]), goal, REPS, SEED)
        out[n] = (float(result.replications["total_cost"].mean()), bool(result.ok.all()))
    return out


@pytest.mark.parametrize("wait_price", [1.0, 0.2])
def test_least_total_cost_is_the_brute_force_minimum(wait_price):
    """--no-sl-goal: the count of least mean total cost among 41..60 agents."""
    data = yaml.safe_load(yaml.safe_dump(CENTER))
    data["costs"]["per_wait_minute"] = wait_price
    scenario = sim.scenario_from_dict(data)
    found = find_cost_staffing(scenario, sl_goal=False, replications=REPS, seed=SEED)
    costs = brute_force(scenario, range(41, 61))
    best = min(costs, key=lambda n: costs[n][0])
    assert int(found.staffing.table["simulated"].iloc[0]) == best
    assert found.costs["total_cost"] == pytest.approx(costs[best][0])
    assert 41 < best < 60  # an interior optimum: the search had something to find


@pytest.mark.parametrize("own_target", [None, 0.9])
def test_cheapest_plan_meeting_the_goal(own_target):
    """--objective cost: the cheapest count that meets the goal, never one that misses it.

    With calls at their own 90% in 20 s, the goal is theirs (as the brute force judges it).
    """
    data = yaml.safe_load(yaml.safe_dump(CENTER))
    if own_target is not None:
        data["contact_types"]["calls"]["service_level"] = {"threshold": "20s",
                                                          "target": own_target}
    data["costs"]["per_wait_minute"] = 0.0  # wages only: the fewest agents meeting the goal
    scenario = sim.scenario_from_dict(data)
    found = find_cost_staffing(scenario, sl_goal=True, replications=REPS, seed=SEED,
                               holdout=0)  # the search alone: a hold-out may repair it
    costs = brute_force(scenario, range(41, 56))
    best = min((n for n in costs if costs[n][1]), key=lambda n: costs[n][0])
    assert int(found.staffing.table["simulated"].iloc[0]) == best
    target = own_target or 0.8
    assert found.staffing.table["service_level"].iloc[0] >= target
    assert found.staffing.table["target"].iloc[0] == target


@pytest.mark.parametrize("sl_goal", [True, False])
def test_wages_are_those_of_the_scheduled_agents(sl_goal):
    """The plan's staff cost is its scheduled agents' wages (shrinkage is paid).

    As a run of the staffed scenario it returns computes them (no overtime pay: no noise).
    """
    data = yaml.safe_load(yaml.safe_dump(CENTER))
    data["agents"]["pool"]["shrinkage"] = 0.25
    data["costs"]["agents"]["pool"]["overtime_factor"] = 0.0
    scenario = sim.scenario_from_dict(data)
    found = find_cost_staffing(scenario, sl_goal=sl_goal, replications=3, seed=SEED)
    scheduled = int(found.staffing.table["scheduled"].iloc[0])
    assert scheduled > int(found.staffing.table["simulated"].iloc[0])
    wages = 30 * scheduled * 40 / 60  # 40 measured minutes
    assert found.costs["staff_cost"] == pytest.approx(wages)
    assert found.costs["total_cost"] == pytest.approx(
        sum(found.costs[k] for k in ("staff_cost", "abandon_cost", "blocked_cost",
                                     "wait_cost", "callback_cost", "complaint_cost")))
    run = sim.run(found.staffing.scenario, seed=SEED, replications=3)
    assert run.summary["staff_cost"] == pytest.approx(found.costs["staff_cost"])


def test_table_describes_the_plan_found():
    """No column of the cost plan's table is left over from the starting plan's hold-out."""
    data = yaml.safe_load(yaml.safe_dump(CENTER))
    data["costs"]["per_wait_minute"] = 0.05  # cheap waiting: fewer agents than the goal's
    found = find_cost_staffing(sim.scenario_from_dict(data), sl_goal=False, replications=3,
                               seed=SEED)
    table, start = found.staffing.table, found.start.table
    assert (table["simulated"] < start["simulated"]).all()
    stale = [c for c in table.columns if c.startswith("holdout")]
    assert not stale or found.staffing.holdout is not None, stale


def test_staff_cli_objective_cost(tmp_path):
    """`ccsim staff --objective cost --no-sl-goal` prints the costs and writes a scenario."""
    file = tmp_path / "center.yaml"
    file.write_text(yaml.safe_dump(CENTER))
    out = tmp_path / "staffed.yaml"
    done = subprocess.run([sys.executable, "-m", "sim", "staff", str(file), "--objective",
                           "cost", "--no-sl-goal", "-r", "3", "-w", "1", "-q", "--out",
                           str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "total cost" in done.stdout
    staffed = sim.load_scenario(out)
    assert staffed.costs == sim.scenario_from_dict(CENTER).costs


def test_search_progress_stays_readable(tmp_path):
    """A search prints a few plan lines, not one per plan simulated.

    Each plan simulated was a line on stderr: a day of small_bank's cost search printed
    1,400, and the hold-out lines scrolled away. Plans simulated within seconds of each
    other now show as the first and the last before each other line.
    """
    file = tmp_path / "center.yaml"
    file.write_text(yaml.safe_dump(CENTER))
    done = subprocess.run([sys.executable, "-m", "sim", "staff", str(file), "--objective",
                           "cost", "-r", "3", "-w", "1"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    simulated = int(re.search(r"(\d+) plans simulated", done.stdout)[1])
    lines = done.stderr.splitlines()
    plans = [line for line in lines if line.strip().startswith("plan ")]
    others = [line for line in lines if line.strip() and line not in plans]
    assert simulated > len(others) + 3  # the case at hand: more plans than other lines
    assert plans[0].strip().startswith("plan 1:")
    assert len(plans) <= 2 * (len(others) + 1), lines


@pytest.mark.parametrize("max_rounds", [1, 20])
def test_each_round_says_what_it_saved(max_rounds):
    """After each round over the cells, a line: its total cost, the change, the plans so far.

    A cost search of small_bank's 5 days (360 cells) ran 22 minutes and 5,271 plans on 2
    cores, and was still saving 0.1% a thousand plans, with nothing saying how far it was:
    plan lines only. The last round line says whether no cell moved (a local optimum).
    """
    lines: list[str] = []
    found = find_cost_staffing(sim.scenario_from_dict(CENTER), sl_goal=False,
                               replications=REPS, seed=SEED, log=lines.append,
                               max_rounds=max_rounds)
    rounds = [line for line in lines if line.startswith("cost search round")]
    assert 1 <= len(rounds) <= max_rounds, lines
    for k, line in enumerate(rounds, 1):
        assert line.startswith(f"cost search round {k} of at most {max_rounds} over 1 cells: "
                               "total cost "), line
    cost = float(re.search(r"total cost ([\d,.]+)", rounds[-1])[1].replace(",", ""))
    assert cost == pytest.approx(found.costs["total_cost"], abs=0.006)
    simulated = int(re.search(r"([\d,]+) plans simulated", rounds[-1])[1].replace(",", ""))
    assert simulated == found.evaluations
    assert ("no cell moved" in rounds[-1]) == found.staffing.converged
    assert found.staffing.converged == (max_rounds == 20)  # one round moved the one cell


@pytest.mark.parametrize(("rounds", "ending"), [
    ("1", "; it stopped at its most rounds (--rounds) with cells still moving"),
    ("20", "; a local optimum: no cell moved in its last round")])
def test_staff_cli_rounds_and_how_the_search_ended(tmp_path, rounds, ending):
    """--rounds bounds the cost search; its cost line says how it ended.

    Stopped by its rounds, the plan was said to be the fewest-agents search's ("the
    joint removal rounds ran out; some intervals may be overstaffed"): that note is the
    start plan's, and its search had converged.
    """
    file = tmp_path / "center.yaml"
    file.write_text(yaml.safe_dump(CENTER))
    done = subprocess.run([sys.executable, "-m", "sim", "staff", str(file), "--objective",
                           "cost", "--no-sl-goal", "-r", str(REPS), "--seed", str(SEED), "-w",
                           "1", "--rounds", rounds],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("least total cost")]
    assert line.endswith(ending), line
    assert "joint removal rounds ran out" not in done.stdout
    lines = [x for x in done.stderr.splitlines() if "cost search round" in x]
    assert 1 <= len(lines) <= int(rounds), lines
    assert ("no cell moved" in lines[-1]) == (rounds == "20"), lines


def test_staff_cli_rounds_needs_objective_cost(tmp_path):
    """--rounds without --objective cost: one line, exit 2."""
    file = tmp_path / "center.yaml"
    file.write_text(yaml.safe_dump(CENTER))
    done = subprocess.run([sys.executable, "-m", "sim", "staff", str(file), "--rounds", "2"],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == f"{file}: --rounds goes with --objective cost", done.stderr


def test_search_log_holds_plan_lines_back():
    """SearchLog: the first plan line, then the latest every few seconds and before others."""
    from sim.cli_common import SearchLog

    now, printed = [0.0], []
    log = SearchLog(every=5.0, echo=printed.append, clock=lambda: now[0])
    for k in range(1, 13):  # a plan a second
        log(f"plan {k}")
        now[0] += 1.0
    log("hold-out 1")
    log("plan 13")
    log.flush()
    log.flush()
    assert printed == ["plan 1", "plan 6", "plan 11", "plan 12", "hold-out 1", "plan 13"]


def test_staff_cli_needs_costs(tmp_path):
    """--objective cost on a scenario without costs: one line, exit 2."""
    data = {k: v for k, v in CENTER.items() if k != "costs"}
    file = tmp_path / "center.yaml"
    file.write_text(yaml.safe_dump(data))
    done = subprocess.run([sys.executable, "-m", "sim", "staff", str(file), "--objective",
                           "cost", "-r", "2", "-w", "1"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == f"{file}: costs: --objective cost needs a `costs:` block"


def test_confidence_is_the_goal_of_the_cost_search():
    """--confidence: the cheapest count meeting the target in 90% of the replications.

    Brute force on the search's seeds with the same goal; the mean goal (no confidence)
    is met with fewer agents, so ignoring the option would show.
    """
    data = yaml.safe_load(yaml.safe_dump(CENTER))
    data["costs"]["per_wait_minute"] = 0.0  # wages only: the fewest agents meeting the goal
    scenario = sim.scenario_from_dict(data)
    found = find_cost_staffing(scenario, sl_goal=True, confidence=0.9, replications=REPS,
                               seed=SEED, holdout=0)
    assert found.staffing.goal.confidence == 0.9
    met = {}
    for n in range(41, 61):
        met[n] = {conf: bool(evaluate_plan(scenario, np.array([[n]]), Goal(0.8, 20.0, None, conf),
                                           REPS, SEED).ok.all()) for conf in (None, 0.9)}
    fewest = {conf: min(n for n in met if met[n][conf]) for conf in (None, 0.9)}
    assert fewest[0.9] > fewest[None]
    assert int(found.staffing.table["simulated"].iloc[0]) == fewest[0.9]


@pytest.mark.parametrize("sl_goal", [True, False])
def test_holdout_checks_the_cost_plan_on_fresh_replications(sl_goal):
    """The plan found is checked on replications the search never drew, as find_staffing's.

    Its hold-out columns and costs are those replications' (numbered after the search's
    and after those the start plan's own check drew). Waiting is priced so that the plan
    found is not the start plan (fewer agents without the goal, more with it).
    """
    data = yaml.safe_load(yaml.safe_dump(CENTER))
    data["costs"]["per_wait_minute"] = 0.2 if not sl_goal else 1.0
    scenario = sim.scenario_from_dict(data)
    found = find_cost_staffing(scenario, sl_goal=sl_goal, replications=REPS, seed=SEED,
                               holdout=4)
    assert found.staffing.table["simulated"].tolist() != found.start.table["simulated"].tolist()
    check = found.staffing.holdout
    # after the search's replications, and after those the start plan's check drew
    first = REPS + 4 * found.start.holdout.rounds
    assert check is not None and check.first_replication == first
    numbers = check.evaluation.replications["replication"].tolist()
    assert numbers == list(range(first, first + 4 * check.rounds))
    if not sl_goal:
        assert check.rounds == 1  # nothing to repair without a goal
    plan = np.array([[int(found.staffing.table["simulated"].iloc[0])]])
    again = evaluate_plan(scenario, plan, found.staffing.goal, 4 * check.rounds, SEED,
                          first_replication=first)
    row = found.staffing.table.iloc[0]
    assert row["holdout_service_level"] == pytest.approx(again.service_level[0, 0])
    assert row["holdout_ci"] == pytest.approx(again.service_level_ci[0, 0])
    assert row["holdout_met_share"] == pytest.approx(again.met_share[0, 0])
    assert row["holdout_abandon_rate"] == pytest.approx(again.abandon_rate[0, 0])
    assert found.holdout_costs["total_cost"] == pytest.approx(
        again.replications["total_cost"].mean())
    # the search's own replications give other numbers: the check is not a copy of them
    assert row["holdout_service_level"] != pytest.approx(row["service_level"])
    assert found.holdout_costs["total_cost"] != pytest.approx(found.costs["total_cost"])


def test_the_start_plan_kept_keeps_its_own_holdout_check():
    """Where the cheapest plan is the start plan, its hold-out check is the start's.

    Wages only (no price on waiting): the fewest agents meeting the goal are the cheapest.
    That plan was checked (and maybe repaired) on hold-out replications already; checking
    it again on others gave it a second chance to miss at the margin, and a repair then
    printed a "least cost" plan dearer than the start it was compared with.
    """
    data = yaml.safe_load(yaml.safe_dump(CENTER))
    data["costs"] = {"agents": {"pool": {"hourly": 30}}}
    scenario = sim.scenario_from_dict(data)
    found = find_cost_staffing(scenario, sl_goal=True, replications=REPS, seed=SEED, holdout=4)
    assert found.staffing.table["simulated"].tolist() == found.start.table["simulated"].tolist()
    assert found.staffing.holdout is found.start.holdout is not None
    assert found.costs == found.start_costs
    numbers = found.start.holdout.evaluation.replications
    assert found.holdout_costs["total_cost"] == pytest.approx(numbers["total_cost"].mean())
    row, start_row = found.staffing.table.iloc[0], found.start.table.iloc[0]
    assert row["holdout_service_level"] == start_row["holdout_service_level"]


def test_cost_lines_say_when_the_holdout_added_agents():
    """A plan repaired by its hold-out check is said to be: it may cost more than the start."""
    import dataclasses

    from sim.cli_staff import format_costs
    data = yaml.safe_load(yaml.safe_dump(CENTER))
    scenario = sim.scenario_from_dict(data)
    found = find_cost_staffing(scenario, sl_goal=True, replications=REPS, seed=SEED, holdout=4)
    assert found.staffing.holdout.rounds == 1
    assert "hold-out check added" not in format_costs(found)
    repaired = dataclasses.replace(found.staffing.holdout, rounds=2)
    again = dataclasses.replace(found, staffing=dataclasses.replace(found.staffing,
                                                                    holdout=repaired))
    assert "with the agents its hold-out check added" in format_costs(again)


def test_staff_cli_objective_cost_holdout_and_confidence(tmp_path):
    """`ccsim staff --objective cost` prints and writes the hold-out as the default does."""
    file = tmp_path / "center.yaml"
    file.write_text(yaml.safe_dump(CENTER))
    out = tmp_path / "staffed.yaml"
    done = subprocess.run([sys.executable, "-m", "sim", "staff", str(file), "--objective",
                           "cost", "--confidence", "0.9", "--holdout", "3", "-r", "3",
                           "-w", "1", "-q", "--full", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "in 90% of replications" in done.stdout
    assert "no hold-out check" not in done.stdout
    assert "hold-out: " in done.stdout or "warning: after" in done.stdout
    assert "holdout_sl" in done.stdout
    first = re.search(r"on the hold-out replications (\d+)-(\d+)", done.stdout)
    assert first and int(first[1]) >= 3, done.stdout  # the search drew 0-2
    table = pd.read_csv(out.with_suffix(".csv"))
    for column in ("holdout_service_level", "holdout_ci", "holdout_met_share",
                   "holdout_abandon_rate"):
        assert table[column].notna().all(), column
    note = " ".join(line.removeprefix("# ") for line in out.read_text().splitlines()
                    if line.startswith("#"))
    assert "least total cost" in note and "in 90% of replications" in note, note
    assert "Hold-out check on replications " in note, note


FLAT = {
    "name": "flat morning", "seed": 4, "days": 1, "open": "08:00", "close": "11:00",
    "interval": "30m", "service_level": {"threshold": "20s", "target": 0.8},
    "contact_types": {"calls": {"arrivals": {"per_interval": [60, 100, 100, 100, 100, 60]},
                                "handle": {"dist": "exponential", "mean": "4m"},
                                "patience": {"dist": "exponential", "mean": "3m"}}},
    "agents": {"pool": {"skills": ["calls"], "staff": 10}},
    "costs": {"agents": {"pool": {"hourly": 30}}},
}


@pytest.mark.parametrize("sl_goal", [True, False])
def test_runs_of_equal_load_are_staffed_as_one(sl_goal):
    """As find_staffing staffs them: one count per run of equal load (no jitter, #13).

    The runs (09:00-10:30 here) are judged on their intervals pooled, as the start plan
    was; judged interval by interval, the search took an agent from one half hour of a
    flat peak where its sample happened to allow it (16, 15, 16 agents on seed 11).
    """
    scenario = sim.scenario_from_dict(FLAT)
    found = find_cost_staffing(scenario, sl_goal=sl_goal, replications=REPS, seed=SEED)
    table = found.staffing.table
    assert table.groupby("block")["simulated"].nunique().max() == 1, table
    assert table["block"].nunique() < len(table)  # there is a run to keep flat


def test_holdout_repair_adds_where_service_is_cheapest(monkeypatch):
    """The hold-out repair of a cost plan adds agents where a point of service costs least.

    Two groups alike but for their wages: every agent the repair adds is a cheap one. It
    added them to the group carrying most of the load, here the dear one (the first of
    two equal shares), so a "least cost" plan was made dearer than it had to be.
    """
    import sim.cost_search as cost_search

    seen = []

    def recording(scenario, plan, *args, **kwargs):
        repaired, check = check_on_holdout(scenario, plan, *args, **kwargs)
        seen.append((plan.copy(), repaired.copy()))
        return repaired, check

    check_on_holdout = cost_search.check_on_holdout
    monkeypatch.setattr(cost_search, "check_on_holdout", recording)
    scenario = sim.scenario_from_dict(TWO_WAGES)
    # one search replication, and no interval of the hold-out may fall below the target:
    # the plan scrapes its own sample, so the check repairs it
    find_cost_staffing(scenario, sl_goal=True, replications=1, seed=SEED, holdout=4,
                       holdout_tolerance=0.0, holdout_share=0.0)
    (before, after), = seen
    added = after - before
    assert added.sum() > 0, (before, after)  # the case at hand: the check repaired
    assert (added[0] == 0).all() and (added[1] >= 0).all(), added


@pytest.mark.parametrize("sl_goal", [True, False])
def test_each_rounds_plan_is_kept_and_none_costs_more(sl_goal):
    """``round_plans``: the plan after each round, in order; no round raises the cost.

    A round walks each cell only while the mean total cost over the search's
    replications falls, so each round's plan costs no more than the one before it (on
    those replications), the first no more than the start; the last is the plan the
    hold-out check then judged, and with the goal every one meets it in-sample.
    """
    scenario = sim.scenario_from_dict({**CENTER, "close": "10:00",
                                       "contact_types": {"calls": {
                                           "arrivals": {"per_interval": [500, 700]},
                                           "handle": {"dist": "exponential", "mean": "4m"}}}})
    found = find_cost_staffing(scenario, sl_goal=sl_goal, replications=REPS, seed=SEED,
                               holdout=0, max_rounds=3)
    plans = found.round_plans
    assert 1 <= len(plans) <= 3
    goal = Goal(0.8, 20.0)
    costs = [float(evaluate_plan(scenario, plan, goal, REPS, SEED).replications["total_cost"]
                   .mean()) for plan in [plan_of(found.start), *plans]]
    assert all(later <= earlier + 1e-6 for earlier, later in pairwise(costs)), costs
    assert costs[-1] < costs[0]  # (the search saved: there was something to keep)
    np.testing.assert_array_equal(plans[-1], plan_of(found.staffing))
    before = [plan_of(found.start), *plans][-2]  # the last round moved no cell: converged
    assert found.staffing.converged == np.array_equal(plans[-1], before)
