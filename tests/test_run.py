"""Runs: determinism, common random numbers, overrides, replications and the CLI."""

import json
import os
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import assert_same_table

import sim
from sim import erlang
from sim.cli import main
from sim.cli_common import sigterm_as_interrupt
from sim.engine import draw_contacts
from sim.loader import apply_override, parse_override

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def bank():
    return sim.load_scenario(SCENARIOS / "small_bank.yaml", overrides={"days": 2})


class TestDeterminism:
    def test_same_seed_same_contacts(self, bank):
        """Same scenario and seed give identical contact tables."""
        a = sim.run(bank, seed=3, replications=2).contacts
        b = sim.run(bank, seed=3, replications=2).contacts
        assert_same_table(a, b)

    def test_other_seed_other_contacts(self, bank):
        """A different seed gives a different day."""
        a = sim.run(bank, seed=3).contacts
        b = sim.run(bank, seed=4).contacts
        assert len(a) != len(b) or not np.array_equal(a["arrival"], b["arrival"])

    def test_replication_independent_of_count(self, bank):
        """Replication 1 is the same whether 2 or 3 replications run."""
        two = sim.run(bank, seed=5, replications=2).contacts
        three = sim.run(bank, seed=5, replications=3).contacts
        assert_same_table(two[two.replication == 1].reset_index(drop=True),
                          three[three.replication == 1].reset_index(drop=True))


class TestCommonRandomNumbers:
    def test_staff_change_keeps_arrivals_and_handle_times(self, bank):
        """More agents change waits, not who arrives when nor how long they need."""
        more = bank.model_copy(deep=True)
        more = sim.load_scenario(SCENARIOS / "small_bank.yaml",
                                 overrides={"days": 2, "agents.generalists.shifts.0.count": 12})
        a, b = draw_contacts(bank, 9, 0), draw_contacts(more, 9, 0)
        for column in ("arrival", "contact_type", "handle", "patience"):
            assert np.array_equal(getattr(a, column), getattr(b, column))
        ra, rb = sim.run(bank, seed=9), sim.run(more, seed=9)
        assert np.array_equal(ra.contacts["arrival"], rb.contacts["arrival"])
        assert rb.summary["asa"] < ra.summary["asa"]

    def test_new_contact_type_leaves_others_alone(self, bank):
        """Adding a contact type does not change the other types' arrivals."""
        data = {"name": "x", "days": 1, "interval": "1h",
                "contact_types": {"a": {"arrivals": {"rate": "60/h"},
                                        "handle": {"dist": "exponential", "mean": 60}}},
                "agents": {"g": {"skills": ["a"], "staff": 2}}}
        one = sim.scenario_from_dict(data)
        data["contact_types"]["b"] = {"arrivals": {"rate": "30/h"},
                                      "handle": {"dist": "exponential", "mean": 60}}
        data["agents"]["g"]["skills"] = ["a", "b"]
        two = sim.scenario_from_dict(data)
        d1, d2 = draw_contacts(one, 1, 0), draw_contacts(two, 1, 0)
        assert np.array_equal(d1.arrival, d2.arrival[d2.contact_type == 0])


class TestOverrides:
    def test_parse(self):
        """path=value splits once and reads the value as YAML."""
        assert parse_override("agents.pool.staff=44") == ("agents.pool.staff", 44)
        assert parse_override("x.mean=5m") == ("x.mean", "5m")
        assert parse_override("x.list=[1, 2]") == ("x.list", [1, 2])
        with pytest.raises(ValueError, match="path=value"):
            parse_override("no-equals")

    def test_apply(self):
        """Overrides set nested values, list items and new leaves without touching the rest."""
        data = {"agents": {"a": {"staff": [1, 2, 3]}}, "contact_types": {"c": {}}}
        apply_override(data, "agents.a.staff.1", "7")
        apply_override(data, "contact_types.c.patience.mean", "3m")
        assert data == {"agents": {"a": {"staff": [1, 7, 3]}},
                        "contact_types": {"c": {"patience": {"mean": "3m"}}}}
        with pytest.raises(ValueError, match="no item 5"):
            apply_override(data, "agents.a.staff.5", 1)
        with pytest.raises(ValueError, match="not in the scenario"):
            apply_override(data, "nothing.here.at.all", 1)

    def test_error_paths_paste_into_set(self):
        """An error prints a list item as ``staff[1]``; ``--set`` takes that form too."""
        from sim.loader import load_scenario

        path = Path(__file__).resolve().parents[1] / "scenarios" / "small_bank.yaml"
        with pytest.raises(sim.ScenarioError) as caught:
            load_scenario(path, overrides={"agents.billing_team.staff.1": -3})
        printed = caught.value.lines()[0].split(": ")[1]
        assert printed == "agents.billing_team.staff[1]"
        dotted = load_scenario(path, overrides={"agents.billing_team.staff.1": 9})
        pasted = load_scenario(path, overrides={"agents.billing_team.staff[1]": 9})
        assert pasted == dotted and pasted.agents["billing_team"].staff[1] == 9

    def test_unknown_name_suggests(self):
        """A misspelt group name in an override gets a 'did you mean', like a misspelt field."""
        data = {"agents": {"generalists": {"shifts": [{"count": 2}]}}}
        with pytest.raises(ValueError, match=r"no agent group 'generalist' "
                                             r"\(did you mean 'generalists'\?\)"):
            apply_override(data, "agents.generalist.shifts.0.count", 3)

    def test_a_missing_section_says_how_to_set_it_whole(self):
        """A section the scenario lacks (costs): the error says how to give it whole.

        It cannot be reached field by field; given at once as a YAML mapping, it works.
        """
        path = SCENARIOS / "erlang_a.yaml"
        with pytest.raises(sim.ScenarioError, match=r"'costs' is not in the scenario: set "
                                                    r"the section whole, as --set "
                                                    r"'costs=\{\.\.\.\}'"):
            sim.load_scenario(path, overrides={"costs.agents.pool.hourly": 30})
        whole = sim.load_scenario(path, overrides={
            "costs": "{agents: {pool: {hourly: 30}}, per_abandon: 5}"})
        assert whole.costs.agents["pool"].hourly == 30 and whole.costs.per_abandon == 5

    def test_a_missing_section_of_a_loaded_scenario_says_the_same(self):
        """The same words for a loaded scenario (a sweep's point, a variant).

        Its dump holds the section as None: it said "'costs' is not in the scenario (did
        you mean 'costs'?)" (``ccsim sweep --grid costs.agents.pool.hourly=20,30``).
        """
        scenario = sim.load_scenario(SCENARIOS / "erlang_a.yaml")
        with pytest.raises(sim.ScenarioError, match=r"'costs' is not in the scenario: set "
                                                    r"the section whole, as --set "
                                                    r"'costs=\{\.\.\.\}'"):
            sim.with_overrides(scenario, {"costs.agents.pool.hourly": 30})

    def test_a_missing_section_named_by_the_grid_says_grid(self, tmp_path):
        """``ccsim sweep --grid`` into a section the scenario lacks: the hint says --grid.

        It said "as --set 'costs={...}'", an option the user had not written.
        """
        done = CliRunner().invoke(main, ["sweep", str(SCENARIOS / "erlang_a.yaml"), "--grid",
                                         "costs.agents.pool.hourly=20,30", "-q",
                                         "--out", str(tmp_path / "sw")])
        assert done.exit_code == 2, done.output
        (line,) = done.stderr.splitlines()
        assert line.endswith(": costs.agents.pool.hourly: cannot override: 'costs' is not in "
                             "the scenario: set the section whole, as --grid 'costs={...}'"), line

    def test_override_changes_the_run(self):
        """An override is applied before validation and shows in the scenario."""
        sc = sim.load_scenario(SCENARIOS / "erlang_c.yaml", overrides={"agents.pool.staff": "44"})
        assert sc.agents["pool"].staff == 44

    def test_caller_dict_untouched(self):
        """Loading from a dict with overrides does not mutate the caller's dict."""
        exp = {"dist": "exponential", "mean": 60}
        data = {"name": "x", "contact_types": {"a": {"arrivals": {"rate": 0.01}, "handle": exp}},
                "agents": {"g": {"skills": ["a"], "staff": 2}}}
        sim.scenario_from_dict(data, overrides={"agents.g.staff": 5})
        assert data["agents"]["g"]["staff"] == 2


class TestResult:
    def test_shape(self, bank):
        """A run returns contacts, intervals, summary, ci and one row per replication."""
        result = sim.run(bank, seed=1, replications=3)
        assert set(result.contacts["replication"]) == {0, 1, 2}
        assert len(result.replications) == 3
        assert set(result.summary) == set(result.ci)
        assert result.ci["asa"] > 0
        ipd = bank.intervals_per_day
        assert len(result.intervals) == bank.days * ipd * (len(bank.contact_types) + 1)
        assert set(result.by_type) == {"billing", "cards"}
        assert set(result.by_group) == {"billing_team", "cards_team", "generalists"}

    def test_conservation(self, bank):
        """Every contact is answered, abandoned or blocked, once; interval sums match totals."""
        result = sim.run(bank, seed=2)
        c = result.contacts
        flags = c[["answered", "abandoned", "blocked"]].sum(axis=1)
        assert (flags == 1).all()
        per_type = result.intervals[result.intervals.contact_type != "all"]
        assert per_type["offered"].sum() == result.summary["offered"]
        assert per_type["answered"].sum() == result.summary["answered"]

    def test_interval_staff_matches_schedule(self):
        """Interval staff is the scheduled agents (here constant) while open and measured.

        Intervals inside the warm-up are not measured: no contacts, no staff figure.
        """
        sc = sim.load_scenario(SCENARIOS / "erlang_c.yaml")
        result = sim.run(sc, seed=1)
        rows = result.intervals[result.intervals.contact_type == "all"]
        measured = rows["start"] >= sc.warmup
        assert np.allclose(rows.loc[measured, "staff"], 42)
        assert rows.loc[~measured, "staff"].isna().all()
        assert (rows.loc[~measured, "offered"] == 0).all()

    def test_interval_ends_at_its_end(self):
        """A day's last interval does not take in the night's work after closing."""
        sc = sim.scenario_from_dict({
            "name": "two busy mornings", "days": 2, "open": "08:00", "close": "10:00",
            "interval": "1h",
            "contact_types": {"calls": {"arrivals": {"rate": "80/h"},
                                        "handle": {"dist": "exponential", "mean": "4m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 5}}})
        result = sim.run(sc, seed=1)
        rows = result.intervals[result.intervals.contact_type == "all"]
        assert rows["staff"].tolist() == [5.0] * 4
        assert (rows["occupancy"] <= 1.0).all()


class TestIntervalPooling:
    """Per interval, ratios are shares of all callers over replications (as an ACD computes)."""

    @pytest.fixture(scope="class")
    @classmethod
    def pooled(cls, bank):
        result = sim.run(bank, seed=6, replications=4)
        c = result.contacts
        starts = result.intervals.loc[result.intervals.contact_type == "all", "start"]
        edges = np.append(starts.to_numpy(), starts.iloc[-1] + bank.interval)
        slot = np.searchsorted(edges, c["arrival"].to_numpy(), side="right") - 1
        offered = ~c["blocked"] & ~c["self_served"]
        answered = c["answered"].to_numpy(bool)
        within = answered & (c["wait"].to_numpy() <= bank.service_level.threshold)
        frame = pd.DataFrame({"slot": slot, "offered": offered, "answered": answered,
                              "within": within, "abandoned": c["abandoned"],
                              "answered_wait": np.where(answered, c["wait"], 0.0)})
        sums = frame.groupby("slot").sum().reindex(range(len(starts)), fill_value=0)
        rows = result.intervals[result.intervals.contact_type == "all"].reset_index(drop=True)
        return result, sums, rows

    def test_service_level_is_the_pooled_share(self, pooled):
        """Answered in time / offered, both summed over replications, in every interval."""
        _, sums, rows = pooled
        want = sums["within"] / sums["offered"]
        np.testing.assert_allclose(rows["service_level"], want, rtol=1e-12)

    def test_abandon_rate_and_asa_are_pooled(self, pooled):
        """Abandoned / offered and the mean wait of every answered caller, over replications."""
        _, sums, rows = pooled
        np.testing.assert_allclose(rows["abandon_rate"], sums["abandoned"] / sums["offered"],
                                   rtol=1e-12)
        np.testing.assert_allclose(rows["asa"], sums["answered_wait"] / sums["answered"],
                                   rtol=1e-12)

    def test_counts_are_means_per_replication(self, pooled):
        """Offered and answered stay means per replication."""
        _, sums, rows = pooled
        np.testing.assert_allclose(rows["offered"], sums["offered"] / 4, rtol=1e-12)
        np.testing.assert_allclose(rows["answered"], sums["answered"] / 4, rtol=1e-12)

    def test_occupancy_is_pooled_agent_time(self, pooled):
        """Busy over available agent time, each summed over replications."""
        result, _, rows = pooled
        by = result.intervals_by_replication
        by = by[by.contact_type == "all"].groupby("start", sort=True)
        want = (by["busy_s"].sum() / by["available_s"].sum()).to_numpy()
        np.testing.assert_allclose(rows["occupancy"], want, rtol=1e-12)
        # and the per-replication agent time is that of the staffing log
        log = result.staff[result.staff.replication == 0].sort_values("time", kind="stable")
        first = result.intervals_by_replication
        first = first[(first.replication == 0) & (first.contact_type == "all")]
        start, stop = float(first["start"].iloc[3]), float(first["start"].iloc[4])
        available = 0.0
        for _, part in log.groupby("group", observed=True):
            times = np.append(part["time"].to_numpy(), np.inf)
            for t0, t1, n in zip(times[:-1], times[1:], part["slots"].to_numpy()):
                available += n * max(0.0, min(t1, stop) - max(t0, start))
        assert first["available_s"].iloc[3] == pytest.approx(available, rel=1e-12)


class TestKpiTable:
    def test_columns_align_and_shares_are_percent(self, bank):
        """The run table: names, values and the ± column each start at one position."""
        from sim.cli import format_summary
        from sim.features import left_out

        result = sim.run(bank, seed=2, replications=2)
        table, note = format_summary(result).split("\n\n")
        table, note = table.splitlines()[2:], " ".join(note.split())
        # small_bank has costs: the money KPIs are rows too, aligned with the rest (no
        # revenue: revenue and profit are left out; nor busy signals, callbacks and the
        # other KPIs of features small_bank does not model: the note under it says which)
        assert bank.costs is not None and not bank.costs.revenue
        every = sim.metrics.KPIS + sim.metrics.COST_KPIS
        left = left_out(every, [bank], [result.summary])
        assert len(table) == len(every) - 2 - len(left)
        assert note.startswith("Not in this scenario") and "blocked_cost (no `lines`)" in note
        assert len({line.index("±") for line in table if "±" in line}) == 1
        value_ends = {len(line.split("±")[0].rstrip()) for line in table}
        assert len(value_ends) == 1
        rows = {line.split()[0]: line for line in table}
        assert "%" in rows["service_level"] and "%" in rows["fcr"]
        assert " s " in rows["asa"]


class TestCallbackKpis:
    """Callback contacts are reported apart: their share, their wait, the live queue."""

    @pytest.fixture(scope="class")
    @classmethod
    def surge(cls):
        sc = sim.load_scenario(SCENARIOS / "storm_surge.yaml", overrides={
            "contact_types.claims.callback": {"threshold": "2m", "accept": 0.6}})
        return sim.run(sc, seed=3, replications=2)

    def test_interval_callback_rate_is_the_pooled_share(self, surge):
        """Per interval: callbacks taken / offered, both summed over replications."""
        c, rows = surge.contacts, surge.intervals[surge.intervals.contact_type == "all"]
        edges = np.append(rows["start"].to_numpy(), rows["start"].iloc[-1] + 1800)
        slot = np.searchsorted(edges, c["arrival"].to_numpy(), side="right") - 1
        offered = (~c["blocked"] & ~c["self_served"]).to_numpy()
        took = c["callback"].to_numpy(bool) & offered
        n = len(rows)
        want = np.bincount(slot[took], minlength=n) / np.bincount(slot[offered], minlength=n)
        got = rows["callback_rate"].to_numpy()
        assert np.nanmax(got) > 0.1  # the surge does send callers to callbacks
        np.testing.assert_allclose(got, want, rtol=1e-12, equal_nan=True)

    def test_live_and_callback_kpis_split_the_contacts(self, surge):
        """Live SL and ASA count callers who stayed on the line; callback_wait the callbacks.

        The all-contacts KPIs count all of them (replication 0).
        """
        c = surge.contacts[surge.contacts.replication == 0]
        kpis = surge.replications.iloc[0]
        offered = (~c["blocked"] & ~c["self_served"]).to_numpy()
        took = c["callback"].to_numpy(bool) & offered
        live = offered & ~took
        answered, wait = c["answered"].to_numpy(bool), c["wait"].to_numpy()
        within = answered & (wait <= surge.scenario.service_level.threshold)
        assert kpis["callback_rate"] == pytest.approx(took.sum() / offered.sum())
        assert kpis["callback_wait"] == pytest.approx(wait[took & answered].mean())
        assert kpis["live_asa"] == pytest.approx(wait[live & answered].mean())
        assert kpis["live_service_level"] == pytest.approx(within[live].sum() / live.sum())
        assert kpis["service_level"] == pytest.approx(within[offered].sum() / offered.sum())
        assert kpis["live_service_level"] > kpis["service_level"]


class TestCli:
    def test_run_writes_outputs(self, tmp_path):
        """`ccsim run` prints a KPI table and writes the four output files."""
        out = tmp_path / "bank"
        res = CliRunner().invoke(main, ["run", str(SCENARIOS / "small_bank.yaml"), "--out",
                                        str(out), "-r", "2", "--set", "days=1", "--seed", "4",
                                        "--no-report"])
        assert res.exit_code == 0, res.output
        assert "service_level" in res.stdout and "±" in res.stdout
        assert {"summary.json", "contacts.parquet", "intervals.csv",
                "replications.csv"} <= {p.name for p in out.iterdir()}
        summary = json.loads((out / "summary.json").read_text())
        assert summary["seed"] == 4 and summary["replications"] == 2
        assert set(summary) == {"scenario", "seed", "replications", "kpis", "ci", "by_type",
                                "by_group"}
        contacts = pd.read_parquet(out / "contacts.parquet")
        assert len(contacts) == summary["kpis"]["offered"] * 2 or len(contacts) > 0
        intervals = pd.read_csv(out / "intervals.csv")
        assert {"offered", "answered", "abandoned", "service_level", "asa", "staff",
                "occupancy"} <= set(intervals.columns)

    def test_same_seed_identical_parquet(self, tmp_path):
        """Two runs with the same seed write identical contact tables."""
        paths = []
        for name in ("a", "b"):
            out = tmp_path / name
            CliRunner().invoke(main, ["run", str(SCENARIOS / "erlang_a.yaml"), "-o", str(out),
                                      "-q", "--no-report"])
            paths.append(out / "contacts.parquet")
        assert_same_table(pd.read_parquet(paths[0]), pd.read_parquet(paths[1]))

    def test_validate_ok(self):
        """Every bundled scenario is valid."""
        files = sorted(str(p) for p in SCENARIOS.glob("*.yaml"))
        res = CliRunner().invoke(main, ["validate", *files])
        assert res.exit_code == 0, res.output
        assert res.stdout.count(": ok") == len(files)

    def test_erlang_c(self):
        """`ccsim erlang` prints Erlang C figures matching sim.erlang."""
        res = CliRunner().invoke(main, ["erlang", "--rate", "600/h", "--aht", "4m",
                                        "--agents", "42"])
        assert res.exit_code == 0, res.output
        m = erlang.erlang_c_metrics(600 / 3600, 240, 42, 20)
        assert f"{m.p_wait:.4f}" in res.stdout and f"{m.asa:.1f} s" in res.stdout

    def test_erlang_a_target(self):
        """With --patience and --target it prints Erlang A and the fewest agents."""
        res = CliRunner().invoke(main, ["erlang", "--rate", "600/h", "--aht", "4m",
                                        "--patience", "3m", "--target", "0.8"])
        assert res.exit_code == 0, res.output
        need = erlang.required_agents(600 / 3600, 240, 0.8, 20, patience=180)
        assert res.stdout.strip().endswith(f": {need}")

    @pytest.mark.parametrize("command", [["erlang", "--rate", "600/h", "--aht", "4m"],
                                         ["staff", "scenarios/erlang_c.yaml"]])
    def test_target_as_percent_suggests_fraction(self, command):
        """--target 80 is refused in one line that says to write 0.8."""
        res = CliRunner().invoke(main, [*command, "--target", "80"])
        assert res.exit_code == 2
        assert "'--target'" in res.stderr and "did you mean 0.8?" in res.stderr, res.stderr
        assert "Traceback" not in res.output

    def test_erlang_whole_load(self):
        """520/h at 270 s is 39 Erlangs (38.999... in floating point): 39 agents are too few."""
        res = CliRunner().invoke(main, ["erlang", "--rate", "520/h", "--aht", "270",
                                        "--agents", "39"])
        assert res.exit_code == 2
        assert "offered load 39.0 Erlangs needs more than 39 agents" in res.stderr
        assert "Traceback" not in res.output
        res = CliRunner().invoke(main, ["erlang", "--rate", "520/h", "--aht", "270",
                                        "--target", "0.8"])
        assert res.exit_code == 0, res.output
        need = erlang.required_agents(520 / 3600, 270, 0.8, 20)
        assert need > 39 and res.stdout.strip().endswith(f": {need}")

    def test_erlang_unstable(self):
        """Erlang C with too few agents is an error, exit 2."""
        res = CliRunner().invoke(main, ["erlang", "--rate", "600/h", "--aht", "4m",
                                        "--agents", "40"])
        assert res.exit_code == 2

    def test_erlang_bad_unit(self):
        """A bad unit is a usage error naming the option."""
        res = CliRunner().invoke(main, ["erlang", "--rate", "600", "--aht", "4m",
                                        "--agents", "42"])
        assert res.exit_code == 2 and "rate like 600/h" in res.output

    @pytest.mark.parametrize("command", [[], ["run"], ["validate"], ["erlang"]])
    def test_help(self, command):
        """Every command has complete help."""
        res = CliRunner().invoke(main, [*command, "--help"])
        assert res.exit_code == 0 and "Usage:" in res.stdout


class TestSigterm:
    def test_kill_interrupts_and_is_remembered(self):
        """Inside the block SIGTERM raises KeyboardInterrupt and is recorded; then restored."""
        before = signal.getsignal(signal.SIGTERM)
        with sigterm_as_interrupt() as stop:
            stop.check()  # nothing asked yet
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested
        with pytest.raises(KeyboardInterrupt):
            stop.check()
        assert signal.getsignal(signal.SIGTERM) is before


class TestVariantsAndOverrides:
    def test_with_overrides_round_trip(self, bank):
        """A loaded scenario re-validates unchanged, and overrides apply on top."""
        assert sim.with_overrides(bank, {}) == bank
        more = sim.with_overrides(bank, {"agents.generalists.shifts.0.count": 8})
        assert more.agents["generalists"].shifts[0].count == 8
        assert more.contact_types == bank.contact_types

    def test_with_overrides_error(self, bank):
        """An invalid override names the field."""
        with pytest.raises(sim.ScenarioError, match=r"billing_team\.shrinkage: must be < 1"):
            sim.with_overrides(bank, {"agents.billing_team.shrinkage": 2})

    def test_variants(self, tmp_path):
        """Variants are validated at load time and built by name."""
        text = (SCENARIOS / "erlang_c.yaml").read_text() + (
            "variants:\n  plus_two: {agents.pool.staff: 44}\n"
            "  slow: {contact_types.calls.handle.mean: 5m}\n")
        path = tmp_path / "v.yaml"
        path.write_text(text)
        sc = sim.load_scenario(path)
        assert sim.variant(sc, "plus_two").agents["pool"].staff == 44
        assert sim.variant(sc, "slow").contact_types["calls"].handle.mean == 300
        assert sim.variant(sc, "slow").variants == {}
        with pytest.raises(KeyError, match="no variant 'nope'"):
            sim.variant(sc, "nope")

    @pytest.mark.parametrize(("entry", "problem"), [
        ("agents.pool.staff: -3", "variants.minus.agents.pool.staff: must be >= 0, got -3"),
        # in YAML terms: it said "as --set 'costs={...}'", an option, for a line of the file
        ("costs.agents.pool.hourly: 30", "variants.minus.costs.agents.pool.hourly: cannot "
         "override: 'costs' is not in the scenario: set the section whole, as costs: {...} "
         "in the variant"),
    ])
    def test_bad_variant(self, tmp_path, entry, problem):
        """A variant that breaks a rule is reported under variants.<name>."""
        path = tmp_path / "v.yaml"
        path.write_text((SCENARIOS / "erlang_c.yaml").read_text()
                        + f"variants:\n  minus: {{{entry}}}\n")
        with pytest.raises(sim.ScenarioError) as caught:
            sim.load_scenario(path)
        assert caught.value.lines() == [f"{path}: {problem}"]

    def test_every_problem_of_a_variant_is_named(self, tmp_path):
        """A variant with several bad entries: one line each, on its own path.

        It stopped at the first entry that could not apply (one line, on
        ``variants.<name>`` alone), so a user fixed them one run at a time; ``ccsim
        validate`` explains every problem.
        """
        path = tmp_path / "v.yaml"
        path.write_text((SCENARIOS / "erlang_c.yaml").read_text() + (
            "variants:\n  many: {agents.nobody.staff: 4, agents.pool.staff: -3, "
            "costs.agents.pool.hourly: 30, contact_types.calls.handle.mean: abc}\n"))
        with pytest.raises(sim.ScenarioError) as caught:
            sim.load_scenario(path)
        lines = caught.value.lines()
        assert len(lines) == 4, lines
        for line, (entry, reason) in zip(sorted(lines), sorted([
                ("agents.nobody.staff", "cannot override: no agent group 'nobody'"),
                ("agents.pool.staff", "must be >= 0, got -3"),
                ("costs.agents.pool.hourly", "cannot override: 'costs' is not in the scenario"),
                ("contact_types.calls.handle.mean", "expected a duration")])):
            assert line.startswith(f"{path}: variants.many.{entry}: {reason}"), line


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_scenario_runs(path):
    """Every bundled scenario (and each of its variants) runs one short replication."""
    sc = sim.load_scenario(path, overrides={"days": 1})
    for version in [sc, *(sim.variant(sc, name) for name in sc.variants)]:
        result = sim.run(version, seed=1)
        assert result.summary["offered"] > 0
        assert 0 < result.summary["occupancy"] <= 1


class TestYamlClock:
    def test_unquoted_clock_times(self, tmp_path):
        """An unquoted 10:00 is a clock time (YAML 1.1 would read base-60 600)."""
        text = (SCENARIOS / "erlang_c.yaml").read_text().replace(
            "days: 1", "days: 1\nopen: 10:00\nclose: 18:00")
        path = tmp_path / "c.yaml"
        path.write_text(text)
        sc = sim.load_scenario(path)
        assert sc.open == 10 * 3600 and sc.close == 18 * 3600

    def test_override_clock(self):
        """--set close=10:00 means ten o'clock."""
        assert parse_override("close=10:00") == ("close", "10:00")
        assert parse_override("x=600") == ("x", 600)


def test_outputs_readable_by_others(tmp_path):
    """Outputs follow the umask like any file (mkstemp alone would make them private)."""
    from sim.output import write_atomic
    path = write_atomic(tmp_path / "x.txt", lambda p: p.write_text("x"))
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


class TestScenarioComments:
    def test_storm_surge_window_matches_its_data(self):
        """The surge window the file's comment names is where its arrivals are 2.5x normal."""
        import re

        from sim.units import format_clock

        path = SCENARIOS / "storm_surge.yaml"
        start, end = re.search(r"from (\d\d:\d\d) to (\d\d:\d\d) calls",
                               path.read_text(encoding="utf-8")).groups()
        sc = sim.load_scenario(path)
        per = np.asarray(sc.contact_types["claims"].arrivals.per_interval, dtype=float)
        surge = np.flatnonzero(per >= 2.0 * np.median(per))
        assert format_clock(sc.open + surge[0] * sc.interval) == start
        assert format_clock(sc.open + (surge[-1] + 1) * sc.interval) == end
        assert np.all(np.diff(surge) == 1)


def test_a_changed_run_says_what_was_changed(tmp_path):
    """`--set` changes what runs: the header, report.html and summary.json say how.

    erlang_a's name says "on 42 agents"; run with 40, the table printed under that name
    alone, and the report titled by it, would describe another center.
    """
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "erlang_a.yaml"), "-r", "2",
                                       "-w", "1", "--set", "agents.pool.staff=40",
                                       "--set", "days=1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    head = result.stdout.splitlines()[0]
    assert head.startswith("Erlang A, 40 Erlangs on 42 agents")
    assert "--set agents.pool.staff=40 days=1" in head
    summary = json.loads((out / "summary.json").read_text())
    assert "--set agents.pool.staff=40 days=1" in summary["scenario"]
    assert "--set agents.pool.staff=40 days=1" in (out / "report.html").read_text()
    plain = CliRunner().invoke(main, ["run", str(SCENARIOS / "erlang_a.yaml"), "-r", "2",
                                      "-w", "1", "--no-report", "--out", str(tmp_path / "p")])
    assert "--set" not in plain.stdout.splitlines()[0]
