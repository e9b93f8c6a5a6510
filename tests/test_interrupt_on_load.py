"""Ctrl-C while ``ccsim`` is still loading ends with "interrupted", exit 130, no traceback.

The console script imported the command line (click, pydantic, the scenario model: a
quarter to half a second) before any of ccsim's handling applied; a Ctrl-C then printed
a traceback of 14 to 91 lines (found by an outside check of interrupts). The test raises
KeyboardInterrupt where a Ctrl-C's would come from: inside the import of a module the
command line loads.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import sys

class CtrlC:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
sys.argv = ["ccsim", "validate", "scenarios/small_bank.yaml"]
{launch}
"""


@pytest.mark.parametrize("module", ["sim.loader", "click", "sim.cli_common"])
@pytest.mark.parametrize("launch", ["from sim.launch import entry; entry()",
                                    "import runpy; runpy.run_module('sim', run_name='__main__')"],
                         ids=["console script", "python -m sim"])
def test_ctrl_c_while_loading(module, launch):
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(module=module, launch=launch)],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr.strip()) == (130, "interrupted"), done.stderr
    assert done.stdout == ""
