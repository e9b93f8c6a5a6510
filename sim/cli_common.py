"""Helpers shared by the ``ccsim`` commands: one-line errors and loading scenarios.

The options the commands share are defined in :mod:`sim.cli_options`.

Every command reports bad input the same way: one ``file: field.path: reason`` line per
problem on stderr, and exit code 2.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click

from sim import limits, memory_limit
from sim.cli_options import (  # noqa: F401 (the option types, imported from here too)
    DURATION,
    RATE,
    SEED,
    TARGET,
    WORKERS,
    Fraction,
)
from sim.errors import SimulationError
from sim.loader import ScenarioError, load_scenario, parse_override
from sim.output import held_by
from sim.scenario import Scenario
from sim.schedule import scenario_warnings

"""Replications whose contacts a command keeps by default (about 40 MB each for a busy day)."""

def wrap_note(line: str, width: int = 96) -> list[str]:
    """A note under a table (:func:`sim.features.note`), wrapped between words."""
    return textwrap.wrap(line, width=width, break_long_words=False, break_on_hyphens=False)


def fail(lines: list[str]) -> NoReturn:
    """Print each line on stderr and exit with code 2 (bad input)."""
    for line in lines:
        click.echo(line, err=True)
    sys.exit(2)


def parse_overrides(path: str, texts: tuple[str, ...]) -> dict[str, Any]:
    """``--set PATH=VALUE`` options as a dict; a malformed one fails naming the file."""
    parsed = {}
    for text in texts:
        try:
            key, value = parse_override(text)
        except ValueError as exc:
            fail([f"{path}: --set: {exc}"])
        parsed[key] = value
    return parsed


def load_or_fail(path: str, overrides: dict[str, Any], whole_trace: bool = False) -> Scenario:
    """The validated scenario, or every problem printed and exit 2.

    A valid scenario that is rarely what was meant (a contact type nobody can answer,
    a shift outside opening hours) is loaded with a warning line on stderr.
    ``whole_trace``: a replayed trace will be run over all its days (a backtest).
    """
    try:
        scenario = load_scenario(path, overrides=overrides)
    except ScenarioError as exc:
        fail(exc.lines())
    warn_rarely_meant(path, scenario, whole_trace)
    return scenario


def warn_rarely_meant(path: str, scenario: Scenario, whole_trace: bool = False) -> None:
    """A warning line on stderr for each valid field that is rarely what was meant."""
    for field, reason in scenario_warnings(scenario, whole_trace):
        click.echo(f"{path}: warning: {field}: {reason}", err=True)


def check_work(path: str, scenarios: list[Scenario], replications: int, runs: int = 1,
               option: str = "--replications", per: str = "per replication") -> None:
    """Refuse (one line, exit 2) replications or expected contacts over their limits.

    Called before any work: with no scenarios it checks the replications alone. The
    arguments are those of :func:`work_problems`.
    """
    problems = work_problems(path, scenarios, replications, runs, option, per)
    if problems:
        fail(problems)


def work_problems(path: str, scenarios: list[Scenario], replications: int, runs: int = 1,
                  option: str = "--replications", per: str = "per replication") -> list[str]:
    """Replications, expected contacts or memory over their limits, as problem lines.

    ``ccsim validate`` checks one replication with it, as ``ccsim run -r 1`` would.

    Args:
        path: The scenario file, to name in the message.
        scenarios: The scenarios each replication runs (a comparison's variants).
        replications: Replications of each.
        runs: How many times all that is done (a sweep's grid points).
        option: The option that sets ``replications``.
        per: What one replication of ``scenarios`` is, in the message.
    """
    per_replication = sum(sum(limits.expected_contacts(s).values()) for s in scenarios)
    problems = limits.run_problems(per_replication, replications, runs, option, per)
    if not problems and scenarios:  # and one replication must fit in memory (each is a job)
        reason = _memory(memory_limit.replication_problem, _job_contacts(scenarios))
        problems = [(_busiest_arrivals(scenarios), reason)] if reason else []
    return [f"{path}: {where}: {reason}" if where else f"{path}: {reason}"
            for where, reason in problems]


def _busiest_arrivals(scenarios: list[Scenario]) -> str:
    """The field to blame for a replication's size: its busiest contact type's arrivals."""
    largest = max(scenarios, key=lambda s: sum(limits.expected_contacts(s).values()))
    contacts = limits.expected_contacts(largest)
    return f"contact_types.{max(contacts, key=contacts.get)}.arrivals" if contacts else ""


def writable_or_fail(path: str | Path, option: str = "--out", folder: bool = True,
                     inputs: tuple[str | Path, ...] = ()) -> None:
    """Refuse (one line, exit 2) an output path that cannot be written, before any work.

    The nearest folder that exists on the way to ``path`` must be a folder (not a file)
    in which a file can be created; nothing is left behind by the check. An output file
    that is one of the command's input files is refused too (it would be overwritten).

    Args:
        path: The output folder (``folder``) or file.
        option: The option that gave it, to name in the message.
        folder: Whether ``path`` is a folder to write into, else a file to write.
        inputs: The files the command reads.
    """
    target = Path(path)
    for given in inputs:
        if target.is_file() and Path(given).is_file() and os.path.samefile(target, given):
            fail([f"{option}: cannot write {path}: it is the input {given}"])
    if folder and target.exists() and not target.is_dir():
        fail([f"{option}: cannot write {path}: {target} is a file, not a folder"])
    if not folder and target.is_dir():
        fail([f"{option}: cannot write {path}: it is a folder, not a file"])
    probe = target if folder else target.parent
    while not probe.exists() and probe != probe.parent:  # 'file/x' does not exist either
        probe = probe.parent
    if not probe.is_dir():
        fail([f"{option}: cannot write {path}: {probe} is a file, not a folder"])
    try:
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as exc:
        why = {errno.EACCES: f"no permission to create files in {probe}",
               errno.EPERM: f"no permission to create files in {probe}",
               errno.EROFS: f"{probe} is on a read-only file system"}.get(
                   exc.errno, f"{(exc.strerror or str(exc)).lower()} ({probe})")
        fail([f"{option}: cannot write {path}: {why}"])


def unheld_or_fail(out: str | Path, mine: str) -> None:
    """Refuse (one line, exit 2) an ``--out`` folder holding another command's results.

    A run into a sweep's folder replaced the sweep's manifest with its own (a comparison
    removed it): the sweep's finished parts were stranded, and it refused its own folder.
    ``mine``: the command about to write (``run``, ``compare``; :func:`sim.output.held_by`).
    """
    held = held_by(out)
    if held is not None and held != mine:
        fail([f"--out: {out} holds the results of a ccsim {held}, not of a {mine}; use another "
              "--out (nothing was changed)"])


@contextmanager
def simulating(path: str) -> Iterator[None]:
    """Run the block; a scenario found impossible while simulating fails in one line (exit 2)."""
    try:
        yield
    except SimulationError as exc:
        fail([f"{path}: {exc}"])


class Interruption:
    """Whether ``kill`` (SIGTERM) asked the command to stop.

    The KeyboardInterrupt raised at that moment is lost if it lands in a ``__del__`` or a
    callback whose exceptions are ignored; a loop that calls :meth:`check` between steps
    then stops at the next one anyway.
    """

    def __init__(self) -> None:
        self.requested = False

    def check(self) -> None:
        """Raise KeyboardInterrupt if a SIGTERM has arrived."""
        if self.requested:
            raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[Interruption]:
    """Run the block with ``kill`` (SIGTERM) stopping it like Ctrl-C.

    The block sees a KeyboardInterrupt, so its ``finally`` clauses run: finished work is
    kept, temporary files are removed, the rest is cancelled. The previous handler is
    restored afterwards.

    Yields:
        The :class:`Interruption` the handler records the request in.
    """
    state = Interruption()

    def interrupt(signum, frame):
        state.requested = True
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield state
        return
    try:
        yield state
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def guarded_pool() -> Iterator[None]:
    """Run the block; a worker process that died is one line and exit code 1."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        yield
    except BrokenProcessPool:
        click.echo("error: a worker process died (out of memory, or killed); nothing was "
                   "written. Run again with fewer --workers, or --workers 1", err=True)
        sys.exit(1)


SMALL_WORK = 100_000
"""Expected contacts below which a command runs in its own process by default: starting
worker processes and handing their tables back would cost more than it saves."""


def default_workers(workers: int | None, scenarios: list[Scenario], replications: int,
                    path: str | None = None) -> int:
    """``--workers`` as given, else 1 for small work and every usable core otherwise.

    Either way no more than the memory holds (:func:`workers_in_memory`).
    """
    if workers is None:
        work = sum(sum(limits.expected_contacts(s).values()) for s in scenarios) * replications
        if replications < 2 or work < SMALL_WORK:
            return 1
    return workers_in_memory(workers if workers is None else min(workers, replications),
                             scenarios, path)


def workers_in_memory(workers: int | None, scenarios: list[Scenario],
                      path: str | None = None) -> int:
    """The workers to run: every usable core by default, as many as the memory holds.

    Each worker holds one replication of one of ``scenarios`` at a time
    (:mod:`sim.memory_limit`): by default fewer workers (one at least) where the memory
    does not hold one per core; ``--workers`` asked for beyond it is refused (one line
    naming ``path``, exit 2).
    """
    from sim.parallel import usable_cores

    contacts = _job_contacts(scenarios)
    if workers is None:
        return _memory(memory_limit.workers_that_fit, contacts, usable_cores())
    reason = _memory(memory_limit.workers_problem, contacts, workers)
    if reason:
        fail([f"{path}: --workers: {reason}"])
    return workers


def _job_contacts(scenarios: list[Scenario]) -> float:
    """Expected contacts of the largest replication (a job) of ``scenarios``."""
    return max((sum(limits.expected_contacts(s).values()) for s in scenarios), default=0.0)


def _memory(check: Callable[..., Any], *args: Any) -> Any:
    """``check(*args)``; a CCSIM_MAX_MEMORY_MB that is not a number is refused (one line)."""
    try:
        return check(*args)
    except ValueError as exc:
        fail([str(exc)])


@contextmanager
def worker_pool(workers: int, replications: int) -> Iterator[Any]:
    """Local worker processes for a command (forked where safe: they start at once).

    Yields None when one process is enough (the work then runs in the command's own).
    """
    from sim.parallel import local_executor

    workers = min(workers, replications)
    if workers <= 1:
        yield None
        return
    executor = local_executor(workers, fast_start=True)
    try:
        yield executor
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


class SearchLog:
    """The progress lines of a staffing search or schedule loop, readable on a long search.

    The searches log each plan they simulate as a ``plan N: ...`` line: a cost search of
    one day printed 1,400 of them, and the hold-out lines and warnings scrolled away in
    the flood. Plan lines are kept to the first and then one every ``every`` seconds
    (the latest), and the latest before any other line (so the plan a phase ended on
    stays in view); other lines go out as they come. :meth:`flush` prints a plan line
    still held back, when the search is over.
    """

    def __init__(self, every: float = 5.0, echo: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.every, self.clock = every, clock
        self.echo = echo or (lambda line: click.echo("  " + line, err=True))
        self.shown: float | None = None  # when the last plan line was printed
        self.held: str | None = None  # the latest plan line not printed

    def __call__(self, line: str) -> None:
        """Print ``line`` now, or hold it back if it is a plan line too soon after one."""
        if line.startswith("plan "):
            now = self.clock()
            if self.shown is not None and now - self.shown < self.every:
                self.held = line
                return
            self.shown, self.held = now, None
        else:
            self.flush()
        self.echo(line)

    def flush(self) -> None:
        """Print the plan line held back, if any."""
        if self.held is not None:
            self.echo(self.held)
            self.held = None
