"""A replayed log that cannot be read is refused at ``arrivals.trace``, in a scenario's words.

The scenario's field that names the log is ``contact_types.X.arrivals.trace``; its read
errors said ``contact_types.X.arrivals`` (the warnings of the same log said ``.trace``),
and a missing column was told to be mapped "with --columns NAME=COLUMN", an option of
``ccsim fit`` a scenario file has no way to give (found by an outside check of replays).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sim.cli import main

SCENARIO = """name: r
seed: 1
days: 1
open: "08:00"
close: "12:00"
interval: 30m
contact_types:
  calls:
    arrivals: {trace: calls.csv}
    handle: {dist: exponential, mean: 4m}
agents:
  a: {skills: [calls], staff: 3}
"""


@pytest.mark.parametrize(("log", "reason"), [
    (None, "calls.csv: cannot read"),
    ("arrival,contact_type\n", "calls.csv: the log has no rows"),
    ("arrival,contact_type\n2026-03-02T08:00:00,calls\n",
     "calls.csv: missing column 'wait' (columns: arrival, contact_type; rename the log's"),
    ("arrival,contact_type,wait,outcome\n2026-03-02T08:00:00,calls,5,served\n",
     "calls.csv: row 1: outcome: must be one of"),
])
def test_a_log_that_cannot_be_read_names_the_trace_field(tmp_path, log, reason):
    (tmp_path / "replay.yaml").write_text(SCENARIO)
    if log is not None:
        (tmp_path / "calls.csv").write_text(log)
    for command in ("validate", "run"):
        args = [command, str(tmp_path / "replay.yaml")] + (
            ["--out", str(tmp_path / "out"), "--no-report"] if command == "run" else [])
        done = CliRunner().invoke(main, args)
        assert done.exit_code == 2, done.output
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith(f"{tmp_path / 'replay.yaml'}: contact_types.calls.arrivals.trace: "
                               f"{reason}"), line
        assert "--columns" not in line
