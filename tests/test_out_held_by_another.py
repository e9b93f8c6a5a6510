"""``--out`` into a folder holding another command's results is refused, the folder untouched.

``ccsim sweep`` refused a run's or a comparison's folder, but ``ccsim run`` and ``ccsim
compare`` wrote into a sweep's: run replaced the sweep's manifest.json with its own,
compare removed it, and the sweep's finished parts were stranded (the sweep then refused
its own folder as "the results of a ccsim run", even with --fresh). A run into a
comparison's folder, or a comparison into a run's, left a mix of both.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
EA, BANK = str(ROOT / "erlang_a.yaml"), str(ROOT / "small_bank.yaml")
RUN = ["run", EA, "--set", "days=1", "-r", "2", "-w", "1", "-q", "--no-report", "-o"]
COMPARE = ["compare", BANK, "--variant", "plus_two_generalists", "--set", "days=1", "-r", "2",
           "-w", "1", "-q", "--no-report", "-o"]


def _contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("command", ["run", "compare"])
def test_out_into_a_sweep_folder_is_refused(tmp_path, command):
    sw = tmp_path / "sw"
    grid = ["sweep", EA, "--set", "days=1", "--grid", "agents.pool.staff=40,42", "-r", "2",
            "-w", "1", "-o", str(sw)]
    assert (done := CliRunner().invoke(main, grid)).exit_code == 0, done.output
    before = _contents(sw)
    done = CliRunner().invoke(main, [*(RUN if command == "run" else COMPARE), str(sw)])
    assert done.exit_code == 2, done.output
    assert done.output.strip().splitlines() == [
        f"--out: {sw} holds the results of a ccsim sweep, not of a {command}; use another "
        "--out (nothing was changed)"]
    assert _contents(sw) == before
    again = CliRunner().invoke(main, grid)  # the sweep still resumes, nothing recomputed
    assert again.exit_code == 0, again.output
    assert "0 units computed" in again.output, again.output


@pytest.mark.parametrize(("first", "then"), [(RUN, COMPARE), (COMPARE, RUN)])
def test_run_and_compare_keep_out_of_each_others_folders(tmp_path, first, then):
    out = tmp_path / "out"
    assert (done := CliRunner().invoke(main, [*first, str(out)])).exit_code == 0, done.output
    before = _contents(out)
    done = CliRunner().invoke(main, [*then, str(out)])
    assert done.exit_code == 2 and "holds the results of a ccsim" in done.output, done.output
    assert _contents(out) == before
    # its own folder again: written as before
    assert CliRunner().invoke(main, [*first, str(out)]).exit_code == 0
