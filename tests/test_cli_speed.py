"""Quick commands stay quick: what they import, not how long they take (issue #17).

Timings belong in benchmarks/bench_startup.py; here the cause is checked: ``import sim``,
``ccsim --help``, ``ccsim validate`` and ``ccsim erlang`` (Erlang C and A) load none of pandas,
SciPy, matplotlib and SimPy, and the lazily imported commands list the same help as
their own docstrings.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import sim
from sim.cli import LazyCommands, main

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "scipy", "matplotlib", "simpy")


def loaded_after(argv: list[str] | None, code: str = "") -> set[str]:
    """Heavy libraries in ``sys.modules`` after running the CLI with ``argv`` (or ``code``)."""
    script = code or textwrap.dedent(f"""
        import contextlib, io, sys
        sys.argv = ["ccsim", *{argv!r}]
        from sim.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main()
            except SystemExit as exc:
                assert not exc.code, exc.code
        """)
    script += f"\nimport sys\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize("argv", [
    None,
    ["--help"],
    ["validate", str(ROOT / "scenarios" / "small_bank.yaml")],
    ["erlang", "--rate", "600/h", "--aht", "4m", "--agents", "42"],
    ["erlang", "--rate", "600/h", "--aht", "4m", "--target", "0.8"],
    ["erlang", "--rate", "600/h", "--aht", "4m", "--agents", "42", "--patience", "3m"],
    ["erlang", "--rate", "600/h", "--aht", "4m", "--target", "0.8", "--patience", "3m"],
])
def test_quick_commands_load_no_heavy_library(argv):
    assert loaded_after(argv, "import sim" if argv is None else "") == set()


def test_a_command_that_simulates_still_finds_its_libraries():
    """The lazy group imports a command's module when it runs (the probe is not blind)."""
    assert {"pandas", "simpy"} <= loaded_after(None, "import sim\nsim.run")
    assert loaded_after(None, "import sim\nsim.run_replication") == {"simpy"}  # engine alone


@pytest.mark.parametrize("name", sorted(LazyCommands.LAZY))
def test_lazy_help_is_the_commands_own(name):
    """``ccsim --help`` lists for a lazy command what click would list for it."""
    # a fresh copy of ccsim's group, with none of the lazy commands imported into it yet
    group = LazyCommands(commands={n: c for n, c in main.commands.items()
                                   if n not in LazyCommands.LAZY})
    formatter = click.HelpFormatter()
    with click.Context(group) as ctx:
        group.format_commands(ctx, formatter)
        lazy_listing = formatter.getvalue()
        for other in group.list_commands(ctx):
            group.get_command(ctx, other)  # import every command
        formatter = click.HelpFormatter()
        group.format_commands(ctx, formatter)
    assert lazy_listing == formatter.getvalue()
    assert name in lazy_listing


def test_every_command_is_listed_and_runs_its_help():
    runner = CliRunner()
    listing = runner.invoke(main, ["--help"])
    assert listing.exit_code == 0
    for name in main.list_commands(click.Context(main)):
        assert f"  {name} " in listing.output
        assert runner.invoke(main, [name, "--help"]).exit_code == 0, name


def test_the_engine_runs_on_numpy_and_simpy_alone():
    """Issue #16: ``import sim.engine`` needs neither pandas nor SciPy, and a run no pandas.

    The engine's records are numpy columns (sim.records); the pandas tables are made from them
    elsewhere (sim.frames), by whoever reads them. Nor SciPy for small_bank's gamma handle
    times: their quantile function (for a journey's later legs) imports scipy.special when
    first asked for a number, and small_bank's calls have one leg each.
    """
    assert loaded_after(None, "import sim.engine") == {"simpy"}
    code = textwrap.dedent(f"""
        from sim.engine import run_replication
        from sim.loader import load_scenario
        records = run_replication(load_scenario({str(ROOT / "scenarios" / "small_bank.yaml")!r}),
                                  seed=1)
        assert records.n > 0
        """)
    assert loaded_after(None, code) == {"simpy"}


def test_package_names_resolve_lazily():
    for name in sim.__all__:
        assert getattr(sim, name) is not None
    importlib.import_module("sim.sweep")  # binding the submodule must not hide the function

    assert callable(sim.sweep) and sim.sweep.__module__ == "sim.sweep"
    with pytest.raises(AttributeError):
        sim.no_such_name  # noqa: B018


def test_a_run_needs_no_scipy_statistics(tmp_path):
    """A run's confidence intervals take Student t from scipy.special, not scipy.stats.

    scipy.stats costs about four times scipy.special's import, and it was paid in the serial
    part of every run after the workers had finished (issue #17's speed-up on 2 workers).
    """
    script = textwrap.dedent(f"""
        import contextlib, io, sys
        sys.argv = ["ccsim", "run", {str(ROOT / "scenarios" / "small_bank.yaml")!r}, "-r", "3",
                    "--no-report", "-q", "--set", "days=1", "--out", {str(tmp_path)!r}]
        from sim.cli import main
        try:
            main()
        except SystemExit as exc:
            assert not exc.code, exc.code
        print("scipy.special" in sys.modules, "scipy.stats" in sys.modules)
        """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split()[-2:] == ["True", "False"]
