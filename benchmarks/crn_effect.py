"""How common the random numbers are: a staffing change on refund_vs_relations.

Runs the scenario and a variant with three more refund agents under the same seed, then
prints (1) the share of customers answered in both runs whose call turned into something
else (a different transfer count or resolution), and (2) the paired 95% half-widths of
the differences in journey KPIs. With decisions drawn per customer and step (issue
"Trustworthy numbers", item 9) the first is near 0 and the widths narrow.

    python benchmarks/crn_effect.py [--replications 20]
"""

import argparse
from pathlib import Path

import sim
from sim import compare

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "refund_vs_relations.yaml"
KPIS = ("fcr", "contacts_per_issue", "repeat_rate", "transfer_rate", "aht", "customer_effort",
        "service_level", "asa", "abandon_rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args()
    base = sim.load_scenario(SCENARIO)
    plus = sim.load_scenario(SCENARIO, overrides={"agents.refunds.staff": 19})
    cmp = compare.compare({"baseline": base, "plus_three": plus},
                          replications=args.replications)
    a, b = (cmp.results[n].contacts for n in ("baseline", "plus_three"))
    keys = ["replication", "issue_id"]
    firsts = [c[c["origin"] == "first"] for c in (a, b)]
    both = firsts[0].merge(firsts[1], on=keys, suffixes=("", "_v"))
    both = both[both["answered"] & both["answered_v"]]
    changed = ((both["transfers"] != both["transfers_v"])
               | (both["resolved"] != both["resolved_v"]))
    print(f"first contacts answered in both: {len(both)}; "
          f"turned into something else: {changed.mean():.1%}")
    table = cmp.table()
    table = table[(table["variant"] == "plus_three") & table["kpi"].isin(KPIS)]
    print(f"{'kpi':20s} {'diff':>12s} {'paired 95% half-width':>22s}")
    for _, row in table.iterrows():
        print(f"{row['kpi']:20s} {row['diff']:12.5g} {row['diff_ci']:22.4g}")


if __name__ == "__main__":
    main()
