"""A sweep's ``--out`` holding ``ccsim run`` (or compare) results is refused, ``--fresh`` or not.

Both write a ``manifest.json``; the run's seals its files (their sizes and digests). A
sweep must not call it damaged and advise ``--fresh``, which deleted it, leaving the run's
results unsealed: it names what the folder holds and asks for another ``--out``.
"""

from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

ERLANG_A = Path(__file__).resolve().parents[1] / "scenarios" / "erlang_a.yaml"


@pytest.fixture(scope="module", params=["run", "compare"])
def results(request, tmp_path_factory):
    """A folder of ``ccsim run`` results, or of ``ccsim compare`` (of two files)."""
    out = tmp_path_factory.mktemp(request.param) / "r"
    files = [str(ERLANG_A)] + ([str(ERLANG_A.with_name("erlang_c.yaml"))]
                               if request.param == "compare" else [])
    done = CliRunner().invoke(main, [request.param, *files, "--set", "close=03:00", "-r", "2",
                                     "-w", "1", "--no-report", "-q", "--out", str(out)])
    assert done.exit_code == 0, done.output
    return request.param, out


@pytest.mark.parametrize("fresh", [[], ["--fresh"]])
def test_sweep_into_a_run_folder_is_refused(results, fresh):
    """One line naming the command's folder, exit 2, and its files left as they were."""
    command, run_folder = results
    before = {p.name: p.read_bytes() for p in run_folder.rglob("*") if p.is_file()}
    done = CliRunner().invoke(main, ["sweep", str(ERLANG_A), "--set", "close=03:00",
                                     "--grid", "agents.pool.staff=40", "-r", "2", "-w", "1",
                                     "--no-figures", "-q", "--out", str(run_folder), *fresh])
    lines = done.output.strip().splitlines()
    assert done.exit_code == 2, done.output
    assert len(lines) == 1 and f"ccsim {command}" in lines[0], lines
    assert "another --out" in lines[0] and "--fresh" not in lines[0]
    assert {p.name: p.read_bytes() for p in run_folder.rglob("*") if p.is_file()} == before
