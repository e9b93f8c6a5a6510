"""--max-replications is a ceiling: the CLI refuses a first batch above it.

`ccsim run -r 30 --max-replications 12 --precision ...` ran 30 replications and warned
"stopped at --max-replications (30)", a value the user never gave (`sim.run` with the
same arguments stopped at 12). Now -r above --max-replications is refused in one line,
and the same arguments to ``sim.run`` or ``compare`` are a ValueError.
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


@pytest.mark.parametrize("api", ["run", "compare"])
def test_python_api_refuses_it_as_the_cli_does(monkeypatch, api):
    """A first batch above the ceiling: a ValueError naming both values, before any pool.

    Found by an outside check: ``sim.run(replications=30, max_replications=12, ...)``
    silently ran a first batch of 12 where the command line refuses the same request.
    """
    from sim import replicate
    from sim.compare import compare

    scenario = sim.load_scenario(BANK, overrides={"days": 1})
    monkeypatch.setattr(replicate, "replication_pool", None)  # opening one would fail here
    call = sim.run if api == "run" else (lambda sc, **kw: compare({"base": sc}, **kw))
    with pytest.raises(ValueError, match="first batch of 30") as caught:
        call(scenario, replications=30, max_replications=12,
             precision={"service_level": 0.001}, workers=1)
    assert str(caught.value) == (
        "'replications': the first batch of 30 is above 'max_replications' 12: lower "
        "'replications' or raise 'max_replications'")
