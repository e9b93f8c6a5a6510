"""The README's Python examples run, each as its own test (tier 4 of STYLE.md's tests).

Every ```python block of README.md runs on its own, as a script would (``__name__`` is
``"__main__"``), in a fresh temporary folder that holds a link to the repository's
``scenarios/`` (so ``"scenarios/erlang_a.yaml"`` resolves and ``results/`` lands in the
temporary folder). A traceback points at the README's own line numbers.

Marker convention, visible to readers: a comment line that starts with ``# not run``
ends what the tests run. On the first line of a block it skips the whole block (the
rest of the line is the reason); further down, the lines above it run and the lines
from it on are only shown (e.g. a sweep on a Dask cluster, which needs an address).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"^\s*# not run\b(.*)$", re.MULTILINE)


def snippets() -> list[tuple[int, str]]:
    """(line of the first code line in README.md, code) of every ```python block."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def runnable(code: str) -> tuple[str, str]:
    """(the part of ``code`` the tests run, why the rest is not run: '' if all runs)."""
    marker = MARKER.search(code)
    if marker is None:
        return code, ""
    return code[:marker.start()], marker.group(1).strip(" :-") or "marked '# not run'"


def test_readme_has_python_examples():
    """The extraction finds the examples (a renamed fence would silently test nothing)."""
    assert len(snippets()) >= 3


def test_not_run_marker_cuts_the_example():
    """Lines from a '# not run' comment on are only shown; on the first line, all are."""
    assert runnable("a = 1\n    # not run: needs a cluster\nb = c\n") == (
        "a = 1\n", "needs a cluster")
    assert runnable("# not run: a fragment\nx\n") == ("", "a fragment")
    assert runnable("a = 1\n# run this\n") == ("a = 1\n# run this\n", "")


def test_examples_use_this_checkout():
    """The package under test is this checkout's, not another installed copy."""
    assert Path(sim.__file__).resolve().parent == ROOT / "sim"


@pytest.mark.parametrize(("line", "code"), snippets(), ids=[f"README.md:{n}"
                                                            for n, _ in snippets()])
def test_readme_example_runs(line, code, tmp_path):
    """The example runs as a script from a folder with the bundled scenarios."""
    run, not_run = runnable(code)
    if not run.strip():
        pytest.skip(f"README.md:{line}: {not_run}")
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    matplotlib.use("Agg")  # figures without a display
    here, path = Path.cwd(), list(sys.path)
    # this checkout's `sim`, also in the processes a sweep spawns (they get sys.path):
    # the '' entry of `python -m pytest` would point at the temporary folder
    sys.path.insert(0, str(ROOT))
    os.chdir(tmp_path)
    try:
        # blank lines first, so that a traceback gives the README's line numbers
        exec(compile("\n" * (line - 1) + run, str(README), "exec"), {"__name__": "__main__"})
    finally:
        os.chdir(here)
        sys.path[:] = path
        plt.close("all")
