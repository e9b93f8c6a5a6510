"""report.html says how many replications a ``--precision`` run took and why it stopped.

The terminal and summary.json said it; the report, what a planner keeps and passes on,
did not (found by an outside check of sequential sampling). And ``ccsim report`` of the
folder must draw the same page: the line is read back from summary.json.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from click.testing import CliRunner

from sim.cli import main

SCENARIO = "scenarios/erlang_a.yaml"


def _meta(page: str) -> str:
    return " ".join(re.findall(r"<p class='meta'>(.*?)</p>", page, re.S))


def test_run_report_says_how_it_stopped_and_the_redraw_too(tmp_path):
    out = tmp_path / "run"
    done = CliRunner().invoke(main, ["run", SCENARIO, "--set", "days=1", "--precision",
                                     "service_level=0.05", "--out", str(out), "-q"])
    assert done.exit_code == 0, done.output
    stopping = json.loads((out / "summary.json").read_text())["stopping"]
    n = stopping["replications"]
    meta = _meta((out / "report.html").read_text())
    assert (f"stopped after {n} replications: every precision target met "
            "(service_level ± 0.05)") in meta, meta
    (out / "report.html").unlink()
    again = CliRunner().invoke(main, ["report", str(out)])
    assert again.exit_code == 0, again.output
    assert _meta((out / "report.html").read_text()) == meta


def test_run_report_says_the_precision_was_not_reached(tmp_path):
    out = tmp_path / "run"
    done = CliRunner().invoke(main, ["run", SCENARIO, "--set", "days=1", "--precision",
                                     "asa=0.001", "--max-replications", "12",
                                     "--out", str(out), "-q"])
    assert done.exit_code == 0, done.output
    meta = _meta((out / "report.html").read_text())
    assert "stopped at --max-replications (12) before the precision was reached: asa ±" in meta
    (out / "report.html").unlink()
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    assert _meta((out / "report.html").read_text()) == meta


def test_compare_report_says_how_it_stopped(tmp_path):
    out, more = tmp_path / "cmp", tmp_path / "more.yaml"
    more.write_text(Path(SCENARIO).read_text().replace("staff: 42", "staff: 45"))
    done = CliRunner().invoke(main, ["compare", SCENARIO, str(more), "--set", "days=1",
                                     "--precision", "service_level=0.05", "--out", str(out),
                                     "-q"])
    assert done.exit_code == 0, done.output
    meta = _meta((out / "report.html").read_text())
    assert ("every precision target met (service_level ± 0.05) on the baseline's mean and "
            "each variant's paired difference to it") in html.unescape(meta), meta
    (out / "report.html").unlink()
    assert CliRunner().invoke(main, ["report", str(out)]).exit_code == 0
    assert _meta((out / "report.html").read_text()) == meta
