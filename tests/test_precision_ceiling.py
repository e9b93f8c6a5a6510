"""--max-replications is a ceiling: the CLI refuses a first batch above it.

`ccsim run -r 30 --max-replications 12 --precision ...` ran 30 replications and warned
"stopped at --max-replications (30)", a value the user never gave (`sim.run` with the
same arguments stops at 12). Now -r above --max-replications is refused in one line.
"""
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import main

BANK = str(Path(__file__).resolve().parents[1] / "scenarios" / "small_bank.yaml")


@pytest.mark.parametrize("command", ["run", "compare"])
def test_cli_never_runs_past_max_replications(tmp_path, command):
    out = tmp_path / "out"
    args = [command, BANK, "--set", "days=1", "-r", "30", "--max-replications", "12",
            "--precision", "service_level=0.001", "-w", "1", "-q", "--no-report",
            "-o", str(out)]
    if command == "compare":
        args[2:2] = ["--variant", "plus_two_generalists"]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 2, done.output
    assert done.output.strip().splitlines() == [
        f"{BANK}: --replications: the first batch of 30 is above --max-replications 12: "
        "lower -r or raise --max-replications"], done.output
    assert not out.exists()
    done = CliRunner().invoke(main, [*args[:args.index("-r")], "-r", "10",
                                     *args[args.index("-r") + 2:]])
    assert done.exit_code == 0, done.output
    summary = out / ("summary.json" if command == "run" else "baseline/summary.json")
    assert json.loads(summary.read_text())["replications"] == 12
    assert "(12)" in done.output, done.output


def test_cli_and_python_api_agree():
    scenario = sim.load_scenario(BANK, overrides={"days": 1})
    result = sim.run(scenario, replications=30, max_replications=12,
                     precision={"service_level": 0.001}, workers=1)
    assert result.n_replications == 12  # the Python API honours the ceiling
