"""Staffing search: the Erlang C start, the simulated minimum, the staffed scenario file."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import sim
import sim.replicate
from sim import erlang
from sim.cli import main
from sim.cli_staff import format_staffing
from sim.loader import scenario_document
from sim.plan_evaluation import _ratio_half_width
from sim.schedule import on_phones
from sim.staffing import (
    Goal,
    erlang_requirement,
    evaluate_plan,
    find_staffing,
    load_blocks,
    load_shares,
    scheduled_agents,
    staffed_document,
    write_staffed,
)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
# Erlang C (600/h, 4 min: 40 Erlangs) in four-hour intervals after a four-hour warm-up:
# long intervals keep the per-interval service level precise enough with few replications
ERLANG_C = {"interval": "4h", "warmup": "4h"}
RATE, AHT = 600 / 3600, 240.0

# A whole number of Erlangs per interval: 260 calls per 30 min at 270 s is 39 Erlangs
WHOLE_ERLANGS = """\
name: Whole Erlangs
days: 1
interval: 30m
open: 08:00
close: 09:00
service_level: {threshold: 20s, target: 0.8}
contact_types:
  calls:
    arrivals: {per_interval: [260, 260]}
    handle: {dist: exponential, mean: 270s}
agents:
  pool: {skills: [calls], staff: 45}
"""

# two flat days of four intervals, and a way back for the callers (COMEBACK: a repeat, a
# retrial or a complaint post): TestBlocks
COMEBACKS = """\
name: Comebacks
days: 2
interval: 30m
open: 08:00
close: 10:00
contact_types:
  calls:
    arrivals: {per_interval: [260, 260, 260, 260]}
    handle: {dist: exponential, mean: 270s}
    COMEBACK
  posts:
    arrivals: {per_interval: [0, 0, 0, 0]}
    handle: {dist: exponential, mean: 5m}
agents:
  pool: {skills: [calls, posts], staff: 45}
"""

# Clock times written the way people write them: unquoted (YAML 1.1 base 60 for 20:00)
DAY_8_TO_20 = """\
name: Eight to eight
days: 1
interval: 4h
open: 08:00
close: 20:00
contact_types:
  calls:
    arrivals: {rate: 60/h}
    handle: {dist: exponential, mean: 4m}
agents:
  pool: {skills: [calls], staff: 8}
"""


@pytest.fixture(scope="module")
def erlang_c():
    return sim.load_scenario(SCENARIOS / "erlang_c.yaml", overrides=ERLANG_C)


@pytest.fixture(scope="module")
def staffed_c(erlang_c):
    # the search alone (no hold-out): minimal for its own sample, as the tests below check
    return find_staffing(erlang_c, target=0.8, threshold=20.0, replications=8, holdout=0)


@pytest.fixture(scope="module")
def bank():
    return sim.load_scenario(SCENARIOS / "small_bank.yaml", overrides={"days": 1})


@pytest.fixture(scope="module")
def staffed_bank(bank):
    return find_staffing(bank, replications=3, max_abandon=0.08)


def test_printed_tables_show_kpis_every_scenario_models(staffed_bank, staffed_c):
    """The staffing tables show KPIs a scenario does not model only as sim.features allows.

    ``abandon_rate`` (it needs ``patience``) is shown for the bank, whose callers abandon,
    and left out with a line for Erlang C, where it is always 0; every other KPI shown
    needs no feature (a repeat rate would read as a result: the rule of ``ccsim run``).
    """
    from sim.kpis import BY_NAME

    for full in (False, True):  # per day and group (lowest_sl), every interval
        header = format_staffing(staffed_bank, full=full).splitlines()[3].split()
        assert "lowest_sl" in header or "service_level" in header, header
        shown = [k for k in header if k in BY_NAME]
        assert all(BY_NAME[k].needs is None for k in shown if k != "abandon_rate"), shown
    assert "abandon_rate" in format_staffing(staffed_bank, full=True).splitlines()[3].split()
    text = format_staffing(staffed_c, full=True)
    assert "abandon_rate" not in text.splitlines()[3].split()
    assert "Not in this scenario (always 0 or –): abandon_rate (no `patience`)." in text


class TestErlangStart:
    def test_single_queue_is_erlang_c(self, erlang_c):
        """A one-group, constant-load scenario starts at required_agents everywhere."""
        need = erlang_requirement(erlang_c, Goal(0.8, 20.0))
        assert need.shape == (1, 6)
        assert (need == erlang.required_agents(RATE, AHT, 0.8, 20.0)).all()
        assert need[0, 0] == 46

    def test_load_shared_by_first_line_groups(self, bank):
        """Cards go half to cards_team, half to generalists; billing's overflow gets none."""
        shares = load_shares(bank)
        assert shares == {"billing": {"billing_team": 1.0},
                          "cards": {"cards_team": 0.5, "generalists": 0.5}}

    def test_per_interval_load(self, bank):
        """Each interval's requirement follows that interval's expected contacts."""
        need = erlang_requirement(bank, Goal(0.8, 20.0))
        billing = bank.contact_types["billing"]
        first = billing.arrivals.per_interval[0] * 1.20 / bank.interval  # Monday factor
        assert need[0, 0] == erlang.required_agents(first, billing.handle.mean, 0.8, 20.0)

    @pytest.mark.parametrize("abandonment", [False, True])
    def test_a_types_own_threshold(self, abandonment):
        """A type with its own threshold is staffed for it, as the simulation judges it."""
        data = {"name": "two", "days": 1, "open": "08:00", "close": "10:00", "interval": "1h",
                "service_level": {"threshold": "20s", "target": 0.8},
                "contact_types": {
                    "calls": {"arrivals": {"rate": "100/h"},
                              "handle": {"dist": "exponential", "mean": "4m"},
                              "patience": {"dist": "exponential", "mean": "3m"}},
                    "posts": {"arrivals": {"rate": "60/h"}, "channel": "social",
                              "handle": {"dist": "exponential", "mean": "6m"},
                              "patience": {"dist": "exponential", "mean": "3h"},
                              "service_level": {"threshold": "10m"}}},
                "agents": {"phones": {"skills": ["calls"], "staff": 5},
                           "social": {"skills": ["posts"], "staff": 5}}}
        need = erlang_requirement(sim.scenario_from_dict(data), Goal(0.8, 30.0), abandonment)
        patience = {"calls": 180.0, "posts": 10800.0} if abandonment else {}
        for row, (name, rate, aht, threshold) in enumerate(
                [("calls", 100 / 3600, 240.0, 30.0), ("posts", 60 / 3600, 360.0, 600.0)]):
            expected = erlang.required_agents(rate, aht, 0.8, threshold,
                                              patience=patience.get(name))
            assert (need[row] == expected).all(), name

    @given(st.integers(0, 300), st.floats(0.0, 0.95))
    def test_scheduled_agents_is_the_fewest(self, on_phone, shrinkage):
        """The fewest on duty the simulator's rule puts exactly ``on_phone`` of on the phones."""
        count = scheduled_agents(on_phone, shrinkage)
        assert on_phones(count, shrinkage) == on_phone  # the plan, not one more
        assert count == 0 or on_phones(count - 1, shrinkage) < on_phone

    def test_gross_up_is_the_simulators_rounding(self):
        """23 on the phones at 10% shrinkage: 25 scheduled (22.5 rounds half up to 23)."""
        assert scheduled_agents(23, 0.1) == 25
        assert scheduled_agents(7, 0.25) == 9  # 6.75 -> 7; 10 (ceil 9.33) put 7.5 -> 8 on
        assert scheduled_agents(9, 0.1) == 10  # 9 x 0.9 = 8.1 rounds to 8: 10 x 0.9 = 9


class TestClosedForm:
    def test_within_one_agent_of_erlang_c(self, staffed_c):
        """On M/M/n the simulated requirement is Erlang C's 46, at most one more."""
        measured = staffed_c.table[staffed_c.table.measured]
        assert len(measured) == 5
        assert measured.simulated.between(46 - 1, 46 + 1).all(), measured.simulated.tolist()
        assert (measured.service_level >= 0.8).all()

    def test_verifying_simulation_meets_target(self, staffed_c):
        """Other random numbers, more replications: the target is met overall.

        And in every measured interval, within its 95% confidence half-width.
        """
        check = sim.run(staffed_c.scenario, seed=1234, replications=20)
        assert check.summary["service_level"] >= 0.8
        per = check.intervals_by_replication
        per = per[(per.contact_type == "all") & (per.start >= staffed_c.scenario.warmup)]
        for _, interval in per.groupby("start"):
            levels = interval.service_level.to_numpy()
            assert levels.mean() + sim.replicate.half_width(levels) >= 0.8

    def test_one_agent_fewer_misses_the_goal(self, erlang_c, staffed_c):
        """Minimal for its sample: one agent fewer in any measured block misses the goal.

        There (judged on the block's pooled intervals), or in the next interval, which
        inherits its queue. Here the constant load makes two blocks: the first measured
        interval (its queue comes from the warm-up) and the rest.
        """
        plan = np.array([staffed_c.table.simulated.to_numpy()])
        blocks = staffed_c.table.block.to_numpy()
        measured = staffed_c.table.measured.to_numpy()
        assert blocks[measured].tolist() == [1, 2, 2, 2, 2]
        goal = staffed_c.goal
        for block in np.unique(blocks[measured]):
            cells = blocks == block
            fewer = plan.copy()
            fewer[0, cells] -= 1
            ok = evaluate_plan(erlang_c, fewer, goal, staffed_c.replications, staffed_c.seed,
                               blocks=blocks).ok[0]
            after = np.flatnonzero(cells)[-1] + 1
            assert not ok[cells].all() or not ok[after:after + 1].all(), block

    def test_staffed_scenario_has_the_plan(self, staffed_c):
        """The staffed scenario staffs each interval with the table's agents."""
        staff = staffed_c.scenario.agents["pool"].staff
        assert staff == staffed_c.table.simulated.tolist()
        assert staffed_c.scenario.service_level.target == 0.8


class TestMultiSkill:
    def test_every_interval_meets_the_goal(self, staffed_bank, bank):
        """Simulated again on the search's replications, the plan meets the goal everywhere.

        Judged as the search judges it: each run of equal load on its pooled intervals.
        """
        table = staffed_bank.table
        plan = np.stack([table[table.group == g].simulated.to_numpy() for g in bank.agents])
        blocks = table[table.group == "billing_team"].block.to_numpy()
        again = evaluate_plan(bank, plan, staffed_bank.goal, staffed_bank.replications,
                              staffed_bank.seed, blocks=blocks)
        assert again.ok.all()
        assert staffed_bank.converged
        assert staffed_bank.holdout.held

    def test_erlang_c_is_corrected(self, staffed_bank):
        """Overflow and shared skills make Erlang C's separate queues overstaffed here."""
        assert staffed_bank.agent_hours() < staffed_bank.agent_hours("erlang_c")

    def test_shrinkage_grosses_up(self, staffed_bank):
        """Groups with 10% shrinkage schedule more agents than they need on the phones."""
        billing = staffed_bank.table[staffed_bank.table.group == "billing_team"]
        assert (billing.scheduled >= billing.simulated).all()
        assert (billing.scheduled > billing.simulated).any()
        # the simulator's rounding puts exactly the plan on the phones, one fewer not
        assert [on_phones(n, 0.1) for n in billing.scheduled] == billing.simulated.tolist()
        assert all(on_phones(n - 1, 0.1) < p for n, p in zip(billing.scheduled,
                                                             billing.simulated))

    def test_document_is_a_valid_scenario(self, staffed_bank, tmp_path):
        """The written file loads and simulates the same staffing (shifts replaced)."""
        path = tmp_path / "staffed.yaml"
        raw = scenario_document(SCENARIOS / "small_bank.yaml", {"days": 1})
        document = staffed_document(raw, staffed_bank)
        write_staffed(path, document, staffed_bank)
        loaded = sim.load_scenario(path)
        assert loaded == staffed_bank.scenario.model_copy(update={"name": loaded.name})
        assert all(g.shifts is None for g in loaded.agents.values())
        assert path.read_text().startswith("# Staffing found by `ccsim staff`")


class TestScenarioDocument:
    def test_clock_times_stay_clock_times(self, tmp_path):
        """The loader's reading: unquoted clock times are strings, units are kept."""
        path = tmp_path / "day.yaml"
        path.write_text(DAY_8_TO_20, encoding="utf-8")
        document = scenario_document(path, {"agents.pool.staff": "9"})
        assert (document["open"], document["close"]) == ("08:00", "20:00")
        assert document["contact_types"]["calls"]["handle"]["mean"] == "4m"
        assert document["agents"]["pool"]["staff"] == 9

    def test_bad_override_names_the_file_and_path(self, tmp_path):
        """An override that does not apply is a ScenarioError naming file and path."""
        path = tmp_path / "day.yaml"
        path.write_text(DAY_8_TO_20, encoding="utf-8")
        with pytest.raises(sim.ScenarioError, match=r"day\.yaml: agents\.x\.y\.z: cannot"):
            scenario_document(path, {"agents.x.y.z": 1})


class TestArguments:
    @pytest.mark.parametrize(("options", "match"), [
        ({"target": 1.0}, "'target' must be in"), ({"threshold": -1.0}, "'threshold'"),
        ({"max_abandon": 0.0}, "'max_abandon'"), ({"replications": 0}, "'replications'"),
        ({"confidence": 1.0}, "'confidence'"), ({"holdout": -1}, "'holdout'"),
        ({"holdout_share": 2.0}, "'holdout_share'"),
    ])
    def test_out_of_range(self, erlang_c, options, match):
        """Arguments out of range are refused before any simulation."""
        with pytest.raises(ValueError, match=match):
            find_staffing(erlang_c, **options)


class TestCommand:
    def test_staff_command(self, tmp_path):
        """`staff` prints Erlang C next to the simulated staffing and writes both files."""
        out = tmp_path / "staffed.yaml"
        result = CliRunner().invoke(main, [
            "staff", str(SCENARIOS / "erlang_c.yaml"), "--set", "interval=4h", "--set",
            "warmup=4h", "--target", "0.8", "--threshold", "20s", "-r", "4", "-w", "1",
            "--out", str(out), "-q"])
        assert result.exit_code == 0, result.output
        assert "erlang_c" in result.output and "simulated" in result.output
        assert "agent-hours on the phones: Erlang C 1,104.0" in result.output
        staffed = sim.load_scenario(out)
        assert len(staffed.agents["pool"].staff) == 6
        table = pd.read_csv(out.with_suffix(".csv"))
        assert table.erlang_c.tolist() == [46] * 6
        assert np.array_equal(table.simulated, staffed.agents["pool"].staff)

    def test_whole_erlang_load(self, tmp_path):
        """260 calls per 30 min at 270 s (39 Erlangs): staffed above 39, no ZeroDivisionError."""
        path = tmp_path / "whole.yaml"
        path.write_text(WHOLE_ERLANGS, encoding="utf-8")
        out = tmp_path / "staffed.yaml"
        result = CliRunner().invoke(main, ["staff", str(path), "-r", "1", "-w", "1", "-q",
                                           "--out", str(out)])
        assert result.exit_code == 0, result.output
        need = erlang.required_agents(260 / 1800, 270.0, 0.8, 20.0)
        assert need > 39
        assert pd.read_csv(out.with_suffix(".csv")).erlang_c.tolist() == [need, need]

    def test_out_keeps_the_clock(self, tmp_path):
        """Unquoted ``open: 08:00`` / ``close: 20:00`` are written back as 8h and 20h.

        Plain YAML 1.1 reads ``20:00`` as the base-60 number 1200; only the loader's reading
        (clock times stay clock times) may feed the staffed file.
        """
        path = tmp_path / "day.yaml"
        path.write_text(DAY_8_TO_20, encoding="utf-8")
        out = tmp_path / "staffed.yaml"
        result = CliRunner().invoke(main, ["staff", str(path), "-r", "1", "-w", "1", "-q",
                                           "--out", str(out)])
        assert result.exit_code == 0, result.output
        staffed = sim.load_scenario(out)
        assert (staffed.open, staffed.close) == (8 * 3600.0, 20 * 3600.0)
        assert len(staffed.agents["pool"].staff) == 3

    def test_days_from_one_summary_and_full(self, tmp_path):
        """Days count from 1 (as --day); the printed table is per day, --full per interval (#18).

        The CSV always has every interval.
        """
        path = tmp_path / "day.yaml"
        path.write_text(DAY_8_TO_20.replace("days: 1", "days: 2"), encoding="utf-8")
        out = tmp_path / "staffed.yaml"
        args = ["staff", str(path), "-r", "1", "--holdout", "1", "-w", "1", "-q"]
        summary = CliRunner().invoke(main, [*args, "--out", str(out)])
        assert summary.exit_code == 0, summary.output
        table = pd.read_csv(out.with_suffix(".csv"))
        assert table.day.tolist() == [1, 1, 1, 2, 2, 2]
        rows = summary.output.split("\n\n")[1].splitlines()
        assert rows[0].split()[:4] == ["day", "group", "peak", "lowest"]
        assert [row.split()[0] for row in rows[1:]] == ["1", "2"]
        assert "hold-out: the plan met the goal" in summary.output or "warning" in summary.output
        full = CliRunner().invoke(main, [*args, "--full"])
        assert full.exit_code == 0, full.output
        rows = full.output.split("\n\n")[1].splitlines()
        assert "holdout_sl" in rows[0] and len(rows) == 1 + 6
        assert [row.split()[:2] for row in rows[1:3]] == [["1", "08:00"], ["1", "12:00"]]

    @pytest.mark.parametrize("option", [["--confidence", "1.5"], ["--holdout", "-1"]])
    def test_bad_staff_options_exit_2(self, option):
        """--confidence outside (0, 1) and a negative --holdout are usage errors."""
        result = CliRunner().invoke(main, ["staff", str(SCENARIOS / "erlang_c.yaml"), *option])
        assert result.exit_code == 2 and option[0] in result.output

    def test_bad_target_exit_2(self):
        """A target outside (0, 1) is a usage error."""
        result = CliRunner().invoke(main, ["staff", str(SCENARIOS / "erlang_c.yaml"),
                                           "--target", "1.5"])
        assert result.exit_code == 2 and "--target" in result.output


# The example: 450 calls per half hour, 4-minute calls (60 Erlangs), 80/20, a flat
# load from opening to close, callers who hang up after 3 minutes on average (exponential).
# Erlang C: 67 agents, Erlang A: 62. (With patient callers the three criteria
# conflict: 67 agents everywhere, Erlang C itself, shows intervals below 0.78 on two of
# four seeds' 40 replications, and 68 everywhere costs more than Erlang C.)
FLAT_PEAK = """\
name: Flat peak
seed: 3
days: 1
open: "08:00"
close: "{close}"
interval: 30m
service_level: {{threshold: 20s, target: 0.80}}
contact_types:
  calls:
    arrivals: {{rate: 900/h}}
    handle: {{dist: exponential, mean: 4m}}
    patience: {{dist: exponential, mean: 3m}}
agents:
  pool: {{skills: [calls], staff: 67}}
"""



def flat_peak(close: str = "13:00", seed: int = 3) -> sim.Scenario:
    """The flat peak from 08:00 to ``close`` (10 half hours by default)."""
    return sim.scenario_from_yaml(FLAT_PEAK.format(close=close).replace("seed: 3",
                                                                        f"seed: {seed}"))


def acceptance(scenario: sim.Scenario, result, seed: int, replications: int = 40):
    """The issue's check: the plan on ``replications`` replications of an unseen seed.

    Returns the per-interval service levels (measured intervals) of the plan simulated
    with exactly its agents on the phones.
    """
    table = result.table
    plan = np.stack([table[table.group == g].simulated.to_numpy() for g in scenario.agents])
    check = evaluate_plan(scenario, plan, result.goal, replications, seed)
    return check.service_level[:, table[table.group == table.group.iloc[0]].measured]


@pytest.fixture(scope="module")
def flat():
    return flat_peak()


@pytest.fixture(scope="module")
def staffed_flat(flat):
    return find_staffing(flat, replications=10)


class TestBlocks:
    def test_runs_of_equal_load(self):
        """Equal expected contacts make a block; a stretch's first interval stands alone."""
        scenario = sim.scenario_from_yaml(WHOLE_ERLANGS.replace(
            "close: 09:00", "close: 12:00").replace(
            "[260, 260]", "[100, 100, 200, 200, 200, 150, 150, 150]"))
        assert load_blocks(scenario).tolist() == [0, 1, 2, 3, 3, 4, 5, 5]

    def test_warm_up_and_days_split_blocks(self):
        """A block never spans the end of the warm-up nor a night."""
        scenario = sim.scenario_from_yaml(WHOLE_ERLANGS.replace(
            "days: 1", "days: 2\nwarmup: 8.5h").replace("close: 09:00", "close: 09:30").replace(
            "[260, 260]", "[260, 260, 260]"))
        assert load_blocks(scenario).tolist() == [0, 1, 2, 3, 4, 4]

    @pytest.mark.parametrize("comeback", [
        "resolution: 0.5\n    repeat: {delay: {dist: exponential, mean: 1d}}",
        "patience: {dist: exponential, mean: 1m}\n"
        "    retrial: {probability: 0.5, delay: {dist: exponential, mean: 1d}}",
        "complaint: {to: posts, probability: 0.5, delay: {dist: exponential, mean: 1d}}"])
    def test_opening_burst_stands_alone(self, comeback):
        """Where contacts come back, the day's second interval is a block of its own.

        Comebacks due overnight all come in the opening interval; the next inherits that
        burst's queue. The rest of a flat day stays one block; without comebacks the
        second interval joins it (test_runs_of_equal_load).
        """
        scenario = sim.scenario_from_yaml(COMEBACKS.replace("COMEBACK", comeback))
        assert load_blocks(scenario).tolist() == [0, 1, 2, 2, 3, 4, 5, 5]


class TestHoldOut:
    def test_flat_peak_is_flat(self, staffed_flat):
        """No jitter inside a flat load: one count after the opening interval (#13).

        The opening interval starts empty and may need fewer, never more.
        """
        counts = staffed_flat.table.simulated.to_numpy()
        assert len(set(counts[1:])) == 1
        assert counts[0] <= counts[1]

    def test_acceptance(self, flat, staffed_flat):
        """The issue's acceptance, on 40 replications of a seed the search never saw.

        No interval below target - 0.02, at most 10% of them below target, and no more
        agent-hours than Erlang C.
        """
        levels = acceptance(flat, staffed_flat, seed=2026)
        assert (levels >= 0.78).all(), levels
        assert (levels < 0.80).mean() <= 0.10, levels
        assert staffed_flat.agent_hours() <= staffed_flat.agent_hours("erlang_c")

    def test_holdout_replications_are_new(self, staffed_flat):
        """The hold-out simulates replications numbered after the search's, and they held."""
        check = staffed_flat.holdout
        assert check.held and check.replications == 10
        assert check.first_replication == staffed_flat.replications
        numbers = check.evaluation.replications.replication.tolist()
        assert numbers == list(range(10, 10 + 10 * check.rounds))
        assert staffed_flat.table.holdout_service_level.notna().all()
        assert (staffed_flat.table.holdout_ci > 0).all()

    def test_overfitted_search_is_repaired(self, flat):
        """A search fitted to 2 replications, per interval, misses on new ones and is repaired.

        After the repair the plan meets the goal on the last hold-out round, per interval.
        """
        result = find_staffing(flat, replications=2, holdout=10, smooth=False)
        check = result.holdout
        assert check.rounds >= 2 and check.held
        assert (check.evaluation.service_level >= 0.8).all()
        assert (result.table.holdout_service_level >= 0.8).all()

    def test_confidence(self, flat, staffed_flat):
        """--confidence 0.9: in 90% of the hold-out's replications each block meets 80/20.

        Checked on 40 replications of an unseen seed: the share of (replication, interval)
        pairs meeting the target is at least 0.9 less three binomial standard errors, the
        count of independent trials taken as the 40 replications alone (intervals of one
        replication are correlated; this is the conservative end).
        """
        result = find_staffing(flat, replications=10, confidence=0.9)
        assert result.holdout.held
        shares = result.table.groupby("block").holdout_met_share.mean()  # equal counts
        assert (shares >= 0.9 - 1e-12).all(), shares
        assert result.agent_hours() > staffed_flat.agent_hours()
        plan = np.array([result.table.simulated.to_numpy()])
        check = evaluate_plan(flat, plan, result.goal, 40, 2026)
        assert (check.met_share.mean() >= 0.9 - 3 * (0.9 * 0.1 / 40) ** 0.5)


def own_goals(**vip_goal) -> sim.Scenario:
    """Calls at the scenario's 80% in 20 s and VIPs (``vip_goal``: their own), a desk each.

    Two hours in half-hours, each interval its own block (the first of a stretch).
    """
    def calls(counts):
        return {"arrivals": {"per_interval": counts},
                "handle": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "3m"}}

    vip = calls([30, 40, 40, 30])
    if vip_goal:
        vip["service_level"] = {"threshold": "20s", **vip_goal}
    return sim.scenario_from_dict({
        "name": "own goals", "seed": 5, "days": 1, "open": "08:00", "close": "10:00",
        "interval": "30m", "service_level": {"threshold": "20s", "target": 0.8},
        "contact_types": {"calls": calls([40, 60, 60, 40]), "vip": vip},
        "agents": {"phones": {"skills": ["calls"], "staff": 10},
                   "vip_desk": {"skills": ["vip"], "staff": 10}}})


@pytest.fixture(scope="module")
def staffed_vip():
    return find_staffing(own_goals(target=0.95), replications=4, holdout=4)


class TestTypeTargets:
    def test_own_higher_target_is_met(self, staffed_vip):
        """VIPs at their own 95%: met in every interval on the search replications.

        The hold-out judges them against 95% too: a plan that held there has no interval
        below its type's own target (a tenth of the 8 interval x type cells is under one).
        """
        table = staffed_vip.table
        vip = table[table.group == "vip_desk"]
        assert (vip.service_level >= 0.95 - 1e-12).all(), vip.service_level.tolist()
        assert staffed_vip.holdout.held
        assert (vip.holdout_service_level >= 0.95 - 1e-12).all(), vip.holdout_service_level
        calls = table[table.group == "phones"]
        assert (calls.holdout_service_level >= 0.8 - 1e-12).all()
        assert (vip.target == 0.95).all() and (vip.holdout_target == 0.95).all()
        assert (calls.target == 0.8).all() and (calls.holdout_target == 0.8).all()

    def test_printed_goal_names_the_types_own(self, staffed_vip):
        """The summary's first line gives the VIPs' own goal beside the common one."""
        first = format_staffing(staffed_vip).splitlines()[0]
        assert first.endswith("for service level >= 0.8 within 20s (vip >= 0.95 within 20s)")
        header = format_staffing(staffed_vip, full=True).splitlines()[3].split()
        assert "target" in header and "holdout_target" in header  # of each row's type

    def test_own_lower_target_takes_fewer_agents(self):
        """VIPs at their own 50% get fewer agents than at the scenario's 80%, and need them.

        The plan meets 50% in every interval, and falls below 80% in some: it was staffed
        for the type's target, not the scenario's.
        """
        low = find_staffing(own_goals(target=0.5), replications=3, holdout=0)
        common = find_staffing(own_goals(), replications=3, holdout=0)
        low_vip, common_vip = (r.table[r.table.group == "vip_desk"] for r in (low, common))
        assert low_vip.simulated.sum() < common_vip.simulated.sum()
        assert (low_vip.service_level >= 0.5 - 1e-12).all()
        assert (low_vip.service_level < 0.8).any()

    @pytest.mark.parametrize("abandonment", [False, True])
    def test_erlang_start_uses_each_types_own_target(self, abandonment):
        """Each group starts with the most agents any of its types' own goals needs.

        The goal (90% in 30 s) replaces the scenario's, not a type's own, as for
        thresholds: calls take it, VIPs keep 95% in 20 s and letters 50% in 20 s; chats,
        stating only a threshold (20 s), take the goal's target. The front desk takes calls
        and e-mails (95% in 4 h) in one queue: the calls' goal binds, not 95% in 20 s (one
        type's target with another's threshold).
        """
        def kind(rate, mean, **goal):
            own = {"service_level": goal} if goal else {}
            return {"arrivals": {"rate": f"{rate}/h"}, **own,
                    "handle": {"dist": "exponential", "mean": f"{mean}s"},
                    "patience": {"dist": "exponential", "mean": "3m"}}

        scenario = sim.scenario_from_dict({
            "name": "own goals", "days": 1, "open": "08:00", "close": "10:00",
            "interval": "1h", "service_level": {"threshold": "20s", "target": 0.8},
            "contact_types": {"calls": kind(100, 240),
                              "email": kind(30, 360, threshold="4h", target=0.95),
                              "vip": kind(60, 300, threshold="20s", target=0.95),
                              "letters": kind(40, 240, threshold="20s", target=0.5),
                              "chats": kind(50, 240, threshold="20s")},
            "agents": {"front": {"skills": ["calls", "email"], "staff": 5},
                       "vip_desk": {"skills": ["vip"], "staff": 5},
                       "back": {"skills": ["letters"], "staff": 5},
                       "chat_desk": {"skills": ["chats"], "staff": 5}}})
        need = erlang_requirement(scenario, Goal(0.9, 30.0), abandonment)
        patience = 180.0 if abandonment else None

        def required(rate, aht, target, threshold):
            return erlang.required_agents(rate / 3600, aht, target, threshold,
                                          patience=patience)

        front = (130, (100 * 240 + 30 * 360) / 130)
        assert (need[0] == max(required(*front, 0.9, 30.0),
                               required(*front, 0.95, 4 * 3600.0))).all()
        assert (need[0] < required(*front, 0.95, 20.0)).all()
        assert (need[1] == required(60, 300.0, 0.95, 20.0)).all()
        assert (need[2] == required(40, 240.0, 0.5, 20.0)).all()
        assert (need[3] == required(50, 240.0, 0.9, 20.0)).all()

    def test_own_target_out_of_range_is_refused(self):
        """A type's own target of 1 cannot be staffed for: refused, naming its path."""
        with pytest.raises(ValueError, match=r"contact_types\.vip\.service_level\.target: "
                                             r"must be in \(0, 1\)"):
            find_staffing(own_goals(target=1.0), replications=1)


class TestStatistics:
    def test_ratio_half_width_is_students_t_for_equal_denominators(self):
        """With the same offered count in every replication the ratio CI is the plain t CI."""
        rng = np.random.default_rng(1)
        offered = np.full((12, 1, 3), 50.0)
        in_time = rng.binomial(50, 0.8, size=offered.shape).astype(float)
        widths = _ratio_half_width(in_time, offered)
        for i in range(3):
            plain = sim.replicate.half_width(in_time[:, 0, i] / 50.0)
            assert widths[0, i] == pytest.approx(plain, rel=1e-12)

    def test_erlang_a_requirement(self):
        """Erlang A per interval with the contact type's exponential patience, below Erlang C."""
        scenario = sim.load_scenario(SCENARIOS / "erlang_a.yaml")
        goal = Goal(0.8, 20.0)
        need_a = erlang_requirement(scenario, goal, abandonment=True)
        calls = scenario.contact_types["calls"]
        expected = erlang.required_agents(calls.arrivals.rate, calls.handle.mean, 0.8, 20.0,
                                          patience=calls.patience.mean)
        assert (need_a == expected).all()
        assert (need_a <= erlang_requirement(scenario, goal)).all()


@pytest.mark.skipif(not os.environ.get("CCSIM_THOROUGH"),
                    reason="thorough: set CCSIM_THOROUGH=1 (several minutes)")
class TestAcceptanceThorough:
    @pytest.mark.parametrize("seed", [3, 4, 5])
    def test_acceptance_full_day(self, seed):
        """The issue's acceptance on 20 half hours, three search seeds, two unseen seeds each."""
        scenario = flat_peak("18:00", seed)
        result = find_staffing(scenario, replications=10)
        assert result.agent_hours() <= result.agent_hours("erlang_c")
        for check_seed in (1000 + seed, 2000 + seed):
            levels = acceptance(scenario, result, check_seed)
            assert (levels >= 0.78).all(), (check_seed, levels)
            assert (levels < 0.80).mean() <= 0.10, (check_seed, levels)
