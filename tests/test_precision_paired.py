"""``compare --precision`` holds what compare reports: the baseline and the differences.

A planner comparing variants asks "how much better is B than A". Before, the rule held
every variant's own mean to the target: under common random numbers the paired difference
is often far more precise than either mean, so the run went on past the answer (test a);
and where pairing is weak (here, a variant whose customers draw from other streams: its
contact type has another name) the difference could still be imprecise when every own mean
met the target, so the run stopped before the answer (test b). The half-widths are
recomputed here with textbook statistics (:mod:`oracle_stats`) from the replications the
runs wrote, the targets placed between them; and the numbers printed at the stop are those
of a plain ``compare -r N`` (test c), on any number of workers.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from oracle_stats import SCENARIO, mean, oracle_half_width

from sim.cli import main
from sim.precision import Target

PAIRED_LINE = "on the baseline's mean and each variant's paired difference to it"


def _write(folder: Path, name: str, document: dict) -> Path:
    path = folder / name
    path.write_text(json.dumps(document))
    return path


def _compare(out: Path, files: list[Path], *options: str) -> str:
    done = CliRunner().invoke(main, ["compare", *map(str, files), "-o", str(out), "-q",
                                     "--no-report", *options])
    assert done.exit_code == 0, done.output
    return done.output


def _asa(out: Path, names: tuple[str, str]) -> tuple[pd.Series, pd.Series]:
    base, other = (pd.read_csv(out / name / "replications.csv") for name in names)
    assert list(base["replication"]) == list(other["replication"])
    return base["asa"], other["asa"]


def _half_widths(out: Path, names: tuple[str, str]) -> tuple[float, float, float]:
    """The baseline's, the variant's and their paired difference's ASA half-widths."""
    base, other = _asa(out, names)
    return oracle_half_width(base), oracle_half_width(other), oracle_half_width(other - base)


def _replications(out: Path) -> int:
    return json.loads((out / "comparison.json").read_text())["replications"]


@pytest.fixture(scope="module")
def strong(tmp_path_factory):
    """Ten agents against nine: the same customers in both, so the difference is precise.

    Returns the file, the target (between the variant's own half-width after 10
    replications and the larger of the baseline's and the difference's) and the folder
    of a plain ``-r 10``.
    """
    folder = tmp_path_factory.mktemp("strong")
    document = copy.deepcopy(SCENARIO)
    document["agents"]["pool"]["staff"] = 10
    document["variants"] = {"minus_one": {"agents.pool.staff": 9}}
    path = _write(folder, "strong.yaml", document)
    _compare(folder / "plain", [path], "-r", "10", "-w", "1")
    base, own, diff = _half_widths(folder / "plain", ("baseline", "minus_one"))
    # the case the rule is for: the variant's own interval is wide, its difference is not
    assert max(base, diff) < own, (base, own, diff)
    target = float(f"{(max(base, diff) + own) / 2:.4g}")
    assert max(base, diff) < target < own
    return path, target


@pytest.fixture(scope="module")
def weak(tmp_path_factory):
    """Two like centres whose customers draw from other streams: pairing is weak.

    The variant names its contact type ``callers``: streams are keyed by contact type, so
    its customers are not the baseline's. Returns the files, the target (between the
    larger own half-width after 10 replications and the difference's) and the folder of
    a ``--precision`` run on two workers.
    """
    folder = tmp_path_factory.mktemp("weak")
    base = copy.deepcopy(SCENARIO)
    del base["variants"]
    other = copy.deepcopy(base)
    other["contact_types"] = {"callers": other["contact_types"].pop("calls")}
    other["agents"]["pool"]["skills"] = ["callers"]
    files = [_write(folder, "centre.yaml", base), _write(folder, "other.yaml", other)]
    _compare(folder / "plain", files, "-r", "10", "-w", "1")
    hw_base, hw_other, diff = _half_widths(folder / "plain", ("baseline", "other"))
    assert max(hw_base, hw_other) < diff, (hw_base, hw_other, diff)
    target = float(f"{(max(hw_base, hw_other) + diff) / 2:.4g}")
    assert max(hw_base, hw_other) < target < diff
    out = folder / "precise"
    printed = _compare(out, files, "-w", "2", "--precision", f"asa={target:g}",
                       "--max-replications", "80")
    return files, target, out, printed


def test_a_precise_difference_stops_at_the_first_look(strong, tmp_path):
    """(a) Strong pairing: the first batch answers the question; the run stops at 10.

    The variant's own ASA interval is wider than the target after 10 replications (before,
    the run went on for it); the baseline's and the paired difference's are within it.
    """
    path, target = strong
    out = tmp_path / "precise"
    printed = _compare(out, [path], "-w", "1", "--precision", f"asa={target:g}")
    assert _replications(out) == 10
    base, own, diff = _half_widths(out, ("baseline", "minus_one"))
    assert base <= target and diff <= target < own
    assert "warning" not in printed
    assert (f"stopped after 10 replications: every precision target met (asa ± {target:g}) "
            f"{PAIRED_LINE}") in printed, printed
    manifest = json.loads((out / "comparison.json").read_text())
    assert manifest["stopping"].endswith(PAIRED_LINE)
    summary = json.loads((out / "minus_one" / "summary.json").read_text())["stopping"]
    assert summary["against"] == {"asa": "baseline"}
    assert summary["half_widths"]["asa"] == pytest.approx(diff, rel=1e-9)
    assert "against" not in json.loads((out / "baseline" / "summary.json").read_text()
                                       )["stopping"]


def test_b_an_imprecise_difference_runs_on(weak):
    """(b) Weak pairing: both own intervals meet the target after 10, the difference not.

    Before, the run stopped at 10 with a difference of ± more than the target; now it runs
    on until the difference (and the baseline's mean) meet it, and says so.
    """
    _, target, out, printed = weak
    n = _replications(out)
    assert n > 10
    base, other = _asa(out, ("baseline", "other"))
    assert len(base) == n
    assert oracle_half_width(base) <= target
    assert oracle_half_width(other - base) <= target
    assert (f"stopped after {n} replications: every precision target met (asa ± {target:g}) "
            f"{PAIRED_LINE}") in printed, printed


def test_c_the_numbers_at_the_stop_are_a_plain_compare_of_as_many(weak, tmp_path):
    """(c) Parity: the table printed at the stop is that of ``compare -r N``, same seed.

    The precision run used two workers, the plain one one: the files are the same bytes.
    """
    files, _, out, printed = weak
    n = _replications(out)
    plain = _compare(tmp_path / "plain", files, "-r", str(n), "-w", "1")
    table = [line for line in printed.splitlines() if not line.startswith("stopped after")]
    assert table == plain.splitlines()
    assert (out / "comparison.csv").read_bytes() == (tmp_path / "plain" / "comparison.csv"
                                                      ).read_bytes()
    for name in ("baseline", "other"):
        assert (out / name / "replications.csv").read_bytes() == (
            tmp_path / "plain" / name / "replications.csv").read_bytes(), name


def test_the_warning_names_the_difference(weak, tmp_path):
    """At --max-replications the warning says the difference to the baseline missed."""
    files, target, _, _ = weak
    done = CliRunner().invoke(main, ["compare", *map(str, files), "-o", str(tmp_path / "o"),
                                     "-q", "--no-report", "-w", "1", "--precision",
                                     f"asa={target:g}", "--max-replications", "10"])
    assert done.exit_code == 0, done.output
    base, other = _asa(tmp_path / "o", ("baseline", "other"))
    diff = oracle_half_width(other - base)
    warning = [line for line in done.output.splitlines() if line.startswith("warning")]
    assert warning == [f"warning: other: stopped at --max-replications (10) before the "
                       f"precision was reached: asa difference to baseline ± {diff:.4g} > "
                       f"{target:g}"]


class _Sample:
    def __init__(self, **kpis):
        self.kpis = {k: np.asarray(v, dtype=float) for k, v in kpis.items()}

    @property
    def n(self) -> int:
        return len(next(iter(self.kpis.values())))

    def values(self, kpi: str) -> np.ndarray:
        return self.kpis[kpi]


class TestPairedRule:
    """The rule on a variant: its paired difference to the baseline, by the README."""

    def test_a_share_of_the_mean_is_of_the_larger_of_the_two(self):
        """A baseline where nobody abandons still sets a variant's difference a target.

        The difference's half-width is held to 50% of the larger mean (the variant's);
        of the baseline's 0 it could never be met.
        """
        from sim.paired_precision import PairedRule

        rng = np.random.default_rng(1)
        variant = _Sample(abandon_rate=0.1 + 0.01 * rng.standard_normal(10))
        base = _Sample(abandon_rate=np.zeros(10))
        rule = PairedRule({"abandon_rate": Target("abandon_rate", 0.5, relative=True)}, 40,
                          baseline=base, against="baseline")
        assert rule.next_batch(variant) == 0
        end = rule.stopping(variant)
        assert end.precise and end.against == {"abandon_rate": "baseline"}
        assert end.limits["abandon_rate"] == pytest.approx(0.5 * mean(variant.kpis[
            "abandon_rate"]))

    def test_pairs_where_either_is_undefined_are_left_out(self):
        """An ASA undefined in one replication of either side leaves that pair out."""
        from sim.paired_precision import PairedRule

        variant = _Sample(asa=[10.0, math.nan, *range(10, 19)])
        base = _Sample(asa=[11.0, 12.0, math.nan, *range(11, 19)])
        rule = PairedRule({"asa": Target("asa", 5.0)}, 40, baseline=base, against="baseline")
        end = rule.stopping(variant)
        assert end.defined["asa"] == 9  # two pairs of the 11 have a NaN
        assert not end.precise  # 9 pairs are under the 10 a target is tested on
        assert end.describe().endswith("asa difference to baseline defined in 9 of 11 "
                                       "replications (10 needed)")
