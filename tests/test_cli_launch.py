"""The command line is started as ``python -m sim``, never as ``ccsim`` through PATH.

A Jupyter kernel, a cron job or a test runner may not have the environment's bin folder
on PATH, and a ``ccsim`` found there may belong to another installation. Code, tests,
benchmarks and notebooks start the CLI as ``[sys.executable, "-m", "sim", ...]``; this
checks their source (tests/test_notebooks.py also runs the notebooks without ``ccsim``
on PATH).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON_FILES = sorted(p for folder in ("sim", "tests", "benchmarks")
                      for p in (ROOT / folder).rglob("*.py"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# IPython shell escapes: `!ccsim ...`, `x = !ccsim ...`, `%sx ccsim`, `%system ccsim`
SHELL_ESCAPE = re.compile(r"^[^#\n]*(?:!|%sx\s+|%system\s+)\s*ccsim\b", re.MULTILINE)
SHELL_CELL = re.compile(r"^%%(?:bash|sh|script|system)\b")
LAUNCHERS = {"run", "Popen", "call", "check_call", "check_output", "system", "popen",
             "getoutput", "getstatusoutput", "create_subprocess_exec",
             "create_subprocess_shell"}


def _is_ccsim(node: ast.AST) -> bool:
    """A string constant that is, or starts as a shell line with, the ``ccsim`` script."""
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (node.value == "ccsim" or node.value.startswith("ccsim ")))


def path_launches(source: str) -> list[int]:
    """Lines of Python ``source`` that start ``ccsim`` through PATH.

    A list or tuple command whose first item is ``"ccsim"``, or a launcher call
    (``subprocess.run``, ``os.system``, ...) whose first argument starts with it.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.List, ast.Tuple)) and node.elts and _is_ccsim(node.elts[0]):
            found.append(node.lineno)
        elif isinstance(node, ast.Call) and node.args and _is_ccsim(node.args[0]):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in LAUNCHERS:
                found.append(node.lineno)
    return found


def notebook_launches(path: Path) -> list[str]:
    """``cell N: ...`` for every way a notebook's code cells start ``ccsim`` through PATH."""
    found = []
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for number, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        if SHELL_CELL.match(source):
            if re.search(r"^\s*ccsim\b", source, re.MULTILINE):
                found.append(f"cell {number}: a shell cell runs ccsim")
            continue
        if SHELL_ESCAPE.search(source):
            found.append(f"cell {number}: a shell escape runs ccsim")
        # IPython magics and escapes are not Python: blank them before parsing
        python = re.sub(r"^(\s*)[!%].*$", r"\1pass", source, flags=re.MULTILINE)
        python = re.sub(r"=\s*!.*$", "= None", python, flags=re.MULTILINE)
        found += [f"cell {number}: line {line}" for line in path_launches(python)]
    return found


class TestCheck:
    @pytest.mark.parametrize("source", [
        'subprocess.run(["ccsim", "staff", "x.yaml"], check=True)',
        'command = ("ccsim", "run")',
        'os.system("ccsim run scenarios/x.yaml")',
        'subprocess.Popen("ccsim sweep x", shell=True)',
    ])
    def test_finds_path_launches(self, source):
        """Each way of starting the ``ccsim`` script by name is found."""
        assert path_launches(source) == [1]

    @pytest.mark.parametrize("source", [
        'subprocess.run([sys.executable, "-m", "sim", "staff", "x.yaml"])',
        'print("ccsim staff finds the fewest agents")',
        'metadata.version("ccsim")',
    ])
    def test_leaves_the_rest(self, source):
        """``python -m sim``, prose and the package name are fine."""
        assert path_launches(source) == []

    def test_finds_notebook_escapes(self, tmp_path):
        """``!ccsim`` and a %%bash cell running ccsim are found in a notebook."""
        cells = [{"cell_type": "code", "source": ["import sim\n", "!ccsim run x.yaml"]},
                 {"cell_type": "code", "source": ["%%bash\n", "ccsim run x.yaml\n"]},
                 {"cell_type": "code", "source": ["out = !python -m sim run x.yaml"]}]
        path = tmp_path / "n.ipynb"
        path.write_text(json.dumps({"cells": cells}), encoding="utf-8")
        assert notebook_launches(path) == ["cell 0: a shell escape runs ccsim",
                                           "cell 1: a shell cell runs ccsim"]


@pytest.mark.parametrize("path", PYTHON_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_starts_cli_as_python_m_sim(path):
    """No module, test or benchmark starts ``ccsim`` through PATH."""
    assert path_launches(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_cli_as_python_m_sim(path):
    """No notebook cell starts ``ccsim`` through PATH."""
    assert notebook_launches(path) == []
