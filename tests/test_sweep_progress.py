"""What ``ccsim sweep`` says on stderr about its progress, read as a person reads it."""

from pathlib import Path

from click.testing import CliRunner

from sim.cli import main

ERLANG_A = Path(__file__).resolve().parents[1] / "scenarios" / "erlang_a.yaml"


def sweep(out: Path) -> list[str]:
    """The stderr lines of a one-unit sweep (not blank)."""
    done = CliRunner().invoke(main, ["sweep", str(ERLANG_A), "--set", "close=03:00", "--grid",
                                     "agents.pool.staff=40", "-r", "1", "-w", "1",
                                     "--no-figures", "--out", str(out)])
    assert done.exit_code == 0, done.output
    return [line for line in done.stderr.splitlines() if line.strip()]


def test_counts_in_the_singular_and_no_empty_bar_when_all_is_done(tmp_path):
    """'1 unit computed'; run again, all is resumed: said so, with no bar stuck at 0%.

    Before the fix: '1 units computed', and the rerun drew a 'sweep [----] 0%' bar for
    the nothing left to do.
    """
    first = sweep(tmp_path)
    assert first[-1].startswith("1 unit computed, 0 resumed, in "), first
    again = sweep(tmp_path)
    assert again[0] == "resuming: all 1 unit already done, nothing to compute", again
    assert not any(line.startswith("sweep") for line in again), again
    assert again[-1].startswith("0 units computed, 1 resumed, in "), again
