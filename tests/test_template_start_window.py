"""What ccsim schedule is told: templates, lengths and goals it reads as the planner meant.

``start: ["08:10", "08:20"]`` on half-hour intervals gave the template no placement: it
was left out without a word, the schedule made of the other templates (exit 0).
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from sim.cli import main

BANK = str(Path(__file__).resolve().parents[1] / "scenarios" / "small_bank.yaml")


def test_a_start_window_between_interval_starts(tmp_path):
    templates = tmp_path / "t.yaml"
    templates.write_text('templates:\n  day: {length: 8h, start: ["08:10", "08:20"]}\n'
                         '  part: {length: 4h}\n')
    done = CliRunner().invoke(main, ["schedule", BANK, "--set", "days=1", "--requirement",
                                     "staff", "--templates", str(templates), "-q", "--out",
                                     str(tmp_path / "s")])
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(
        "templates.day.start: no interval starts from 08:10 to 08:20 (every 30m): a shift "
        "starts at an interval's start"), done.output


def test_an_empty_length_is_refused():
    """--lengths 4h,,8h: a length typed between the commas was lost (it was ignored)."""
    done = CliRunner().invoke(main, ["schedule", BANK, "--lengths", "4h,,8h"])
    assert done.exit_code == 2 and "an empty length in '4h,,8h': give them as 4h,8h" in (
        done.output), done.output


def test_the_header_names_the_abandonment_goal(tmp_path):
    """--max-abandon binds the hold-out; the schedule's header said the service level alone."""
    done = CliRunner().invoke(main, ["schedule", BANK, "--set", "days=1", "--requirement",
                                     "staff", "--max-abandon", "0.05", "--max-rounds", "1",
                                     "-r", "1", "--out", str(tmp_path / "s")])
    assert done.exit_code == 0, done.output
    assert ("shifts for service level >= 0.8 within 20s, abandonment <= 0.05"
            in done.output), done.output
