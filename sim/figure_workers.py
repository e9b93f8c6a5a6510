"""A report's figures drawn side by side, in processes forked from this one.

Drawing the figures of a report was most of the time a user waited for a small run
(``ccsim run scenarios/small_bank.yaml --replications 5``: 1.3 s simulating, about 2.5 s
drawing six figures, one after the other). Each figure is drawn on its own, from results
already in memory, so the command line forks worker processes that draw them at once:
a forked worker has the results and matplotlib already (no pickling, nothing imported
again) and sends back only the PNG bytes, the same bytes as drawn here
(``tests/test_report.py`` compares them).

Only where forking is safe (Linux, no other thread running: :func:`sim.parallel.local_executor`'s
rule) and asked for (``workers`` > 1, as the command line does); a script's report is
drawn in its own process, as before. A pool that breaks (a worker killed) leaves the
figures it did not return to be drawn here.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sim.fork_signals import forking
from sim.parallel import _init_worker

Job = Callable[[], Any]
"""Draws one figure and returns it (a :class:`sim.report_figures.RenderedFigure`)."""

_JOBS: Sequence[Job] = ()  # the jobs of the pool being forked (inherited by its workers)


def _run(index: int) -> Any:
    """In a forked worker: draw figure ``index`` of the jobs it inherited."""
    return _JOBS[index]()


def can_fork() -> bool:
    """Whether worker processes may be forked from this one now."""
    return sys.platform == "linux" and threading.active_count() == 1


def draw_all(jobs: Sequence[Job], workers: int = 1) -> list[Any]:
    """Each job's figure, in order: drawn by up to ``workers`` forked processes, or here.

    Here when ``workers`` <= 1, there is one job, or forking is not safe.
    """
    global _JOBS
    workers = min(workers, len(jobs))
    if workers <= 1 or not can_fork():
        return [job() for job in jobs]
    results: list[Any] = [None] * len(jobs)
    done = [False] * len(jobs)
    _JOBS = jobs
    pool = None
    try:
        with forking():  # (the workers fork at the first submit: Ctrl-C once they have)
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                       initializer=_init_worker)
            futures = [pool.submit(_run, i) for i in range(len(jobs))]
        for i, future in enumerate(futures):
            results[i] = future.result()
            done[i] = True
    except (BrokenProcessPool, OSError):  # a worker died, or none could start
        pass
    finally:
        _JOBS = ()
        if pool is not None:
            if not all(done):  # broken, or Ctrl-C: stop the workers now (they ignore SIGINT;
                # the interpreter's exit would wait for the figures they are drawing)
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.terminate()
            # waiting for the stopped workers is short, and the command then leaves with
            # no pool thread alive: left running, Python's exit raced it ("Exception
            # ignored in: <module 'threading'> ... Bad file descriptor", CPython 3.11)
            pool.shutdown(wait=True, cancel_futures=True)
    return [result if finished else job()
            for job, result, finished in zip(jobs, results, done)]
