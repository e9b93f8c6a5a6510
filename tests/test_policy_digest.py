"""The policy's digest a run records is its file's as the run began, not as it ended.

README ("Routing policies"): ``summary.json`` has ``"policy": {..., "sha256"}``, "the
file's SHA-256 as it ran: edit the file and the digest differs". A researcher edits the
policy file for the next experiment while a long run, comparison or staffing search is
still going: the results were made by the code that was there when it began. Here the
policy edits its own file at its first decision, as such an edit would land mid-run.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys

import pytest
from click.testing import CliRunner

import sim
from sim import compare
from sim.cli import main

POLICY = '''
"""Longest idle, the longest waiting; appends a line to this file at its first decision."""


class EditedMidRun:
    def choose_agent(self, contact, agents, now):
        if not getattr(self, "edited", False):
            self.edited = True
            with open(__file__, "a", encoding="utf-8") as f:
                f.write("# edited while the run went on\\n")
        return min(range(len(agents)), key=lambda i: agents[i].idle_since)

    def choose_contact(self, agent, queues, now):
        return min(range(len(queues)), key=lambda i: (queues[i].priority, queues[i].since))
'''

SCENARIO = {
    "name": "one pool", "days": 1, "open": "08:00", "close": "09:00", "interval": "30m",
    "contact_types": {"calls": {"arrivals": {"rate": "60/h"},
                                "handle": {"dist": "exponential", "mean": "2m"}}},
    "agents": {"pool": {"skills": ["calls"], "staff": 3}},
}


@pytest.fixture
def policy_file(tmp_path, monkeypatch):
    """The policy's file in its own folder, importable; (path, digest before any run)."""
    folder = tmp_path / "policies"
    folder.mkdir()
    path = folder / "edited_mid_run.py"
    path.write_text(POLICY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "edited_mid_run", raising=False)
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def _policy():
    return importlib.import_module("edited_mid_run").EditedMidRun()


def test_sim_run_records_the_digest_it_began_with(policy_file):
    """``result.policy`` of sim.run: the file's digest before the first replication."""
    path, before = policy_file
    result = sim.run(sim.scenario_from_dict(SCENARIO), seed=1, replications=2, workers=1,
                     policy=_policy())
    assert hashlib.sha256(path.read_bytes()).hexdigest() != before  # the edit landed
    assert result.policy["sha256"] == before


def test_compare_records_the_digest_it_began_with(policy_file):
    """Every variant's ``policy`` of a comparison: the digest before it began."""
    _, before = policy_file
    scenario = sim.scenario_from_dict(SCENARIO)
    cmp = compare.compare({"base": scenario,
                               "more": sim.with_overrides(scenario, {"agents.pool.staff": 4})},
                              seed=1, replications=2, workers=1, policy=_policy())
    assert {r.policy["sha256"] for r in cmp.results.values()} == {before}


def test_staffing_records_the_digest_it_began_with(policy_file):
    """The plan a staffing search found names the digest of the policy it began with."""
    _, before = policy_file
    found = sim.find_staffing(sim.scenario_from_dict(SCENARIO), target=0.8, threshold=20,
                              replications=2, policy=_policy())
    assert found.policy["sha256"] == before


def test_ccsim_run_writes_the_digest_it_began_with(policy_file, tmp_path):
    """``summary.json`` of ``ccsim run --policy``: the digest of the file it imported."""
    path, before = policy_file
    scenario = tmp_path / "pool.yaml"
    scenario.write_text(json.dumps(SCENARIO))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(scenario), "-r", "2", "-w", "1", "-q",
                                       "--no-report", "--out", str(out),
                                       "--policy", f"{path}:EditedMidRun"])
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() != before
    assert json.loads((out / "summary.json").read_text())["policy"]["sha256"] == before


def test_ccsim_schedule_writes_the_digest_it_began_with(policy_file, tmp_path):
    """The note in a schedule's ``scenario.yaml``: the digest of the file it searched under."""
    path, before = policy_file
    scenario = tmp_path / "pool.yaml"
    scenario.write_text(json.dumps(SCENARIO))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["schedule", str(scenario), "-r", "2", "-w", "1",
                                       "--lengths", "1h", "--max-rounds", "1", "--quiet",
                                       "--out", str(out), "--policy", f"{path}:EditedMidRun"])
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() != before
    note = " ".join(line.lstrip("# ") for line in
                    (out / "scenario.yaml").read_text().splitlines() if line.startswith("#"))
    assert f"sha256 {before[:12]}" in note
