"""setup.py's compiled journey steps are optional: an install never fails for want of them.

README ("Quick start") promises that without a C compiler the journey steps run
interpreted, with the same results; so must a module that Cython refuses (valid Python
that Cython's parser does not take, e.g. an assignment expression in a subscript). Here
setup.py builds a copy of the tree whose journey modules are tiny stand-ins (Cython's
work stays small): the build must succeed, leaving out only what could not be built.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.compiled import built, source_hash

pytest.importorskip("Cython", reason="setup.py compiles with Cython (the test extra has it)")

ROOT = Path(__file__).resolve().parent.parent
SETUP = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
STEPS = next(ast.literal_eval(node.value) for node in SETUP.body
             if isinstance(node, ast.Assign) and node.targets[0].id == "JOURNEY_STEPS")


@pytest.fixture
def tree(tmp_path):
    """A copy of setup.py with a stand-in ``sim/NAME.py`` for every journey step."""
    shutil.copy(ROOT / "setup.py", tmp_path / "setup.py")
    (tmp_path / "sim" / "_compiled").mkdir(parents=True)
    for name in STEPS:
        (tmp_path / "sim" / f"{name}.py").write_text(f"NAME = {name!r}\n")
    return tmp_path


def build(tree: Path, **env: str) -> subprocess.CompletedProcess:
    """``setup.py build_ext --inplace`` in ``tree``, as pip's build runs it."""
    return subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=tree,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "CCSIM_NO_COMPILE": "", **env})


def test_without_a_c_compiler_the_build_succeeds_with_nothing_compiled(tree):
    """No working compiler (``CC=/bin/false``): the install goes on, all interpreted."""
    done = build(tree, CC="/bin/false")
    assert done.returncode == 0, done.stderr[-2000:]
    assert list((tree / "sim" / "_compiled").glob("*.so")) == []


def test_a_module_cython_refuses_is_left_interpreted(tree):
    """Valid Python that Cython refuses: that module is left out, the others still built."""
    refused = STEPS[0]
    (tree / "sim" / f"{refused}.py").write_text("def f(x, i):\n    return x[y := i], y\n")
    done = build(tree)
    assert done.returncode == 0, done.stderr[-2000:]
    assert set(built(tree / "sim" / "_compiled")) == set(STEPS) - {refused}
    assert refused in done.stdout + done.stderr  # says which one stays interpreted


def test_an_edit_with_an_older_file_time_is_compiled_from_the_edit(tree):
    """A source older than its last C file (``cp -p``, ``rsync -a``) is still compiled anew.

    Cython regenerates C only for sources newer than it; the build named by the new hash
    must hold the new code, not the old C (which cannot even be imported under that name).
    """
    import importlib.util

    assert build(tree).returncode == 0
    source = tree / "sim" / f"{STEPS[0]}.py"
    source.write_text("NAME = 'edited'\n")
    os.utime(source, (1_000_000_000, 1_000_000_000))  # (2001: older than the C file)
    done = build(tree)
    assert done.returncode == 0, done.stderr[-2000:]
    stem = built(tree / "sim" / "_compiled")[STEPS[0]][source_hash(source)]
    path = next((tree / "sim" / "_compiled").glob(f"{stem}.*"))
    spec = importlib.util.spec_from_file_location(f"sim._compiled.{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.NAME == "edited"
