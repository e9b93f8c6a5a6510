"""``ccsim run --policy FILE.py:CLASS``: a researcher's own routing policy from the CLI.

The command line runs the very object ``sim.run(policy=...)`` runs: the same summary.
Whatever is wrong with the policy, found on reading the option or while simulating, is
one line naming it, exit 2: never a traceback.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim.cli import main

POLICIES = '''
"""A researcher's policies (written from the README)."""
import sim


class CardsFirst:
    def choose_agent(self, contact, agents, now):
        if contact.contact_type == "cards":
            return max(range(len(agents)), key=lambda i: agents[i].speed)
        return min(range(len(agents)), key=lambda i: agents[i].idle_since)

    def choose_contact(self, agent, queues, now):
        return max(range(len(queues)), key=lambda i: (-queues[i].priority,
                                                      queues[i].length))


class FromTheEnd(CardsFirst):
    def choose_agent(self, contact, agents, now):
        return -1


class Never:
    def choose_agent(self, contact, agents, now):
        return None

    def choose_contact(self, agent, queues, now):
        return None


class NoCards(CardsFirst):
    def choose_agent(self, contact, agents, now):
        return None if contact.contact_type == "cards" else 0

    def choose_contact(self, agent, queues, now):
        others = [i for i, q in enumerate(queues) if q.contact_type != "cards"]
        return others[0] if others else None


class NeedsSettings(CardsFirst):
    def __init__(self, weight):
        self.weight = weight


class HalfAPolicy:
    def choose_agent(self, contact, agents, now):
        return 0
'''
SCENARIO = "scenarios/small_bank.yaml"
ONE_DAY = ["--set", "days=1", "--no-report", "--quiet", "--workers", "1"]


@pytest.fixture(scope="module")
def policies(tmp_path_factory):
    """The policies' file, imported as ``cli_policies_under_test`` (once per session)."""
    folder = tmp_path_factory.mktemp("policies")
    (folder / "cli_policies_under_test.py").write_text(POLICIES)
    (folder / "cli_policy_that_fails.py").write_text("import no_such_module_here\n")
    yield folder
    for name in ("cli_policies_under_test", "cli_policy_that_fails"):
        sys.modules.pop(name, None)
    sys.path[:] = [p for p in sys.path if p != str(folder)]


def ccsim(*args: str):
    return CliRunner().invoke(main, ["run", SCENARIO, *args])


def test_the_cli_runs_what_python_runs(policies, tmp_path):
    """``ccsim run --policy`` summarises what ``sim.run(policy=...)`` does, not the default."""
    result = ccsim(*ONE_DAY, "-r", "2", "--out", str(tmp_path),
                   "--policy", f"{policies}/cli_policies_under_test.py:CardsFirst")
    assert result.exit_code == 0, result.output
    kpis = json.loads((tmp_path / "summary.json").read_text())["kpis"]
    from cli_policies_under_test import CardsFirst
    scenario = sim.load_scenario(SCENARIO, overrides={"days": 1})
    mine = sim.run(scenario, replications=2, policy=CardsFirst()).summary
    default = sim.run(scenario, replications=2).summary
    assert kpis["asa"] == pytest.approx(mine["asa"], rel=1e-12)
    assert mine["asa"] != default["asa"]
    # spawned workers find the class by the file's name (its folder on their sys.path)
    result = ccsim(*ONE_DAY, "-r", "2", "--workers", "2", "--out", str(tmp_path / "two"),
                   "--policy", f"{policies}/cli_policies_under_test.py:CardsFirst")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "two" / "summary.json").read_text())["kpis"] == kpis


@pytest.mark.parametrize(("spec", "said"), [
    ("{folder}/cli_policies_under_test.py:FromTheEnd",
     "policy FromTheEnd.choose_agent: returned -1: must be None or the index"),
    ("{folder}/cli_policies_under_test.py:Never", "policy Never: returned None to all "),
    ("{folder}/cli_policies_under_test.py:Nope",
     "has no class 'Nope' (classes in it: CardsFirst, FromTheEnd, HalfAPolicy, "
     "NeedsSettings, Never, NoCards)"),
    ("{folder}/cli_policies_under_test.py:NeedsSettings",
     "NeedsSettings() raised TypeError: "),
    ("{folder}/cli_policies_under_test.py:HalfAPolicy",
     "HalfAPolicy needs the methods choose_agent and choose_contact"),
    ("{folder}/cli_policy_that_fails.py:X", "raised ModuleNotFoundError: No module named"),
    ("{folder}/missing.py:X", "missing.py: no such file"),
    ("{folder}/cli_policies_under_test.py", "expected FILE.py:CLASS or MODULE:CLASS"),
])
def test_a_faulty_policy_is_one_line_exit_2(policies, tmp_path, spec, said):
    """Each fault: exit 2, one line that says it, no traceback."""
    result = ccsim(*ONE_DAY, "--out", str(tmp_path), "--policy",
                   spec.format(folder=policies))
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert said in line and "\n" not in line and "Traceback" not in line, line


def test_the_run_records_which_policy_ran(policies, tmp_path):
    """summary.json and the report name the policy's file, class and the file's SHA-256.

    Before, a run with --policy wrote the same summary.json as the default routing: the
    folder could not say which policy made its numbers, nor whether the file changed since.
    The report redrawn from the folder (``ccsim report``) names it still.
    """
    import hashlib

    path = policies / "cli_policies_under_test.py"
    result = ccsim(*ONE_DAY, "--out", str(tmp_path), "--policy", f"{path}:CardsFirst")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert summary["policy"] == {"class": "CardsFirst", "module": "cli_policies_under_test",
                                 "file": str(path.resolve()), "sha256": digest}
    assert "CardsFirst" in result.output.splitlines()[0]
    assert (tmp_path / "report.html").exists() is False  # --no-report
    again = CliRunner().invoke(main, ["report", str(tmp_path), "--no-png"])
    assert again.exit_code == 0, again.output
    page = (tmp_path / "report.html").read_text()
    assert f"routing policy CardsFirst ({path.resolve()}, sha256 {digest[:12]})" in page
    plain = tmp_path / "plain"
    assert ccsim(*ONE_DAY, "--out", str(plain)).exit_code == 0
    assert "policy" not in json.loads((plain / "summary.json").read_text())


def test_a_type_never_chosen_is_a_warning(policies, tmp_path):
    """One stderr line names the policy, the type and its contacts never answered.

    Before, ``ccsim run`` finished silently with every cards contact unanswered.
    """
    result = CliRunner().invoke(
        main, ["run", SCENARIO, *ONE_DAY, "-r", "2", "--out", str(tmp_path), "--policy",
               f"{policies}/cli_policies_under_test.py:NoCards"])
    assert result.exit_code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    contacts = pd.read_parquet(tmp_path / "contacts.parquet")
    never = int((~contacts[contacts.contact_type == "cards"].answered).sum())
    assert lines == [f"warning: policy NoCards never chose a contact of type 'cards' (in 2 of "
                     f"2 replications): {never:,} of its contacts were never answered"]
    assert never > 0
