"""Ctrl-C and ``kill`` held back while this process forks its worker processes.

Python runs a signal's handler in the first Python code after the signal lands. Landing
while the process forks, that code is an at-fork hook (logging's ``_releaseLock``),
whose exceptions Python prints and drops: "Exception ignored in: <function
_releaseLock ...>", and the command ran on to exit 0 (``ccsim report --workers 2``,
``ccsim run -w 2``). Landing between two workers' forks, it stopped the pool before the
thread that tells its workers to leave had started: "interrupted", then a wait for the
first worker that never ended. A worker reached before its initializer had set its own
handlers ran the command's: Ctrl-C printed a traceback of the worker's, and the pool's
``terminate`` (a ``kill``) was dropped in an at-fork hook, the worker left waiting for
work and the command for it, forever.

So while a pool forks, both are held back twice over: this process's handlers only
note them (the kernel may hand a signal to any thread, and libraries such as pyarrow
run threads of their own), and the forking thread blocks them, which each worker, a
copy of that thread, inherits until its initializer has set its own handlers
(:func:`release_in_worker`). Once every worker is started, the signal is raised again
under the command's handlers (:func:`sim.output.deferred_signals`).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

from sim.output import deferred_signals

HELD = (signal.SIGINT, signal.SIGTERM)
"""Ctrl-C and ``kill``: what the command line turns into KeyboardInterrupt."""


@contextmanager
def forking() -> Iterator[None]:
    """Run the block, which forks workers, with Ctrl-C and ``kill`` raised after it."""
    if not hasattr(signal, "pthread_sigmask"):  # (not POSIX: nothing forks)
        yield
        return
    with deferred_signals():
        before = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)


def release_in_worker() -> None:
    """In a worker whose handlers are set: let Ctrl-C and ``kill`` in again.

    One held back while it was forked is handled now: Ctrl-C (meant for the parent) is
    ignored, the pool's ``terminate`` ends the worker.
    """
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HELD)
