"""Timeouts without SimPy's per-event bookkeeping, and the loop that runs them.

A plain call costs two events: its arrival and the end of its talk. Built as
``simpy.Timeout`` each costs a constructor with checks, a ``schedule`` call and an
``Environment.step`` call (a third of a plain call's time). A :class:`Tick` is what SimPy's
loop needs of an event and no more: ``callbacks``, ``_value`` and ``_ok``. It goes straight
onto the environment's own queue with SimPy's priority and event counter, so ticks and
SimPy's events (processes, conditions, the tracer) interleave in exactly the order SimPy
would give them, and a process may ``yield`` a tick like any timeout.

:func:`run_events` is ``Environment.run()`` without a method call per event; it handles a
failed event (a process that raised) as SimPy does, and runs one stream of events kept
off the heap (the arrivals) in the heap's order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from itertools import count
from typing import Any

import simpy
from simpy.events import NORMAL


class Tick:
    """A scheduled moment: the callbacks to call then, and the value they see."""

    __slots__ = ("_value", "callbacks")
    _ok = True  # a tick never fails

    def __init__(self, callbacks: list[Callable[[Any], None]], value: Any = None):
        self.callbacks = callbacks
        self._value = value


def scheduler(env: simpy.Environment) -> tuple[Callable[..., None], Callable[[float], Tick]]:
    """``(at, sleep)`` for ``env``.

    ``at(delay, callback, value=None)`` calls ``callback(tick)`` ``delay`` seconds from
    now (``tick._value`` is ``value``); ``sleep(delay)`` is a tick for a process to yield.
    Delays must be >= 0 (every caller computes them from times that only grow).
    """
    queue: list = env._queue  # SimPy's own heap of (time, priority, id, event)
    ids: count = env._eid
    push, new = heapq.heappush, object.__new__

    def at(delay: float, callback: Callable[[Any], None], value: Any = None) -> None:
        tick = new(Tick)  # Tick((callback,), value) without a Python __init__ call
        tick.callbacks, tick._value = (callback,), value  # nobody appends: a tuple
        push(queue, (env._now + delay, NORMAL, next(ids), tick))

    def sleep(delay: float) -> Tick:
        tick = Tick([])
        push(queue, (env._now + delay, NORMAL, next(ids), tick))
        return tick

    return at, sleep


def run_events(env: simpy.Environment, aside: list | None = None) -> None:
    """Process every event of ``env`` until none is left (``env.run()``, inlined).

    ``aside``: a one-item list holding the next entry of a stream kept off the heap (or
    None), the same ``(time, priority, id, event)`` as on it. The arrival stream
    (:mod:`sim.engine`) is due next at every arrival: pushed and popped, it sifted
    through the heap twice per arrival; aside, it costs one comparison with the heap's
    head per event. The events run in exactly the order of one heap.
    """
    queue = env._queue
    pop = heapq.heappop
    if aside is None:
        aside = [None]
    while True:
        entry = aside[0]
        if entry is not None and (not queue or entry < queue[0]):
            aside[0] = None
        elif queue:
            entry = pop(queue)
        else:
            return
        env._now, _, _, event = entry
        callbacks, event.callbacks = event.callbacks, None
        for callback in callbacks:
            callback(event)
        if not event._ok and not hasattr(event, "_defused"):
            # a process raised and nobody waited on it: re-raise as SimPy does
            exc = type(event._value)(*event._value.args)
            exc.__cause__ = event._value
            raise exc
