"""Light timeouts and the inlined event loop (sim.ticks): the order SimPy's heap gives."""

from __future__ import annotations

import heapq

import simpy
from simpy.events import NORMAL

from sim.ticks import Tick, run_events, scheduler


class TestRunEventsAside:
    def test_a_stream_kept_aside_runs_in_the_heaps_order(self):
        """Entries held aside interleave with the heap's by (time, priority, id), ties by id."""
        env = simpy.Environment()
        at, _ = scheduler(env)
        log = []
        aside = [None]
        stream_times = iter([1.0, 2.0, 2.0, 5.0])

        def arrive(tick):
            log.append(("arrival", env.now))
            t = next(stream_times, None)
            if t is not None:  # the next arrival, its id taken now, as a push would
                nxt = Tick((arrive,))
                aside[0] = (t, NORMAL, next(env._eid), nxt)

        at(2.0, lambda tick: log.append(("talk", env.now)))  # id before the stream's
        aside[0] = (0.5, NORMAL, next(env._eid), Tick((arrive,)))
        at(5.0, lambda tick: log.append(("late", env.now)))
        run_events(env, aside)
        assert log == [("arrival", 0.5), ("arrival", 1.0), ("talk", 2.0), ("arrival", 2.0),
                       ("arrival", 2.0), ("late", 5.0), ("arrival", 5.0)]
        assert aside == [None] and not env._queue

    def test_the_same_order_as_one_heap(self):
        """Pushed onto the heap instead, the same entries run in the same order."""
        assert _trace(keep_aside=True) == _trace(keep_aside=False)


def _trace(keep_aside: bool) -> list[tuple[str, float]]:
    """Arrivals at 3, 3 and 4 s, each scheduling a step at the same instant; a talk at 3 s."""
    env = simpy.Environment()
    at, _ = scheduler(env)
    log: list[tuple[str, float]] = []
    aside = [None]
    times = iter([3.0, 4.0])

    def enter(entry):
        if keep_aside:
            aside[0] = entry
        else:
            heapq.heappush(env._queue, entry)

    def arrive(tick):
        log.append(("arrival", env.now))
        t = next(times, None)
        if t is not None:
            enter((t, NORMAL, next(env._eid), Tick((arrive,))))
        at(0.0, lambda _tick: log.append(("same instant", env.now)))

    at(3.0, lambda _tick: log.append(("talk", env.now)))
    enter((3.0, NORMAL, next(env._eid), Tick((arrive,))))
    run_events(env, aside)
    assert len(log) == 7
    return log
