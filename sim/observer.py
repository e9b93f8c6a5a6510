"""The observer: samples of the floor over time, for plots and Little's law checks.

It is a collaborator of the run, not part of the workforce: built with what it reads (the
queues, the groups and two contact columns), it only looks and never changes anything, so a
traced run records exactly what an untraced one does (tests/test_invariants.py checks it).
Ciw calls such a part a tracker.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from numbers import Real
from typing import Any

import simpy

from sim.legs import DUPLICATE
from sim.records import WAITING
from sim.units import DAY

INF = float("inf")
AFTER_END = DAY  # sampling stops at the latest this long after the run's end
MAX_SAMPLES = 10_000_000  # samples of one replication (a step of 1e-9 s ran away in memory)


def check_trace_every(every: Any, scenario: Any) -> None:
    """Refuse a sampling step that is no number of seconds > 0, or samples too often.

    ``scenario``: the run's; its days, cooldown and :data:`AFTER_END` bound the samples.

    Raises:
        ValueError: Naming ``trace_every`` (NaN hung the run, 0 sampled nothing).
    """
    if isinstance(every, bool) or not isinstance(every, Real) or not 0 < every < INF:
        raise ValueError(f"'trace_every' must be a finite number of seconds > 0, got {every!r}")
    days = scenario.days + math.ceil(scenario.cooldown / DAY) + 1
    if days * DAY / every > MAX_SAMPLES:
        raise ValueError(f"'trace_every' of {every:g} s samples {days:g} days "
                         f"{days * DAY / every:,.0f} times, more than {MAX_SAMPLES:,}")


class QueueTracer:
    """Queue lengths and busy agents every ``every`` seconds, into :attr:`samples`.

    ``samples`` has a ``time`` column, ``queue.<type>`` (contacts waiting, not yet past their
    patience: customers and consult requests; a post's second answer by an uncoordinated
    team is not a contact, its post counts once) and ``busy.<group>`` (agents on duty and
    not idle, a second answer's too), one value per sample. The
    samples are a regular grid from the start until the last day has closed (``run_end``) and
    every agent has finished, or at most :data:`AFTER_END` past the run's end: work that
    outlasts it (a talk of a year, say) is not sampled every minute until it ends.
    """

    def __init__(self, env: simpy.Environment, every: float, run_end: float,
                 type_names: Sequence[str], queues: Sequence[Any], group_names: Sequence[str],
                 groups: Sequence[Any], state: Sequence[int], deadline: Sequence[float],
                 kind: Sequence[int]):
        self.env, self.every, self.run_end = env, every, run_end
        self.queues, self.groups = queues, groups  # queues: objects with a ``queue`` deque
        # contact columns, appended in place
        self.state, self.deadline, self.kind = state, deadline, kind
        self.queue_names = [f"queue.{t}" for t in type_names]
        self.busy_names = [f"busy.{g}" for g in group_names]
        self.samples: dict[str, list[float]] = {
            "time": [], **{name: [] for name in self.queue_names + self.busy_names}}

    def run(self) -> Generator[simpy.Event, Any, None]:
        """The SimPy process: sample on the grid until the run is over.

        Past the run's end it also wakes at the run's next event (without sampling), so that
        it stops there and never moves the clock on beyond the run's own last event:
        unanswered contacts wait until that moment. It stops :data:`AFTER_END` past the
        run's end in any case (the run goes on without it).
        """
        env, every, end = self.env, self.every, self.run_end
        last = end + AFTER_END
        on_grid, grid = True, 0.0  # woken on the sampling grid, not only to look for the end
        while True:
            now = env.now
            busy = [group.present - len(group.idle) for group in self.groups]
            upcoming = env.peek()  # the next event of the run itself (this tick is not queued)
            done = now >= last or (  # or every agent is done, or nothing can happen
                now >= end and (sum(busy) == 0 or upcoming == INF))
            if on_grid:  # a regular grid: each sample stands for one step
                self._sample(now, busy)
            if done:
                return
            if on_grid:
                grid = now + every
            tick = grid
            if tick > end:  # past the run's end, never outlast the run's own last event
                tick = end if upcoming == INF else max(end, min(grid, upcoming, last))
            on_grid = tick == grid
            yield env.timeout(tick - now)

    def _sample(self, now: float, busy: list[int]) -> None:
        samples, state, deadline, kind = self.samples, self.state, self.deadline, self.kind
        samples["time"].append(now)
        for name, ct in zip(self.queue_names, self.queues):
            samples[name].append(sum(1 for c in ct.queue if state[c] == WAITING
                                     and deadline[c] > now and kind[c] != DUPLICATE))
        for name, n in zip(self.busy_names, busy):
            samples[name].append(n)
