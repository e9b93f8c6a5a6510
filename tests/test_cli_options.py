"""The options the commands share are defined once (sim.cli_options), durations read by one parser.

Every command that has ``--seed``, ``--replications``, ``--set``, ``--out`` or ``--quiet``
gets it from :mod:`sim.cli_options`: the same type, the same validation and the same
help text (plus the command's own note). Every duration option reads its value with
:func:`sim.units.parse_duration`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sim import cli_options
from sim.cli import main
from sim.units import parse_duration

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = str(ROOT / "scenarios" / "erlang_c.yaml")

SHARED_HELP = {
    "seed": "Seed of every random stream (default: the scenario's `seed`). Same seed, same "
            "results.",
    "replications": "Independent replications (2 or more give 95% confidence intervals).",
    "overrides": "Override a scenario field by dotted path, e.g. --set agents.pool.staff=44 "
                 "--set contact_types.calls.handle.mean=5m. Repeatable.",
    "quiet": "Print no progress",
}
DURATION_OPTIONS = {"threshold", "step", "interval", "aht", "patience"}


def commands() -> dict[str, click.Command]:
    ctx = click.Context(main)
    return {name: main.get_command(ctx, name) for name in main.list_commands(ctx)}


def options(name: str) -> dict[str, click.Option]:
    return {p.name: p for p in commands()[name].params if isinstance(p, click.Option)}


@pytest.mark.parametrize("name", sorted(commands()))
def test_shared_options_are_the_shared_ones(name):
    """Each shared option a command has: the shared flags, type and help text."""
    for param, option in options(name).items():
        if param in SHARED_HELP:
            assert option.help.startswith(SHARED_HELP[param]), (name, param)
        if param == "seed":
            assert option.opts == ["--seed"] and option.type is cli_options.SEED
        if param == "replications":
            assert set(option.opts) == {"--replications", "-r"}, name
            assert isinstance(option.type, click.IntRange) and option.type.min in (1, 2)
        if param == "target":  # a service-level target: a percentage gets the hint
            assert option.type is cli_options.TARGET, name
        if param == "overrides":
            assert option.opts == ["--set"] and option.multiple
            assert option.metavar == "PATH=VALUE"
        if param == "out":
            assert set(option.opts) == {"--out", "-o"}, name
        if param == "quiet":
            assert set(option.opts) == {"--quiet", "-q"} and option.is_flag, name


@pytest.mark.parametrize("name", sorted(commands()))
def test_durations_use_the_one_parser(name):
    """Every duration option reads its value with sim.units.parse_duration."""
    for param, option in options(name).items():
        if param in DURATION_OPTIONS:
            assert isinstance(option.type, cli_options.Unit), (name, param)
            assert option.type._parse is parse_duration, (name, param)


def test_no_command_defines_a_shared_option_itself():
    """No module but sim.cli_options writes click.option("--seed"/"--set"/...) itself."""
    shared = {"--seed", "--replications", "--set", "--out", "--quiet"}
    found = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        if path.name == "cli_options.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "option" and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and node.args[0].value in shared):
                found.append(f"{path.name}:{node.lineno} {node.args[0].value}")
    assert found == []


class TestDurationType:
    @pytest.mark.parametrize(("text", "seconds"), [("20s", 20.0), ("4m", 240.0),
                                                   ("1.5h", 5400.0), ("90", 90.0)])
    def test_reads_like_scenario_files(self, text, seconds):
        """A duration option reads what a scenario file reads (units.parse_duration)."""
        assert cli_options.DURATION.convert(text, None, None) == seconds == \
            parse_duration(text)

    def test_bad_duration_is_one_line(self):
        """A bad duration: click's one-line error naming the option and the rule."""
        done = subprocess.run([sys.executable, "-m", "sim", "staff", SCENARIO, "--threshold",
                               "soon"], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "--threshold" in lines[0]
        assert "expected a duration like 30s, 4m, 1.5h or 2d, got 'soon'" in lines[0]

    def test_positive_duration(self):
        """--step must be > 0, whatever its spelling."""
        result = CliRunner().invoke(main, ["animate", SCENARIO, "--step", "0m"])
        assert result.exit_code == 2
        assert "must be > 0, got '0m'" in result.output

    def test_fit_interval_must_divide_a_day(self, tmp_path):
        """`ccsim fit --interval 7m`: one line, exit 2 (checked before reading the log)."""
        done = subprocess.run([sys.executable, "-m", "sim", "fit", str(tmp_path / "log.csv"),
                               "--interval", "7m", "--out", str(tmp_path / "f.yaml")],
                              capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 2
        assert done.stderr.strip() == "--interval: must divide a day (e.g. 15m, 30m, 1h), got 7m"


def test_seed_validation_is_shared():
    """A negative seed is refused by every command with --seed, the same way."""
    for name in commands():
        if "seed" not in options(name):
            continue
        args = [name, SCENARIO] + (["x.csv"] if name == "backtest" else []) + ["--seed", "-1"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, name
        assert "-1 is not in the range 0<=x<=" in result.output, name


@pytest.mark.parametrize("args", [
    ["erlang", "--rate", "600/h", "--aht", "4m", "--patience", "3m", "--target", "0.8",
     "--max-abandon", "nan"],
    ["staff", SCENARIO, "--max-abandon", "nan"],
    ["staff", SCENARIO, "--confidence", "nan"],
    ["schedule", SCENARIO, "--target", "nan"],
    ["schedule", SCENARIO, "--max-abandon", "nan"],
    ["erlang", "--rate", "600/h", "--aht", "4m", "--target", "nan"],
    ["staff", SCENARIO, "--target", "nan"],
], ids=lambda args: f"{args[0]} {args[-2]}")
def test_a_number_that_is_not_a_number_is_the_option_s_error(args):
    """``nan`` for a number option: one line naming the option, before any work.

    click's own range lets ``nan`` through (it compares false with both bounds), and the
    command then failed later, blaming the scenario file or printing its header first.
    """
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert args[-2] in result.stderr and "finite" in result.stderr, result.stderr


@pytest.mark.parametrize(("option", "value"), [
    ("--target", "0.8_5"), ("--target", "8_0"), ("--target", "０.８"),
    ("--max-abandon", "0.0_5")])
def test_what_float_takes_but_no_one_writes_is_refused(option, value):
    """``--target 0.8_5`` was 0.85 (Python's float reads underscores), ``8_0`` hinted 0.8.

    Found by an outside check of ``--precision``, whose parser had the same flaw: these
    options read numbers with click's float too. One line naming the option and value.
    """
    result = CliRunner().invoke(main, ["erlang", "--rate", "600/h", "--aht", "4m",
                                       "--patience", "3m", "--target", "0.8", option, value])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line and option in line, line
    assert f"must be a finite number, got {value!r}" in line, line


@pytest.mark.parametrize("target", ["0.999999999", "0.8", "0.95"])
def test_erlang_goal_prints_the_target_given(target):
    """`ccsim erlang --target` echoes the target as given: 0.999999999 is not ">= 1"."""
    result = CliRunner().invoke(main, ["erlang", "--rate", "600/h", "--aht", "4m",
                                       "--target", target])
    assert result.exit_code == 0, result.output
    assert f"service level >= {target} within 20s" in result.output


@pytest.mark.parametrize(("args", "needs"), [
    (["--agents", "42", "--patience", "3m"], "needs --target"),
    (["--agents", "46", "--target", "0.8"], "needs --patience"),
])
def test_erlang_max_abandon_that_cannot_apply_is_refused(args, needs):
    """``--max-abandon`` without ``--target`` (or without ``--patience``: nobody abandons).

    It printed figures that ignored it, exit 0: the user believed the cap applied (found by
    an outside check).
    """
    result = CliRunner().invoke(main, ["erlang", "--rate", "600/h", "--aht", "4m", *args,
                                       "--max-abandon", "0.02"])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.strip() == f"erlang: --max-abandon: {needs}" + (
        " (the cap is on the fewest agents it prints)" if needs.endswith("target")
        else " (Erlang C: nobody abandons)"), result.stderr


@pytest.mark.parametrize("name", ["run", "compare", "sweep", "staff", "schedule", "fit",
                                  "backtest", "animate"])
def test_an_empty_out_is_refused(name, tmp_path):
    """``--out ''`` wrote to the command's default folder without a word (an outside check)."""
    if "out" not in options(name):
        pytest.skip(f"{name} has no --out")
    args = {"fit": [str(tmp_path / "log.csv")],
            "backtest": [SCENARIO, str(tmp_path / "log.csv")],
            "sweep": [SCENARIO, "--grid", "agents.pool.staff=40,41"]}.get(name, [SCENARIO])
    result = CliRunner().invoke(main, [name, *args, "--out", ""])
    assert result.exit_code == 2, result.output
    assert "--out" in result.stderr and "empty" in result.stderr, result.stderr


def test_a_backtest_figure_is_written_as_png_only(tmp_path):
    """``backtest -o x.txt`` wrote PNG bytes under a .txt name (an outside check)."""
    result = CliRunner().invoke(main, ["backtest", SCENARIO, str(tmp_path / "log.csv"),
                                       "--out", str(tmp_path / "x.txt")])
    assert result.exit_code == 2, result.output
    assert "--out" in result.stderr and ".png" in result.stderr, result.stderr


@pytest.mark.parametrize(("typed", "meant"), [("80%", "0.8"), ("95 %", "0.95"), ("80", "0.8")])
def test_a_target_typed_as_a_percentage_is_hinted_as_a_fraction(typed, meant):
    """``--target 80%`` is refused with the fraction meant, as ``--target 80`` is.

    Found by a review of 1508175: ``80%`` was refused as "must be a finite number", the
    one reading of a service-level target that is a number a person writes.
    """
    result = CliRunner().invoke(main, ["erlang", "--rate", "600/h", "--aht", "4m",
                                       "--target", typed])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and "--target" in line, line
    assert f"a fraction: did you mean {meant}?" in line, line


def whole_number_options() -> list[tuple[str, click.Parameter, int]]:
    """Every (command, parameter, n) whose type reads typed ``n`` (1, 2 or 10) as that int."""
    found = []
    for name, command in sorted(commands().items()):
        for param in command.params:
            for number in (1, 2, 10):
                try:
                    read = param.type.convert(str(number), param, None)
                except click.BadParameter:
                    continue
                if type(read) is int and read == number:
                    found.append((name, param, number))
                break
    return found


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
MISTYPED = {"underscore": lambda n: f"0_{n}",  # int reads all three as n
            "full-width": lambda n: str(n).translate(FULL_WIDTH),
            "comma": lambda n: f"{n},0"}      # (int refuses this one already)


@pytest.mark.parametrize("how", sorted(MISTYPED))
def test_every_whole_number_option_refuses_what_int_takes_but_no_one_writes(how):
    """Every whole-number option refuses ``0_1`` and full-width ``１``, which ``int`` reads as 1.

    Found by reading ``1``, ``2`` or ``10`` as an int, so an option added later is checked too.
    """
    found = whole_number_options()
    assert len(found) >= 30, [(name, param.name) for name, param, _ in found]
    for name, param, number in found:
        with pytest.raises(click.BadParameter, match="whole number"):
            param.type.convert(MISTYPED[how](number), param, None)
        assert param.type.convert(f" {number} ", param, None) == number, (name, param.name)


@pytest.mark.parametrize("args", [
    ["run", SCENARIO, "-r", "1_0"],
    ["run", SCENARIO, "--replications", "１０"],
    ["run", SCENARIO, "--seed", "4_2"],
    ["run", SCENARIO, "--workers", "2_0"],
    ["run", SCENARIO, "--precision", "service_level=0.01", "--max-replications", "1_00"],
    ["run", SCENARIO, "--keep-contacts", "1_000"],
    ["sweep", SCENARIO, "--grid", "agents.pool.staff=40,41", "--workers", "１"],
    ["staff", SCENARIO, "--max-agents", "6_0"],
    ["erlang", "--rate", "600/h", "--aht", "4m", "--agents", "4_5"],
], ids=lambda args: f"{args[0]} {args[-2]} {args[-1]}")
def test_a_whole_number_option_refuses_1_0_in_one_line(args):
    """A typo like ``1_0`` is refused: one line naming the option and the value, exit 2.

    ``ccsim run -r 1_0`` ran 10 replications and ``erlang --agents 4_5`` priced 45 agents.
    """
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line and args[-2] in line, line
    assert f"must be a whole number, got {args[-1]!r}" in line, line


@pytest.mark.parametrize(("args", "says"), [
    (["run", SCENARIO, "-r", "0"], "0 is not in the range x>=1"),
    (["run", SCENARIO, "-r", "1.5"], "must be a whole number, got '1.5'"),
    (["run", SCENARIO, "--seed", "-1"], "-1 is not in the range 0<=x<="),
    (["erlang", "--rate", "600/h", "--aht", "4m", "--agents", "abc"],
     "must be a whole number, got 'abc'"),
], ids=lambda value: value[-1] if isinstance(value, list) else None)
def test_a_whole_number_option_keeps_its_range_message(args, says):
    """Refusing ``1_0`` leaves click's range messages (``0 is not in the range x>=1``)."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert says in result.stderr, result.stderr
