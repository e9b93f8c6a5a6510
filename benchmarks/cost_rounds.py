"""Do the cost search's later rounds save on fresh replications, or fit their own luck?

``ccsim staff --objective cost`` repeats rounds over the cells (up to ``--rounds``, 20)
while any cell moves; on ``small_bank`` each round takes minutes and saves less than the
one before. A saving found on the search's replications may be their luck: this runs the
search for ``--rounds`` rounds (``CostResult.round_plans``), then simulates the start plan
and each round's plan on ``--holdout`` replications the search never drew (numbered from
500) and prints, per round, the mean saving in total cost (shrinkage's wages in, as the
search counts them) against the plan before it with its paired 95% half-width (Student
t, common random numbers), on the search's replications and on the hold-out. A round
whose hold-out saving is within its half-width of zero saved nothing a planner can count
on. The search runs as ``ccsim staff --objective cost`` does, hold-out checks included
(they repair plans before and after the rounds, not the rounds' own). About 8 minutes a
round on ``small_bank`` (2 cores); a scenario needs a ``costs:`` block (``--set`` adds
one, as for ``ccsim staff``).

Usage: python benchmarks/cost_rounds.py [--scenario small_bank] [--rounds 4] [--holdout 40]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from machine import describe

import sim
from sim.cost_search import find_cost_staffing, plan_of, shrinkage_wages
from sim.overrides import parse_override
from sim.parallel import local_executor
from sim.plan_evaluation import evaluate_plan
from sim.precision import half_width

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
FIRST_HELD = 500  # the hold-out's first replication: far from the search's and its checks'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="small_bank", help="a bundled scenario's name")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of the search")
    parser.add_argument("--replications", type=int, default=10, help="the search's, per plan")
    parser.add_argument("--holdout", type=int, default=40, help="fresh replications per plan")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                        help="an override, as ccsim's --set (e.g. a costs: block)")
    args = parser.parse_args()
    print(describe())
    scenario = sim.load_scenario(ROOT / f"{args.scenario}.yaml",
                                 overrides=dict(parse_override(x) for x in args.set))
    executor = local_executor()
    began = time.perf_counter()
    found = find_cost_staffing(scenario, replications=args.replications, executor=executor,
                               max_rounds=args.rounds)
    print(f"{args.scenario}: {len(found.round_plans)} rounds, {found.evaluations:,} plans, "
          f"{time.perf_counter() - began:,.0f} s")
    goal, seed = found.start.goal, found.start.seed
    checked = [c.last_replication for c in (found.start.holdout, found.staffing.holdout) if c]
    held = max([FIRST_HELD, *(last + 1 for last in checked)])  # after every check's too
    plans = [plan_of(found.start), *found.round_plans]
    costs = {}
    for label, first, count in (("search", 0, args.replications),
                                ("hold-out", held, args.holdout)):
        costs[label] = [evaluate_plan(scenario, plan, goal, count, seed, executor,
                                      first_replication=first, full=False)
                        .replications["total_cost"].to_numpy()
                        + shrinkage_wages(scenario, plan, goal) for plan in plans]
    executor.shutdown()
    print("round  saving on the search's replications   saving on the hold-out (paired, 95%)")
    for k in range(1, len(plans)):
        cells = []
        for label in ("search", "hold-out"):
            saved = costs[label][k - 1] - costs[label][k]
            share = saved.mean() / costs[label][k - 1].mean()
            cells.append(f"{saved.mean():10,.2f} +- {half_width(saved):8,.2f} ({share:+.3%})")
        print(f"{k:5d}  {cells[0]}   {cells[1]}")


if __name__ == "__main__":
    main()
