"""The one error boundary of the command line (sim.cli_boundary).

Expected failures and click's usage errors: one line, exit 2. Bugs: one line with the
log path, exit 1, the traceback in the log (on the terminal with --debug).
"""

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sim import erlang
from sim.cli import main
from sim.errors import SimulationError

ROOT = Path(__file__).resolve().parents[1]
ERLANG = ["erlang", "--rate", "600/h", "--aht", "4m", "--agents", "42"]


def _broken(*args, **kwargs):
    raise RuntimeError("deliberate fault for the test")


@pytest.fixture
def logs(tmp_path, monkeypatch):
    """Error logs go to a fresh folder; debug is off whatever the caller's environment."""
    folder = tmp_path / "logs"
    monkeypatch.setenv("CCSIM_LOG_DIR", str(folder))
    monkeypatch.delenv("CCSIM_DEBUG", raising=False)
    return folder


class TestInternalError:
    def test_one_line_exit_1_traceback_in_log(self, logs, monkeypatch):
        """A bug prints one line naming the log; the log holds the traceback."""
        monkeypatch.setattr(erlang, "erlang_c_metrics", _broken)
        res = CliRunner().invoke(main, ERLANG)
        assert res.exit_code == 1
        (line,) = res.stderr.splitlines()
        assert "Traceback" not in res.stderr
        assert line.startswith("internal error (RuntimeError: deliberate fault for the test)")
        (log,) = logs.iterdir()
        assert str(log) in line and "bug" in line
        text = log.read_text(encoding="utf-8")
        assert "Traceback" in text and "_broken" in text

    def test_debug_shows_the_traceback(self, logs, monkeypatch):
        """`ccsim --debug` prints the traceback and writes no log."""
        monkeypatch.setattr(erlang, "erlang_c_metrics", _broken)
        res = CliRunner().invoke(main, ["--debug", *ERLANG])
        assert res.exit_code == 1
        assert "Traceback" in res.stderr and "_broken" in res.stderr
        assert not logs.exists()

    def test_unwritable_log_folder_still_one_line(self, tmp_path, monkeypatch):
        """If the log cannot be written, the line says so and how to see the traceback."""
        blocker = tmp_path / "file"
        blocker.write_text("x")
        monkeypatch.setenv("CCSIM_LOG_DIR", str(blocker / "logs"))
        monkeypatch.setattr(erlang, "erlang_c_metrics", _broken)
        res = CliRunner().invoke(main, ERLANG)
        assert res.exit_code == 1
        (line,) = res.stderr.splitlines()
        assert "no log written; rerun with ccsim --debug" in line

    def test_future_commands_get_the_boundary(self, logs):
        """A command added later with main.add_command is covered without any code of its own."""
        @click.command("crash")
        def crash():
            raise KeyError("nobody expected this")

        @click.command("impossible")
        def impossible():
            raise SimulationError("agents.pool.escalate", "loops forever")

        main.add_command(crash)
        main.add_command(impossible)
        try:
            res = CliRunner().invoke(main, ["crash"])
            assert res.exit_code == 1 and len(res.stderr.splitlines()) == 1
            assert "KeyError" in res.stderr and str(logs) in res.stderr
            res = CliRunner().invoke(main, ["impossible"])
            assert res.exit_code == 2
            (line,) = res.stderr.splitlines()
            assert "agents.pool.escalate" in line and "loops forever" in line
        finally:
            main.commands.pop("crash")
            main.commands.pop("impossible")

    def test_file_error_is_expected(self, logs):
        """An OSError about a file is the input's fault: one line naming it, exit 2."""
        @click.command("reader")
        def reader():
            Path("/nonexistent/ccsim/x.csv").read_text()

        main.add_command(reader)
        try:
            res = CliRunner().invoke(main, ["reader"])
        finally:
            main.commands.pop("reader")
        assert res.exit_code == 2
        assert res.stderr == "/nonexistent/ccsim/x.csv: no such file or directory\n"
        assert not logs.exists()


class TestUsageErrors:
    @pytest.mark.parametrize("args", [
        ["run", "x.yaml", "-r", "1e9"],
        ["run"],
        ["nosuch"],
        ["erlang", "--rate", "600/h", "--aht", "4m"],
        ["erlang", "--rate", "600/h", "--aht", "4m", "--agents", "x"],
        ["sweep", "x.yaml", "--bogus"],
    ], ids=["bad-int", "missing-arg", "no-command", "usage-error", "bad-agents", "no-option"])
    def test_click_errors_are_one_line(self, args):
        """Click's own errors: one line with the help hint on it, exit 2."""
        proc = subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.splitlines()
        assert "--help'" in line and "Traceback" not in line

    def test_bad_replications_names_the_option(self):
        """`-r 1e9` names the option and the value."""
        res = CliRunner().invoke(main, ["run", "x.yaml", "-r", "1e9"])
        assert res.exit_code == 2
        (line,) = res.stderr.splitlines()
        assert "'--replications' / '-r'" in line and "'1e9'" in line

    def test_help_still_works(self):
        """--help and --version exit 0 with their text."""
        assert CliRunner().invoke(main, ["--help"]).exit_code == 0
        res = CliRunner().invoke(main, ["--version"])
        assert res.exit_code == 0 and "version" in res.stdout


def test_a_reader_that_leaves_is_not_a_bug():
    """`ccsim erlang ... | head -1`: the pipe closes early; ccsim stops quietly (exit 141)."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe now fails (EPIPE)
    try:
        done = subprocess.run([sys.executable, "-m", "sim", "erlang", "--rate", "600/h",
                               "--aht", "4m", "--agents", "42"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120, cwd=ROOT)
    finally:
        os.close(write_end)
    assert done.returncode == 141
    assert done.stderr == ""


def _console(body: str, **options) -> subprocess.CompletedProcess:
    """Run ``body`` (a command's code) under :func:`sim.cli_boundary.console` in a new process.

    With stdout buffered (no ``PYTHONUNBUFFERED``), as a user's terminal or pipe has it.
    """
    script = ("import atexit, sys, threading, time\n"
              "from sim.cli_boundary import console\n"
              "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
              f"def command():\n{body}\n"
              "console(command)\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run([sys.executable, "-c", script], text=True, timeout=60, cwd=ROOT,
                          env=env, **({"capture_output": True} | options))


class TestQuickExit:
    """The console script leaves without the interpreter's teardown, losing nothing."""

    def test_output_exit_code_and_exit_handlers_kept(self):
        done = _console("    sys.stdout.write('x' * 10)\n    sys.exit(3)")
        assert done.returncode == 3
        assert done.stdout == "x" * 10  # still in the buffer when the command returned
        assert done.stderr == "exit handler ran\n"

    @pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
    def test_output_that_cannot_be_written_is_not_a_success(self):
        """A full disk under ``ccsim ... > file``: exit 120, as Python's own exit does."""
        with open("/dev/full", "w") as full:
            done = _console("    print('summary')", stdout=full, stderr=subprocess.PIPE,
                            capture_output=False)
        assert done.returncode == 120

    def test_a_returning_command_exits_0_and_a_message_exits_1(self):
        assert _console("    print('ok')").returncode == 0
        done = _console("    sys.exit('no scenario given')")
        assert done.returncode == 1 and done.stderr.startswith("no scenario given\n")

    def test_a_working_thread_is_waited_for(self):
        """A thread still working (not a daemon) is not cut short: the usual exit waits."""
        done = _console("    def late():\n        time.sleep(0.3)\n        print('late line')\n"
                        "    threading.Thread(target=late).start()")
        assert done.returncode == 0 and done.stdout == "late line\n"

    def test_the_console_script_is_the_quick_exit(self):
        """``ccsim`` and ``python -m sim`` go through it, with the command's exit code."""
        import tomllib

        scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
        assert scripts["ccsim"] == "sim.launch:entry"  # (loads sim.cli:entry, Ctrl-C handled)
        done = subprocess.run([sys.executable, "-m", "sim", "validate", "missing.yaml"],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 2 and done.stderr.count("\n") == 1
