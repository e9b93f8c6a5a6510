"""Bad ``--set`` and ``--grid`` values: one line naming the file, the field path and the reason."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main

BANK = Path(__file__).resolve().parents[1] / "scenarios" / "small_bank.yaml"
GROUPS = "billing_team, cards_team, generalists"


def one_line(args: list[str]) -> str:
    """The one line a refused command prints (exit code 2, nothing else)."""
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in result.output
    return lines[0]


class TestNamesInKeyedSections:
    """A path through a name the scenario lacks says which names there are, not a field's."""

    @pytest.mark.parametrize(("dotted", "noun", "known"), [
        ("agents.typo.staff=3", "agent group", GROUPS),
        ("agents.typo.shifts.0.count=3", "agent group", GROUPS),
        ("contact_types.typo.resolution=0.5", "contact type", "billing, cards"),
        ("contact_types.typo.handle.mean=5m", "contact type", "billing, cards"),
        ("costs.agents.typo.hourly=30", "agent group", GROUPS),
        ("routing.typo.0=generalists", "contact type", "billing, cards"),
    ])
    def test_no_such_name(self, dotted, noun, known):
        """`agents.typo.staff=3` names the missing group and the groups there are."""
        path, name = dotted.split("=")[0], "typo"
        line = one_line(["validate", str(BANK), "--set", dotted])
        assert line.startswith(f"{BANK}: {path}: cannot override: "), line
        assert f"no {noun} '{name}' (known: {known}" in line, line
        assert "required field" not in line

    def test_a_new_name_given_whole_is_taken(self):
        """A new group given whole is a scenario change, not a slip: it validates."""
        result = CliRunner().invoke(main, ["validate", str(BANK), "--set",
                                           "agents.extra={skills: [billing], staff: 3}",
                                           "--set", "costs.agents.extra={hourly: 30}"])
        assert result.exit_code == 0, result.output

    def test_a_new_groups_cost_by_its_field(self):
        """A group added by an earlier --set is a name its cost may be set field by field."""
        result = CliRunner().invoke(main, ["validate", str(BANK), "--set",
                                           "agents.extra={skills: [billing], staff: 3}",
                                           "--set", "costs.agents.extra.hourly=30"])
        assert result.exit_code == 0, result.output

    @pytest.mark.parametrize(("dotted", "whole"), [
        ("routing.cards.0=generalists", "routing.cards=[...]"),
        ("agents.billing_team.shifts.0.count=3", "agents.billing_team.shifts=[...]"),
    ])
    def test_a_list_the_scenario_lacks_is_given_whole(self, dotted, whole):
        """An item of a list the scenario lacks: give the list whole (not a made-up mapping)."""
        line = one_line(["validate", str(BANK), "--set", "routing.cards=null", "--set", dotted])
        assert line.endswith(f"is not in the scenario: set the section whole, as --set "
                             f"'{whole}'"), line

    def test_close_name_suggested(self):
        """A misspelt group gets a 'did you mean'."""
        line = one_line(["validate", str(BANK), "--set", "agents.generalist.staff=3"])
        assert "no agent group 'generalist' (did you mean 'generalists'?)" in line, line


class TestReasonsWorded:
    """Reasons read as the rest of ours do: lower case, the value received once at the end."""

    @pytest.mark.parametrize("args", [
        ["validate", str(BANK), "--set", "days=2.5"],
        ["validate", str(BANK), "--set", "agents.generalists.skills={cards: 1.5}"],
        ["sweep", str(BANK), "--grid", "agents.generalists.shifts.0.count=2.5,3",
         "--workers", "1", "--replications", "1", "--quiet"],
    ])
    def test_fractional_count(self, args, tmp_path):
        """A fractional count (a sweep's staff, days) must be a whole number."""
        line = one_line([*args, *(["--out", str(tmp_path)] if args[0] == "sweep" else [])])
        reason = line.split(": ")[-1]
        assert reason.startswith("must be a whole number, got "), line
        assert line.count("got ") == 1, line

    def test_reason_starts_lower_case(self):
        """A pydantic reason we do not reword still starts in lower case after the path."""
        line = one_line(["validate", str(BANK), "--set", "days=1e30"])
        reason = line.split(": ", 2)[2]
        assert reason[0].islower(), line


class TestVariantsDoNotRepeat:
    """A scenario with variants: a problem of the base is one line, not one per variant."""

    def test_routing_of_no_type(self):
        """`routing.typo=[...]` in small_bank (two variants) is reported once, at the base."""
        line = one_line(["validate", str(BANK), "--set", "routing.typo=[generalists]"])
        assert line == (f"{BANK}: routing.typo: unknown contact type 'typo' "
                        "(known: billing, cards)"), line

    def test_a_variants_own_problem_is_still_named(self):
        """A problem only a variant has keeps its variants.<name> path."""
        line = one_line(["validate", str(BANK), "--set",
                         "variants.plus_two_generalists={agents.generalists.shifts.0.count: -2}"])
        assert line.startswith(f"{BANK}: variants.plus_two_generalists.agents.generalists"
                               ".shifts[0].count: must be >= "), line
