"""A policy's sys.exit() is a policy error: one line naming it, exit 2.

README: "A policy that raises ... stops the run with one line"; "Whatever is wrong with
it ... is one line and exit 2". A sys.exit() left in a policy ended `ccsim run`, sweep,
compare and staff silently with exit 0, nothing written.
"""
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

BANK = str(Path(__file__).resolve().parents[1] / "scenarios" / "small_bank.yaml")

POLICY = '''
import sys
class Exit:
    def choose_agent(self, contact, agents, now):
        sys.exit()
    def choose_contact(self, agent, queues, now):
        return 0
'''


def test_policy_calling_sys_exit_is_a_one_line_error(tmp_path):
    (tmp_path / "exiting_policy.py").write_text(POLICY)
    out = tmp_path / "out"
    try:
        done = CliRunner().invoke(main, ["run", BANK, "--set", "days=1", "-r", "2", "-w",
                                         "1", "--no-report", "-o", str(out), "--policy",
                                         f"{tmp_path / 'exiting_policy.py'}:Exit"])
    except SystemExit as exc:  # escaped the command altogether
        raise AssertionError(f"SystemExit({exc.code}) escaped the command") from None
    assert done.exit_code == 2, (done.exit_code, done.output)
    assert "Exit" in done.output and "choose_agent" in done.output, done.output


BODY = '''
class P:
    def choose_agent(self, contact, agents, now):
        return 0
    def choose_contact(self, agent, queues, now):
        return 0
'''


@pytest.mark.parametrize(("where", "text"), [
    ("import", "import sys\nsys.exit(0)\n" + BODY),
    ("constructor", BODY + "    def __init__(self):\n        raise SystemExit(0)\n"),
])
def test_an_exit_in_the_policy_files_import_or_constructor_is_one_line(tmp_path, where, text):
    """It ended `ccsim run` with the policy's exit code (0), nothing said or written."""
    policy = tmp_path / f"exiting_{where}.py"
    policy.write_text(text)
    try:
        done = CliRunner().invoke(main, ["run", BANK, "--set", "days=1", "-r", "1",
                                         "--no-report", "-o", str(tmp_path / "out"),
                                         "--policy", f"{policy}:P"])
    except SystemExit as exc:
        raise AssertionError(f"SystemExit({exc.code}) escaped the command") from None
    assert done.exit_code == 2, (done.exit_code, done.output)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "SystemExit" in lines[0], done.stderr
    assert not (tmp_path / "out").exists()


RAISES = '''
class Stop(BaseException):
    pass

class P:
    def choose_agent(self, contact, agents, now):
        raise {exc}("stop here")
    def choose_contact(self, agent, queues, now):
        return 0
'''


@pytest.mark.parametrize("exc", ["GeneratorExit", "Stop"])
def test_a_policy_raising_a_base_exception_is_one_line(tmp_path, exc):
    """Any BaseException but Ctrl-C: it gave a traceback and exit 1."""
    policy = tmp_path / f"raising_{exc.lower()}.py"  # (one module name each: imported once)
    policy.write_text(RAISES.format(exc=exc))
    done = CliRunner().invoke(main, ["run", BANK, "--set", "days=1", "-r", "1", "-w", "1",
                                     "--no-report", "-o", str(tmp_path / "out"),
                                     "--policy", f"{policy}:P"])
    assert done.exit_code == 2, (done.exit_code, done.output)
    line = done.stderr.strip()
    assert "\n" not in line and "policy P.choose_agent" in line and exc in line, line
