"""``ccsim staff --out plan.csv`` is refused: the table went to the same file as the scenario.

The staffed scenario was written to plan.csv, then the table to ``with_suffix(".csv")``,
the same file: the scenario was lost without a word, exit 0.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sim.cli import main

ERLANG_C = str(Path(__file__).resolve().parents[1] / "scenarios" / "erlang_c.yaml")


def test_a_csv_out_is_refused_before_the_search(tmp_path):
    out = tmp_path / "plan.CSV"
    done = CliRunner().invoke(main, ["staff", ERLANG_C, "-r", "2", "-w", "1", "-q",
                                     "--out", str(out)])
    assert done.exit_code == 2, done.output
    assert done.output.strip().splitlines() == [
        f"--out: {out}: the staffed scenario is YAML and its table goes beside it as "
        "plan.csv: give a .yaml name"]
    assert not out.exists()
