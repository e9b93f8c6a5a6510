"""Every notebook in notebooks/ runs top to bottom (tier 4: bundled examples run).

Each notebook ends with a cell that recomputes the numbers of its conclusion and
asserts its qualitative claims, so a notebook whose story stops being true fails here,
not only one that raises. Notebooks run as a reader would run them: in a fresh python3
kernel, with notebooks/ as the working directory, and (as in a Jupyter started from
another environment) without the environment's bin folder on PATH: a notebook starts the
command line as ``[sys.executable, "-m", "sim", ...]``, never as ``ccsim``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip(
    "nbformat", reason="nbformat is not installed: pip install -e '.[test]'")
nbclient = pytest.importorskip(
    "nbclient", reason="nbclient is not installed: pip install -e '.[test]'")
pytest.importorskip("ipykernel", reason="ipykernel is not installed: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT = 120  # seconds; a whole notebook takes well under a minute
EXPECTED = [
    "01_hold_time_hockey_stick.ipynb",
    "02_staffing_a_day.ipynb",
    "03_repeat_contacts_and_fcr.ipynb",
    "04_transfers_and_holds.ipynb",
    "05_parameter_sweep.ipynb",
    "06_shift_plan_and_cost.ipynb",
    "07_from_call_log_to_plan.ipynb",
    "08_routing_policies.ipynb",
]


def kernel_environment() -> dict[str, str]:
    """The kernel's environment: no ``ccsim`` on PATH, and this tree's ``sim`` first.

    PATH loses the interpreter's bin folder and every folder with a ``ccsim`` in it (pyenv
    shims, a virtualenv's bin), as in a Jupyter kernel started from another environment.
    PYTHONPATH puts this repository first, so the notebooks (and ``python -m sim`` from
    them) run the code under test, not another installed copy.
    """
    bin_dir = Path(sys.executable).parent
    kept = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and Path(d) != bin_dir and not (Path(d) / "ccsim").exists()]
    env = {**os.environ, "PATH": os.pathsep.join(kept)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    assert shutil.which("ccsim", path=env["PATH"]) is None
    return env


def run_notebook(path: Path) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh python3 kernel with cwd notebooks/; return it run."""
    return execute(nbformat.read(path, as_version=4))


def execute(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Run every cell of ``notebook`` in a fresh python3 kernel with cwd notebooks/."""
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute(env=kernel_environment())
    return notebook


def test_every_notebook_is_listed():
    """The notebooks on disk are exactly the ones tested here."""
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


def test_kernel_imports_this_tree():
    """Notebooks run against the ``sim`` package of the tree under test."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import sim; print(sim.__file__)")])
    printed = execute(notebook).cells[0].outputs[0]["text"].strip()
    assert Path(printed).parent == ROOT / "sim"


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_is_committed_without_outputs(name):
    """A committed notebook has no outputs or execution counts, so diffs stay readable."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "a notebook without code"
    assert all(not cell.outputs and cell.execution_count is None for cell in code)
    assert notebook.cells[0].cell_type == "markdown" and "**Question.**" in notebook.cells[0].source
    assert any("## Conclusion" in cell.source for cell in notebook.cells
               if cell.cell_type == "markdown")


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_and_its_conclusion_holds(name):
    """The notebook executes without error, its final checks (asserts) included."""
    notebook = run_notebook(NOTEBOOKS / name)  # raises CellExecutionError on any error
    last = [cell for cell in notebook.cells if cell.cell_type == "code"][-2:]
    assert any("assert" in cell.source for cell in last), "the conclusion is not checked"
