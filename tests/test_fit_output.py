"""What ``ccsim fit`` writes: nothing it could not load, and a user told what it read.

A fitted scenario is checked before its file is written: one that would not load (here,
more agents than ``CCSIM_MAX_AGENTS``) is refused in lines naming the file and field, and
whatever the path held before is left as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
from calllog_gen import generate_log


def _fit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", "fit", *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})})


def test_invalid_fit_is_not_written(tmp_path):
    """A fit that would not load: exit 2, lines naming the file, the old file untouched.

    Before the fix the fitted YAML was written first and read back after: the invalid
    scenario replaced the file already there (and was left behind), exit 2 all the same.
    """
    log = tmp_path / "log.csv"
    generate_log(np.random.default_rng(1), per_interval=[20, 30, 30, 20], interval=1800,
                 open_s=8 * 3600, days=3, agents=6, handle_mean=240,
                 patience_mean=180).to_csv(log, index=False)
    out = tmp_path / "fitted.yaml"
    out.write_text("name: kept\n")
    done = _fit(str(log), "--out", str(out), env={"CCSIM_MAX_AGENTS": "2"})
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith(f"{out} (not written): agents.") for line in lines)
    assert "must be <= 2" in lines[0]
    assert out.read_text() == "name: kept\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fitted.yaml", "log.csv"]
