"""A policy that never chooses a contact type is said so by sweep and staff, as by run.

``ccsim run`` and ``compare`` print one ``warning:`` line per type the policy never chose
(:func:`sim.cli_policy.declined_warnings`). Before, ``ccsim sweep --policy`` and ``ccsim
staff --policy`` (and ``run_sweep``, ``find_staffing``) finished silently, every mail
unanswered at every point, or in the plan found.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from policy_files import policy, policy_files

import sim
from sim.cli import main
from sim.sweep import run_sweep

MODULE = "policy_declined_under_test"
REPLICATIONS = 2


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(scenario file, ``FILE.py:NoMails``), the policy's module imported once."""
    with policy_files(tmp_path_factory.mktemp("declined"), MODULE) as (path, source):
        yield path, f"{source}:NoMails"


def no_mails():
    return policy(MODULE, "NoMails")


def ccsim(*args, quiet: bool = True) -> list[str]:
    """The ``warning:`` lines on stderr of a successful command (all lines if not quiet)."""
    result = CliRunner().invoke(main, [*map(str, args), *(["--quiet"] if quiet else [])])
    assert result.exit_code == 0, result.output
    return [line for line in result.stderr.splitlines()
            if line.startswith("warning:") or not quiet]


def declined_at(path, staff: int) -> dict:
    """``sim.run``'s ``declined`` at ``staff`` agents, under the policy."""
    scenario = sim.load_scenario(path, overrides={"agents.pool.staff": staff})
    return sim.run(scenario, replications=REPLICATIONS, policy=no_mails()).declined


class TestSweep:
    def test_the_api_says_which_points_declined(self, files):
        """``SweepResult.declined``: per point, what ``sim.run`` says of it."""
        path, _ = files
        scenario = sim.load_scenario(path)
        result = run_sweep(scenario, {"agents.pool.staff": [3, 4]}, REPLICATIONS, workers=1,
                           policy=no_mails())
        assert result.declined == {0: declined_at(path, 3), 1: declined_at(path, 4)}
        assert result.declined[0]["mails"]["contacts"] > 0
        plain = run_sweep(scenario, {"agents.pool.staff": [3, 4]}, REPLICATIONS, workers=1)
        assert plain.declined == {}

    def test_one_warning_line_per_type_also_when_resumed(self, files, tmp_path):
        """One line names the type, the points and their mails never answered.

        Running the same sweep again (every unit resumed from parts/) says it again:
        the parts keep what each unit's policy never chose.
        """
        path, policy = files
        common = ["sweep", path, "--grid", "agents.pool.staff=3,4", "-r", REPLICATIONS,
                  "--workers", "1", "--no-figures", "--out", tmp_path, "--policy", policy]
        never = sum(declined_at(path, n)["mails"]["contacts"] for n in (3, 4))
        expected = [f"warning: policy NoMails never chose a contact of type 'mails' at all 2 "
                    f"points (in {2 * REPLICATIONS} of their {2 * REPLICATIONS} "
                    f"replications): {never:,} of its contacts were never answered"]
        assert ccsim(*common) == expected
        assert ccsim(*common) == expected  # resumed

    def test_the_points_affected_are_named(self, files, tmp_path):
        """Where some points declined the type, the line names those, with their count.

        At a mail rate of 0 there is no mail to decline: that point is not named.
        """
        path, policy = files
        lines = ccsim("sweep", path, "--grid", "contact_types.mails.arrivals.rate=0,10/h,20/h",
                      "-r", REPLICATIONS, "--workers", "1", "--no-figures", "--out", tmp_path,
                      "--policy", policy)
        never = sum(sim.run(sim.load_scenario(path, overrides={
            "contact_types.mails.arrivals.rate": rate}), replications=REPLICATIONS,
            policy=no_mails()).declined["mails"]["contacts"] for rate in ("10/h", "20/h"))
        assert lines == [f"warning: policy NoMails never chose a contact of type 'mails' at 2 "
                         f"of 3 points (contact_types.mails.arrivals.rate=10/h, 20/h; in "
                         f"{2 * REPLICATIONS} of their {2 * REPLICATIONS} replications): "
                         f"{never:,} of its contacts were never answered"]


class TestStaff:
    def test_the_plan_found_says_which_type_was_never_chosen(self, files, tmp_path):
        """A warning line for the plan found: its search replications declined the mails.

        The count is that of ``sim.run`` of the staffed scenario written, under the policy
        (no shrinkage: the plan's agents are its staff).
        """
        path, policy = files
        out = tmp_path / "staffed.yaml"
        lines = ccsim("staff", path, "-r", REPLICATIONS, "--holdout", 0, "--trim-budget", 0,
                      "--workers", 1, "--policy", policy, "--out", out)
        staffed = sim.load_scenario(out)
        never = sim.run(staffed, replications=REPLICATIONS, policy=no_mails()).declined
        assert lines == [f"warning: plan found: policy NoMails never chose a contact of type "
                         f"'mails' (in {REPLICATIONS} of {REPLICATIONS} replications): "
                         f"{never['mails']['contacts']:,} of its contacts were never answered"]
        found = sim.find_staffing(sim.load_scenario(path), replications=REPLICATIONS,
                                  holdout=0, trim_budget=0, policy=no_mails())
        assert found.declined == never

    def test_the_search_log_says_it_of_every_plan(self, files):
        """Each plan's log line says which type the policy never chose, while it searches.

        A goal over offered contacts cannot be met for a type never chosen: the search
        adds agents without end; its log is then the only place that says why.
        """
        path, policy = files
        lines = ccsim("staff", path, "-r", REPLICATIONS, "--holdout", 0, "--trim-budget", 0,
                      "--workers", 1, "--policy", policy, quiet=False)
        plans = [line for line in lines if line.lstrip().startswith("plan ")]
        assert plans and all(line.endswith("; policy NoMails never chose 'mails'")
                             for line in plans), lines

    def test_no_warning_without_a_declined_type(self, files, tmp_path):
        """The default routing chooses every type: nothing said, nothing recorded."""
        path, _ = files
        assert ccsim("staff", path, "-r", REPLICATIONS, "--holdout", 0, "--trim-budget", 0,
                     "--workers", 1) == []
