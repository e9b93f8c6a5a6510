"""``--precision`` and ``--max-replications`` values no run could honour are refused at once.

Each is one line naming the option and why, exit code 2, before anything is simulated
(the oracle scenario has patience but no costs, callbacks or transfers); the same targets
given to :func:`sim.run` are a ValueError, not a KeyError from deep in the stopping rule.
"""

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from oracle_stats import SCENARIO, mean, oracle_half_width, write_scenario

import sim
from sim.cli import main


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    return write_scenario(tmp_path_factory.mktemp("scenario"))


REFUSED = [  # options, words the one line must hold
    (["--precision", "total_cost=5"], ["--precision", "total_cost", "costs"]),
    (["--precision", "callback_wait=10"], ["--precision", "callback_wait", "callback"]),
    (["--precision", "asa=2", "--precision", "asa=5%"], ["--precision", "asa", "twice"]),
    (["-r", "5", "--precision", "asa=2", "--max-replications", "5"],
     ["--max-replications", "5", "10"]),
    # the value the user gave, not -r's (it said 'got 8'); nor is it let through under a
    # first batch of 10 or more (its ceiling silently became -r's)
    (["-r", "8", "--precision", "asa=2", "--max-replications", "5"],
     ["--max-replications", "got 5", "10"]),
    (["-r", "12", "--precision", "asa=2", "--max-replications", "5"],
     ["--max-replications", "got 5", "10"]),
    (["--precision", "service_level=1"], ["--precision", "service_level", "0.01"]),
]


@pytest.mark.parametrize("command", ["run", "compare"])
@pytest.mark.parametrize(("options", "words"), REFUSED, ids=lambda x: " ".join(x)[:40])
def test_refused_in_one_line_before_any_work(scenario_file, tmp_path, command, options, words):
    """A target that cannot be measured or met, or given twice: one line, exit 2.

    Before the fix ``total_cost`` was an internal error, ``callback_wait`` ran every
    replication up to the ceiling to warn it was never defined, a second target for a
    KPI silently replaced the first, a ceiling under the first batch of 10 could never
    be met, and ``service_level=1`` (meant as one point) was met by any 10 replications.
    """
    out = tmp_path / "out"
    done = CliRunner().invoke(main, [command, str(scenario_file), "-o", str(out), "-q",
                                     "-w", "1", "--no-report", *options])
    lines = done.output.strip().splitlines()
    assert done.exit_code == 2, done.output
    assert len(lines) == 1 and all(w in lines[0] for w in words), lines
    assert not out.exists()  # nothing simulated, nothing written


@pytest.mark.parametrize("command", ["run", "compare"])
def test_max_replications_help_says_its_minimum_with_precision(command):
    """The help gives the minimum that holds: 10 with --precision, else any count.

    It said 'x>=2': refused below 2 without --precision, where it is never used, and
    below 10 with it, a rule the help did not give.
    """
    done = CliRunner().invoke(main, [command, "--help"])
    words = " ".join(done.output.split())  # (wrapped to the terminal)
    help_text = words.split("--max-replications INTEGER RANGE ", 1)[1].split("]", 1)[0]
    assert "at least 10" in help_text and "x>=2" not in help_text, help_text


@pytest.mark.parametrize(("precision", "match"), [
    ({"total_cost": 5}, "total_cost is never measured: the scenario has no `costs:`"),
    ({"callback_wait": 10}, "callback_wait is never measured: the scenario has no `callback`"),
    ({"occupancy": 2.0}, "occupancy is a share.*occupancy=0.01"),
])
def test_python_api_refuses_them_too(scenario_file, precision, match):
    """``sim.run(precision=...)`` raises a ValueError naming the KPI, before simulating."""
    scenario = sim.load_scenario(scenario_file)
    with pytest.raises(ValueError, match=match):
        sim.run(scenario, replications=2, workers=1, precision=precision,
                max_replications=12)


@pytest.mark.parametrize("api", ["run", "compare"])
def test_python_api_names_max_replications(scenario_file, monkeypatch, api):
    """A ceiling under 10: a one-line ValueError naming 'max_replications', before any pool.

    Before the fix ``sim.run`` opened its worker pool first and then raised the CLI's
    words ('--max-replications: ... with --precision'), options a Python caller never gave.
    """
    from sim import replicate
    from sim.compare import compare

    scenario = sim.load_scenario(scenario_file)
    monkeypatch.setattr(replicate, "replication_pool", None)  # opening one would fail here
    call = (lambda: sim.run(scenario, replications=2, workers=1, precision={"asa": 2},
                            max_replications=5)) if api == "run" else (
        lambda: compare({"base": scenario}, replications=2, workers=1,
                            precision={"asa": 2}, max_replications=5))
    with pytest.raises(ValueError, match="max_replications") as caught:
        call()
    (line,) = str(caught.value).splitlines()
    assert line.startswith("'max_replications': must be >= 10 with 'precision'"), line
    assert line.endswith("got 5") and "--" not in line


def test_a_target_on_a_modelled_kpi_still_runs(scenario_file, tmp_path):
    """The checks leave a sound target alone: abandon_rate (patience) to ±50 points."""
    out = tmp_path / "ok"
    done = CliRunner().invoke(main, ["run", str(scenario_file), "-o", str(out), "-q",
                                     "-w", "1", "--no-report", "-r", "10", "--precision",
                                     "abandon_rate=0.5", "--max-replications", "10"])
    assert done.exit_code == 0, done.output
    assert "stopped after 10 replications: every precision target met" in done.output


def test_compare_holds_each_variant_to_the_targets_it_measures(tmp_path):
    """A target on callbacks binds the variants with callbacks, not a baseline without.

    Before the fix the baseline's callback wait, never defined, kept every variant running
    to --max-replications and a warning ('defined in 0 of 40 replications'). The
    baseline has no callback wait to pair with: the variant's own mean is held, and the
    line says so.
    """
    scenario = tmp_path / "cb.yaml"
    scenario.write_text(json.dumps({
        **SCENARIO, "close": "10:00",
        "variants": {"callbacks": {"contact_types.calls.callback": {"threshold": "1m",
                                                                     "accept": 0.6}}}}))
    out = tmp_path / "cmp"
    done = CliRunner().invoke(main, ["compare", str(scenario), "-o", str(out), "-q", "-w", "1",
                                     "--no-report", "--precision", "callback_wait=30%",
                                     "--max-replications", "40"])
    assert done.exit_code == 0, done.output
    assert "warning" not in done.output
    manifest = json.loads((out / "comparison.json").read_text())
    n = manifest["replications"]
    assert n < 40 and manifest["stopping"] == (
        f"stopped after {n} replications: every precision target met "
        "(callback_wait ± 30% of its mean) on the mean of callbacks")
    waits = pd.read_csv(out / "callbacks" / "replications.csv")["callback_wait"]
    assert oracle_half_width(waits) <= 0.3 * mean(waits)


def test_progress_of_a_precision_batch_does_not_say_the_run_ends():
    """With --precision the total is the batch's end: its line says more may follow.

    Before, the last replication of each batch read "about 0s left" although another
    batch followed whenever a target was not met.
    """
    from sim.cli import progress_line

    batch = progress_line(10, 10, 4.0, batches=True)
    assert "0s left in this batch" in batch and "more batches" in batch
    assert progress_line(5, 10, 4.0) == ("  replication 5/10 done, 4.0s elapsed, "
                                         "about 4s left")


def test_compare_progress_of_a_precision_batch_does_not_say_the_run_ends(scenario_file,
                                                                           tmp_path,
                                                                           monkeypatch):
    """``compare --precision``: a batch's lines say more batches may follow, as ``run``'s.

    Found by an outside check: each variant's last line of a batch read "about 0s left"
    and the next batch followed (68a91dc had mended only ``run``'s lines). The clock
    runs 2 s a reading, so that every line is printed.
    """
    import itertools
    import types

    import sim.cli_report

    clock = itertools.count(0.0, 2.0)
    monkeypatch.setattr(sim.cli_report, "time",
                        types.SimpleNamespace(perf_counter=lambda: next(clock)))
    done = CliRunner().invoke(main, ["compare", str(scenario_file), "-o", str(tmp_path / "c"),
                                     "-w", "1", "--no-report", "--precision", "asa=3%",
                                     "--max-replications", "20"])
    assert done.exit_code == 0, done.output
    lines = [line for line in done.output.splitlines() if ": replication " in line]
    ends = [line for line in lines if "replication 10/10," in line]
    assert ends and len(lines) > len(ends), done.output[-1500:]  # a second batch ran
    for line in lines:
        assert "left in this batch (more batches while a target is not met)" in line, line
