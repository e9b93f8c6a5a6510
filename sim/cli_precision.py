"""The options of the commands that run replications, and ``--precision``'s checks.

``--workers``, ``--precision``, ``--max-replications`` and ``--keep-contacts`` mean the
same in ``ccsim run`` and ``ccsim compare``; a target no run could honour (or any run
meets) is refused in one line (exit 2) before anything runs (:mod:`sim.precision` holds
the statistics).
"""

from __future__ import annotations

import click

from sim.cli_common import fail
from sim.cli_options import WORKERS, Whole
from sim.precision import MAX_REPLICATIONS, MIN_REPLICATIONS, Target, check_measured, parse_target

KEEP_CONTACTS = 100


def replication_options(command):
    """The options of every command that runs replications: workers and precision."""
    options = [
        click.option("--workers", "-w", type=WORKERS,
                     help="Processes for the replications and the report's figures "
                          "(default: one per usable core; replications in this process "
                          "alone under 100,000 expected contacts; 1 runs all in this "
                          "process). Results are the same for any number."),
        click.option("--precision", "precision", multiple=True, metavar="KPI=HALF_WIDTH",
                     help="Run replications in batches until this KPI's 95% half-width is "
                          "at most HALF_WIDTH (in its unit, e.g. service_level=0.01) or a "
                          "share of its mean (asa=5%); in compare, the baseline's and each "
                          "variant's paired difference to it. Repeatable; -r is then the "
                          "first batch (at least 10)."),
        click.option("--max-replications", type=Whole(min=1),
                     default=MAX_REPLICATIONS, show_default=True,
                     help=f"With --precision: stop here even if a target is not met; at "
                          f"least {MIN_REPLICATIONS} (no target is tested on fewer). "
                          "Unused without --precision."),
        click.option("--keep-contacts", type=Whole(min=1), default=KEEP_CONTACTS,
                     show_default=True, metavar="N",
                     help="Keep and write the contacts of the first N replications only "
                          "(KPIs, intervals and confidence intervals use them all): memory "
                          "stays flat however many replications run."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def targets_or_fail(path: str, texts: tuple[str, ...], ceiling: int,
                    first: int) -> dict[str, Target]:
    """``--precision`` options as KPI -> Target; a malformed one fails in one line.

    So do a KPI given twice, a ceiling (``--max-replications`` as given) below the
    fewest replications any target is tested on, whatever ``--replications`` is, and a
    first batch (``--replications``: ``first``) above the ceiling (it ran past it, and
    the warning named -r as the ceiling).
    """
    targets: dict[str, Target] = {}
    for text in texts:
        try:
            target = parse_target(text)
        except ValueError as exc:
            fail([f"{path}: {exc}"])
        if target.kpi in targets:
            fail([f"{path}: --precision: {target.kpi} is given twice "
                  f"({targets[target.kpi]}; {target})"])
        targets[target.kpi] = target
    if targets and ceiling < MIN_REPLICATIONS:
        fail([f"{path}: --max-replications: must be >= {MIN_REPLICATIONS} with --precision "
              f"(no target is tested on fewer replications), got {ceiling}"])
    if targets and first > ceiling:
        fail([f"{path}: --replications: the first batch of {first} is above "
              f"--max-replications {ceiling}: lower -r or raise --max-replications"])
    return targets


def measured_or_fail(path: str, targets: dict[str, Target], scenarios: list) -> None:
    """Fail in one line on a target the scenarios never measure (:func:`check_measured`)."""
    try:
        check_measured(targets, scenarios)
    except ValueError as exc:
        fail([f"{path}: {exc}"])


def time_left(seconds: float, batches: bool) -> str:
    """A progress line's end: with ``--precision`` (``batches``), the current batch's time.

    A precision run plans one batch at a time, and more follow while a target is not met,
    so its line says so rather than "about 0s left" at each batch's end.
    """
    if batches:
        return f"about {seconds:.0f}s left in this batch (more batches while a target is not met)"
    return f"about {seconds:.0f}s left"
