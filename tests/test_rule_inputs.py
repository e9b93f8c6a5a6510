"""Real-time rules' numbers checked as what they count (found by an outside check).

- An overtime rule's ``agents`` was held to no limit: 100,000,000 agents were accepted,
  and the run grew by about 100 MB a second once the rule came on.
- A count rule's threshold was read as a duration: ``queue_length ... at_least: 5m`` (a
  slip for ``oldest_wait``) watched for 300 contacts, and ``at_least: many`` was told
  "expected a duration".
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.scenario_errors import ScenarioError


def scenario(when=None, agents=2) -> dict:
    return {
        "name": "rules", "days": 1, "interval": "1h",
        "contact_types": {"calls": {"arrivals": {"rate": "60/h"},
                                    "handle": {"dist": "exponential", "mean": "5m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 8},
                   "spare": {"skills": ["calls"], "staff": 2}},
        "rules": {"a": {"when": when or {"queue_length": "calls", "at_least": 3},
                        "then": {"overtime": {"group": "pool", "agents": agents,
                                              "length": "1h"}}}},
    }


@pytest.mark.parametrize("agents", [99_993, 100_000_000])
def test_overtime_agents_beyond_the_limit_are_refused(tmp_path, agents):
    """The group's peak with its overtime (8 + 99,993 = 100,001) is over the limit."""
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario(agents=agents)))
    done = CliRunner().invoke(main, ["validate", str(path)])
    assert done.exit_code == 2, done.output
    line = done.stderr.strip()
    assert "\n" not in line and "rules.a.then.overtime.agents" in line, line
    assert "CCSIM_MAX_AGENTS" in line, line


def test_overtime_agents_within_the_limit_are_taken():
    assert sim.scenario_from_dict(scenario(agents=99_990)).rules["a"].then.overtime.agents \
        == 99_990  # (8 + 2 + 99,990: all groups at the limit)


@pytest.mark.parametrize("when", [
    {"queue_length": "calls", "at_least": "5m"},
    {"queue_length": "calls", "at_least": 8, "clear_at": "2s"},
    {"idle_agents": "spare", "at_most": "2h"},
    {"service_level": "calls", "at_most": "1s", "window": "30m"},
])
def test_a_time_on_a_count_or_a_fraction_is_refused(when):
    with pytest.raises(ScenarioError, match=r"rules\.a\.when: .*a plain number"):
        sim.scenario_from_dict(scenario(when))


def test_a_bad_count_is_not_asked_for_as_a_duration():
    with pytest.raises(ScenarioError) as info:
        sim.scenario_from_dict(scenario({"queue_length": "calls", "at_least": "many"}))
    assert "duration" not in str(info.value) and "'many'" in str(info.value), info.value


def test_an_oldest_wait_takes_a_duration():
    rule = sim.scenario_from_dict(scenario({"oldest_wait": "calls", "at_least": "2m"}))
    assert rule.rules["a"].when.at_least == 120.0


def test_a_quoted_plain_number_is_still_a_count():
    """``at_least: "5"`` was taken before the check (found by a review): it stays so."""
    rule = sim.scenario_from_dict(scenario({"queue_length": "calls", "at_least": "5"}))
    assert rule.rules["a"].when.at_least == 5.0
