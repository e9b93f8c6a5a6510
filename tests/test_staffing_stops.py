"""A staffing search that more agents cannot help stops with a one-line error, never hangs.

Under a routing policy that never chooses a contact type, a service level over offered
contacts stays 0 for that type whatever the staffing: ``ccsim staff`` added agents for
ever (stopped by hand at plan 255), ``ccsim schedule --requirement search`` silently
so. Now the search stops once the type was declined in every replication of the plans
while ``STALL`` or more agents were added where it missed (naming the type, the policy
and what to do), and any search that runs away stops at a ceiling derived from the
offered load (:func:`sim.staffing_limits.agent_ceiling`), stated in the error.

Every test counts the plans simulated: past ``GUARD`` the search ran away (before the
fix it did not stop at all).
"""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner
from policy_files import CALLS_MAILS, policy, policy_files

import sim
from sim.cli import main
from sim.cost_search import find_cost_staffing
from sim.errors import SimulationError
from sim.staffing import _goal, erlang_requirement, find_staffing
from sim.staffing_check import PlanEvaluator
from sim.staffing_limits import CEILING_PLUS, CEILING_TIMES

MODULE = "staffing_stops_under_test"
REPLICATIONS = 2
GUARD = 40  # plans: the declined search stops at its 3rd, the ceiling's at its 16th
OFFERED = ["--set", "service_level.definition=offered"]
COSTED = {**CALLS_MAILS, "costs": {"agents": {"pool": {"hourly": 30}}}}


class RanAwayError(Exception):
    """More plans simulated than any of these searches needs."""


@pytest.fixture(autouse=True)
def guard(monkeypatch):
    """Count the plans find_staffing simulates; past ``GUARD``, raise :class:`RanAwayError`."""
    simulate = PlanEvaluator._simulate

    def counted(self, plan):
        if self.count >= GUARD:
            raise RanAwayError(f"{self.count} plans simulated")
        return simulate(self, plan)

    monkeypatch.setattr(PlanEvaluator, "_simulate", counted)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """(scenario file, policy file) of :mod:`policy_files`, its module imported once."""
    with policy_files(tmp_path_factory.mktemp("stops"), MODULE) as found:
        yield found


def offered(path, **more) -> sim.Scenario:
    """The scenario with its service level over offered contacts (a declined one counts)."""
    return sim.load_scenario(path, overrides={"service_level.definition": "offered", **more})


def stderr_of_failure(*args) -> list[str]:
    """The stderr lines of a command that must fail on bad input (exit code 2)."""
    result = CliRunner().invoke(main, [*map(str, args), "--quiet"])
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    return result.stderr.splitlines()


class TestDeclinedType:
    def test_the_search_stops_naming_the_type_the_policy_and_the_remedy(self, files):
        """Mails never chosen, the goal over offered contacts: an error, not more agents."""
        path, _ = files
        lines = []
        with pytest.raises(SimulationError) as caught:
            find_staffing(offered(path), replications=REPLICATIONS, holdout=0,
                          trim_budget=0, policy=policy(MODULE, "NoMails"), log=lines.append)
        message = str(caught.value)
        assert message.startswith("contact_types.mails: policy NoMails (")
        assert f"in any of the {REPLICATIONS} replications" in message
        for remedy in ("service_level.definition: answered", "leave the type out",
                       "fix the policy"):
            assert remedy in message
        assert "\n" not in message
        assert len(lines) < GUARD

    def test_staff_exits_2_with_one_line(self, files):
        """``ccsim staff --policy``: one line naming the scenario file, exit code 2."""
        path, source = files
        lines = stderr_of_failure("staff", path, "-r", REPLICATIONS, "--holdout", 0,
                                  "--workers", 1, "--policy", f"{source}:NoMails", *OFFERED)
        assert len(lines) == 1 and lines[0].startswith(f"{path}: contact_types.mails: "
                                                       "policy NoMails ("), lines

    def test_cost_staff_exits_2_with_one_line(self, files, tmp_path):
        """``ccsim staff --objective cost`` starts from that search: the same line."""
        _, source = files
        path = tmp_path / "costed.yaml"
        path.write_text(yaml.safe_dump(COSTED))
        lines = stderr_of_failure("staff", path, "-r", REPLICATIONS, "--holdout", 0,
                                  "--workers", 1, "--policy", f"{source}:NoMails", *OFFERED,
                                  "--objective", "cost")
        assert len(lines) == 1 and "contact_types.mails: policy NoMails (" in lines[0], lines

    def test_schedule_requirement_search_exits_2_with_one_line(self, files):
        """``ccsim schedule --requirement search`` searched without end, saying nothing."""
        path, source = files
        lines = stderr_of_failure("schedule", path, "-r", REPLICATIONS, "--workers", 1,
                                  "--policy", f"{source}:NoMails", *OFFERED)
        assert len(lines) == 1 and lines[0].startswith(f"{path}: contact_types.mails: "
                                                       "policy NoMails ("), lines

    def test_a_policy_that_waits_for_idle_agents_is_still_staffed(self, files):
        """Mails only while 13 agents are free: declined by the first two plans, then met.

        The search starts at 7 agents (Erlang C) and adds 5 a round (the mails far below
        the target): 7 and 12 agents can never have 13 free, 17 can. The search gives up
        only once 10 agents (``STALL``, more than the peak's Erlang C 7) were added with
        the mails unmoved: a search that gave up after 5 would have stopped at 12.
        """
        path, _ = files
        waits = policy(MODULE, "MailsWhenIdle")
        waits.IDLE = 13
        lines = []
        found = find_staffing(offered(path), replications=REPLICATIONS, holdout=0,
                              trim_budget=0, policy=waits, log=lines.append)
        declined = [line for line in lines if "never chose 'mails'" in line]
        assert len(declined) == 2 and lines[:2] == declined, lines
        assert found.declined == {}
        assert found.table["service_level"].min() >= 0.8
        assert int(found.table["simulated"].max()) > 12  # past where mails were declined


class TestCeiling:
    def ceiling(self, path) -> int:
        scenario = offered(path)
        peak = int(erlang_requirement(scenario, _goal(scenario, None, None, None))
                   .sum(axis=0).max())
        return CEILING_TIMES * peak + CEILING_PLUS

    def test_a_search_that_runs_away_stops_at_the_ceiling_it_states(self, files):
        """Mails chosen only after a minute: never in time, yet chosen (not declined)."""
        path, _ = files
        lines = []
        with pytest.raises(ValueError, match="no staffing up to") as caught:
            find_staffing(offered(path), replications=REPLICATIONS, holdout=0,
                          trim_budget=0, policy=policy(MODULE, "LateMails"), log=lines.append)
        ceiling = self.ceiling(path)
        assert str(caught.value).startswith(
            f"contact_types.mails: no staffing up to {ceiling} agents per group meets the "
            f"goal (service level >= 0.8 within 20s) in every interval; {ceiling} is "
            f"{CEILING_TIMES} times the {(ceiling - CEILING_PLUS) // CEILING_TIMES} agents")
        assert "never chose" not in " ".join(lines)

    def test_the_cost_search_stops_there_too(self, files):
        """``find_cost_staffing``'s default ceiling is the same (it starts from that search)."""
        path, _ = files
        scenario = sim.scenario_from_dict(COSTED, overrides={"service_level.definition":
                                                             "offered"})
        with pytest.raises(ValueError, match=f"no staffing up to {self.ceiling(path)} agents"):
            find_cost_staffing(scenario, replications=REPLICATIONS, holdout=0, trim_budget=0,
                               policy=policy(MODULE, "LateMails"))


class TestScheduleProgress:
    def test_the_requirement_search_shows_its_plans(self, files):
        """Without ``--quiet``, stderr shows the requirement search's plans, as ``staff``."""
        path, source = files
        result = CliRunner().invoke(main, ["schedule", str(path), "-r", str(REPLICATIONS),
                                           "--lengths", "1h,2h", "--max-rounds", "1",
                                           "--workers", "1", "--policy", f"{source}:NoMails"])
        assert result.exit_code == 0, result.output
        lines = result.stderr.splitlines()
        start = lines.index(next(line for line in lines if "searching the requirement" in line))
        assert lines[start + 1].startswith("  plan 1: "), lines


class TestMaxAgentsOption:
    def test_staff_max_agents_sets_the_ceiling_and_the_error_names_the_option(self, files):
        """``ccsim staff --max-agents N``: the bound a command-line user can set.

        The default ceiling's error told the user to set ``find_staffing``'s
        ``max_agents``, which the command line had no way to; now it names the option,
        and the option's bound is the one the search stops at.
        """
        path, source = files
        lines = stderr_of_failure("staff", path, "-r", REPLICATIONS, "--holdout", 0,
                                  "--workers", 1, "--policy", f"{source}:LateMails",
                                  *OFFERED)
        assert len(lines) == 1 and "--max-agents" in lines[0], lines
        lines = stderr_of_failure("staff", path, "-r", REPLICATIONS, "--holdout", 0,
                                  "--workers", 1, "--policy", f"{source}:LateMails",
                                  *OFFERED, "--max-agents", 9)
        assert len(lines) == 1 and "no staffing up to 9 agents per group" in lines[0], lines

    def test_max_agents_must_be_positive(self, files):
        path, _ = files
        result = CliRunner().invoke(main, ["staff", str(path), "--max-agents", "0"])
        assert result.exit_code == 2, result.output
        assert "Invalid value for '--max-agents'" in result.output, result.output
