"""A report's figures drawn side by side in forked processes (sim.figure_workers).

The command line draws a report's figures in worker processes forked from itself: they
must be the very bytes drawn in one process, in the same order, drawn where the workers
are (else nothing is gained), and drawn here instead where forking is not safe (another
thread running) or a worker dies. (A comparison's figures, drawn side by side, are checked
by name and order in ``test_report.py``.)
"""

from __future__ import annotations

import multiprocessing
import os
import threading

import sim
from sim import report_figures
from sim.figure_workers import draw_all

SCENARIO = {
    "name": "figures", "seed": 3, "days": 1, "open": "08:00", "close": "11:00",
    "interval": "30m",
    "contact_types": {"calls": {"arrivals": {"rate": "90/h"},
                                "handle": {"dist": "exponential", "mean": "4m"},
                                "patience": {"dist": "exponential", "mean": "3m"}}},
    "agents": {"pool": {"skills": ["calls"], "staff": 6}},
}


def where(i: int) -> tuple[int, int]:
    return i, os.getpid()


def dies_in_a_worker(i: int) -> tuple[int, str]:
    if multiprocessing.parent_process() is not None:
        os._exit(3)  # a worker killed while drawing
    return i, "here"


def test_figures_are_drawn_in_forked_workers_in_order():
    jobs = [lambda i=i: where(i) for i in range(5)]
    drawn = draw_all(jobs, workers=2)
    assert [i for i, _ in drawn] == list(range(5))
    assert os.getpid() not in {pid for _, pid in drawn}


def test_two_workers_draw_at_once():
    both = multiprocessing.get_context("fork").Barrier(2, timeout=20)  # (inherited)

    def meet() -> int:
        both.wait()  # passes only while the other worker waits too
        return os.getpid()

    pids = draw_all([meet, meet], workers=2)
    assert len(set(pids)) == 2 and os.getpid() not in pids


def test_here_with_one_worker_or_another_thread_running():
    jobs = [lambda i=i: where(i) for i in range(3)]
    assert draw_all(jobs, workers=1) == [(i, os.getpid()) for i in range(3)]
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:  # forking now could copy a lock that thread holds: drawn here instead
        assert draw_all(jobs, workers=2) == [(i, os.getpid()) for i in range(3)]
    finally:
        stop.set()
        other.join()


def test_a_worker_that_dies_leaves_its_figures_drawn_here():
    jobs = [lambda i=i: where(i) for i in range(4)]
    jobs[1] = lambda: dies_in_a_worker(1)
    drawn = draw_all(jobs, workers=2)
    assert drawn[1] == (1, "here")
    assert [d[0] for d in drawn] == list(range(4))


def assert_same_figures(side_by_side, here) -> None:
    assert [f.name for f in side_by_side] == [f.name for f in here]
    for a, b in zip(side_by_side, here):
        assert a.png is not None and a.png == b.png, a.name
        assert (a.title, a.caption, a.problem) == (b.title, b.caption, b.problem)


def test_a_runs_figures_are_the_bytes_drawn_here():
    result = sim.run(sim.scenario_from_dict(SCENARIO), replications=2, trace_every=60.0)
    assert_same_figures(report_figures.run_figures(result, workers=2),
                        report_figures.run_figures(result))
