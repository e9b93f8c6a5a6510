"""The commands a bundled scenario's comments suggest are commands that work.

A planner copies them from the file: an `ccsim erlang` line must run, a `--set` must
name a field of that scenario with a valid value, a `--variant` one the file declares
and a scenario path a file that is there. The numbers the comments quote are measured
by hand (they need many replications); this checks only that the commands stand.
"""

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def comment_text(path: Path) -> str:
    """The file's comments as one line: a command may wrap, or end a line with a backslash."""
    lines = [line.partition("#")[2] for line in path.read_text().splitlines() if "#" in line]
    return " ".join(line.strip().rstrip("\\") for line in lines)


def backticked_commands(text: str, command: str) -> list[list[str]]:
    """The ``ccsim COMMAND ...`` written between backticks, as argument lists."""
    return [shlex.split(found) for found in re.findall(rf"`ccsim ({command} [^`]*)`", text)]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
class TestSuggestedCommands:
    def test_erlang_lines_run(self, path):
        """Every `ccsim erlang ...` quoted in the comments runs and exits 0."""
        for args in backticked_commands(comment_text(path), "erlang"):
            res = CliRunner().invoke(main, args)
            assert res.exit_code == 0, f"{path.name}: ccsim {' '.join(args)}: {res.output}"

    def test_overrides_are_valid(self, path):
        """Every ``--set PATH=VALUE`` in the comments is a valid change of this scenario."""
        overrides = re.findall(r"--set\s+([\w.\[\]]+=[^\s):`,]+)", comment_text(path))
        for text in overrides:
            field, _, value = text.partition("=")
            sim.load_scenario(path, overrides={field: value})  # raises ScenarioError

    def test_variants_are_declared(self, path):
        """Every ``--variant NAME`` in the comments is declared under ``variants:``."""
        declared = sim.load_scenario(path).variants
        for name in re.findall(r"--variant\s+(\w+)", comment_text(path)):
            assert name in declared, f"{path.name}: no variant {name!r}"

    def test_scenario_paths_exist(self, path):
        """A ``ccsim run|compare scenarios/...`` in the comments names a bundled file."""
        for found in re.findall(r"ccsim \w+ (scenarios/\S+\.yaml)", comment_text(path)):
            assert (ROOT / found).is_file(), f"{path.name}: {found} is not bundled"
