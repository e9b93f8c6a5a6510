"""Sweeps: grid parsing, work units, executors (local, Dask), the resumable store, the CLI."""

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import assert_same_table
from hypothesis import example, given
from hypothesis import strategies as st
from sweep_parts import part_of

import sim
from sim import sweep_prints
from sim.cli import main
from sim.cli_sweep import format_sweep
from sim.grid import Grid, GridPoints, grid_values, parse_grid_option, point_scenarios
from sim.metrics import KPIS
from sim.replicate import half_width
from sim.sweep import run_sweep, sweep
from sim.sweep_plots import parameter_axis, plot_sweep
from sim.sweep_store import SweepConflictError

ROOT = Path(__file__).resolve().parents[1]
ERLANG_A = ROOT / "scenarios" / "erlang_a.yaml"
SHORT = {"close": "06:00"}  # 6 hours of Erlang A: ~3,600 calls per replication
GRID = {"agents.pool.staff": [40, 43], "contact_types.calls.patience.mean": "1m,3m"}


@pytest.fixture(scope="module")
def short():
    return sim.load_scenario(ERLANG_A, overrides=SHORT)


@pytest.fixture(scope="module")
def serial(short):
    """The 2 x 2 grid, 3 replications, computed in this process."""
    return run_sweep(short, GRID, replications=3, workers=1)


class TestGridValues:
    def test_integer_range_is_inclusive_and_stays_integer(self):
        """36:40:2 gives 36, 38, 40 as ints."""
        values = grid_values("agents.pool.staff", "36:40:2")
        assert values == [36, 38, 40] and all(type(v) is int for v in values)

    def test_float_range_has_no_rounding_noise(self):
        """0.1:0.3:0.1 gives exactly 0.1, 0.2, 0.3 (not 0.30000000000000004)."""
        assert grid_values("x", "0.1:0.3:0.1") == [0.1, 0.2, 0.3]

    def test_duration_range_in_seconds(self):
        """1m:3m:1m gives 60, 120, 180 seconds."""
        assert grid_values("x", "1m:3m:1m") == [60, 120, 180]

    def test_list_values_read_like_set(self):
        """Numbers become numbers, durations stay strings for the scenario to read."""
        assert grid_values("x", "44, 45") == [44, 45]
        assert grid_values("x", "1m,3m,10m") == ["1m", "3m", "10m"]

    def test_list_of_lists(self):
        """Commas inside brackets do not split values."""
        assert grid_values("x", "[1, 2],[3, 4]") == [[1, 2], [3, 4]]

    @pytest.mark.parametrize(("spec", "match"), [
        ("5:1:1", "b >= a"), ("1:5:0", "step > 0"), ("a:b:c", "numbers or durations"),
        ("", "at least one value"), ("1,,2", "at least one value"),
        ([{"a": 1}, {"a": 1}], "is given twice"),
        ("1m,60", "is given twice"), ("2m,120s", "is given twice"), ("0.5h,30m", "is given twice"),
    ])
    def test_bad_values(self, spec, match):
        """Malformed ranges and empty values are refused, naming the path."""
        with pytest.raises(ValueError, match=f"x: .*{match}"):
            grid_values("x", spec)

    def test_option_needs_path(self):
        """--grid without PATH= is refused."""
        with pytest.raises(ValueError, match="expected PATH=VALUES"):
            parse_grid_option("36:48:1")

    @given(st.lists(st.tuples(st.integers(0, 23), st.integers(0, 59)), min_size=1,
                    max_size=4, unique=True))  # (a time twice is refused: one point twice)
    @example([(8, 0), (9, 0)])  # two clock times were read as the range 08:(00,09):00
    def test_clock_times_are_a_list(self, times):
        """open=08:00,09:00 is a list of clock times, however many (a range has no comma)."""
        clocks = [f"{h:02d}:{m:02d}" for h, m in times]
        assert grid_values("open", ",".join(clocks)) == clocks

    @given(st.integers(-50, 50), st.integers(0, 60), st.integers(1, 7))
    def test_integer_ranges_match_python_range(self, a, width, step):
        """a:b:step is Python's range(a, b + 1, step)."""
        assert grid_values("x", f"{a}:{a + width}:{step}") == list(range(a, a + width + 1, step))


class TestGrid:
    def test_points_first_parameter_slowest(self):
        """Points are the product of the values, the first parameter varying slowest."""
        grid = Grid.from_spec({"a": [1, 2], "b": "x,y"})
        assert grid.points() == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"},
                                 {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]

    def test_empty_grid_refused(self):
        """A sweep needs a parameter."""
        with pytest.raises(ValueError, match="at least one grid parameter"):
            Grid.from_spec({})


class TestValidation:
    def test_bad_value_fails_before_any_work(self, short):
        """An invalid point is reported (path and reason) and nothing is simulated."""
        calls = []
        with pytest.raises(sim.ScenarioError) as info:
            run_sweep(short, {"agents.pool.staff": [40, -1]}, replications=2, workers=1,
                      progress=calls.append)
        assert info.value.lines() == [f"{short.name}: agents.pool.staff: must be >= 0, got -1"]
        assert calls == []

    def test_unknown_path(self, short):
        """A misspelt path names the field and suggests the right one."""
        with pytest.raises(sim.ScenarioError, match=r"stafff.*did you mean 'staff'"):
            run_sweep(short, {"agents.pool.stafff": [40]}, workers=1)

    def test_replications_at_least_one(self, short):
        """Zero replications is refused."""
        with pytest.raises(ValueError, match="'replications' must be >= 1"):
            run_sweep(short, GRID, replications=0)

    @pytest.mark.parametrize("other", [
        {"agents.pool.staff": [40, 41], "contact_types.calls.patience.mean": "1m,3m"},
        {"contact_types.calls.patience.mean": "1m,3m", "agents.pool.staff": [40, 43]},
    ], ids=["other values", "other order"])
    def test_points_of_another_grid_are_refused(self, short, other):
        """Points validated for another grid (values or order) are refused: none runs."""
        calls = []
        points = point_scenarios(short, Grid.from_spec(other))
        with pytest.raises(ValueError, match="'points' were validated for another grid"):
            run_sweep(short, GRID, 1, workers=1, progress=calls.append, points=points)
        assert calls == []

    def test_points_of_another_scenario_are_refused(self, short):
        """Points validated from another base scenario are refused: none runs."""
        calls = []
        points = point_scenarios(sim.with_overrides(short, {"days": 2}), Grid.from_spec(GRID))
        with pytest.raises(ValueError, match="'points' were validated from another scenario"):
            run_sweep(short, GRID, 1, workers=1, progress=calls.append, points=points)
        assert calls == []

    def test_points_of_an_equal_scenario_run(self, short):
        """Points validated from an equal copy of the scenario are run as they are."""
        grid = Grid.from_spec({"agents.pool.staff": [42]})
        points = point_scenarios(sim.with_overrides(short, {}), grid)
        result = run_sweep(short, grid, 1, workers=1, points=points)
        assert result.computed == [(0, 0)]

    def test_points_are_one_scenario_per_grid_point(self, short):
        """Validated points with a scenario missing cannot be made."""
        grid = Grid.from_spec(GRID)
        points = point_scenarios(short, grid)
        with pytest.raises(ValueError, match="4 points need 4 scenarios, got 3"):
            GridPoints(short, grid, points.scenarios[:-1])


class TestTable:
    def test_one_row_per_point_and_replication(self, serial):
        """Rows are (point, replication), sorted; grid values keep their types."""
        table = serial.table
        assert list(table.columns) == ["point", *GRID, "replication", "seed", *KPIS]
        assert list(zip(table.point, table.replication)) == [(p, r) for p in range(4)
                                                              for r in range(3)]
        assert table["agents.pool.staff"].tolist() == [40] * 6 + [43] * 6
        assert table["contact_types.calls.patience.mean"].tolist()[:6] == ["1m"] * 3 + ["3m"] * 3

    def test_rows_equal_sim_run(self, short, serial):
        """A unit's KPIs are those of the same replication in sim.run of that point."""
        point = sim.with_overrides(short, {"agents.pool.staff": 43,
                                           "contact_types.calls.patience.mean": "3m"})
        expected = sim.run(point, seed=short.seed, replications=3).replications
        got = serial.table[serial.table.point == 3]
        for kpi in KPIS:
            np.testing.assert_allclose(got[kpi].to_numpy(dtype=float),
                                       expected[kpi].to_numpy(dtype=float), rtol=1e-12)

    def test_common_random_numbers_across_points(self, serial):
        """Replication r sees the same calls at every staffing (same patience)."""
        table = serial.table
        same_patience = table[table["contact_types.calls.patience.mean"] == "1m"]
        assert (same_patience.groupby("replication").offered.nunique() == 1).all()
        more = same_patience.groupby("agents.pool.staff").service_level.mean()
        assert more[43] > more[40]

    def test_summary_means_and_half_widths(self, serial):
        """The summary has each KPI's mean and Student-t half-width per point."""
        row = serial.summary.iloc[2]
        values = serial.table[serial.table.point == 2].service_level
        assert row.replications == 3
        assert row.service_level == pytest.approx(values.mean())
        assert row.service_level_ci == pytest.approx(half_width(values))

    def test_printed_table_and_figures_show_kpis_every_scenario_models(self, tmp_path,
                                                                       monkeypatch):
        """The table and figures leave out KPIs no point models, as ``ccsim run`` does.

        Erlang C's callers never abandon: no abandon-rate column or panel, and a line
        says why; Erlang A's (the same center with patience) keep both. Every other KPI
        shown needs no feature (a repeat rate would read as a result).
        """
        from sim import sweep_plots
        from sim.kpis import BY_NAME

        assert all(BY_NAME[k].needs is None for k in sweep_plots.CURVE_KPIS
                   if k != "abandon_rate")
        panels = []
        real = sweep_plots.plot_curves
        monkeypatch.setattr(sweep_plots, "plot_curves", lambda *a, **k: (
            panels.append(list(a[3])), real(*a, **k))[1])
        base = ["sweep", "scenarios/erlang_c.yaml", "-r", "2", "--set", "days=1",
                "--grid", "agents.pool.staff=44,46"]
        plain = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "c")])
        assert plain.exit_code == 0, plain.output
        table = plain.stdout.splitlines()
        assert "abandon_rate" not in table[0] and "service_level" in table[0]
        assert table[-1] == "Not in any point (always 0 or –): abandon_rate (no `patience`)."
        patient = CliRunner().invoke(main, [
            "sweep", "scenarios/erlang_a.yaml", *base[2:], "--out", str(tmp_path / "a")])
        assert patient.exit_code == 0, patient.output
        assert "abandon_rate" in patient.stdout.splitlines()[0]
        assert panels == [["service_level", "asa", "occupancy"],
                          ["service_level", "abandon_rate", "asa", "occupancy"]]

    def test_sweep_returns_the_table(self, short, serial):
        """sim.sweep is run_sweep(...).table."""
        assert_same_table(sim.sweep(short, GRID, replications=3, workers=1), serial.table)


class TestExecutors:
    def test_process_pool_matches_serial(self, short, serial):
        """Two local processes give exactly the table of one."""
        assert_same_table(run_sweep(short, GRID, 3, workers=2).table, serial.table)

    def test_any_executor(self, short, serial):
        """Any concurrent.futures executor will do (threads here)."""
        with ThreadPoolExecutor(3) as pool:
            assert_same_table(sweep(short, GRID, 3, executor=pool), serial.table)

    def test_dask_cluster_matches_local(self, short, serial):
        """A Dask LocalCluster (2 worker processes) gives exactly the local table."""
        distributed = pytest.importorskip("distributed")
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            table = sweep(short, GRID, 3, executor=client.get_executor())
        assert_same_table(table, serial.table)


class _StopError(Exception):
    """Raised by a progress callback to interrupt a sweep."""


def stop_after(units: int):
    def progress(p):
        if p.computed >= units:
            raise _StopError
    return progress


def part_files(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / "parts").glob("p*.json")}



class TestResume:
    def test_interrupted_sweep_resumes_without_recomputing(self, short, serial, tmp_path):
        """After an interrupt, the finished units are kept and only the rest is computed."""
        with pytest.raises(_StopError):
            run_sweep(short, GRID, 3, workers=1, out=tmp_path, progress=stop_after(5))
        kept = part_files(tmp_path)
        assert len(kept) == 5
        first = {(row["point"], row["replication"]) for row in (
            json.loads((tmp_path / "parts" / name).read_text()) for name in kept)}
        result = run_sweep(short, GRID, 3, workers=1, out=tmp_path)
        assert len(result.computed) == 12 - 5 and result.resumed == 5
        assert first.isdisjoint(result.computed)
        assert part_files(tmp_path).items() >= kept.items()  # finished parts untouched
        assert_same_table(result.table, serial.table)
        assert_same_table(pd.read_parquet(tmp_path / "sweep.parquet"), serial.table)

    def test_interrupted_pool_resumes(self, short, serial, tmp_path):
        """With a process pool, units finished before the interrupt are not recomputed."""
        with pytest.raises(_StopError):
            run_sweep(short, GRID, 3, workers=2, out=tmp_path, progress=stop_after(4))
        kept = len(part_files(tmp_path))
        assert 4 <= kept < 12
        result = run_sweep(short, GRID, 3, workers=1, out=tmp_path)
        assert len(result.computed) == 12 - kept
        assert_same_table(result.table, serial.table)

    def test_finished_sweep_computes_nothing(self, short, tmp_path):
        """Running a finished sweep again only rewrites the tables."""
        run_sweep(short, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)
        again = run_sweep(short, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)
        assert again.computed == [] and again.resumed == 2

    def test_killed_process_resumes(self, tmp_path):
        """`kill -9` during `ccsim sweep`: the parts written survive and are not recomputed."""
        out = tmp_path / "sw"
        command = [sys.executable, "-m", "sim", "sweep", str(ERLANG_A), "--set", "close=06:00",
                   "--grid", "agents.pool.staff=40:43:1", "-r", "8", "-w", "2", "--out",
                   str(out), "--no-figures", "-q"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(part_files(out) if (out / "parts").exists() else {}) < 3:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "no part written within 60 s"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        kept = part_files(out)
        assert 3 <= len(kept) < 32
        scenario = sim.load_scenario(ERLANG_A, overrides={"close": "06:00"})
        result = run_sweep(scenario, {"agents.pool.staff": [40, 41, 42, 43]}, 8, workers=1,
                           out=out)
        assert len(result.computed) == 32 - len(kept)
        assert part_files(out).items() >= kept.items()
        assert not list((out / "parts").glob(".*"))  # no half-written file left

    @pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL])
    def test_command_rerun_after_a_stop_gives_the_same_files(self, tmp_path, stop):
        """Ctrl-C or `kill -9` mid-sweep, then the same command: nothing is done twice.

        The rerun computes only the units not kept, and writes tables byte for byte
        those of an uninterrupted run.
        """
        def command(out: Path, workers: int = 1) -> list[str]:
            return [sys.executable, "-m", "sim", "sweep", str(ERLANG_A), "--set", "close=03:00",
                    "--grid", "agents.pool.staff=40:43:1", "--grid",
                    "contact_types.calls.patience.mean=1m,3m", "-r", "4", "-w", str(workers),
                    "--out", str(out), "--no-figures"]

        out, whole = tmp_path / "stopped", tmp_path / "whole"
        process = subprocess.Popen(command(out, workers=2), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(part_files(out) if (out / "parts").exists() else {}) < 4:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "no part written within 60 s"
            time.sleep(0.01)
        process.send_signal(stop)
        process.communicate(timeout=60)
        assert process.returncode == (130 if stop == signal.SIGINT else -signal.SIGKILL)
        kept = part_files(out)
        assert 4 <= len(kept) < 32
        again = subprocess.run(command(out), capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert f"{32 - len(kept)} units computed, {len(kept)} resumed" in again.stderr
        assert part_files(out).items() >= kept.items()
        scenario = sim.load_scenario(ERLANG_A, overrides={"close": "03:00"})
        run_sweep(scenario, {"agents.pool.staff": "40:43:1",
                             "contact_types.calls.patience.mean": "1m,3m"}, 4, workers=1,
                  out=whole)
        for name in ("sweep.parquet", "sweep_summary.csv", "manifest.json"):
            assert (out / name).read_bytes() == (whole / name).read_bytes(), name

    def test_changed_sweep_is_refused(self, short, tmp_path):
        """Another grid parameter, seed or scenario in the same folder is refused, not mixed.

        (Other values of the same parameters are points of their own: test_sweep_grow.)
        """
        run_sweep(short, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)
        with pytest.raises(SweepConflictError, match=r"changed: grid\).*--fresh"):
            run_sweep(short, {"contact_types.calls.patience.mean": ["3m"]}, 2, workers=1,
                      out=tmp_path)
        with pytest.raises(SweepConflictError, match=r"changed: seed"):
            run_sweep(short, {"agents.pool.staff": [42]}, 2, seed=9, workers=1, out=tmp_path)
        other = sim.with_overrides(short, {"contact_types.calls.handle.mean": "5m"})
        with pytest.raises(SweepConflictError, match=r"changed: scenario"):
            run_sweep(other, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)

    def test_results_of_another_engine_version_are_refused(self, short, tmp_path, monkeypatch):
        """A sweep begun before an engine change that alters results is not resumed."""
        run_sweep(short, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)
        monkeypatch.setattr(sweep_prints, "RESULTS_VERSION", sweep_prints.RESULTS_VERSION + 1)
        with pytest.raises(SweepConflictError, match=r"changed: engine"):
            run_sweep(short, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)

    def test_results_of_other_kpi_definitions_are_refused(self, short, tmp_path, monkeypatch):
        """A sweep begun before a KPI definition changed is not resumed with mixed rows."""
        run_sweep(short, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)
        monkeypatch.setattr(sweep_prints, "METRICS_VERSION", sweep_prints.METRICS_VERSION + 1)
        with pytest.raises(SweepConflictError, match=r"changed: metrics"):
            run_sweep(short, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)

    def test_fresh_starts_over(self, short, tmp_path):
        """--fresh discards the old parts and computes everything."""
        run_sweep(short, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)
        result = run_sweep(short, {"agents.pool.staff": [43]}, 2, workers=1, out=tmp_path,
                           fresh=True)
        assert len(result.computed) == 2
        manifest = json.loads((tmp_path / "manifest.json").read_text())
        assert manifest["grid"] == {"agents.pool.staff": [43]}

    def test_damaged_parts_are_recomputed(self, short, tmp_path):
        """Truncated, emptied or swapped part files are recomputed, and only those."""
        grid = {"agents.pool.staff": [41, 42]}
        first = run_sweep(short, grid, 2, workers=1, out=tmp_path)
        part = {(p, r): part_of(tmp_path, p, r) for p in range(2) for r in range(2)}
        text = part[0, 0].read_text()
        part[0, 0].write_text(text[: len(text) // 2])  # truncated
        part[0, 1].write_text("")  # emptied
        part[1, 0].write_text(text)  # another unit's row
        kpi_lost = json.loads(part[1, 1].read_text())
        kpi_lost.pop(KPIS[0])
        part[1, 1].write_text(json.dumps(kpi_lost))
        again = run_sweep(short, grid, 2, workers=1, out=tmp_path)
        assert sorted(again.computed) == [(0, 0), (0, 1), (1, 0), (1, 1)]
        assert_same_table(again.table, first.table)
        part[1, 0].write_text("[1, 2]")  # not a row at all
        third = run_sweep(short, grid, 2, workers=1, out=tmp_path)
        assert third.computed == [(1, 0)] and third.resumed == 3
        assert_same_table(third.table, first.table)

    def test_parts_of_units_outside_the_sweep_are_kept_apart(self, short, tmp_path):
        """A part of a point or replication this sweep does not have is no row of it.

        The sweep (2 points x 2 replications) has no such unit: it was an IndexError, or
        an extra row in the table. Such a part stays as it is: a point of another grid
        for when it returns (test_sweep_grow), a replication beyond the number for a
        sweep that asks for more (test_sweep_resume), a file of unknown name left alone.
        """
        grid = {"agents.pool.staff": [41, 42]}
        first = run_sweep(short, grid, 2, workers=1, out=tmp_path)
        parts = tmp_path / "parts"
        row = json.loads(part_of(tmp_path, 1, 1).read_text())
        key = {p: json.loads(part_of(tmp_path, p, 0).read_text())["point_key"] for p in (0, 1)}
        for name, unit in ((f"pt-{'0' * 16}-r0000.json", {"point_key": "0" * 16}),
                           (f"pt-{key[1]}-r0005.json", {"replication": 5}),
                           (f"pt-{key[0]}-r0002.json", {"point_key": key[0], "replication": 2}),
                           ("p000007-r0000.json", {"point": 7, "replication": 0})):
            (parts / name).write_text(json.dumps({**row, **unit}))
        before = {p.name: p.read_bytes() for p in parts.iterdir()}
        again = run_sweep(short, grid, 2, workers=1, out=tmp_path)
        assert again.computed == [] and again.resumed == 4
        assert_same_table(again.table, first.table)
        assert {p.name: p.read_bytes() for p in parts.iterdir()} == before

    def test_damaged_manifest_is_one_line(self, tmp_path):
        """A truncated manifest.json: one line naming it, exit 2, nothing computed."""
        out = tmp_path / "sw"
        out.mkdir()
        (out / "manifest.json").write_text('{"format": 1, "finger')
        res = CliRunner().invoke(main, ["sweep", str(ERLANG_A), "--grid",
                                        "agents.pool.staff=42", "--out", str(out),
                                        "--no-figures", "-q"])
        assert res.exit_code == 2, res.output
        (line,) = res.stderr.splitlines()
        assert line.startswith(f"{out / 'manifest.json'}: damaged") and "--fresh" in line

    def test_parts_without_manifest_are_refused(self, short, tmp_path):
        """Parts of unknown origin are not silently reused."""
        (tmp_path / "parts").mkdir()
        (tmp_path / "parts" / "p000000-r0000.json").write_text("{}")
        with pytest.raises(SweepConflictError, match=r"no manifest\.json"):
            run_sweep(short, {"agents.pool.staff": [42]}, 2, workers=1, out=tmp_path)


TRACE_SCENARIO = """name: replay
days: 1
open: "08:00"
close: "10:00"
contact_types:
  calls:
    arrivals: {trace: calls.csv}
    handle: {dist: exponential, mean: 4m}
agents:
  pool: {skills: [calls], staff: 4}
"""


def write_log(path: Path, calls: int, seed: int) -> None:
    """A call log of ``calls`` answered calls between 08:00 and 10:00 of day 0."""
    times = np.sort(np.random.default_rng(seed).uniform(8 * 3600, 10 * 3600, calls))
    pd.DataFrame({"arrival": times.round(1), "outcome": "answered", "wait": 5.0,
                  "handle": 60.0}).to_csv(path, index=False)


class TestReplayedLog:
    """A scenario that replays a call log (``arrivals: {trace: calls.csv}``)."""

    def test_points_replay_the_log_beside_the_scenario(self, tmp_path, monkeypatch):
        """Every point reads the log relative to the scenario file, as loading it did.

        The points were re-read relative to the working folder: a log of the same name
        there was replayed instead, silently (and without one, the sweep was refused).
        """
        study, elsewhere = tmp_path / "study", tmp_path / "elsewhere"
        study.mkdir()
        elsewhere.mkdir()
        write_log(study / "calls.csv", 60, 1)
        write_log(elsewhere / "calls.csv", 200, 2)
        (study / "replay.yaml").write_text(TRACE_SCENARIO)
        monkeypatch.chdir(elsewhere)
        scenario = sim.load_scenario(study / "replay.yaml")
        table = sweep(scenario, {"agents.pool.staff": [4, 5]}, 1, workers=1)
        assert table.offered.tolist() == [60, 60]
        five = sim.with_overrides(scenario, {"agents.pool.staff": 5})
        assert sim.run(five, replications=1).summary["offered"] == 60

    def test_changed_log_is_refused(self, tmp_path):
        """Resuming after the log changed is refused: its rows would mix two logs' runs."""
        write_log(tmp_path / "calls.csv", 60, 1)
        (tmp_path / "replay.yaml").write_text(TRACE_SCENARIO)
        grid, out = {"agents.pool.staff": [4]}, tmp_path / "sw"
        run_sweep(sim.load_scenario(tmp_path / "replay.yaml"), grid, 1, workers=1, out=out)
        same = run_sweep(sim.load_scenario(tmp_path / "replay.yaml"), grid, 1, workers=1,
                         out=out)
        assert same.computed == [] and same.resumed == 1
        write_log(tmp_path / "calls.csv", 200, 2)
        with pytest.raises(SweepConflictError, match=r"changed: scenario; edited since its "
                                                     r"parts were computed: calls.csv\)"):
            run_sweep(sim.load_scenario(tmp_path / "replay.yaml"), grid, 1, workers=1,
                      out=out)


class TestFigures:
    def test_axes_have_units(self):
        """Durations are drawn in minutes or seconds, agents as agents, rates per hour."""
        patience = parameter_axis("contact_types.calls.patience.mean", ["1m", "3m", "10m"])
        assert patience.label.endswith("(min)") and list(patience.positions) == [1, 3, 10]
        assert parameter_axis("agents.pool.staff", [40, 42]).label.endswith("(agents)")
        rate = parameter_axis("contact_types.calls.arrivals.rate", ["600/h", "700/h"])
        assert rate.label.endswith("(per hour)") and list(rate.positions) == [600, 700]
        other = parameter_axis("routing.calls", [["a"], ["b"]])
        assert not other.numeric and other.ticks == ["['a']", "['b']"]

    def test_writes_curves_and_heatmap(self, serial, tmp_path):
        """Two parameters give curves and a heatmap, as PNG files."""
        written = plot_sweep(serial.summary, serial.grid.paths, tmp_path, target=0.8)
        assert [p.name for p in written] == ["sweep_curves.png", "sweep_heatmap.png"]
        assert all(p.read_bytes()[:4] == b"\x89PNG" for p in written)

    def test_heatmap_says_what_bold_means(self, tmp_path, monkeypatch):
        """Service-level cells that meet the target are bold, and the panel says so.

        Notebook 05's heatmap set some cells in bold with nothing on the figure to say
        why; the panel now names the target the bold cells meet (and only when given one).
        """
        from sim import sweep_plots

        figures = []
        monkeypatch.setattr(sweep_plots, "_save", lambda fig, path: figures.append(fig))
        summary = pd.DataFrame({"a": [1, 2, 1, 2], "b": [1, 1, 2, 2],
                                "service_level": [0.5, 0.6, 0.7, 0.8]})
        sweep_plots.plot_heatmap(summary, ["a", "b"], tmp_path / "h.png", target=0.7)
        (ax,) = [ax for ax in figures.pop().axes if ax.images]
        bold = sorted(t.get_text() for t in ax.texts if t.get_fontweight() == "bold")
        assert bold == ["70.0", "80.0"]
        title = ax.get_title("right")
        assert "bold" in title and "70% target" in title
        sweep_plots.plot_heatmap(summary, ["a", "b"], tmp_path / "h.png")
        (ax,) = [ax for ax in figures.pop().axes if ax.images]
        assert not ax.get_title("right")

    def test_figures_written_as_the_reports_are(self, serial, tmp_path):
        """Sweep figures are written as a report's are (render_png: one draw, RGB, no text)."""
        from PIL import Image

        for path in plot_sweep(serial.summary, serial.grid.paths, tmp_path, target=0.8):
            with Image.open(path) as image:
                assert image.mode == "RGB" and "Software" not in image.info, path.name

    def test_one_style_with_the_run_figures(self, serial, tmp_path, monkeypatch):
        """Sweep figures are drawn in the run figures' style: no boxed axes, same fonts."""
        from sim import sweep_plots
        from sim.plots.style import STYLE

        figures = []
        save = sweep_plots._save
        monkeypatch.setattr(sweep_plots, "_save", lambda fig, path: (figures.append(fig),
                                                                      save(fig, path))[1])
        plot_sweep(serial.summary, serial.grid.paths, tmp_path, target=0.8)
        assert len(figures) == 2
        for fig in figures:
            for ax in (a for a in fig.axes if a.get_visible() and a.get_label() != "<colorbar>"):
                assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
                assert ax.xaxis.label.get_fontsize() == STYLE["axes.labelsize"]


class TestCommand:
    def test_sweep_command_writes_everything(self, tmp_path):
        """The sweep command prints the per-point table and writes tables and figures."""
        out = tmp_path / "sw"
        args = ["sweep", str(ERLANG_A), "--set", "close=06:00", "--grid",
                "agents.pool.staff=40:42:2", "--grid", "contact_types.calls.patience.mean=1m,3m",
                "-r", "2", "-w", "1", "--out", str(out), "-q"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "service_level" in result.output and "3m" in result.output
        for name in ("sweep.parquet", "sweep_summary.csv", "sweep_curves.png",
                     "sweep_heatmap.png", "manifest.json"):
            assert (out / name).exists(), name
        assert len(pd.read_parquet(out / "sweep.parquet")) == 8
        assert len(pd.read_csv(out / "sweep_summary.csv")) == 4
        again = CliRunner().invoke(main, [*args, "--grid", "warmup=2h"])
        assert again.exit_code == 2
        assert "different sweep (changed: grid)" in again.output and "--fresh" in again.output

    def test_each_point_is_validated_once(self, tmp_path, monkeypatch):
        """The command checks every point's size and runs the points it validated for it.

        On the old code run_sweep validated every point again: 0.3 ms a point, 30 s on
        a grid of 100,000 points.
        """
        from sim import grid

        validated = []

        def counted(base, overrides, source=None, **options):
            validated.append(dict(overrides))
            return with_overrides(base, overrides, source=source, **options)

        with_overrides = grid.with_overrides
        monkeypatch.setattr(grid, "with_overrides", counted)
        result = CliRunner().invoke(main, [
            "sweep", str(ERLANG_A), "--set", "close=03:00", "--grid", "agents.pool.staff=40:42:1",
            "-r", "1", "-w", "1", "--out", str(tmp_path), "--no-figures", "-q"])
        assert result.exit_code == 0, result.output
        assert validated == [{"agents.pool.staff": n} for n in (40, 41, 42)]

    def test_command_tables_equal_run_sweep(self, serial, tmp_path):
        """`ccsim sweep` prints and writes the tables run_sweep gives for that grid and seed."""
        out = tmp_path / "sw"
        result = CliRunner().invoke(main, [
            "sweep", str(ERLANG_A), "--set", "close=06:00", "--grid", "agents.pool.staff=40,43",
            "--grid", "contact_types.calls.patience.mean=1m,3m", "-r", "3",
            "--seed", str(serial.table.seed[0]), "-w", "1", "--out", str(out), "--no-figures",
            "-q"])
        assert result.exit_code == 0, result.output
        assert result.output == format_sweep(serial) + "\n"
        assert_same_table(pd.read_parquet(out / "sweep.parquet"), serial.table)
        pd.testing.assert_frame_equal(pd.read_csv(out / "sweep_summary.csv"), serial.summary)

    @pytest.mark.parametrize(("grid", "message"), [
        ("agents.pool.staff=-1,40", "erlang_a.yaml: agents.pool.staff: must be >= 0, got -1"),
        ("agents.pool.staff=4:1:1", "erlang_a.yaml: agents.pool.staff: a range a:b:step"),
        ("36:48", "--grid: expected PATH=VALUES"),
        # the same point twice: the same numbers twice (common random numbers), a typo
        ("agents.pool.staff=40,41,40.0", "erlang_a.yaml: agents.pool.staff: 40.0 is given "
                                         "twice (40, 41, 40.0)"),
    ])
    def test_bad_grid_is_one_line_exit_2(self, tmp_path, grid, message):
        """A bad grid is one line on stderr naming the path, and exit code 2."""
        result = CliRunner().invoke(main, ["sweep", str(ERLANG_A), "--grid", grid,
                                           "--out", str(tmp_path)])
        assert result.exit_code == 2
        assert len(result.output.strip().splitlines()) == 1 and message in result.output

    def test_unreachable_scheduler(self, tmp_path, monkeypatch):
        """A Dask scheduler that cannot be reached is one line and exit code 2."""
        distributed = pytest.importorskip("distributed")

        def refuse(address, timeout):
            raise OSError(f"Timed out trying to connect to {address} after {timeout}")

        monkeypatch.setattr(distributed, "Client", refuse)
        result = CliRunner().invoke(main, [
            "sweep", str(ERLANG_A), "--grid", "agents.pool.staff=40", "--out", str(tmp_path),
            "--scheduler", "tcp://127.0.0.1:9"])
        assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.output


def test_confidence_bands_stay_within_what_a_kpi_can_be(tmp_path, monkeypatch):
    """With two replications a share's band can reach below 0% or above 100%: drawn clipped.

    Money can be negative (profit): its band is not clipped.
    """
    from matplotlib.collections import PolyCollection

    from sim import sweep_plots

    drawn = {}

    def keep(fig, path):
        drawn["fig"] = fig
        return Path(path)

    monkeypatch.setattr(sweep_plots, "_save", keep)
    summary = pd.DataFrame({
        "agents.pool.staff": [3, 4],
        "service_level": [0.97, 0.99], "service_level_ci": [0.06, 0.05],
        "abandon_rate": [0.02, 0.01], "abandon_rate_ci": [0.05, 0.04],
        "asa": [4.0, 1.0], "asa_ci": [9.0, 3.0],
        "profit": [-5.0, 10.0], "profit_ci": [20.0, 20.0]})
    sweep_plots.plot_curves(summary, ["agents.pool.staff"], tmp_path / "c.png",
                            kpis=("service_level", "abandon_rate", "asa", "profit"))
    bands = {}
    for ax in drawn["fig"].axes:
        for collection in ax.collections:
            if isinstance(collection, PolyCollection):
                ys = np.concatenate([p.vertices[:, 1] for p in collection.get_paths()])
                bands[ax.get_ylabel().split(" (")[0]] = (ys.min(), ys.max())
    low, high = bands["Service level"]
    assert low == pytest.approx(91.0) and high == pytest.approx(100.0)
    assert bands["Abandon rate"][0] == 0.0 and bands["ASA"][0] == 0.0
    assert bands["Profit"][0] == pytest.approx(-25.0)  # not clipped


def test_transfer_rate_band_is_not_cut_at_100_percent(tmp_path, monkeypatch):
    """Transfers per answered contact: a contact transferred three times counts three."""
    from matplotlib.collections import PolyCollection

    from sim import sweep_plots

    drawn = {}
    monkeypatch.setattr(sweep_plots, "_save", lambda fig, path: drawn.update(fig=fig) or path)
    summary = pd.DataFrame({"agents.pool.staff": [3, 4], "transfer_rate": [1.6, 1.4],
                            "transfer_rate_ci": [0.1, 0.1]})
    sweep_plots.plot_curves(summary, ["agents.pool.staff"], tmp_path / "t.png",
                            kpis=("transfer_rate",))
    (ax,) = [a for a in drawn["fig"].axes if a.get_visible()]
    (band,) = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert np.concatenate([p.vertices[:, 1] for p in band.get_paths()]).max() == pytest.approx(170)
