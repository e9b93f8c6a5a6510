"""``--precision`` against the README's rule, replayed on the replications the run wrote.

The README's batch rule is written out afresh here (first batch, the n (h / target)^2
estimate, a quarter to a doubling per step, the ceiling) and every half-width is
recomputed with textbook statistics (:mod:`oracle_stats`): the run must stop at the first
look where every target is met, say why, and write the same files on any number of workers.
"""

import json
import math
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from click.testing import CliRunner
from oracle_stats import assert_close, mean, oracle_half_width, write_scenario

import sim
from sim.cli import main


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    return write_scenario(tmp_path_factory.mktemp("scenario"))


def readme_next(rows: pd.DataFrame, targets: dict[str, tuple[float, bool]], most: int,
                levels: list[pd.DataFrame] | None = None) -> int:
    """Replications after the next batch of a ``--precision`` run at ``rows``, by the README.

    ``targets``: KPI -> (value, relative). With n rows: stop (n) when every half-width is at
    most its target (a relative one times the mean, or the largest of the ``levels``'
    means: a paired difference's two) or at ``most``; otherwise bring the run to the
    largest n (h / target)^2, adding at least a quarter of n and at most n, never beyond
    ``most``.
    """
    n = len(rows)
    need, met = n, True
    for kpi, (value, relative) in targets.items():
        level = max(abs(mean(table[kpi])) for table in (levels or [rows]))
        limit = value * level if relative else value
        h = oracle_half_width(rows[kpi])
        if h <= limit:
            continue
        met = False
        need = max(need, math.ceil(n * (h / limit) ** 2))
    if met or n >= most:
        return n
    return min(n + min(max(need - n, math.ceil(n / 4)), n), most)


def readme_looks(table: pd.DataFrame, targets: dict[str, tuple[float, bool]], first: int,
                 most: int) -> list[int]:
    """The replications at each look of a ``--precision`` run, by the README.

    The first batch is ``first``, at least 10, then :func:`readme_next` on the table's
    first rows until it stops.
    """
    looks = [min(max(first, 10), most)]
    while (n := readme_next(table.iloc[:looks[-1]], targets, most)) != looks[-1]:
        looks.append(n)
    return looks


def run_precise(scenario_file: Path, out: Path, *options: str) -> str:
    done = CliRunner().invoke(main, ["run", str(scenario_file), "-o", str(out), "-q",
                                     "--no-report", *options])
    assert done.exit_code == 0, done.output
    return done.output


class TestPrecision:
    """``--precision``: where it stops and what it says, from the replications it wrote."""

    TARGETS: ClassVar = {"service_level": (0.03, False), "asa": (0.10, True)}

    def test_stops_at_the_first_look_that_meets_every_target(self, scenario_file, tmp_path):
        """The run ends at the README's first look where every target is met.

        Every half-width (recomputed) is then at most its target, a relative one against
        the mean; summary.json and the printed line say so, and two workers write the very
        same files.
        """
        out = tmp_path / "w1"
        printed = run_precise(scenario_file, out, "-w", "1", "--precision",
                              "service_level=0.03", "--precision", "asa=10%")
        reps = pd.read_csv(out / "replications.csv")
        n = len(reps)
        looks = readme_looks(reps, self.TARGETS, 1, 200)
        assert looks[-1] == n and len(looks) > 1  # (a second batch was needed)
        stopping = json.loads((out / "summary.json").read_text())["stopping"]
        assert stopping["reason"] == "precision" and stopping["replications"] == n
        assert f"stopped after {n} replications: every precision target met" in printed
        for kpi, (value, relative) in self.TARGETS.items():
            hw = oracle_half_width(reps[kpi])
            limit = value * abs(mean(reps[kpi])) if relative else value
            assert hw <= limit, kpi
            assert_close(stopping["half_widths"][kpi], hw, f"stopping.half_widths.{kpi}")
            assert_close(stopping["limits"][kpi], limit, f"stopping.limits.{kpi}")
            assert stopping["met"][kpi] is True
        two = tmp_path / "w2"
        run_precise(scenario_file, two, "-w", "2", "--precision", "service_level=0.03",
                    "--precision", "asa=10%")
        for name in ("replications.csv", "summary.json", "intervals.csv"):
            assert (out / name).read_bytes() == (two / name).read_bytes(), name

    def test_max_replications_stops_it_and_says_so(self, scenario_file, tmp_path):
        """A target out of reach: the run stops at --max-replications and says so.

        The warning names the KPI with its recomputed half-width, and the report states
        the replications.
        """
        out = tmp_path / "max"
        done = CliRunner().invoke(main, ["run", str(scenario_file), "-o", str(out), "-q",
                                         "-w", "1", "--precision", "service_level=0.001",
                                         "--precision", "offered=50%",
                                         "--max-replications", "15"])
        assert done.exit_code == 0, done.output
        reps = pd.read_csv(out / "replications.csv")
        targets = {"service_level": (0.001, False), "offered": (0.5, True)}
        assert readme_looks(reps, targets, 1, 15) == [10, 15] and len(reps) == 15
        hw = oracle_half_width(reps["service_level"])
        warning = [line for line in done.output.splitlines() if line.startswith("warning")]
        assert warning == [f"warning: stopped at --max-replications (15) before the precision "
                           f"was reached: service_level ± {hw:.4g} > 0.001"]
        stopping = json.loads((out / "summary.json").read_text())["stopping"]
        assert stopping["reason"] == "max_replications" and stopping["replications"] == 15
        assert stopping["met"] == {"service_level": False, "offered": True}
        assert "15 replications" in (out / "report.html").read_text()

    def test_compare_holds_the_baseline_and_the_paired_difference(self, scenario_file,
                                                                    tmp_path):
        """In compare, the run goes on until the baseline's mean and the difference meet it.

        The README's looks on whichever needs most, the same replications for each: the
        baseline's ASA, and the paired difference plus_one - baseline, whose share of the
        mean is of the larger of the two means.
        """
        out = tmp_path / "cmp"
        done = CliRunner().invoke(main, ["compare", str(scenario_file), "-o", str(out), "-q",
                                         "-w", "1", "--precision", "asa=10%", "--no-report"])
        assert done.exit_code == 0, done.output
        targets = {"asa": (0.10, True)}
        tables = {name: pd.read_csv(out / name / "replications.csv")
                  for name in ("baseline", "plus_one")}
        n = len(tables["baseline"])
        assert len(tables["plus_one"]) == n
        manifest = json.loads((out / "comparison.json").read_text())
        assert manifest["replications"] == n
        assert manifest["stopping"].startswith(f"stopped after {n} replications")
        base, plus = tables["baseline"], tables["plus_one"]
        diff = plus[["asa"]] - base[["asa"]]
        # each look: the largest batch either asks for; stop when neither asks for more
        looks = [10]
        while (n_next := max(readme_next(base.iloc[:looks[-1]], targets, 200),
                             readme_next(diff.iloc[:looks[-1]], targets, 200,
                                         [base.iloc[:looks[-1]], plus.iloc[:looks[-1]]]))
               ) != looks[-1]:
            looks.append(n_next)
        assert looks[-1] == n and len(looks) > 1, looks
        assert oracle_half_width(base["asa"]) <= 0.10 * mean(base["asa"])
        larger = max(mean(base["asa"]), mean(plus["asa"]))
        assert oracle_half_width(diff["asa"]) <= 0.10 * larger

    def test_a_small_shortfall_adds_a_quarter(self, scenario_file):
        """Just short of the target after the first batch, the next batch is a quarter of it.

        The target is the first 10 replications' half-width / 1.05: they need about
        10 x 1.05^2 = 11.03, so the README's floor of a quarter (3) sets the second look.
        The looks the run made are the totals its progress announced.
        """
        scenario = sim.load_scenario(scenario_file).model_copy(update={"variants": {}})
        first = sim.run(scenario, seed=2, replications=10).replications
        target = oracle_half_width(first["service_level"]) / 1.05
        totals = []
        result = sim.run(scenario, seed=2, precision={"service_level": target},
                         progress=lambda done, total: totals.append(total))
        looks = readme_looks(result.replications, {"service_level": (target, False)}, 1, 200)
        assert looks[:2] == [10, 13]
        assert sorted(set(totals)) == looks
        assert oracle_half_width(result.replications["service_level"]) <= target
