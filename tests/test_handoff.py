"""Tables handed back from local workers through files (:mod:`sim.handoff`): no leftovers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import assert_same_table

import sim
from sim import handoff
from sim.parallel import LocalPool, ReplicationPool, local_executor, run_job

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def erlang_a():
    """Two hours of 300 calls/h (a few hundred contacts per replication)."""
    return sim.load_scenario(SCENARIOS / "erlang_a.yaml", overrides={
        "contact_types.calls.arrivals.rate": "300/h", "agents.pool.staff": 12})


@pytest.fixture
def tables(erlang_a):
    return run_job((erlang_a, 3, 0, None, True))


def _same(a, b) -> None:
    for name in ("contacts", "issues", "legs", "staff", "intervals"):
        assert_same_table(getattr(a, name), getattr(b, name))
    pd.testing.assert_series_equal(pd.Series(a.kpis), pd.Series(b.kpis))  # NaN == NaN here
    for name in ("by_type", "by_group"):
        pd.testing.assert_frame_equal(pd.DataFrame(getattr(a, name)),
                                      pd.DataFrame(getattr(b, name)))


def test_tables_sent_through_a_file_come_back_equal_and_the_file_goes(tables, tmp_path):
    sent = handoff.send(tables, tmp_path)
    assert isinstance(sent, handoff.Handoff)
    assert [p.name for p in tmp_path.iterdir()] == [os.path.basename(sent.path)]
    _same(handoff.receive(sent), tables)
    assert not list(tmp_path.iterdir())


def test_tables_that_cannot_be_written_go_back_as_they_are(tables, tmp_path):
    """A full or removed folder: the pipe carries the tables instead, nothing is lost."""
    assert handoff.send(tables, tmp_path / "gone") is tables
    assert handoff.receive(tables) is tables


def test_names_that_are_no_pid_and_others_files_are_left_alone(tmp_path):
    """Anyone may create names in /dev/shm: none of them stops a run or is removed."""
    odd = [tmp_path / f"{handoff.PREFIX}pid2147483648.x", tmp_path / f"{handoff.PREFIX}pidx.y"]
    for name in odd:
        name.mkdir()
    (tmp_path / f"{handoff.PREFIX}pid1.file").write_text("not a folder")
    assert handoff.handoff_folder(tmp_path).is_dir()
    assert all(name.exists() for name in odd) and (tmp_path / f"{handoff.PREFIX}pid1.file").exists()


def test_a_pool_without_a_folder_uses_the_pipe(erlang_a, monkeypatch):
    def no_room(root=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(handoff, "handoff_folder", no_room)
    with local_executor(2, fast_start=True) as pool:
        assert pool.handoff is None
        got = list(ReplicationPool(pool, window=2).run([(erlang_a, 2, 0, None, True)]))
    _same(got[0], run_job((erlang_a, 2, 0, None, True)))


def test_results_nobody_reads_leave_no_files():
    """A run stopped early (an error, Ctrl-C): the files of jobs already running go too."""
    from concurrent.futures import ProcessPoolExecutor

    longer = sim.load_scenario(SCENARIOS / "small_bank.yaml", overrides={"days": 10})
    jobs = [(longer, 3, r, None, True) for r in range(6)]  # still running when it stops
    pool = local_executor(2, fast_start=True)
    try:
        results = ReplicationPool(pool, window=6).run(jobs)
        next(results)
        results.close()  # the caller stops reading: others are running, or done unread
        ProcessPoolExecutor.shutdown(pool, wait=True)  # they finish (the folder stays)
        assert not list(pool.handoff.iterdir())
    finally:
        pool.shutdown()
    assert not pool.handoff.exists()


def test_a_new_folder_removes_those_of_ended_processes_only(tmp_path):
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f"{handoff.PREFIX}pid{ended}.abcd"
    live = tmp_path / f"{handoff.PREFIX}pid{os.getppid()}.efgh"  # our parent runs
    mine = handoff.handoff_folder(tmp_path)
    for folder in (stale, live):
        folder.mkdir()
        (folder / "replication.x.pickle").write_bytes(b"x")
    again = handoff.handoff_folder(tmp_path)
    assert not stale.exists()
    assert live.exists() and mine.exists() and again.exists()
    assert oct(again.stat().st_mode & 0o777) == "0o700"


def test_a_local_pool_gives_the_tables_of_one_process_and_leaves_no_folder(erlang_a):
    scenario = erlang_a
    one = sim.run(scenario, seed=4, replications=3, workers=1)
    pool = local_executor(2, fast_start=True)
    assert isinstance(pool, LocalPool) and pool.handoff.is_dir()
    try:
        two = sim.run(scenario, seed=4, replications=3, executor=pool)
        assert not list(pool.handoff.iterdir())  # each file removed as it was read
    finally:
        pool.shutdown()
    assert not pool.handoff.exists()
    assert_same_table(one.contacts, two.contacts)
    assert_same_table(one.replications, two.replications)


def test_results_sent_through_files_are_read_in_job_order(erlang_a, monkeypatch):
    scenario = erlang_a
    jobs = [(scenario, 9, r, None, r % 2 == 0) for r in range(4)]  # raw tables for even ones
    through_files = []

    def receive(result):
        through_files.append(isinstance(result, handoff.Handoff))
        return real(result)

    real = handoff.receive
    monkeypatch.setattr(handoff, "receive", receive)
    with local_executor(2, fast_start=True) as pool:
        got = list(ReplicationPool(pool, window=4).run(jobs))
    assert sorted(through_files) == [False, False, True, True]  # raw tables through files
    assert [t.replication for t in got] == [0, 1, 2, 3]
    assert [len(t.contacts) > 0 for t in got] == [True, False, True, False]
    _same(got[2], run_job(jobs[2]))


def test_the_parent_warms_its_imports_only_once_a_worker_is_idle(erlang_a, monkeypatch):
    """What the parent needs at the end (SciPy) waits until a local worker has no job.

    On two cores, a parent importing while both workers simulate is a third busy
    process: it slowed both. Once every job is handed out and a worker is idle, the
    import costs nobody time.
    """
    from sim import parallel

    finished: list[int] = []
    warmed_after: list[int] = []
    monkeypatch.setattr(parallel, "_warm", lambda names: warmed_after.append(len(finished)))
    jobs = [(erlang_a, 5, r, None, False) for r in range(5)]
    with local_executor(2, fast_start=True) as pool:
        got = list(ReplicationPool(pool, window=4, workers=2).run(
            jobs, progress=lambda done, total: finished.append(done)))
    assert [t.replication for t in got] == list(range(5))
    assert len(warmed_after) == 1 and warmed_after[0] >= len(jobs) - 1


def test_an_executor_of_the_caller_warms_the_imports_at_once(erlang_a, monkeypatch):
    """A cluster's workers are not this machine's cores: import while they start."""
    from concurrent.futures import ThreadPoolExecutor

    from sim import parallel

    finished: list[int] = []
    warmed_after: list[int] = []
    monkeypatch.setattr(parallel, "_warm", lambda names: warmed_after.append(len(finished)))
    with ThreadPoolExecutor(2) as pool:
        list(ReplicationPool(pool, window=4).run(
            [(erlang_a, 5, r, None, False) for r in range(3)],
            progress=lambda done, total: finished.append(done)))
    assert warmed_after == [0]
