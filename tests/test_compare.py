"""Comparisons: paired confidence intervals, common random numbers, the compare command."""

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.compare import (
    TABLE_COLUMNS,
    compare,
    comparison_table,
    is_significant,
    paired_difference,
    scenarios_from_files,
    variant_scenarios,
)

# t quantile 0.975 with 3 degrees of freedom, from a printed t table (3.182)
T_975_3 = 3.182446305284263

LOADED = """\
name: loaded queue
seed: 3
days: 1
open: "08:00"
close: "12:00"
interval: 1h
service_level: {threshold: 20s, target: 0.8}
contact_types:
  calls:
    arrivals: {rate: 120/h}
    handle: {dist: exponential, mean: 4m}
    patience: {dist: exponential, mean: 5m}
agents:
  pool: {skills: [calls], staff: 9}
variants:
  plus_two: {agents.pool.staff: 11}
  minus_one: {agents.pool.staff: 8}
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenarios") / "loaded.yaml"
    path.write_text(LOADED)
    return path


@pytest.fixture(scope="module")
def comparison(loaded):
    scenarios = variant_scenarios(sim.load_scenario(loaded), ["plus_two"])
    return compare(scenarios, replications=5)


def with_kpi(result, values):
    """A copy of ``result`` whose replications table has the given ASA values."""
    reps = pd.DataFrame({"replication": range(len(values)), "asa": values})
    return dataclasses.replace(result, replications=reps)


class TestPairedDifference:
    def test_hand_computed_example(self):
        """Differences (2, 4, 1, 2): mean 2.25, half-width t(0.975, 3) sqrt(4.75/3) / 2."""
        mean, hw = paired_difference([12, 15, 11, 14], [10, 11, 10, 12])
        assert mean == pytest.approx(2.25)
        assert hw == pytest.approx(T_975_3 * math.sqrt(4.75 / 3) / 2, rel=1e-9)
        assert hw == pytest.approx(2.002245, rel=1e-6)
        assert is_significant(mean, hw)

    def test_pairing_beats_separate_intervals(self):
        """Shared noise cancels: the paired interval is far narrower than either KPI's."""
        base = np.array([10.0, 20.0, 30.0, 40.0])
        mean, hw = paired_difference(base + np.array([1.0, 1.2, 0.9, 1.1]), base)
        assert mean == pytest.approx(1.05)
        assert hw < sim.replicate.half_width(base) / 10
        assert is_significant(mean, hw)

    def test_nan_pairs_are_left_out(self):
        """A replication where the KPI is undefined drops out of the pairs."""
        mean, hw = paired_difference([12, np.nan, 11, 14, 15], [10, 3, 10, 12, np.nan])
        assert mean == pytest.approx(np.mean([2, 1, 2]))
        assert hw == pytest.approx(sim.replicate.half_width(np.array([2.0, 1.0, 2.0])))

    def test_one_pair_has_no_interval(self):
        """With one replication the mean difference is known, its interval is not."""
        mean, hw = paired_difference([3.0], [1.0])
        assert mean == 2.0 and math.isnan(hw)
        assert not is_significant(mean, hw)

    def test_lengths_must_match(self):
        """Pairs need equal lengths."""
        with pytest.raises(ValueError, match="same length, got 2 and 3"):
            paired_difference([1, 2], [1, 2, 3])


class TestIsSignificant:
    @pytest.mark.parametrize(("diff", "ci", "expected"), [
        (1.0, 0.5, True), (-1.0, 0.5, True), (0.5, 0.5, False), (0.1, 0.5, False),
        (1.0, math.nan, False), (math.nan, 1.0, False), (0.0, 0.0, False), (0.2, 0.0, True),
    ])
    def test_interval_excludes_zero(self, diff, ci, expected):
        """Significant exactly when 0 lies outside diff ± ci (touching is not excluding)."""
        assert is_significant(diff, ci) is expected


class TestComparisonTable:
    def test_hand_computed_table(self, comparison):
        """Columns, baseline row and the paired difference of the hand example."""
        base = with_kpi(comparison.results["baseline"], [10, 11, 10, 12])
        more = with_kpi(comparison.results["plus_two"], [12, 15, 11, 14])
        table = comparison_table({"baseline": base, "more": more}, kpis=["asa"])
        assert tuple(table.columns) == TABLE_COLUMNS
        assert list(table["variant"]) == ["baseline", "more"]
        b, m = table.iloc[0], table.iloc[1]
        assert b["mean"] == pytest.approx(10.75)
        assert math.isnan(b["diff"]) and math.isnan(b["diff_ci"]) and not b["significant"]
        assert m["mean"] == pytest.approx(13.0)
        assert m["ci"] == pytest.approx(sim.replicate.half_width(np.array([12, 15, 11, 14.0])))
        assert m["diff"] == pytest.approx(2.25)
        assert m["diff_ci"] == pytest.approx(2.002245, rel=1e-6)
        assert m["significant"]

    def test_pairs_by_replication_number(self, comparison):
        """Rows in another order are still paired by replication, not by position."""
        base = with_kpi(comparison.results["baseline"], [10, 11, 10, 12])
        more = with_kpi(comparison.results["plus_two"], [12, 15, 11, 14])
        more.replications = more.replications.iloc[::-1].reset_index(drop=True)
        row = comparison_table({"baseline": base, "more": more}, kpis=["asa"]).iloc[1]
        assert row["diff"] == pytest.approx(2.25)
        assert row["diff_ci"] == pytest.approx(2.002245, rel=1e-6)

    def test_other_seed_is_refused(self, comparison):
        """Runs with different seeds are not paired: refuse rather than mislead."""
        other = dataclasses.replace(comparison.results["plus_two"], seed=99)
        with pytest.raises(ValueError, match="seed 99"):
            comparison_table({"baseline": comparison.results["baseline"], "x": other})

    def test_unknown_baseline(self, comparison):
        """The baseline must be one of the runs."""
        with pytest.raises(ValueError, match="baseline 'nope'"):
            comparison_table(comparison.results, baseline="nope")


class TestCompare:
    def test_common_random_numbers(self, comparison):
        """Replication r of every variant sees the same arrivals and handle times."""
        a = comparison.results["baseline"].contacts
        b = comparison.results["plus_two"].contacts
        for r in range(5):
            ra, rb = a[a.replication == r], b[b.replication == r]
            assert np.array_equal(ra["arrival"], rb["arrival"])
        assert comparison.results["plus_two"].seed == comparison.results["baseline"].seed == 3

    def test_more_staff_cuts_asa_significantly(self, comparison):
        """Two more agents on a loaded queue: ASA drops, and the paired CI excludes 0."""
        table = comparison.table(["asa", "service_level", "offered"])
        asa = table[(table.kpi == "asa") & (table.variant == "plus_two")].iloc[0]
        assert asa["diff"] < 0 and asa["significant"]
        assert asa["diff"] + asa["diff_ci"] < 0
        sl = table[(table.kpi == "service_level") & (table.variant == "plus_two")].iloc[0]
        assert sl["diff"] > 0 and sl["significant"]
        offered = table[(table.kpi == "offered") & (table.variant == "plus_two")].iloc[0]
        assert offered["diff"] == 0 and not offered["significant"]  # same customers

    def test_variant_scenarios_unknown_name(self, loaded):
        """An unknown variant names the known ones."""
        with pytest.raises(KeyError, match=r"no variant 'nope'.*known: minus_one, plus_two"):
            variant_scenarios(sim.load_scenario(loaded), ["nope"])

    def test_files_become_variants_named_by_stem(self, loaded, tmp_path):
        """Extra files are variants named after the file; declared variants come along."""
        other = tmp_path / "bigger_team.yaml"
        other.write_text(LOADED.replace("staff: 9", "staff: 12"))
        scenarios, changes = scenarios_from_files([loaded, other], {"close": "09:00"},
                                                  ["minus_one"])
        assert list(scenarios) == ["baseline", "minus_one", "bigger_team"]
        assert scenarios["bigger_team"].agents["pool"].staff == 12
        assert scenarios["minus_one"].agents["pool"].staff == 8
        assert all(sc.close == 9 * 3600 for sc in scenarios.values())
        assert changes["bigger_team"] == {"file": str(other)}
        assert changes["minus_one"] == {"agents.pool.staff": 8}

    def test_duplicate_file_name(self, loaded, tmp_path):
        """Two variants may not share a name."""
        twin = tmp_path / "plus_two.yaml"
        twin.write_text(LOADED)
        with pytest.raises(sim.ScenarioError, match=r"'plus_two'.*already taken"):
            scenarios_from_files([loaded, twin], variants=["plus_two"])


class TestCompareCommand:
    def test_writes_table_and_variant_summaries(self, loaded, tmp_path):
        """comparison.csv (KPI x variant) and one summary.json per variant."""
        out = tmp_path / "cmp"
        res = CliRunner().invoke(main, ["compare", str(loaded), "--variant", "plus_two",
                                        "-r", "4", "--out", str(out), "--no-report", "-q"])
        assert res.exit_code == 0, res.output
        table = pd.read_csv(out / "comparison.csv")
        assert tuple(table.columns) == TABLE_COLUMNS
        assert set(table["variant"]) == {"baseline", "plus_two"}
        asa = table[(table.kpi == "asa") & (table.variant == "plus_two")].iloc[0]
        assert asa["significant"] and asa["diff"] < 0
        for name in ("baseline", "plus_two"):
            summary = json.loads((out / name / "summary.json").read_text())
            assert summary["replications"] == 4 and summary["seed"] == 3
        manifest = json.loads((out / "comparison.json").read_text())
        assert manifest["variants"] == ["baseline", "plus_two"]
        assert "asa" in res.output and "*" in res.output
        assert not (out / "report.html").exists()

    def test_all_declared_variants_by_default(self, loaded, tmp_path):
        """With one file and no --variant, every declared variant runs."""
        out = tmp_path / "all"
        res = CliRunner().invoke(main, ["compare", str(loaded), "-r", "2", "--out", str(out),
                                        "--no-report", "-q", "--set", "close=09:00"])
        assert res.exit_code == 0, res.output
        assert set(pd.read_csv(out / "comparison.csv")["variant"]) == {
            "baseline", "plus_two", "minus_one"}

    def test_variant_without_costs_compares_the_shared_kpis(self, loaded, tmp_path):
        """A baseline with costs beside a variant without: the KPIs both measured.

        comparison.csv holds them, as the printed table does (it once crashed).
        """
        costed = tmp_path / "costed.yaml"
        costed.write_text(LOADED.split("variants:")[0]
                          + "costs: {agents: {pool: {hourly: 20}}, per_abandon: 3}\n")
        plain = tmp_path / "plain.yaml"
        plain.write_text(LOADED.split("variants:")[0])
        out = tmp_path / "cmp"
        res = CliRunner().invoke(main, ["compare", str(costed), str(plain), "-r", "2",
                                        "--out", str(out), "--no-report", "-q"])
        assert res.exit_code == 0, res.output
        table = pd.read_csv(out / "comparison.csv")
        assert list(dict.fromkeys(table["kpi"])) == list(sim.metrics.KPIS)
        assert "staff_cost" not in res.output

    def test_unknown_variant_is_one_line_exit_2(self, loaded, tmp_path):
        """An unknown variant: one line naming the file and the known variants, exit 2."""
        res = CliRunner().invoke(main, ["compare", str(loaded), "--variant", "nope",
                                        "--out", str(tmp_path / "x")])
        assert res.exit_code == 2
        assert res.output.strip() == (f"{loaded}: variants: no variant 'nope' "
                                      "(known: minus_one, plus_two)")

    def test_nothing_to_compare(self, tmp_path):
        """One file without variants is an error, not an empty comparison."""
        path = tmp_path / "plain.yaml"
        path.write_text(LOADED.split("variants:")[0])
        res = CliRunner().invoke(main, ["compare", str(path), "--out", str(tmp_path / "x")])
        assert res.exit_code == 2
        assert "nothing to compare" in res.output
