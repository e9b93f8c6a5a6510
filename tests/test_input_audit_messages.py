"""Refusals found by an outside check of bad input, each one line with exit code 2.

In words the user can find in the README or the file.

- A contact type named ``all`` was taken, and ``intervals.csv``'s rows of every type
  together (``all``) merged with its own: 48 rows of two types instead of 72, the type's
  own figures gone without a word.
- An unknown field of a ``schedule --templates`` file got its "did you mean" from the
  scenario's fields: ``name`` was told "did you mean 'name'?", ``day`` "'days'", while a
  misspelt template field (``lenght``) got none.
- A section given a number was told "input should be a valid dictionary or instance of
  servicelevel": a class name of the code, lower-cased, no field of the file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
BANK, ERLANG_A = ROOT / "small_bank.yaml", ROOT / "erlang_a.yaml"

TYPE_ALL = """
name: a type called all
seed: 1
days: 1
interval: 1h
contact_types:
  all:
    arrivals: {rate: 30/h}
    handle: {dist: exponential, mean: 4m}
  other:
    arrivals: {rate: 90/h}
    handle: {dist: exponential, mean: 4m}
agents:
  pool:
    skills: [all, other]
    staff: 12
"""


def one_line(args: list[str]) -> str:
    """The one line a refused command prints (exit code 2, nothing else)."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_a_type_named_all_is_refused(tmp_path):
    path = tmp_path / "all.yaml"
    path.write_text(TYPE_ALL)
    line = one_line(["validate", str(path)])
    assert line.startswith(f"{path}: contact_types.all: "), line
    assert "reserved" in line and "intervals.csv" in line, line


def _templates(tmp_path, text: str) -> str:
    path = tmp_path / "templates.yaml"
    path.write_text(text)
    result = CliRunner().invoke(main, ["schedule", str(ERLANG_A), "--templates", str(path),
                                       "-q", "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    return result.stderr


@pytest.mark.parametrize("field", ["name", "day"])
def test_a_templates_files_unknown_field_gets_no_scenario_hint(tmp_path, field):
    err = _templates(tmp_path, f"templates:\n  t8: {{length: 8h}}\n{field}: x\n")
    assert f"unknown field '{field}'" in err and "did you mean" not in err, err


def test_a_misspelt_template_field_gets_the_templates_hint(tmp_path):
    err = _templates(tmp_path, "templates:\n  t8: {length: 8h, lenght: 8h}\n")
    assert "did you mean 'length'" in err, err


@pytest.mark.parametrize("override", ["service_level=5", "contact_types.billing=5",
                                      "agents.billing_team=5", "routing.billing.0=5",
                                      "contact_types.billing.arrivals=5"])
def test_a_section_given_a_number_names_no_class_of_the_code(override):
    line = one_line(["validate", str(BANK), "--set", override])
    assert "instance of" not in line and "a section of fields" in line, line


def test_a_logs_type_named_all_is_fitted_under_another_name(tmp_path):
    """``ccsim fit`` of a log whose contact_type says ``all`` writes a scenario that runs."""
    from sim.calllog import read_call_log
    from sim.fit import fit_log
    from sim.fit_scenario import scenario_dict
    from sim.loader import scenario_from_dict

    path = tmp_path / "log.csv"
    rows = [f"2026-03-02T{8 + k // 6:02d}:{k % 6 * 10:02d}:00,{kind},5,answered,240"
            for k in range(48) for kind in ("all", "other")]
    path.write_text("arrival,contact_type,wait,outcome,handle\n" + "\n".join(rows) + "\n")
    fit = fit_log(read_call_log(path), 3600.0)
    scenario = scenario_from_dict(scenario_dict(fit, "fitted"), source="fitted.yaml")
    assert "all" not in scenario.contact_types and len(scenario.contact_types) == 2


@pytest.mark.parametrize(("override", "says"), [
    ("contact_types.billing.handle=5", "expected a section of fields (a mapping), got 5"),
    ("agents.billing_team.skills=calls", "must be a list of contact types or a mapping of "
                                         "contact type to priority, got 'calls'"),
])
def test_a_value_of_the_wrong_kind_says_what_is_expected(override, says):
    """A value of the wrong kind is told what the field takes.

    A distribution given a number kept pydantic's 'object to extract fields from', and
    ``skills: calls`` was told to give a mapping, not a list (found by a review).
    """
    line = one_line(["validate", str(BANK), "--set", override])
    assert line.endswith(says), line
