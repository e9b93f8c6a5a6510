"""Every hint ``ccsim app`` shows that names a command-line option names one that exists.

The page's users read its error lines as advice: an option there must be one of the
command the hint names (``ccsim run --set``), or, where it names none, of ``ccsim app``
itself, the command they ran. The hints are read from the app's code and page (string
literals, docstrings left out) and from the one the page words at run time: a control
that reaches a section the scenario lacks, told how to give the section whole.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click

from sim.app import settings as controls
from sim.app.model import Session
from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "sim" / "app"
DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
OPTION = re.compile(r"(?:ccsim\s+([a-z-]+)\b[^'\"]*?)?(?<![\w-])(--[a-z][a-z-]*)")


def options_of(command: str) -> set[str]:
    """The options ``ccsim COMMAND`` accepts (its --help's), or the empty set if no such command."""
    with click.Context(main) as ctx:
        found = main.get_command(ctx, command)
    if found is None:
        return set()
    return {o for p in found.params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")}


def named(text: str) -> list[tuple[str, str]]:
    """(command, option) for each option ``text`` names: its own command, else ``app``."""
    return [(command or "app", option) for command, option in OPTION.findall(text)]


def code_hints() -> list[str]:
    """String literals of the app's modules (docstrings left out) and its page's text."""
    texts = []
    for path in sorted(APP.glob("*.py")):
        tree = ast.parse(path.read_text())
        docs = {id(node.body[0].value) for node in ast.walk(tree)
                if isinstance(node, DOCUMENTED)
                and node.body and isinstance(node.body[0], ast.Expr)}
        texts += [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                  and isinstance(node.value, str) and id(node) not in docs]
    texts += [p.read_text() for p in sorted((APP / "static").glob("*")) if p.suffix != ".css"]
    return texts


def missing_section_hint(monkeypatch) -> list[str]:
    """The page's error lines for a control that reaches a section the scenario lacks."""
    session = Session(str(ROOT / "scenarios/erlang_a.yaml"))
    monkeypatch.setattr(controls, "overrides", lambda scenario, settings: {
        "days": 1, "contact_types.calls.ivr.misroute.talk": 3})
    assert session.run({}) is None
    return session.error


class TestOptionsNamed:
    def test_the_reader_tells_a_wrong_option_from_a_right_one(self):
        """The check itself: ``--set`` alone is not ``ccsim app``'s; ``ccsim run --set`` is."""
        assert named("as --set 'x={...}'") == [("app", "--set")]
        assert named("as ccsim run SCENARIO --set 'x={...}'") == [("run", "--set")]
        assert "--set" not in options_of("app") and "--set" in options_of("run")

    def test_the_missing_section_hint_names_an_option_of_its_command(self, monkeypatch):
        """A control reaching a missing section is told an option that exists for its command."""
        lines = missing_section_hint(monkeypatch)
        assert any("set the section whole" in line for line in lines), lines
        pairs = [pair for line in lines for pair in named(line)]
        assert pairs, lines
        for command, option in pairs:
            assert option in options_of(command), (command, option, lines)

    def test_the_code_names_only_options_of_their_commands(self):
        """Every option the app's strings and page name is one of the command they name."""
        wrong = [(command, option, text[:80]) for text in code_hints()
                 for command, option in named(text) if option not in options_of(command)]
        assert not wrong
