"""Where replications run: in this process, on every local core, or on any executor.

The one place the project starts processes. A *job* is one replication of one scenario;
it is measured where it runs (:func:`sim.measure.replication_tables`) and only its
tables come back. Replication ``r`` draws from streams keyed by ``(seed, r, ...)``, so a
job's result does not depend on the process that ran it; :class:`ReplicationPool` hands
the results back in job order, so whatever aggregates them sees the same sequence for
any number of workers.

Local processes are forked from the command line where that is safe, and otherwise, on
Linux, from a fork server: one process per Python session, started with the first pool,
that imports ccsim once (:data:`PRELOAD`); every later pool's workers are forked from it
at once, where "spawn" (a fresh interpreter: macOS, Windows) imports ccsim again in every
worker of every pool, half a second each (``benchmarks/bench_pool_start.py``). The global
start method is left alone. Both re-import the user's script in every worker, so a
script that runs simulations at top level, without ``if __name__ == "__main__":``, would
start workers from its workers: that case is detected and explained in one line
(:class:`MainGuardError`).
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.connection
import os
import re
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import cache, partial
from pathlib import Path

from sim import handoff
from sim.fork_signals import forking, release_in_worker
from sim.measure import ReplicationTables, replication_tables
from sim.routing import replication_copy
from sim.scenario import Scenario

Job = (tuple[Scenario, int, int, "float | None", bool]
       | tuple[Scenario, int, int, "float | None", bool, object])
"""(scenario, seed, replication, trace_every, keep_raw[, routing policy]): one replication."""


WARM_WHILE_WAITING = ("scipy.special",)
"""Imported by this process while its workers simulate: what it needs at the end (Student's
t for the confidence intervals). Imported before forking them, it was 0.2 s of the serial
part of every run, for workers that need it only for a journey's gamma times
(:func:`sim.distributions._gamma_quantile` imports it then). With local workers, only once
every job is handed out and a worker is idle: on two cores a parent importing while both
workers simulate is a third busy process, and slowed both (0.2 to 0.4 s of CPU)."""

PRELOAD = ["sim.parallel"]
"""What the fork server imports before it forks workers: what a job needs (this module
brings the engine, numpy, pandas, SimPy, pydantic; not the user's script, which each worker
imports as under "spawn", so an unguarded one is still explained, never run by the server).
The list is the process's (``set_forkserver_preload``): set before ccsim's first pool, it
replaces one a program set for its own fork server; where a fork server already runs, its
workers import ccsim themselves, as spawned ones do."""

EXECUTOR_WINDOW = 256
"""Jobs in flight at once on an executor given by the caller (a cluster's cores)."""


class MainGuardError(RuntimeError):
    """Worker processes could not start because the script has no ``__main__`` guard."""


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


class SerialExecutor(Executor):
    """Runs each call in this process when submitted (one worker, no pool)."""

    def submit(self, fn, /, *args, **kwargs):
        """Call ``fn`` now; its result or exception is in the returned future."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


def picklable_for_workers(policy: object) -> None:
    """Check that local worker processes can be sent ``policy`` (pickled by reference).

    Failing in the pool's feeder thread instead, the run raised a bare pickling error and
    the pool waited at exit for a job no worker ever received.

    Raises:
        TypeError: In one line, what cannot be pickled and how to run anyway.
    """
    import pickle

    try:
        pickle.dumps(policy)
    except Exception as exc:  # PicklingError, AttributeError, TypeError: all the same here
        raise TypeError(
            f"policy {type(policy).__name__} cannot be sent to worker processes ({exc}); "
            "define its class at a module's top level, or pass workers=1") from None


def _init_worker() -> None:
    """Worker initializer: leave Ctrl-C to the parent, and exit if the parent dies.

    The parent stops cleanly on Ctrl-C; a parent killed outright (``kill -9``) would
    otherwise leave its idle workers waiting for work forever.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherits the CLI's handler
    release_in_worker()  # (forked with Ctrl-C and kill held back: sim.fork_signals)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


def _exit_with(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _bootstrapping() -> bool:
    """Whether this is a spawned worker still importing the parent's main script."""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def local_executor(workers: int | None = None, fast_start: bool = False) -> Executor:
    """A pool of ``workers`` local processes (default: one per usable core); 1: no pool.

    Args:
        workers: Processes.
        fast_start: Fork the workers from this process where that is safe (Linux, no
            other thread running), so they start at once with everything imported,
            instead of forking them from the fork server (which costs a message, and
            the user's script imported again) or spawning fresh interpreters that import
            ccsim again (half a second each, far more on a loaded machine). For the
            command line, whose main module is ccsim's own; a user's script gets the
            fork server on Linux and "spawn" elsewhere.
    """
    workers = workers or usable_cores()
    if workers == 1:
        return SerialExecutor()
    if _bootstrapping():
        # A worker re-running an unguarded script: leave quietly, the parent explains.
        raise SystemExit(1)
    if fast_start and sys.platform == "linux" and threading.active_count() == 1:
        context = multiprocessing.get_context("fork")
    elif sys.platform == "linux" and _server_finds_this_ccsim():  # (macOS has a fork
        # server too, but forks there are not safe after some system libraries load)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)  # (until the server starts: its first pool)
    else:
        context = multiprocessing.get_context("spawn")
    return LocalPool(max_workers=workers, mp_context=context, initializer=_init_worker)


@cache
def _server_finds_this_ccsim() -> bool:
    """Whether the fork server would import this very ccsim for :data:`PRELOAD`.

    The server is a fresh interpreter started in the current folder; it imports its
    preload with its own ``sys.path`` (the current folder first), not this process's
    (CPython's forkserver ignores the path it is handed: python/cpython#117378). Beside
    another package named ``sim``, or with ccsim found only through a path a script
    added, its workers would get another ``sim`` or none: then workers are spawned, as
    before. Asked once per process (cached), of a fresh interpreter with the server's
    flags (about 20 ms), without importing anything.
    """
    import subprocess
    from multiprocessing import spawn, util

    try:
        done = subprocess.run(
            [spawn.get_executable(), *util._args_from_interpreter_flags(), "-c",
             "import importlib.util as u; s = u.find_spec('sim'); "
             "print(s.origin if s and s.origin else '')"],
            capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return False
    found = done.stdout.strip()
    return bool(found) and Path(found).resolve() == Path(__file__).resolve().parent / "__init__.py"


class LocalPool(ProcessPoolExecutor):
    """Worker processes on this machine, which hand big results back through files.

    Jobs that keep their raw tables come back through :mod:`sim.handoff` (a file in RAM,
    six times quicker than the pool's pipe); the folder goes when the pool shuts down,
    or at the latest when this process exits.
    """

    def __init__(self, max_workers: int, **kwargs):
        super().__init__(max_workers=max_workers, **kwargs)
        self.workers = max_workers  # (ProcessPoolExecutor keeps it private)
        self._forked = False  # (a fork pool's workers start at the first submit)
        try:
            self.handoff: Path | None = handoff.handoff_folder()
        except Exception:  # no folder to be had (no space, no inodes): the pipe, as before
            self.handoff = None
        self._remove_folder = (weakref.finalize(self, handoff.remove, self.handoff)
                               if self.handoff is not None else None)

    def submit(self, fn, /, *args, **kwargs):
        """As :meth:`ProcessPoolExecutor.submit`; the first forks: Ctrl-C waits for it.

        A fork pool starts its workers at the first submit (:mod:`sim.fork_signals`).
        """
        if self._forked or self._mp_context.get_start_method() != "fork":
            return super().submit(fn, *args, **kwargs)
        self._forked = True
        with forking():
            return super().submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down (:meth:`ProcessPoolExecutor.shutdown`) and remove the folder."""
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if self._remove_folder is not None:
            self._remove_folder()


def _unguarded_script() -> str | None:
    """The main script's path if it runs code without ``if __name__ == "__main__":``."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or getattr(main, "__spec__", None) is not None:
        return None  # interactive, a notebook, or `python -m`: spawn does not re-run it
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            source = file.read()
    except OSError:
        return None
    if re.search(r"""^\s*if\s+__name__\s*==\s*["']__main__["']""", source, re.M):
        return None
    return path


@contextmanager
def explained_broken_pool() -> Iterator[None]:
    """Turn a pool broken by an unguarded script into one line saying what to add."""
    try:
        yield
    except BrokenProcessPool:
        script = _unguarded_script()
        if script is None:
            raise
        raise MainGuardError(
            f"{script}: worker processes re-import this script; put "
            "the code that runs simulations under `if __name__ == \"__main__\":`, or pass "
            "workers=1") from None


def run_job(job: Job) -> ReplicationTables:
    """Simulate and measure one replication; without ``keep_raw`` only its measures return."""
    scenario, seed, replication, trace_every, keep_raw, *policy = job
    # each replication its own copy of a user's policy, here as in a worker process
    tables = replication_tables(scenario, seed, replication, trace_every=trace_every,
                                policy=replication_copy(policy[0]) if policy else None)
    if not keep_raw:  # nothing big to send back between processes
        tables.contacts = tables.contacts.iloc[:0]  # its issues: none either
        tables.legs, tables.staff, tables.trace = tables.legs.iloc[:0], tables.staff.iloc[:0], None
    return tables


def run_job_handing_off(job: Job, folder: str) -> ReplicationTables | handoff.Handoff:
    """:func:`run_job` in a local worker: raw tables come back through a file in ``folder``."""
    tables = run_job(job)
    return handoff.send(tables, folder) if job[4] else tables


def _discard_handoff(future: Future) -> None:
    """Remove the file of a result nobody will read (the run stopped before it)."""
    if not future.cancelled() and future.exception() is None:
        handoff.discard(future.result())


def _warm(names: list[str]) -> None:
    """Import ``names`` now (:data:`WARM_WHILE_WAITING`)."""
    for name in names:
        importlib.import_module(name)


class ReplicationPool:
    """Runs jobs on an executor, at most ``window`` in flight, handing results back in order.

    Args:
        executor: Where jobs run.
        window: Jobs in flight at once (bounds the results waiting for an earlier one).
        workers: The executor's processes where they share this machine's cores (a local
            pool), or None (a cluster's): this process then warms its imports only once
            one of them is idle.
    """

    def __init__(self, executor: Executor, window: int, workers: int | None = None):
        self.executor, self.window = executor, max(1, window)
        self.workers = workers

    def run(self, jobs: Sequence[Job], progress: Callable[[int, int], None] | None = None
            ) -> Iterator[ReplicationTables]:
        """Yield each job's tables in job order; ``progress(done, total)`` as jobs finish."""
        if isinstance(self.executor, SerialExecutor):  # in this process, one at a time
            for i, job in enumerate(jobs):
                yield run_job(job)
                if progress is not None:
                    progress(i + 1, len(jobs))
            return
        todo = iter(enumerate(jobs))
        folder = getattr(self.executor, "handoff", None)
        submit = (partial(self.executor.submit, run_job) if folder is None
                  else partial(self.executor.submit, run_job_handing_off, folder=str(folder)))
        pending: dict[Future, int] = {}
        ready: dict[int, ReplicationTables] = {}
        following = finished = 0
        warm, handed_out = list(WARM_WHILE_WAITING), False
        try:
            with explained_broken_pool():
                while True:
                    while len(pending) + len(ready) < self.window:
                        item = next(todo, None)
                        if item is None:
                            handed_out = True
                            break
                        pending[submit(item[1])] = item[0]
                    if warm and (self.workers is None  # a cluster: while its workers start
                                 or (handed_out and len(pending) < self.workers)):
                        _warm(warm)
                        warm = []
                    if not pending and not ready:
                        return
                    if following not in ready:
                        done, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for future in done:
                            ready[pending.pop(future)] = handoff.receive(future.result())
                            finished += 1
                            if progress is not None:
                                progress(finished, len(jobs))
                    while following in ready:
                        yield ready.pop(following)
                        following += 1
        finally:
            for future in pending:  # those running or done already: their files go too
                if not future.cancel() and folder is not None:
                    future.add_done_callback(_discard_handoff)


@contextmanager
def replication_pool(workers: int | None, executor: Executor | None, jobs: int
                     ) -> Iterator[ReplicationPool]:
    """A pool for up to ``jobs`` replications: the given executor, or local processes.

    Args:
        workers: Local processes when ``executor`` is None (None: one per usable core;
            never more than ``jobs``; 1 runs in this process).
        executor: Any :class:`concurrent.futures.Executor`; it is not shut down.
        jobs: How many jobs at most will run (no more processes than that start).
    """
    if executor is not None:  # a bounded window: results wait in memory for earlier ones
        yield ReplicationPool(executor, window=min(max(jobs, 1), EXECUTOR_WINDOW),
                              workers=executor.workers if isinstance(executor, LocalPool)
                              else None)
        return
    workers = max(1, min(workers or usable_cores(), jobs))
    own = local_executor(workers)
    try:
        yield ReplicationPool(own, window=2 * workers, workers=workers)
    except BaseException:
        own.shutdown(wait=False, cancel_futures=True)  # running jobs finish, then exit
        raise
    own.shutdown(wait=True)

