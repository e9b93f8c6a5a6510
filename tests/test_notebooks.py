"""Every notebook in notebooks/ runs top to bottom (tier 4: bundled examples run).

Each notebook ends with a cell that recomputes the numbers of its conclusion and
asserts its qualitative claims, so a notebook whose story stops being true fails here,
not only one that raises. Notebooks run as a reader would run them: in a fresh python3
kernel, with notebooks/ as the working directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip(
    "nbformat", reason="nbformat is not installed: pip install -e '.[test]'")
nbclient = pytest.importorskip(
    "nbclient", reason="nbclient is not installed: pip install -e '.[test]'")
pytest.importorskip("ipykernel", reason="ipykernel is not installed: pip install -e '.[test]'")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CELL_TIMEOUT = 120  # seconds; a whole notebook takes well under a minute
EXPECTED = [
    "01_hold_time_hockey_stick.ipynb",
    "02_staffing_a_day.ipynb",
    "03_repeat_contacts_and_fcr.ipynb",
    "04_transfers_and_holds.ipynb",
    "05_parameter_sweep.ipynb",
]


def run_notebook(path: Path) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh python3 kernel with cwd notebooks/; return it run."""
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    return notebook


def test_every_notebook_is_listed():
    """The notebooks on disk are exactly the ones tested here."""
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


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
