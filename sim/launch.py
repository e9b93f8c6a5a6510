"""The ``ccsim`` console script and ``python -m sim``: Ctrl-C while loading is an interrupt too.

Loading the command line (click, pydantic, the scenario model) takes a quarter to half
a second, before :mod:`sim.cli_boundary` handles anything: a Ctrl-C then printed a
traceback. Here it ends as every other interrupt does: ``interrupted``, exit 130.
"""

from __future__ import annotations

import sys


def entry() -> None:
    """Load the command line, then run it (:func:`sim.cli.entry`)."""
    try:
        from sim.cli import entry as run
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    run()
