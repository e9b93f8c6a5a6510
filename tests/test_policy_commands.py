"""``--policy FILE.py:CLASS`` beyond ``ccsim run``: compare, sweep and staff.

Each command runs the very policy ``sim.run(policy=...)`` runs, in every worker process
(the class is imported there by its file's name), so its numbers are the same for one
worker or two, and differ from the default routing's. Before, none of the three had the
option: a researcher could not compare, sweep or staff under their own routing.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from policy_files import policy_files

import sim
from sim.cli import main

MODULE = "policy_commands_under_test"

POLICIES = '''
"""Free agents take mails before calls; an arriving contact gets the fastest idle agent."""


class MailsFirst:
    def choose_agent(self, contact, agents, now):
        return min(range(len(agents)), key=lambda i: (-agents[i].speed, agents[i].idle_since))

    def choose_contact(self, agent, queues, now):
        return min(range(len(queues)), key=lambda i: (queues[i].contact_type != "mails",
                                                      queues[i].since))
'''

SCENARIO = {
    "name": "calls and mails", "days": 1, "open": "08:00", "close": "11:00",
    "interval": "1h", "service_level": {"threshold": "20s", "target": 0.8},
    "contact_types": {
        "calls": {"arrivals": {"rate": "100/h"},
                  "handle": {"dist": "exponential", "mean": "2m"},
                  "patience": {"dist": "exponential", "mean": "2m"}},
        "mails": {"arrivals": {"rate": "40/h"},
                  "handle": {"dist": "exponential", "mean": "2m"}}},
    "agents": {"pool": {"skills": {"calls": 1, "mails": 2}, "staff": 5, "speed_cv": 0.4}},
    "variants": {"more": {"agents.pool.staff": 6}},
}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(scenario file, ``FILE.py:CLASS`` of the policy), the policy's module imported once."""
    with policy_files(tmp_path_factory.mktemp("commands"), MODULE, SCENARIO,
                      POLICIES) as (path, source):
        yield path, f"{source}:MailsFirst"


def ccsim(*args: str) -> str:
    result = CliRunner().invoke(main, [*map(str, args), "--quiet"])
    assert result.exit_code == 0, result.output
    return result.output


def policy_run(path, **overrides) -> pd.DataFrame:
    """``sim.run`` of the scenario with the policy, 2 replications: its KPI rows."""
    from policy_commands_under_test import MailsFirst

    scenario = sim.load_scenario(path, overrides=overrides)
    return sim.run(scenario, replications=2, policy=MailsFirst()).replications


def test_compare_runs_every_variant_under_the_policy(files, tmp_path):
    """The same table for 1 and 2 workers; each variant as ``sim.run`` with the policy."""
    path, policy = files
    common = [path, "--variant", "more", "-r", "2", "--no-report", "--policy", policy]
    assert "policy MailsFirst" in ccsim("compare", *common, "--workers", "1", "--out",
                                        tmp_path / "one").splitlines()[0]
    ccsim("compare", *common, "--workers", "2", "--out", tmp_path / "two")
    ccsim("compare", *common[:-2], "--workers", "1", "--out", tmp_path / "plain")
    one = pd.read_csv(tmp_path / "one" / "comparison.csv")
    pd.testing.assert_frame_equal(one, pd.read_csv(tmp_path / "two" / "comparison.csv"))
    assert not one.equals(pd.read_csv(tmp_path / "plain" / "comparison.csv"))
    more = json.loads((tmp_path / "one" / "more" / "summary.json").read_text())
    assert more["policy"]["class"] == "MailsFirst"
    expected = policy_run(path, **{"agents.pool.staff": 6})
    assert more["kpis"]["asa"] == pytest.approx(expected["asa"].mean(), rel=1e-12)


def test_sweep_runs_every_point_under_the_policy(files, tmp_path):
    """The same rows for 1 and 2 workers, each point's as ``sim.run`` with the policy.

    The store remembers the policy: resuming the folder without it (or with another
    file) is refused, not mixed with rows of another routing.
    """
    path, policy = files
    common = ["sweep", path, "--grid", "agents.pool.staff=5,6", "-r", "2", "--no-figures",
              "--policy", policy]
    ccsim(*common, "--workers", "1", "--out", tmp_path / "one")
    ccsim(*common, "--workers", "2", "--out", tmp_path / "two")
    one = pd.read_parquet(tmp_path / "one" / "sweep.parquet")
    pd.testing.assert_frame_equal(one, pd.read_parquet(tmp_path / "two" / "sweep.parquet"))
    at_six = one[one["agents.pool.staff"] == 6].reset_index(drop=True)
    expected = policy_run(path, **{"agents.pool.staff": 6})
    assert at_six["asa"].tolist() == pytest.approx(expected["asa"].tolist(), rel=1e-12)
    resumed = CliRunner().invoke(main, [str(a) for a in common[:-2]]
                                 + ["--workers", "1", "--out", str(tmp_path / "one")])
    assert resumed.exit_code == 2, resumed.output
    assert "policy" in resumed.output and "\n" not in resumed.output.strip()


def test_staff_searches_under_the_policy(files, tmp_path):
    """The staffing found is the same for 1 and 2 workers, and judged under the policy.

    Mails first leaves the calls waiting: the plan found under it is another than the
    default routing's.
    """
    path, policy = files
    common = ["staff", path, "-r", "2", "--holdout", "0", "--trim-budget", "0"]
    ccsim(*common, "--policy", policy, "--workers", "1", "--out", tmp_path / "one.yaml")
    ccsim(*common, "--policy", policy, "--workers", "2", "--out", tmp_path / "two.yaml")
    ccsim(*common, "--workers", "1", "--out", tmp_path / "plain.yaml")
    one = pd.read_csv(tmp_path / "one.csv")
    pd.testing.assert_frame_equal(one, pd.read_csv(tmp_path / "two.csv"))
    assert not one.equals(pd.read_csv(tmp_path / "plain.csv"))
    assert "MailsFirst" in (tmp_path / "one.yaml").read_text()


def test_sweep_on_a_cluster_refuses_a_policy_file(files, tmp_path):
    """A cluster's workers cannot import the file: refused in one line, not ignored."""
    path, policy = files
    result = CliRunner().invoke(main, ["sweep", str(path), "--grid", "agents.pool.staff=5,6",
                                       "--scheduler", "tcp://127.0.0.1:1", "--policy", policy,
                                       "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
    line = result.output.strip()
    assert "--policy with --scheduler" in line and "\n" not in line, line
