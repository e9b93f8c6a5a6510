"""The refusal of a --precision KPI no variant measures once said the opposite of the truth.

`ccsim compare small_bank.yaml --variant plus_two_generalists --precision callback_wait=5`
says "callback_wait is never measured: no variant has no `callback`" (a double negative:
every variant has a callback). Expected: "... no variant has `callback`" (as the one-file
message "the scenario has no `callback`").
"""
from pathlib import Path

from click.testing import CliRunner

from sim.cli import main

BANK = str(Path(__file__).resolve().parents[1] / "scenarios" / "small_bank.yaml")


def test_compare_refusal_is_not_a_double_negative(tmp_path):
    done = CliRunner().invoke(main, ["compare", BANK, "--variant", "plus_two_generalists",
                                     "--set", "days=1", "-r", "2", "-w", "1", "-q",
                                     "--precision", "callback_wait=5",
                                     "-o", str(tmp_path / "o")])
    assert done.exit_code == 2, done.output
    assert "callback_wait" in done.output
    assert done.output.strip().endswith(
        "--precision: callback_wait is never measured: no variant has `callback`"), done.output
