"""Replications on several processes, to a stated precision, with flat memory.

Parity: any number of workers gives the same tables (replication ``r`` has its own keyed
streams and results are collected in replication order). Sequential sampling: the run
stops at the first batch where every target is met, and equals a plain run of as many
replications. Memory: what is kept per extra replication is bounded.
"""

import json
import math
import os
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import NewestFirst, assert_same_table
from scipy import stats

import sim
from sim.cli import main
from sim.compare import compare
from sim.output import write_run
from sim.precision import MIN_REPLICATIONS, StoppingRule, Target, half_width, parse_target
from sim.report import load_run

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def erlang_a():
    """A small Erlang A day: 2 hours of 600 calls/h."""
    return sim.load_scenario(SCENARIOS / "erlang_a.yaml", overrides={
        "contact_types.calls.arrivals.rate": "300/h", "agents.pool.staff": 22})


def poisson_day(rate_per_h: float = 10.0):
    """One always-open day, constant rate, nobody abandons: offered ~ Poisson(24 rate)."""
    return sim.scenario_from_dict({
        "name": "poisson", "days": 1, "interval": "1h",
        "contact_types": {"calls": {"arrivals": {"rate": f"{rate_per_h}/h"},
                                    "handle": {"dist": "exponential", "mean": "1m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 5}}})


def assert_same_run(a: sim.RunResult, b: sim.RunResult) -> None:
    assert_same_table(a.replications, b.replications)
    assert_same_table(a.contacts, b.contacts)
    assert_same_table(a.intervals, b.intervals)
    assert_same_table(a.by_group_replications, b.by_group_replications)
    assert a.summary == pytest.approx(b.summary, rel=0, abs=0, nan_ok=True)
    assert a.ci == pytest.approx(b.ci, rel=0, abs=0, nan_ok=True)


class TestWorkers:
    def test_run_same_for_one_and_two_workers(self, erlang_a):
        """sim.run on 2 processes gives the tables and KPIs of a run in this process."""
        one = sim.run(erlang_a, seed=5, replications=3, workers=1)
        two = sim.run(erlang_a, seed=5, replications=3, workers=2)
        assert_same_run(one, two)

    def test_compare_same_for_one_and_two_workers(self, erlang_a):
        """A comparison on 2 processes gives every variant's run of a comparison in this process."""
        variants = {"baseline": erlang_a,
                    "more": sim.with_overrides(erlang_a, {"agents.pool.staff": 24})}
        one = compare(variants, seed=2, replications=3, workers=1)
        two = compare(variants, seed=2, replications=3, workers=2)
        for name in variants:
            assert_same_run(one.results[name], two.results[name])
        assert_same_table(one.table(), two.table())

    @pytest.mark.parametrize("command", ["run", "compare"])
    def test_cli_same_files_for_one_and_two_workers(self, command, tmp_path):
        """The CLI's forked workers write byte-identical results to a run in-process."""
        outs = []
        for workers in (1, 2):
            out = tmp_path / f"w{workers}"
            done = subprocess.run(
                [sys.executable, "-m", "sim", command, str(SCENARIOS / "small_bank.yaml"),
                 "-r", "3", "--set", "days=1", "--no-report", "-q", "--out", str(out),
                 "--workers", str(workers)], capture_output=True, text=True, timeout=600,
                env={"PYTHONPATH": str(ROOT), "PATH": ""})
            assert done.returncode == 0, done.stderr
            outs.append(out)
        names = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
        assert any(name.name == "contacts.parquet" for name in names)
        for name in names:
            assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name

    @pytest.mark.skipif(sys.platform != "linux", reason="a fork server where fork is safe: Linux")
    def test_a_script_s_pools_are_forked_from_one_server_with_ccsim_loaded(self):
        """A script's pools (sim.run(..., workers=N)) are forked from one server.

        It imported ccsim once, where fresh interpreters imported it again at every call
        (#17: +0.5 to +0.75 s a call on 2 workers, bench_pool_start.py).
        """
        from sim.parallel import local_executor

        pools = [local_executor(2) for _ in range(2)]
        try:
            assert {pool._mp_context.get_start_method() for pool in pools} == {"forkserver"}
            parents = {pool.submit(os.getppid).result() for pool in pools}
        finally:
            for pool in pools:
                pool.shutdown()
        assert len(parents) == 1 and os.getpid() not in parents  # the one server, not us

    def test_a_script_run_beside_another_sim_package_uses_this_one(self, tmp_path):
        """A folder with a package of its own named `sim`: its workers still run this ccsim.

        (A fork server imports its preload with its own path, the current folder first, not
        the script's: there its workers had the other `sim`.)
        """
        (tmp_path / "sim").mkdir()
        (tmp_path / "sim" / "__init__.py").write_text("OTHER = True\n")
        script = tmp_path / "plan.py"
        script.write_text(textwrap.dedent(f"""
            import sys
            sys.path.pop(0)  # (the script's folder: this ccsim first, as an install would be)
            import sim
            from sim.parallel import local_executor

            def whose(_):
                import sim
                return sim.__file__

            if __name__ == "__main__":
                scenario = sim.load_scenario({str(SCENARIOS / 'small_bank.yaml')!r},
                                             overrides={{"days": 1}})
                print(sim.run(scenario, replications=2, workers=2).summary["offered"])
                pool = local_executor(2)
                print(*set(pool.map(whose, range(4))))
                pool.shutdown()
            """))
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=300, cwd=tmp_path, env={"PYTHONPATH": str(ROOT), "PATH": ""})
        assert done.returncode == 0, done.stderr
        offered, workers_sim = done.stdout.split()
        assert float(offered) > 0
        assert Path(workers_sim).resolve() == (ROOT / "sim" / "__init__.py").resolve()

    def test_any_executor(self, erlang_a):
        """An executor given by the caller (here a thread pool) gives the same run."""
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2) as pool:
            threaded = sim.run(erlang_a, seed=5, replications=3, executor=pool)
        assert_same_run(sim.run(erlang_a, seed=5, replications=3), threaded)

    def test_unguarded_script_says_what_to_add(self, tmp_path):
        """A script without the __main__ guard gets one line saying what to add (#18)."""
        script = tmp_path / "plan.py"
        script.write_text(textwrap.dedent(f"""
            import sim
            scenario = sim.load_scenario({str(SCENARIOS / 'erlang_a.yaml')!r})
            sim.run(scenario, replications=2, workers=2)
            """))
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                              timeout=300, env={"PYTHONPATH": str(ROOT), "PATH": ""})
        assert done.returncode != 0
        lines = done.stderr.strip().splitlines()
        assert 'if __name__ == "__main__":' in lines[-1]
        assert "MainGuardError" in lines[-1]
        assert "BrokenProcessPool" not in done.stderr
        assert len(lines) < 15, done.stderr


@pytest.fixture(scope="module")
def dask_executor():
    """A Dask LocalCluster's executor (2 worker processes), or a skip without Dask."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client.get_executor()


@pytest.fixture(scope="module")
def bank_day():
    """small_bank, one day: several groups and types, so a routing policy has choices."""
    return sim.load_scenario(SCENARIOS / "small_bank.yaml", overrides={"days": 1})


class TestExecutors:
    """Processes of a plain pool or of a Dask cluster give the run of this process."""

    def test_user_policy_same_on_every_executor(self, bank_day, dask_executor):
        """A user's policy gives the same run on every executor, for any count.

        The policy's class is in a module the workers import; 2 local workers, a
        ProcessPoolExecutor and a Dask cluster give this process's run, and replication r
        is the same whether 3 or 5 replications were asked for.
        """
        from concurrent.futures import ProcessPoolExecutor

        here = sim.run(bank_day, seed=3, replications=3, policy=NewestFirst())
        assert not here.contacts.empty
        assert_same_run(sim.run(bank_day, seed=3, replications=3, policy=NewestFirst(),
                                workers=2), here)
        with ProcessPoolExecutor(2) as pool:
            assert_same_run(sim.run(bank_day, seed=3, replications=3, policy=NewestFirst(),
                                    executor=pool), here)
        assert_same_run(sim.run(bank_day, seed=3, replications=3, policy=NewestFirst(),
                                executor=dask_executor), here)
        five = sim.run(bank_day, seed=3, replications=5, policy=NewestFirst(),
                       executor=dask_executor)
        assert_same_table(five.replications.iloc[:3], here.replications)
        assert_same_table(five.contacts[five.contacts.replication < 3], here.contacts)

    def test_compare_and_sweep_same_on_every_executor(self, erlang_a, dask_executor):
        """A comparison and a sweep on a ProcessPoolExecutor and on Dask equal this process's."""
        from concurrent.futures import ProcessPoolExecutor

        variants = {"baseline": erlang_a,
                    "more": sim.with_overrides(erlang_a, {"agents.pool.staff": 24})}
        here = compare(variants, seed=2, replications=3).table()
        grid = {"agents.pool.staff": [21, 23]}
        swept = sim.sweep(erlang_a, grid, 3, workers=1)
        with ProcessPoolExecutor(2) as pool:
            assert_same_table(compare(variants, seed=2, replications=3, executor=pool).table(),
                              here)
            assert_same_table(sim.sweep(erlang_a, grid, 3, executor=pool), swept)
        assert_same_table(compare(variants, seed=2, replications=3,
                                  executor=dask_executor).table(), here)
        assert_same_table(sim.sweep(erlang_a, grid, 3, executor=dask_executor), swept)



class TestStoppingRule:
    def test_first_batch_is_at_least_the_minimum(self):
        """No test is made on fewer than MIN_REPLICATIONS replications."""
        rule = StoppingRule({"offered": Target("offered", 1.0)}, 200, first=2)
        assert rule.next_batch(_Sample([])) == MIN_REPLICATIONS

    def test_batch_aims_at_the_estimated_need(self):
        """With half-width h after n, the run grows towards n (h/target)^2, at most doubling."""
        values = list(np.random.default_rng(1).normal(100, 10, size=20))
        hw = half_width(values)
        for factor, expected in ((1.2, math.ceil(20 * 1.2 ** 2) - 20), (3.0, 20), (1.01, 5)):
            rule = StoppingRule({"offered": Target("offered", hw / factor)}, 200)
            assert rule.next_batch(_Sample(values)) == expected
        rule = StoppingRule({"offered": Target("offered", hw)}, 200)
        assert rule.next_batch(_Sample(values)) == 0
        rule = StoppingRule({"offered": Target("offered", hw / 3)}, 30)
        assert rule.next_batch(_Sample(values)) == 10  # never beyond the maximum

    def test_no_test_on_fewer_than_the_minimum_defined_values(self):
        """A KPI undefined in some replications is judged on MIN_REPLICATIONS values.

        NaN: an ASA where nobody was answered. Its half-width would otherwise rest on
        fewer than the 9 degrees of freedom the README promises for the first look.
        """
        values = [100.0, 101.0, 99.0, 100.5, 99.5, 100.0, 100.2, math.nan, math.nan, math.nan]
        assert half_width(values) < 1.0  # tight already on its 7 values
        rule = StoppingRule({"asa": Target("asa", 1.0)}, 200)
        assert rule.next_batch(_Sample(values)) == 5  # at least a quarter more
        assert not rule.stopping(_Sample(values)).met["asa"]
        more = [*values, 100.1, 99.9, 100.0]  # 10 defined values now
        assert rule.next_batch(_Sample(more)) == 0 and rule.stopping(_Sample(more)).precise
        capped = StoppingRule({"asa": Target("asa", 1.0)}, 10)
        assert capped.next_batch(_Sample(values)) == 0
        assert capped.stopping(_Sample(values)).describe().endswith(
            "asa defined in 7 of 10 replications (10 needed)")

    def test_relative_target(self):
        """``5%`` is a half-width of 5% of the mean."""
        target = parse_target("asa=5%")
        assert target.relative and target.limit(-40.0) == pytest.approx(2.0)
        with pytest.raises(ValueError, match="unknown KPI 'sla'"):
            parse_target("sla=0.01")
        with pytest.raises(ValueError, match="must be a number > 0"):
            parse_target("asa=0")


class _Sample:
    def __init__(self, values):
        self._values = np.asarray(values, dtype=float)

    @property
    def n(self):
        return self._values.size

    def values(self, kpi):
        return self._values


class TestPrecision:
    def test_stops_at_the_first_batch_that_meets_the_target(self):
        """The run ends at the first look where the half-width is met, not before or after.

        Offered calls per day are Poisson(240): the looks are replayed on a plain run's
        values, and the final sample variance is checked against 240 with the
        chi-square interval of n - 1 degrees of freedom (99.9%).
        """
        scenario = poisson_day()
        result = sim.run(scenario, seed=11, precision={"offered": 6.0}, max_replications=400)
        n = result.n_replications
        assert result.stopping.reason == "precision" and result.stopping.replications == n
        assert result.ci["offered"] <= 6.0
        plain = sim.run(scenario, seed=11, replications=n)
        assert_same_run(result, plain)
        values = plain.replications["offered"].to_numpy(float)
        rule = StoppingRule({"offered": Target("offered", 6.0)}, 400)
        looks, seen = [], 0
        while (batch := rule.next_batch(_Sample(values[:seen]))):
            seen += batch
            looks.append(seen)
        assert looks[-1] == n
        for earlier in looks[:-1]:
            assert half_width(values[:earlier]) > 6.0
        low, high = stats.chi2.ppf([0.0005, 0.9995], n - 1) / (n - 1)
        assert low < values.var(ddof=1) / 240 < high

    def test_more_than_one_target_and_relative(self, erlang_a):
        """Every target must be met; a relative one against the mean."""
        result = sim.run(erlang_a, seed=3, precision={"service_level": 0.03, "asa": "15%"})
        assert result.stopping.precise
        assert result.ci["service_level"] <= 0.03
        assert result.ci["asa"] <= 0.15 * result.summary["asa"]

    def test_ceiling_reached(self):
        """A target out of reach stops at max_replications and says so."""
        result = sim.run(poisson_day(), seed=1, precision={"offered": 0.01}, max_replications=12)
        assert result.n_replications == 12
        assert result.stopping.reason == "max_replications"
        assert not result.stopping.met["offered"]
        assert result.stopping.describe().startswith("warning: stopped at --max-replications")

    def test_same_for_any_number_of_workers(self, erlang_a):
        """The stopping point and the result do not depend on the workers, batch after batch.

        The target is just under the first batch's half-width, so the run takes a second
        batch (and maybe more): the later batches' replications must be the same ones,
        numbered on from the first batch, on one worker as on two.
        """
        first = MIN_REPLICATIONS  # sim.run's first batch (its replications=1, raised to it)
        batch = sim.run(erlang_a, seed=8, replications=first)
        target = 0.9 * batch.ci["service_level"]
        one = sim.run(erlang_a, seed=8, precision={"service_level": target}, workers=1)
        two = sim.run(erlang_a, seed=8, precision={"service_level": target}, workers=2)
        assert one.n_replications > first  # (a second batch was run)
        assert_same_run(one, two)
        assert one.stopping == two.stopping
        assert_same_run(one, sim.run(erlang_a, seed=8, replications=one.n_replications))

    def test_compare_runs_every_variant_to_the_target(self, erlang_a):
        """A comparison keeps the variants paired and stops when what it reports is precise.

        That is the baseline's mean and the variant's paired difference to it. The target
        is just under the wider of their first batch's half-widths, so the comparison
        takes a second batch: its replications numbered on, in every variant.
        """
        variants = {"baseline": erlang_a,
                    "fewer": sim.with_overrides(erlang_a, {"agents.pool.staff": 20})}
        first = {name: sim.run(v, seed=4, replications=MIN_REPLICATIONS).replications
                 for name, v in variants.items()}
        levels = first["baseline"]["service_level"]
        target = 0.9 * max(half_width(levels),
                           half_width(first["fewer"]["service_level"] - levels))
        comparison = compare(variants, seed=4, precision={"service_level": target})
        n = comparison.replications
        assert n > MIN_REPLICATIONS  # (a second batch was run)
        table = comparison.table(["service_level"]).set_index("variant")
        assert table.loc["baseline", "ci"] <= target
        assert table.loc["fewer", "diff_ci"] <= target
        for name, result in comparison.results.items():
            assert result.n_replications == n
            assert_same_run(result, sim.run(variants[name], seed=4, replications=n))

    def test_cli_reports_how_it_stopped(self, tmp_path):
        """The CLI's run --precision: the warning line, exit 0, and summary.json's stopping."""
        out = tmp_path / "run"
        scenario = tmp_path / "p.yaml"
        scenario.write_text(json.dumps({
            "name": "poisson", "days": 1, "interval": "1h",
            "contact_types": {"calls": {"arrivals": {"rate": "10/h"},
                                        "handle": {"dist": "exponential", "mean": "1m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 5}}}))
        done = CliRunner().invoke(main, ["run", str(scenario), "--out", str(out), "-w", "1",
                                         "--precision", "offered=0.5%", "--max-replications",
                                         "11", "--no-report", "-q"])
        assert done.exit_code == 0, done.output
        assert "warning: stopped at --max-replications (11)" in done.output
        summary = json.loads((out / "summary.json").read_text())
        assert summary["replications"] == 11
        assert summary["stopping"]["reason"] == "max_replications"
        bad = CliRunner().invoke(main, ["run", str(scenario), "--precision", "offered"])
        assert bad.exit_code == 2 and "expected KPI=HALF_WIDTH" in bad.output


class TestFlatMemory:
    def test_memory_per_extra_replication_is_bounded(self, erlang_a):
        """With keep_contacts, each further replication keeps kilobytes, not its contacts.

        One replication's contacts table is about 0.7 MB here (2.2 MB of peak per
        replication when all are kept); the bound is 150 kB per extra replication of
        tracemalloc's peak over the run (about 45 kB measured), and 50 kB of what the
        result holds (about 14 kB: KPIs, per-type and per-group measures, intervals).
        """
        def peak(replications: int) -> tuple[int, int]:
            tracemalloc.start()
            result = sim.run(erlang_a, seed=1, replications=replications, keep_contacts=1)
            held, size = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            return size, held, result.contacts.memory_usage(deep=True).sum()

        few, few_held, contacts = peak(3)
        many, many_held, _ = peak(13)
        assert contacts > 500_000  # the bounds below would catch keeping them
        assert (many - few) / 10 < 150_000
        assert (many_held - few_held) / 10 < 50_000

    def test_redraw_of_a_run_that_kept_few_contacts(self, tmp_path):
        """The redraw reads back the run it wrote, KPIs to the bit, with few contacts kept."""
        scenario = sim.load_scenario(SCENARIOS / "fraud_consult.yaml", overrides={"days": 1})
        result = sim.run(scenario, seed=3, replications=3, keep_contacts=1, trace_every=60.0)
        assert result.kept_replications == [0]
        assert set(result.contacts["replication"]) == {0}
        assert result.summary == sim.run(scenario, seed=3, replications=3).summary
        write_run(result, tmp_path)
        back = load_run(tmp_path)
        pd.testing.assert_frame_equal(back.replications, result.replications, check_dtype=False)
        assert back.summary == pytest.approx(result.summary, rel=0, abs=0, nan_ok=True)
        assert back.by_type == result.by_type and back.by_group == result.by_group
        pd.testing.assert_frame_equal(back.intervals, result.intervals, check_dtype=False,
                                      check_categorical=False)
        assert_same_table(back.contacts, result.contacts, check_categorical=False)
        assert back.kept_replications == [0]
