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


def test_opening_hours_to_the_second(tmp_path):
    """An interval of 7.5 minutes (it divides a day) opens at 08:07:30, and the YAML says so.

    The fitted per-interval arrivals start there; written as HH:MM, open was 08:07, and
    every interval of the fitted scenario started 30 s before the log's.
    """
    from sim.calllog import read_call_log
    from sim.fit import fit_log
    from sim.fit_scenario import scenario_dict
    from sim.loader import scenario_from_dict

    log = tmp_path / "log.csv"
    generate_log(np.random.default_rng(2), per_interval=[40, 60, 60, 40], interval=450,
                 open_s=8 * 3600 + 450, days=2, agents=6, handle_mean=240,
                 patience_mean=180).to_csv(log, index=False)
    fit = fit_log(read_call_log(log), 450.0)
    assert fit.open == 8 * 3600 + 450
    data = scenario_dict(fit, "fitted")
    assert (data["open"], data["close"]) == ("08:07:30", "08:37:30")
    loaded = scenario_from_dict(data)
    assert (loaded.open, loaded.close) == (fit.open, fit.close)
