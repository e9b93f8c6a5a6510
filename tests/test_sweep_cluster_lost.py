"""A lost Dask worker (KilledWorker) or scheduler mid-sweep is a resumable interruption.

It was reported as
"internal error ... this is a bug in ccsim", not as the resumable interruption the
README promises ("Interrupted (Ctrl-C, kill, a lost worker)? Run the same command again").

Observed live (tcp scheduler, allowed-failures=0, worker process kill -9):
  internal error (KilledWorker: ...): this is a bug in ccsim; please report it ...
and with the scheduler killed: internal error (CancelledError:): this is a bug in ccsim.
The local path (BrokenProcessPool) prints "a worker process died: N of M units kept in
OUT/parts; run the same command again to resume".
"""
from concurrent.futures import CancelledError, Executor, Future

import pytest
from click.testing import CliRunner

distributed = pytest.importorskip("distributed")
from distributed.scheduler import KilledWorker  # noqa: E402

import sim.cli_sweep as cli_sweep  # noqa: E402
from sim.cli import main  # noqa: E402

SCENARIO = """name: tiny
seed: 1
days: 1
open: "08:00"
close: "09:00"
interval: 30m
service_level: {threshold: 20s, target: 0.8}
contact_types:
  a:
    arrivals: {rate: 20/h}
    handle: {dist: exponential, mean: 3m}
    patience: {dist: exponential, mean: 5m}
agents:
  pool: {skills: [a], staff: 2}
"""


class _LosesAWorker(Executor):
    """Runs the first unit; every later one fails as Dask fails a task whose worker died."""

    def __init__(self, error: BaseException):
        self.calls, self.error = 0, error

    def submit(self, fn, *args, **kwargs):
        self.calls += 1
        future = Future()
        if self.calls == 1:
            future.set_result(fn(*args, **kwargs))
        else:
            future.set_exception(self.error)
        return future


class _FakeClient:
    def close(self):
        pass


@pytest.mark.parametrize("error", [KilledWorker("run_unit-x", "tcp://127.0.0.1:1", 0),
                                   CancelledError()])  # (a worker, or the scheduler, lost)
def test_lost_cluster_worker_is_a_resumable_interruption(tmp_path, monkeypatch, error):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO)
    monkeypatch.setattr(cli_sweep, "_executor",
                        lambda scenario, scheduler: (_LosesAWorker(error), _FakeClient()))
    out = tmp_path / "sw"
    result = CliRunner().invoke(main, ["sweep", str(path), "--grid", "agents.pool.staff=2,3",
                                       "-r", "2", "--out", str(out), "--scheduler",
                                       "tcp://127.0.0.1:1", "--no-figures", "-q"])
    assert result.exit_code == 1 and "bug in ccsim" not in result.output, result.output
    assert f"the cluster lost a worker or its scheduler ({type(error).__name__}): 1 of 4 " \
           f"units kept in {out}/parts; run the same command again to resume" in result.output
    assert len(list((out / "parts").glob("*.json"))) == 1  # the finished unit is kept
