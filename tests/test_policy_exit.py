"""A policy's sys.exit() is a policy error: one line naming it, exit 2.

README: "A policy that raises ... stops the run with one line"; "Whatever is wrong with
it ... is one line and exit 2". A sys.exit() left in a policy ended `ccsim run`, sweep,
compare and staff silently with exit 0, nothing written.
"""
from pathlib import Path

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
