"""Bad input: every broken scenario gives one line (file, field path, reason) and exit 2."""

import subprocess
import sys
import textwrap

import pytest
import yaml
from click.testing import CliRunner

from sim.cli import main
from sim.loader import ScenarioError, load_scenario

GOOD = """
name: tiny
days: 1
open: "08:00"
close: "12:00"
interval: 30m
contact_types:
  billing:
    arrivals: {rate: 60/h}
    handle: {dist: lognormal, mean: 4m, cv: 0.7}
    patience: {dist: exponential, mean: 3m}
  refunds:
    arrivals: {per_interval: [5, 6, 7, 8, 8, 7, 6, 5]}
    handle: {dist: exponential, mean: 5m}
agents:
  tier1:
    skills: [billing, refunds]
    staff: [3, 3, 4, 4, 4, 4, 3, 3]
  tier2:
    skills: {refunds: 1}
    staff: 2
routing:
  billing: [tier1]
  refunds: [tier1, {group: tier2, after: 60s}]
"""

_PATIENCE = "    patience: {dist: exponential, mean: 3m}\n"  # billing's: options follow it
_BETWEEN = GOOD[GOOD.index("{rate: 60/h}") + 12:GOOD.index("[5, 6, 7, 8, 8, 7, 6, 5]}")]
# (name, edit of the YAML text, expected field path, expected words in the reason)
CASES = [
    ("unknown group in routing", ("group: tier2, after", "group: tier3, after"),
     "routing.refunds[1]", "unknown agent group 'tier3'"),
    ("skill with no agents", ("  refunds:\n    arrivals",
                              "  fraud:\n    arrivals: {rate: 1/h}\n"
                              "    handle: {dist: exponential, mean: 1m}\n"
                              "  refunds:\n    arrivals"),
     "contact_types.fraud", "no agent group has this skill"),
    ("negative rate", ("rate: 60/h", "rate: -60/h"), "contact_types.billing.arrivals.rate",
     "must be >= 0"),
    ("probability 1.5", ("    patience: {dist: exponential, mean: 3m}\n",
                         "    patience: {dist: exponential, mean: 3m}\n    resolution: 1.5\n"),
     "contact_types.billing.resolution", "must be <= 1, got 1.5"),
    ("target as a percent", ("interval: 30m\n", "interval: 30m\nservice_level: {target: 80}\n"),
     "service_level.target", "must be <= 1, got 80 (a fraction: did you mean 0.8?)"),
    ("cv 0", ("cv: 0.7", "cv: 0"), "contact_types.billing.handle.cv", "must be > 0"),
    ("typo'd key", ("    staff: 2", "    stafff: 2"), "agents.tier2.stafff",
     "unknown field 'stafff' (did you mean 'staff'?)"),
    ("wrong unit", ("mean: 4m, cv", "mean: 4 fortnights, cv"), "contact_types.billing.handle.mean",
     "expected a duration like 30s"),
    ("a field of another distribution", ("handle: {dist: exponential, mean: 5m}",
                                         "handle: {dist: deterministic, value: 5m, mean: 5m}"),
     "contact_types.refunds.handle.mean",
     "unknown field 'mean' (a deterministic distribution takes: dist, value)"),
    ("negative staff in a table", ("[3, 3, 4, 4, 4, 4, 3, 3]", "[3, 3, 4, -2, 4, 4, 3, 3]"),
     "agents.tier1.staff[3]", "must be >= 0, got -2"),
    ("unknown skill", ("skills: [billing, refunds]", "skills: [billing, refunds, refnds]"),
     "agents.tier1.skills.refnds", "unknown contact type 'refnds' (did you mean 'refunds'?"),
    ("group twice in routing", ("group: tier2, after: 60s", "group: tier1, after: 60s"),
     "routing.refunds[1]", "agent group 'tier1' is already listed at routing.refunds[0]"),
    ("misspelt group in routing", ("group: tier2, after", "group: tier_2, after"),
     "routing.refunds[1]", "unknown agent group 'tier_2' (did you mean 'tier2'?"),
    ("misspelt type in routing", ("routing:\n", "routing:\n  biling: [tier1]\n"),
     "routing.biling", "unknown contact type 'biling' (did you mean 'billing'?"),
    ("unknown distribution", ("dist: lognormal", "dist: lognormall"),
     "contact_types.billing.handle", "unknown distribution 'lognormall'"),
    ("wrong per-interval length", ("[5, 6, 7, 8, 8, 7, 6, 5]", "[5, 6, 7]"),
     "contact_types.refunds.arrivals.per_interval", "needs 8 values, got 3"),
    ("close before open", ('close: "12:00"', 'close: "07:00"'), "close", "must be after open"),
    ("bad clock time", ('open: "08:00"', 'open: "8am"'), "open", "clock time"),
    ("interval does not divide", ("interval: 30m", "interval: 25m"), "interval",
     "whole intervals"),
    ("group lacks skill", ("billing: [tier1]", "billing: [tier2]"), "routing.billing[0]",
     "has no skill 'billing'"),
    ("unknown routing type", ("routing:\n", "routing:\n  fraud: [tier1]\n"), "routing.fraud",
     "unknown contact type 'fraud'"),
    ("missing handle", ("    handle: {dist: exponential, mean: 5m}\n", ""),
     "contact_types.refunds.handle", "required field is missing"),
    ("both rate forms", ("rate: 60/h}", "rate: 60/h, per_interval: [1]}"),
     "contact_types.billing.arrivals", "exactly one of 'rate', 'per_interval' and 'trace'"),
    ("staff and shifts", ("    staff: 2", "    staff: 2\n    shifts: [{start: '08:00', length: 4h, "
                          "count: 2}]"), "agents.tier2", "exactly one of 'staff' and 'shifts'"),
    ("shrinkage 1", ("    staff: 2", "    staff: 2\n    shrinkage: 1"), "agents.tier2.shrinkage",
     "must be < 1, got 1"),
    ("text for a number", ("days: 1", "days: one"), "days", "valid integer"),
    ("negative wrap-up", ("    patience: {dist: exponential, mean: 3m}\n",
                          "    patience: {dist: exponential, mean: 3m}\n"
                          "    wrap_up: {dist: exponential, mean: -30s}\n"),
     "contact_types.billing.wrap_up.mean", "must be > 0"),
    ("conference without its talk", ("    patience: {dist: exponential, mean: 3m}\n",
                                     "    patience: {dist: exponential, mean: 3m}\n"
                                     "    transfer: {probability: 0.1, to: refunds, "
                                     "mode: conference}\n"),
     "contact_types.billing.transfer", "'mode: conference' needs 'conference'"),
    ("break outside shift", ("    staff: 2", "    shifts: [{start: '08:00', length: 1h, count: 2, "
                             "breaks: [{at: 50m, length: 30m}]}]"), "agents.tier2.shifts[0]",
     "ends after the shift"),
    ("shift wholly before opening", ("    staff: 2", "    shifts: [{start: '02:00', length: 6h, "
                                     "count: 2}]"), "agents.tier2.shifts[0]",
     "runs 02:00-08:00, wholly outside opening hours 08:00-12:00"),
    ("shift wholly after closing", ("    staff: 2", "    shifts: [{start: '08:00', length: 4h, "
                                    "count: 2}, {start: '13:00', length: 8h, count: 1}]"),
     "agents.tier2.shifts[1]", "runs 13:00-21:00, wholly outside opening hours 08:00-12:00"),
    ("balking with two rules", (_PATIENCE, _PATIENCE + "    balking: {per_position: 0.1, "
                                "per_minute: 0.1}\n"), "contact_types.billing.balking",
     "give exactly one of 'per_position', 'per_minute' and 'curve', got 2"),
    ("balking per minute of a place", (_PATIENCE, _PATIENCE + "    balking: {announce: position, "
                                       "per_minute: 0.1}\n"), "contact_types.billing.balking",
     "'per_minute' needs announce: les or expected_wait"),
    ("balking per place of a wait", (_PATIENCE, _PATIENCE + "    balking: {announce: les, "
                                     "per_position: 0.1}\n"), "contact_types.billing.balking",
     "'per_position' needs announce: none or position"),
    ("balking curve going back", (_PATIENCE, _PATIENCE + "    balking: {announce: les, curve: "
                                  "[[5m, 0.2], [1m, 1]]}\n"), "contact_types.billing.balking",
     "curve values must not decrease"),
    ("balking places given as waits", (_PATIENCE, _PATIENCE + "    balking: {announce: position, "
                                       "curve: [[2m, 0], [5m, 1]]}\n"),
     "contact_types.billing.balking.curve",
     "point 1's value is a place in the queue (announce: position), got '2m' (a wait)"),
    ("balking chance 2", (_PATIENCE, _PATIENCE + "    balking: {announce: les, curve: "
                          "[[1m, 2]]}\n"), "contact_types.billing.balking.curve[0][1]",
     "must be <= 1, got 2"),
    ("unknown announcement", (_PATIENCE, _PATIENCE + "    balking: {announce: music, "
                              "per_position: 0.1}\n"), "contact_types.billing.balking.announce",
     "'none', 'position', 'les' or 'expected_wait'"),
    ("retrial without a chance", (_PATIENCE, _PATIENCE + "    retrial: {delay: {dist: "
                                  "exponential, mean: 5m}}\n"), "contact_types.billing.retrial",
     "give 'probability'"),
    ("misspelt day of the week", ("rate: 60/h}", "rate: 60/h, day_factors: {monday: 1.2, "
                                  "saturdy: 0.5}}"),
     "contact_types.billing.arrivals.day_factors.saturdy",
     "must be one of 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday' or "
     "'sunday', got 'saturdy'"),
    ("negative day factor by name", ("rate: 60/h}", "rate: 60/h, day_factors: {Monday: -1}}"),
     "contact_types.billing.arrivals.day_factors.monday", "must be >= 0, got -1"),
    ("no day named", ("rate: 60/h}", "rate: 60/h, day_factors: {}}"),
     "contact_types.billing.arrivals.day_factors", "at least 1 item"),
    ("day factors named and listed", (
        "{rate: 60/h}" + _BETWEEN + "[5, 6, 7, 8, 8, 7, 6, 5]}",
        "{rate: 60/h, day_factors: {monday: 2}}" + _BETWEEN + "[5, 6, 7, 8, 8, 7, 6, 5], "
        "day_factors: [1, 2]}"),
     "contact_types.refunds.arrivals.day_factors",
     "a list, while contact type 'billing' names the days of the week"),
    ("retrial decay 1.5", (_PATIENCE, _PATIENCE + "    retrial: {after_busy: 0.5, decay: 1.5, "
                           "delay: {dist: exponential, mean: 5m}}\n"),
     "contact_types.billing.retrial.decay", "must be <= 1, got 1.5"),
]


def write(tmp_path, text, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


class TestGoodBase:
    def test_base_is_valid(self, tmp_path):
        """The base scenario the bad cases edit is itself valid (so each case tests one thing)."""
        assert load_scenario(write(tmp_path, GOOD)).name == "tiny"


class TestShiftsAndOpeningHours:
    @pytest.mark.parametrize("shift", [
        "{start: '07:00', length: 2h, count: 2}",    # an hour before opening, one inside
        "{start: '11:30', length: 8h, count: 2}",    # past closing, half an hour inside
        "{start: '22:00', length: 11h, count: 2}",   # overnight, into the next opening
        "{start: '00:00', length: 24h, count: 2}"])
    def test_shift_overlapping_opening_hours_is_valid(self, tmp_path, shift):
        """A shift with some time in opening hours is valid (paid whole: README "Costs")."""
        text = GOOD.replace("    staff: 2", f"    shifts: [{shift}]", 1)
        assert load_scenario(write(tmp_path, text)).agents["tier2"].shifts


class TestBadScenarios:
    @pytest.mark.parametrize(("name", "edit", "path", "reason"), CASES, ids=[c[0] for c in CASES])
    def test_one_line_with_file_path_and_reason(self, tmp_path, name, edit, path, reason):
        """`ccsim validate` prints exactly one line: file: field path: reason; exit code 2."""
        old, new = edit
        assert old in GOOD, f"case {name!r} does not apply to the base scenario"
        file = write(tmp_path, GOOD.replace(old, new, 1))
        result = CliRunner().invoke(main, ["validate", str(file)])
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"{file}: {path}: "), lines[0]
        assert reason in lines[0], lines[0]
        assert "Traceback" not in result.output

    @pytest.mark.parametrize(
        ("text", "reason"),
        [("", "the file is empty"),
         ("name: [unclosed", "(while parsing a flow sequence from line 1)"),
         ("- just\n- a list\n", "must be a mapping"), ("name: x\n", "required field is missing")],
    )
    def test_file_level_problems(self, tmp_path, text, reason):
        """Empty files, YAML syntax errors and non-mappings are named too."""
        file = write(tmp_path, text)
        with pytest.raises(ScenarioError) as caught:
            load_scenario(file)
        assert str(file) in str(caught.value)
        assert reason in str(caught.value)

    def test_missing_file(self, tmp_path):
        """A file that is not there is one line and exit 2, not a traceback."""
        result = CliRunner().invoke(main, ["run", str(tmp_path / "nope.yaml")])
        assert result.exit_code == 2
        assert "nope.yaml: cannot read file" in result.stderr

    def test_all_problems_collected(self, tmp_path):
        """Several field problems in one file are all reported, one line each."""
        text = GOOD.replace("rate: 60/h", "rate: -60/h").replace("cv: 0.7", "cv: 0")
        result = CliRunner().invoke(main, ["validate", str(write(tmp_path, text))])
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 2

    def test_bad_override(self, tmp_path):
        """A --set override that breaks a rule is reported like a file problem."""
        file = write(tmp_path, GOOD)
        result = CliRunner().invoke(main, ["run", str(file), "--set", "agents.tier2.staff=-1"])
        assert result.exit_code == 2
        assert result.stderr.strip() == f"{file}: agents.tier2.staff: must be >= 0, got -1"

    def test_override_through_value(self, tmp_path):
        """--set through a value (not a section) names the override."""
        file = write(tmp_path, GOOD)
        result = CliRunner().invoke(main, ["validate", str(file), "--set", "days.x.y=1"])
        assert result.exit_code == 2
        assert "days.x.y: cannot override" in result.stderr

    def test_real_process_no_traceback(self, tmp_path):
        """Through the installed entry point: exit code 2, one line on stderr, nothing else."""
        file = write(tmp_path, GOOD.replace("cv: 0.7", "cv: -1"))
        proc = subprocess.run([sys.executable, "-m", "sim", "run", str(file)],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 2
        expected = f"{file}: contact_types.billing.handle.cv: must be > 0, got -1"
        assert proc.stderr.strip() == expected
        assert proc.stdout == ""


DEADLOCK = {
    "name": "warm transfers into their own group", "days": 1, "open": "08:00", "close": "10:00",
    "interval": "1h",
    "contact_types": {
        "a": {"arrivals": {"rate": "60/h"}, "handle": {"dist": "exponential", "mean": "4m"},
              "transfer": {"probability": 0.5, "to": "b", "mode": "warm"}},
        "b": {"arrivals": {"rate": 0}, "handle": {"dist": "exponential", "mean": "4m"}}},
    "agents": {"g": {"skills": ["a", "b"], "staff": 2}},
}


class TestFoundWhileSimulating:
    """A scenario that cannot be run to the end is reported, not hung on nor half-reported."""

    def test_deadlocked_warm_transfers(self, tmp_path):
        """Every agent holding a warm transfer into a queue only they serve: one line, exit 2."""
        file = tmp_path / "deadlock.yaml"
        file.write_text(yaml.safe_dump(DEADLOCK))
        for command in (["run", str(file), "--out", str(tmp_path / "run")],
                        ["sweep", str(file), "--grid", "agents.g.staff=2", "--workers", "1",
                         "--replications", "1", "--out", str(tmp_path / "sweep"), "--quiet"]):
            result = CliRunner().invoke(main, command)
            assert result.exit_code == 2, result.output
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(
                f"{file}: contact_types.a.transfer: a warm transfer to 'b' was never answered")
        assert not (tmp_path / "run" / "summary.json").exists()


def test_cases_are_many_and_distinct():
    """The issue asks for at least 15 distinct bad scenarios."""
    assert len({c[2] for c in CASES}) >= 15
    assert all(yaml.safe_load(GOOD.replace(*c[1], 1)) is not None for c in CASES)
