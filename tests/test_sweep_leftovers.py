"""A sweep killed while it writes its tables or figures leaves nothing behind once resumed.

Every file of a sweep is written under a temporary name (``.NAME.pidPID.XXXX.tmp``) and
moved into place; `kill -9` mid-write leaves the temporary. Running the same command again
must remove it, in the folder as in ``parts/``, like ``ccsim run`` does for its folder.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from sim.cli import main

ERLANG_A = Path(__file__).resolve().parents[1] / "scenarios" / "erlang_a.yaml"


def command(out: Path) -> list[str]:
    return [sys.executable, "-m", "sim", "sweep", str(ERLANG_A), "--set", "close=03:00",
            "--grid", "agents.pool.staff=40,41", "-r", "2", "-w", "1", "--out", str(out), "-q"]


def temporaries(out: Path) -> list[str]:
    return sorted(p.name for folder in (out, out / "parts") if folder.is_dir()
                  for p in folder.glob(".*.tmp"))


def test_rerun_after_a_kill_mid_figure_leaves_no_temporary(tmp_path):
    """`kill -9` while a figure is written, then the same command: no `.tmp` file left.

    Before the fix the killed figure's temporary stayed in the folder for good (only
    ``parts/`` was cleaned).
    """
    out = tmp_path / "sw"
    process = subprocess.Popen(command(out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while not any(".png." in name for name in temporaries(out)):
        assert process.poll() is None, "the sweep ended before a figure was seen being written"
        assert time.monotonic() < deadline, "no figure written within 90 s"
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert temporaries(out)  # what the kill left
    again = subprocess.run(command(out), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert temporaries(out) == []
    assert (out / "sweep_curves.png").stat().st_size > 0


def test_fresh_sweep_keeps_no_figure_of_the_sweep_it_replaces(tmp_path):
    """``--fresh`` discards the old sweep's figures with its tables.

    Before the fix a fresh one-parameter sweep with ``--no-figures`` left the old sweep's
    ``sweep_curves.png`` and ``sweep_heatmap.png`` beside its new tables, as if its own.
    """
    out = tmp_path / "sw"
    old = CliRunner().invoke(main, [*command(out)[3:], "--grid",
                                    "contact_types.calls.patience.mean=1m,3m"])
    assert old.exit_code == 0, old.output
    assert {"sweep_curves.png", "sweep_heatmap.png"} <= {p.name for p in out.iterdir()}
    new = CliRunner().invoke(main, [*command(out)[3:], "--fresh", "--no-figures"])
    assert new.exit_code == 0, new.output
    assert not list(out.glob("*.png"))
