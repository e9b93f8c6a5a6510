"""The one error boundary of the ``ccsim`` command line.

Every command, present or added later with ``main.add_command``, runs inside
:class:`BoundaryGroup`, which sorts whatever escapes it into three kinds, like a
switchboard that routes every call it cannot place to one of three answers:

- a usage error of click (bad option, missing argument): one line on stderr, exit 2;
- an expected failure (a scenario, results folder or file that cannot be used): one
  line naming what is wrong, exit 2;
- anything else is a bug: one line with a bug-report hint and the path of a log file
  that holds the traceback, exit 1. ``ccsim --debug`` (or ``CCSIM_DEBUG=1``) prints the
  traceback on the terminal instead.
"""

from __future__ import annotations

import atexit
import datetime
import errno
import os
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

LOG_DIR_ENV = "CCSIM_LOG_DIR"
"""Environment variable naming the folder of error logs (default: the temp folder)."""

class ExpectedError(Exception):
    """A failure that is the input's fault, reported in one line with exit code 2."""


def _expected_line(exc: BaseException) -> str | None:
    """The one-line message of an expected failure, or None if ``exc`` is a bug."""
    from sim.errors import SimulationError
    from sim.loader import ScenarioError

    if isinstance(exc, ScenarioError):
        return "; ".join(exc.lines())
    if isinstance(exc, (SimulationError, ExpectedError)):
        return str(exc)
    if isinstance(exc, MemoryError):
        return "out of memory: make the scenario smaller (days, contact rate, replications)"
    if isinstance(exc, OSError) and exc.filename is not None:  # a file we could not use
        reason = (exc.strerror or str(exc)).lower()
        return f"{exc.filename}: {reason}"
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRORS:  # (pyarrow's name no file)
        return f"cannot write the results: {os.strerror(exc.errno).lower()}"
    return None


_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO)
"""A disk full, over quota, read-only or failing: the machine's, not a bug in ccsim."""


def log_dir() -> Path:
    """The folder error logs go to: ``$CCSIM_LOG_DIR`` or ``<temp>/ccsim``."""
    return Path(os.environ.get(LOG_DIR_ENV) or Path(tempfile.gettempdir()) / "ccsim")


def write_log(exc: BaseException, argv: list[str]) -> Path | None:
    """Write the command line and traceback of ``exc`` to a new log file; its path.

    Returns None if no log could be written (the message then says so).
    """
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    text = ("ccsim " + " ".join(argv) + "\n\n"
            + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"ccsim-error-{stamp}-{os.getpid()}.log"
        path.write_text(text, encoding="utf-8")
    except OSError:
        return None
    return path


def _usage_line(exc: click.ClickException) -> str:
    """Click's own error as one line: ``prog cmd: message (see 'prog cmd --help')``."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return f"ccsim: {message}"
    hint = f" (see '{ctx.command_path} --help')" if isinstance(exc, click.UsageError) else ""
    return f"{ctx.command_path}: {message}{hint}"


class BoundaryGroup(click.Group):
    """A click group whose commands fail in one line (see the module docstring)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; an exception that is not click's becomes one line and an exit."""
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:  # Ctrl-C, or kill where the command turns it into one
            click.echo("\ninterrupted", err=True)  # (click said "Aborted!", exit 1)
            raise click.exceptions.Exit(130) from None  # 128 + SIGINT, as sweep and staff
        except BrokenPipeError:  # `ccsim ... | head`: the reader left; stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error at exit
            raise click.exceptions.Exit(141) from None  # 128 + SIGPIPE, as a shell reports it
        except Exception as exc:  # this is the boundary: every other failure lands here
            debug = bool(ctx.params.get("debug")) or os.environ.get("CCSIM_DEBUG") == "1"
            raise click.exceptions.Exit(report(exc, debug, sys.argv[1:])) from exc

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        """As click's ``main``, but click's own usage errors are one line on stderr."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            value = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            click.echo(_usage_line(exc), err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(value if isinstance(value, int) else 0)


def report(exc: BaseException, debug: bool, argv: list[str]) -> int:
    """Print one line for ``exc`` (the traceback too when ``debug``); the exit code."""
    line = _expected_line(exc)
    if line is not None:
        if debug:
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        click.echo(line, err=True)
        return 2
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        return 1
    log = write_log(exc, argv)
    where = f"traceback in {log}" if log else "no log written; rerun with ccsim --debug"
    summary = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
    click.echo(f"internal error ({summary}): this is a bug in ccsim; please report it with "
               f"the command line and the {where}", err=True)
    return 1


def console(command: Callable[[], Any]) -> NoReturn:
    """Run the ``ccsim`` command and leave without tearing the interpreter down.

    Freeing every module (pandas, pyarrow, SciPy, pydantic) took 0.3 s after each command
    had finished, a third of ``ccsim validate``'s time. So once the command has returned,
    the exit handlers run (:mod:`atexit`: worker pools, temporary files, Dask clients),
    stdout and stderr are flushed and the process ends (:func:`os._exit`) with the
    command's exit code. A thread that is still working (not a daemon) gets the usual
    exit, which waits for it. For the console script and ``python -m sim``; in a test or
    a notebook the command is called as usual and nothing leaves early.
    """
    try:
        command()
        code: Any = 0
    except SystemExit as done:
        code = done.code
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, exit code 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # a reader that left; a closed stream
            pass
        except OSError:  # output lost (a full disk): never exit 0, as Python's own exit
            code = code or 120
    os._exit(code & 0xFF)
