"""Interrupted and failed writes: no mix of two runs, one line, nothing lost.

Found by an outside check of interrupts: a new run's sealed results sat beside an earlier
run's report.html and figures (after --no-report, or Ctrl-C while the report was drawn);
Ctrl-C in `run` and `report` printed click's "Aborted!" with exit 1 (sweep, staff,
schedule and animate: "interrupted", 130); `staff --out plan.yaml` searched for an hour
before finding plan.csv unwritable; a full disk was reported as a bug in ccsim.

Each test drives the real command in a subprocess; where a signal must land at one
moment (while the report is drawn), the command runs with that step raising
KeyboardInterrupt (what Ctrl-C raises), so the test is deterministic.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCEN = Path(__file__).resolve().parents[1] / "scenarios"


def ccsim(args, cwd, patch: str = "", timeout: float = 120):
    """Run `ccsim ARGS` (through the console entry point), with `patch` run first."""
    code = ("import sys\n" + patch + "\nfrom sim.cli import entry\n"
            f"sys.argv = ['ccsim'] + {list(map(str, args))!r}\nentry()\n")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def report_seed(folder: Path) -> int | None:
    match = re.search(r"seed (\d+)", (folder / "report.html").read_text(errors="replace"))
    return int(match.group(1)) if match else None


def summary_seed(folder: Path) -> int:
    import json
    return json.loads((folder / "summary.json").read_text())["seed"]


# --- ccsim run: an earlier run's report never sits beside a later run's results ----------

def test_run_no_report_into_folder_of_earlier_run_leaves_no_stale_report(tmp_path):
    out = tmp_path / "out"
    first = ccsim(["run", SCEN / "erlang_c.yaml", "-r", "1", "--seed", "1", "-o", out, "-q"],
                  tmp_path)
    assert first.returncode == 0, first.stderr
    assert report_seed(out) == 1
    second = ccsim(["run", SCEN / "erlang_c.yaml", "-r", "1", "--seed", "2", "-o", out, "-q",
                    "--no-report"], tmp_path)
    assert second.returncode == 0, second.stderr
    assert summary_seed(out) == 2
    # the page a reader opens must not show seed 1's results beside seed 2's data
    assert not (out / "report.html").exists() or report_seed(out) == 2


RAISE_IN_REPORT = """
import sim.report
def _interrupted(*a, **k):
    raise KeyboardInterrupt  # Ctrl-C while the report is being drawn
sim.report.write_report = _interrupted
"""


def test_run_interrupted_while_drawing_report_leaves_no_stale_report(tmp_path):
    out = tmp_path / "out"
    first = ccsim(["run", SCEN / "erlang_c.yaml", "-r", "1", "--seed", "1", "-o", out, "-q"],
                  tmp_path)
    assert first.returncode == 0, first.stderr
    second = ccsim(["run", SCEN / "erlang_c.yaml", "-r", "1", "--seed", "2", "-o", out, "-q"],
                   tmp_path, patch=RAISE_IN_REPORT)
    assert second.returncode != 0
    # either the earlier run is whole (its report with its data) or the later one is:
    # never seed 2's sealed data beside seed 1's report.html
    if (out / "manifest.json").exists() and summary_seed(out) == 2:
        assert not (out / "report.html").exists() or report_seed(out) == 2


SIGINT_WHILE_WRITING = """
import os, signal, sim.output
real, sent = sim.output.write_atomic, []
def sending(path, writer):  # Ctrl-C (a real SIGINT) as the run writes its first file
    if not sent:
        sent.append(path)
        os.kill(os.getpid(), signal.SIGINT)
    return real(path, writer)
sim.output.write_atomic = sending
"""


@pytest.mark.parametrize("command", ["run", "compare"])
def test_ctrl_c_while_writing_leaves_one_whole_result(tmp_path, command):
    """Ctrl-C while the files are written: one whole result, the new one, and exit 130.

    It left the old run's files and the new one's, unsealed (`ccsim report` refused the
    folder: the earlier run lost). The signal is held back until the folder is sealed.
    """
    out = tmp_path / "out"
    args = [command, SCEN / "small_bank.yaml", "--set", "days=1", "-r", "2", "-o", out, "-q",
            "--no-report"] + (["--variant", "plus_two_generalists"] * (command == "compare"))
    first = ccsim([*args, "--seed", "1"], tmp_path)
    assert first.returncode == 0, first.stderr
    second = ccsim([*args, "--seed", "2"], tmp_path, patch=SIGINT_WHILE_WRITING)
    assert second.returncode == 130 and "interrupted" in second.stderr, second.stderr
    check = ccsim(["report", out, "--no-png"], tmp_path)  # sealed: it reads
    assert check.returncode == 0, check.stderr
    folder = out if command == "run" else out / "baseline"
    assert summary_seed(folder) == 2


def test_run_ctrl_c_exits_130_with_one_line(tmp_path):
    """As `sweep`, `staff`, `schedule` and `animate` do: exit 130, one line saying so."""
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "run", SCEN / "small_bank.yaml",
                             "-r", "40", "--workers", "2", "-o", out], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        seen = ""
        deadline = time.time() + 30
        while time.time() < deadline:  # wait until it is simulating
            line = proc.stderr.readline()
            seen += line
            if "replication" in line or not line:
                break
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in err
    assert proc.returncode == 130, (proc.returncode, err[-300:])
    assert "interrupted" in err


def test_report_command_ctrl_c_exits_130(tmp_path):
    out = tmp_path / "out"
    first = ccsim(["run", SCEN / "erlang_c.yaml", "-r", "1", "-o", out, "-q", "--no-report"],
                  tmp_path)
    assert first.returncode == 0, first.stderr
    second = ccsim(["report", out], tmp_path, patch=RAISE_IN_REPORT)
    assert "Traceback" not in second.stderr
    assert second.returncode == 130, (second.returncode, second.stderr)


# --- ccsim sweep: interrupted while drawing its figures -----------------------------

SWEEP = ["sweep", SCEN / "erlang_a.yaml", "-r", "2", "--workers", "1", "-q"]

RAISE_IN_SWEEP_PLOT = """
import sim.cli_sweep
def _interrupted(*a, **k):
    raise KeyboardInterrupt  # Ctrl-C while the sweep's figures are drawn
sim.cli_sweep.plot_sweep = _interrupted
"""


def test_sweep_ctrl_c_while_drawing_figures(tmp_path):
    out = tmp_path / "sw"
    first = ccsim([*SWEEP, "--grid", "agents.pool.staff=40,41", "-o", out], tmp_path)
    assert first.returncode == 0, first.stderr
    old_png = (out / "sweep_curves.png").read_bytes()
    second = ccsim([*SWEEP, "--grid", "agents.pool.staff=40,41,42", "-o", out], tmp_path,
                   patch=RAISE_IN_SWEEP_PLOT)
    # if the tables now hold 3 points, the 2-point figure must not stay beside them
    if (out / "sweep_summary.csv").read_text().count("\n") == 4:
        png = out / "sweep_curves.png"
        stale = png.exists() and png.read_bytes() == old_png
        assert not stale, "the 2-point sweep_curves.png beside the 3-point tables"
    # the sweep's own interruption message and code, as while simulating
    assert second.returncode == 130, (second.returncode, second.stderr)
    assert "interrupted" in second.stderr


TERM_IN_SWEEP_PNG = """
import os, signal, time, sim.sweep_plots
_render = sim.sweep_plots.render_png
def _killed(*a, **k):
    os.kill(os.getpid(), signal.SIGTERM)  # `kill` while the figure is being written
    time.sleep(2)
    return _render(*a, **k)
sim.sweep_plots.render_png = _killed
"""


def test_sweep_kill_while_writing_figure_leaves_no_temporary(tmp_path):
    out = tmp_path / "sw"
    run = ccsim([*SWEEP, "--grid", "agents.pool.staff=40,41", "-o", out], tmp_path,
                patch=TERM_IN_SWEEP_PNG)
    leftovers = sorted(p.name for p in out.glob(".*.tmp"))
    assert leftovers == []
    assert run.returncode in (130, 143), run.returncode
    assert "interrupted" in run.stderr


# --- ccsim sweep: a finished sweep grown, then interrupted -----------------------------

SIGNAL_AFTER_FIRST_PART = """
import os, signal, sim.sweep_store
real, sent = sim.sweep_store.SweepStore.save, []
def saving(self, row):  # the signal once the grown sweep has kept its first new unit
    real(self, row)
    if not sent:
        sent.append(row)
        os.kill(os.getpid(), signal.{})
sim.sweep_store.SweepStore.save = saving
"""
GROWN = {"values": (["agents.pool.staff=3,4,5,6"], "2"),
         "replications": (["agents.pool.staff=3,4"], "3")}


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("grown", sorted(GROWN))
def test_grown_sweep_interrupted_keeps_a_manifest_of_its_tables(tmp_path, sig, grown):
    """Ctrl-C or kill in a grown sweep: the manifest still describes the tables on disk.

    It named the grown grid (or replications) beside the earlier sweep's tables: a reader
    of the folder took the 2-point table for the 4-point sweep. Now its ``grid`` and
    ``replications`` are the tables', the grown sweep's ``pending``; the same command
    again completes it, with the table of the grown sweep run uninterrupted (by
    ``run_sweep``, which the command calls), and no ``pending``.
    """
    import json

    import pandas as pd
    from sweep_parts import TINY, tiny

    from sim.sweep import run_sweep

    (tmp_path / "s.json").write_text(json.dumps(TINY))
    staff, out = "agents.pool.staff", tmp_path / "sw"

    def sweep(grid, reps, folder, patch=""):
        return ccsim(["sweep", "s.json", *(a for g in grid for a in ("--grid", g)), "-r", reps,
                      "-w", "1", "-q", "--no-figures", "-o", folder], tmp_path, patch=patch)

    first = sweep(["agents.pool.staff=3,4"], "2", out)
    assert first.returncode == 0, first.stderr
    grid, reps = GROWN[grown]
    stopped = sweep(grid, reps, out, SIGNAL_AFTER_FIRST_PART.format(sig))
    assert stopped.returncode == 130 and "interrupted" in stopped.stderr, stopped.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    table = pd.read_parquet(out / "sweep.parquet")
    assert (manifest.get("grid"), manifest.get("replications")) == (
        {staff: table.drop_duplicates("point")[staff].tolist()},
        int(table.groupby("point").size().max())), "the manifest is not the table's"
    values = [int(v) for v in grid[0].split("=")[1].split(",")]
    assert manifest.get("pending") == {"grid": {staff: values}, "replications": int(reps)}
    resumed = sweep(grid, reps, out)
    assert resumed.returncode == 0, resumed.stderr
    run_sweep(tiny(), {staff: values}, int(reps), workers=1, out=tmp_path / "fresh")
    manifest = json.loads((out / "manifest.json").read_text())
    assert "pending" not in manifest
    assert (manifest["grid"], manifest["replications"]) == ({staff: values}, int(reps))
    for name in ("sweep.parquet", "sweep_summary.csv"):
        assert (out / name).read_bytes() == (tmp_path / "fresh" / name).read_bytes(), name


SIGINT_AFTER_TABLE = """
import os, signal, sim.sweep_store
real = sim.sweep_store.write_atomic
def writing(path, writer):  # Ctrl-C as the grown table is in place, its manifest not yet
    done = real(path, writer)
    if path.name == "sweep.parquet":
        os.kill(os.getpid(), signal.SIGINT)
    return done
sim.sweep_store.write_atomic = writing
"""


def test_grown_sweep_ctrl_c_between_its_table_and_manifest(tmp_path):
    """Ctrl-C once sweep.parquet is written: the summary and manifest follow it, then 130.

    Without holding it back, the grown table sat beside the earlier summary and a
    manifest naming the earlier grid.
    """
    import json

    import pandas as pd
    from sweep_parts import TINY

    (tmp_path / "s.json").write_text(json.dumps(TINY))
    args = ["sweep", "s.json", "-r", "1", "-w", "1", "-q", "--no-figures", "-o", "sw"]
    first = ccsim([*args, "--grid", "agents.pool.staff=3,4"], tmp_path)
    assert first.returncode == 0, first.stderr
    grown = ccsim([*args, "--grid", "agents.pool.staff=3,4,5"], tmp_path, SIGINT_AFTER_TABLE)
    assert grown.returncode == 130, grown.stderr
    manifest = json.loads((tmp_path / "sw" / "manifest.json").read_text())
    assert "pending" not in manifest
    assert manifest["grid"] == {"agents.pool.staff": [3, 4, 5]}
    summary = pd.read_csv(tmp_path / "sw" / "sweep_summary.csv")
    assert summary["agents.pool.staff"].tolist() == [3, 4, 5]


def test_grown_sweep_ctrl_c_with_its_tables_leaves_no_earlier_figure(tmp_path):
    """Ctrl-C held back while the grown tables are written: no earlier grid's figure stays.

    The signal, held back until the manifest named the new tables, then stopped the
    command before it removed the figures of the sweep before: sweep_curves.png showed
    staff 3-4 beside the table and manifest of 3-5 (the same command again redraws them).
    """
    import json

    from sweep_parts import TINY

    (tmp_path / "s.json").write_text(json.dumps(TINY))
    args = ["sweep", "s.json", "-r", "1", "-w", "1", "-q", "-o", "sw"]
    first = ccsim([*args, "--grid", "agents.pool.staff=3,4"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "sw" / "sweep_curves.png").exists()
    grown = ccsim([*args, "--grid", "agents.pool.staff=3,4,5"], tmp_path, SIGINT_AFTER_TABLE)
    assert grown.returncode == 130, grown.stderr
    manifest = json.loads((tmp_path / "sw" / "manifest.json").read_text())
    assert manifest["grid"] == {"agents.pool.staff": [3, 4, 5]}
    assert not (tmp_path / "sw" / "sweep_curves.png").exists(), "the 3-4 sweep's figure"


# --- ccsim schedule: interrupted while writing its folder -------------------------------

SCHEDULE = ["schedule", SCEN / "erlang_c.yaml", "--requirement", "erlang", "--max-rounds",
            "1", "--time-limit", "2", "-q"]

RAISE_IN_COVERAGE = """
import sim.plots.shifts
def _interrupted(*a, **k):
    raise KeyboardInterrupt  # Ctrl-C while the schedule's figures are drawn
sim.plots.shifts.coverage_figure = _interrupted
"""


def test_schedule_ctrl_c_while_writing_leaves_one_schedule(tmp_path):
    out = tmp_path / "sch"
    first = ccsim([*SCHEDULE, "--lengths", "8h", "--out", out], tmp_path)
    assert first.returncode == 0, first.stderr
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    second = ccsim([*SCHEDULE, "--lengths", "4h", "--out", out], tmp_path,
                   patch=RAISE_IN_COVERAGE)
    now = {p.name: p.read_bytes() for p in out.iterdir() if not p.name.startswith(".")}
    yaml_is_new = now.get("scenario.yaml") != old["scenario.yaml"]
    png_is_old = now.get("coverage.png") == old["coverage.png"]
    # never the 4h schedule's scenario.yaml beside the 8h schedule's coverage figure
    assert not (yaml_is_new and png_is_old), "4h scenario.yaml beside the 8h coverage.png"
    assert second.returncode == 130, (second.returncode, second.stderr)


# --- ccsim staff: its table beside the YAML ------------------------------------------

def test_staff_unwritable_table_refused_before_the_search(tmp_path):
    (tmp_path / "plan.csv").mkdir()  # where the table would go cannot be written
    run = ccsim(["staff", SCEN / "erlang_c.yaml", "-r", "2", "--holdout", "0",
                 "--out", tmp_path / "plan.yaml"], tmp_path)
    assert run.returncode == 2
    assert "plan 1" not in run.stderr  # refused before any plan is simulated
    assert not (tmp_path / "plan.yaml").exists()  # and no YAML without its table
    assert "plan.csv" in run.stderr


# --- disk full --------------------------------------------------------------------

def test_disk_full_is_one_line_not_a_bug_report(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", small],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        run = ccsim(["run", SCEN / "erlang_c.yaml", "-r", "1", "-o", small / "out", "-q",
                     "--no-report"], tmp_path)
    finally:
        subprocess.run(["umount", small])
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "no space left" in lines[0].lower()
    assert "bug in ccsim" not in lines[0] and "internal error" not in lines[0]




# --- Ctrl-C while the command forks its worker processes ------------------------------
# A signal that lands while the process forks is handled by Python in the first Python
# code after fork(): the at-fork hooks (logging's _releaseLock), whose exceptions Python
# prints and drops. Found by an outside check with a real Ctrl-C sent to the process
# group as the first worker appeared (`ccsim report --workers 2`: 14 of 20 tries,
# `ccsim run -w 2`: 5 of 6): "Exception ignored in: <function _releaseLock ...>", the
# command ran on and exited 0. Here the signal is sent from such a hook, registered after
# logging's: the same moment, every time (sim/fork_signals.py).

SIGINT_AS_WORKERS_FORK = """
import os, signal
import sim.figure_workers
_sent = []
def _ctrl_c_in_fork():
    if not _sent and (sim.figure_workers._JOBS or {when!r} == "any"):
        _sent.append(1)
        os.kill(os.getpid(), signal.SIGINT)
import concurrent.futures.process  # (imports logging: its hooks first, as in ccsim)
os.register_at_fork(after_in_parent=_ctrl_c_in_fork)
"""


def assert_interrupted(run):
    assert run.returncode == 130, (run.returncode, run.stderr[-600:])
    assert run.stderr.strip() == "interrupted", run.stderr[-600:]


def test_report_ctrl_c_as_figure_workers_fork_exits_130(tmp_path):
    out = tmp_path / "out"
    first = ccsim(["run", SCEN / "erlang_c.yaml", "-r", "1", "-o", out, "-q", "--no-report"],
                  tmp_path)
    assert first.returncode == 0, first.stderr
    second = ccsim(["report", out, "--workers", "2"], tmp_path,
                   patch=SIGINT_AS_WORKERS_FORK.format(when="drawing"), timeout=60)
    assert_interrupted(second)


def test_run_ctrl_c_as_replication_workers_fork_exits_130(tmp_path):
    out = tmp_path / "out"
    run = ccsim(["run", SCEN / "erlang_c.yaml", "-r", "4", "--workers", "2", "-o", out, "-q",
                 "--no-report"], tmp_path, patch=SIGINT_AS_WORKERS_FORK.format(when="any"),
                timeout=60)
    assert_interrupted(run)
    assert not (out / "summary.json").exists()  # it stopped: no results of a run cut short


# Ctrl-C between the first worker's fork and the second's (raised there, not in a hook):
# the command printed "interrupted" and then waited for the first worker forever (seen
# with real signals on `run -w 2` and `report --workers 2`). In `run`, no pool thread had
# started yet to tell it to leave; in `report`, the pool's terminate() reached it before
# its initializer, under the command's own kill handler, and was dropped in an at-fork
# hook as above.
SIGINT_BETWEEN_WORKER_FORKS = """
import os, signal
from concurrent.futures import process
_spawn = process.ProcessPoolExecutor._spawn_process
def _spawn_then_ctrl_c(self):
    _spawn(self)
    if len(self._processes) == 1:
        os.kill(os.getpid(), signal.SIGINT)
process.ProcessPoolExecutor._spawn_process = _spawn_then_ctrl_c
"""


@pytest.mark.parametrize("command", ["run", "report"])
def test_ctrl_c_between_worker_forks_ends_the_command(tmp_path, command):
    out = tmp_path / "out"
    args = ["run", SCEN / "erlang_c.yaml", "-r", "4", "-o", out, "-q", "--no-report"]
    if command == "report":
        first = ccsim(args, tmp_path)
        assert first.returncode == 0, first.stderr
        args = ["report", out]
    try:
        run = ccsim([*args, "--workers", "2"], tmp_path, patch=SIGINT_BETWEEN_WORKER_FORKS,
                    timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail("interrupted, then waited for a worker that was never told to stop")
    assert_interrupted(run)
