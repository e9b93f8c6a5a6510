"""``ccsim schedule --policy FILE.py:CLASS``: shifts searched and checked under the policy.

Schedule simulates twice: the requirement search (``sim.find_staffing``) and the hold-out
check of the shifts (and a repair's pricing). Before, it had no ``--policy``: a
researcher could staff under their own routing (``ccsim staff --policy``) but not turn
that into shifts checked under it. Each of its simulations runs a copy of the policy, in
every worker, as ``sim.run(policy=...)`` does: the same shifts for one worker or two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from policy_files import policy as make
from policy_files import policy_files

import sim
from sim.cli import main
from sim.shift_loop import Settings, schedule
from sim.shift_templates import default_templates
from sim.staffing import Goal

MODULE = "policy_schedule_under_test"
REPLICATIONS = 2
HOLDOUT_SEED = 4  # the CLI's default: the search seed (3) + 1


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(scenario file, policy file), the policy's module imported once."""
    with policy_files(tmp_path_factory.mktemp("schedule_policies"), MODULE) as found:
        yield found


def policy(name: str):
    return make(MODULE, name)


def ccsim(*args):
    result = CliRunner().invoke(main, [*map(str, args), "--quiet"])
    assert result.exit_code == 0, result.output
    return result


def test_schedule_searches_and_checks_under_the_policy(files, tmp_path):
    """The same shifts for 1 and 2 workers; the requirement is the policy's search.

    One round: the coverage's requirement is the search's, which under mails first
    (calls waiting) is another than the default routing's. The summary and the file
    written name the policy.
    """
    path, source = files
    common = ["schedule", path, "-r", REPLICATIONS, "--lengths", "1h,2h", "--max-rounds", 1,
              "--policy", f"{source}:MailsFirst"]
    one = ccsim(*common, "--workers", 1, "--out", tmp_path / "one")
    two = ccsim(*common, "--workers", 2, "--out", tmp_path / "two")
    assert one.stdout == two.stdout
    for name in ("shifts.csv", "coverage.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "one" / name),
                                      pd.read_csv(tmp_path / "two" / name))
    scenario = sim.load_scenario(path)
    searched = sim.find_staffing(scenario, replications=REPLICATIONS,
                                 policy=policy("MailsFirst"))
    plain = sim.find_staffing(scenario, replications=REPLICATIONS)
    assert not searched.table.simulated.equals(plain.table.simulated)
    coverage = pd.read_csv(tmp_path / "one" / "coverage.csv")
    assert coverage.required_on_phones.tolist() == searched.table.simulated.tolist()
    assert "policy MailsFirst" in one.stdout
    comments = [line.lstrip("# ") for line in
                (tmp_path / "one" / "scenario.yaml").read_text().splitlines()
                if line.startswith("#")]
    assert f"routing policy MailsFirst ({source.resolve()}, sha256" in " ".join(comments)


def test_the_holdout_check_is_sim_run_under_the_policy(files):
    """The schedule's hold-out service level is ``sim.run``'s of its shifts, the policy's.

    And another than the default routing's: the policy is not ignored on the way.
    """
    path, _ = files
    scenario = sim.load_scenario(path)
    settings = Settings(default_templates([3600.0, 7200.0], 3600.0), Goal(0.8, 20.0),
                        replications=REPLICATIONS, holdout_seed=HOLDOUT_SEED, max_rounds=1,
                        policy=policy("MailsFirst"))
    start = np.full((1, 2), 4)
    result = schedule(scenario, start, settings)
    run = sim.run(result.scenario, seed=HOLDOUT_SEED, replications=REPLICATIONS,
                  policy=policy("MailsFirst"))
    expected = np.stack([run.intervals.loc[run.intervals.contact_type == name,
                                           "service_level"].to_numpy(dtype=float)
                         for name in scenario.contact_types])
    np.testing.assert_allclose(result.service_level, expected, rtol=1e-12)
    plain = schedule(scenario, start, Settings(**{**vars(settings), "policy": None}))
    assert not np.allclose(plain.service_level, result.service_level, equal_nan=True)


def test_a_type_never_chosen_by_the_shifts_checked_is_a_warning(files, tmp_path):
    """One stderr line for the shifts found: the hold-out replications declined the mails.

    Counted as ``sim.run`` of the scenario written, on the hold-out seed, counts them.
    """
    path, source = files
    result = ccsim("schedule", path, "-r", REPLICATIONS, "--lengths", "1h,2h",
                   "--requirement", "staff", "--max-rounds", 1, "--workers", 1,
                   "--policy", f"{source}:NoMails", "--out", tmp_path)
    written = sim.load_scenario(tmp_path / "scenario.yaml")
    never = sim.run(written, seed=HOLDOUT_SEED, replications=REPLICATIONS,
                    policy=policy("NoMails")).declined["mails"]["contacts"]
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert lines == [f"warning: shifts found: policy NoMails never chose a contact of type "
                     f"'mails' (in {REPLICATIONS} of {REPLICATIONS} replications): "
                     f"{never:,} of its contacts were never answered"]
    assert never > 0
