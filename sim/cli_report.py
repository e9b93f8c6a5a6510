"""The ``ccsim compare``, ``ccsim report`` and ``ccsim animate`` commands.

Registered on the main ``ccsim`` group in :mod:`sim.cli`. Like the rest of the command
line they only parse, call the Python API (:mod:`sim.compare`, :mod:`sim.report`,
:mod:`sim.animate`) and print; every problem is one line on stderr and exit code 2.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from sim.animate import (
    MAX_FRAMES,
    animate,
    check_format,
    check_frame_rate,
    frame_count,
    one_replication,
)
from sim.cli_common import (
    check_work,
    default_workers,
    fail,
    guarded_pool,
    parse_overrides,
    sigterm_as_interrupt,
    simulating,
    unheld_or_fail,
    worker_pool,
    wrap_note,
    writable_or_fail,
)
from sim.cli_options import (
    POSITIVE_DURATION,
    WORKERS,
    Whole,
    out_option,
    quiet_option,
    replications_option,
    seed_option,
    set_option,
)
from sim.cli_policy import declined_warnings, policy_option
from sim.cli_precision import (
    measured_or_fail,
    replication_options,
    targets_or_fail,
    time_left,
)
from sim.compare import (
    BASELINE,
    Comparison,
    compare,
    scenarios_from_files,
    shown_shared_kpis,
    unequal_days,
)
from sim.cost_sentences import cost_sentences
from sim.loader import ScenarioError, load_scenario
from sim.parallel import usable_cores
from sim.results_folder import write_comparison
from sim.units import format_duration

TRACE_EVERY = 60.0  # seconds between queue samples for the "day at a glance" figure






def _progress(quiet: bool, started: float, runs: int, batches: bool = False):
    """A progress callback that speaks only on runs long enough to wonder about.

    With ``batches`` (``--precision``) ``total`` ends the current batch (:func:`time_left`).
    """
    done_by_run: dict[str, int] = {}

    def report(name: str, done: int, total: int) -> None:
        done_by_run[name] = done
        elapsed = time.perf_counter() - started
        finished = sum(done_by_run.values()) or 1
        expected = elapsed / finished * runs * total
        if not quiet and expected > 3.0 and (done == total or total > 1):
            click.echo(f"  {name}: replication {done}/{total}, {elapsed:.1f}s elapsed, "
                       f"{time_left(max(expected - elapsed, 0), batches)}", err=True)
    return report


def _written(files: list[Path], out: Path) -> str:
    names = sorted({str(p.relative_to(out)).split("/")[0] for p in files})
    return ", ".join(names)


@click.command("compare")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--variant", "-v", "variants", multiple=True, metavar="NAME",
              help="A variant declared under `variants:` in the first file. Repeatable. "
                   "Default with one file and no --variant: every declared variant.")
@replications_option(default=10, minimum=2,
                     note="Per variant, paired over replications.")
@seed_option("Every variant runs with it (the first file's `seed` by default).")
@set_option("Applied to every variant.")
@out_option("Folder for comparison.csv, report.html and one folder per variant. "
            "Default: results/<first file name>-compare.")
@replication_options
@click.option("--no-report", is_flag=True, help="Skip report.html and the figures.")
@quiet_option("the table")
@policy_option("Every variant runs under it.")
def compare_command(scenarios: tuple[str, ...], variants: tuple[str, ...], replications: int,
                    seed: int | None, overrides: tuple[str, ...], out: str | None,
                    workers: int | None, precision: tuple[str, ...], max_replications: int,
                    keep_contacts: int, no_report: bool, quiet: bool,
                    policy: object | None = None) -> None:
    """Compare a baseline with variants under common random numbers.

    The first SCENARIO is the baseline. Each further file is a variant named after its
    file name; --variant adds variants declared in the first file
    (`variants: {plus_two: {agents.generalists.staff: 44}}`). Every variant runs with
    the same seed and replications, so replication r of each sees the same customers.
    Prints each KPI per variant (mean ± 95% CI) and its difference to the baseline,
    paired over replications (* where the CI excludes 0), and writes comparison.csv,
    comparison.json, report.html and each variant's run files into --out.

    Example: ccsim compare scenarios/storm_surge.yaml --variant callbacks_on -r 20
    """
    first = scenarios[0]
    most = max_replications if precision else replications
    targets = targets_or_fail(first, precision, max_replications, replications)
    check_work(first, [], most)
    parsed = parse_overrides(first, overrides)
    try:
        declared = load_scenario(first, overrides=parsed).variants
    except ScenarioError as exc:
        fail(exc.lines())
    unknown = [v for v in variants if v not in declared or v == BASELINE]
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        fail([f"{first}: variants: no variant {name!r} (known: {known})" for name in unknown])
    if len(scenarios) == 1 and not declared:
        fail([f"{first}: variants: nothing to compare; declare `variants:` in the file or "
               "give more scenario files"])
    try:
        loaded, changes = scenarios_from_files(list(scenarios), parsed,
                                               list(variants) if variants else None)
    except ScenarioError as exc:
        fail(exc.lines())
    except KeyError as exc:
        fail([f"{first}: variants: {exc.args[0]}"])
    if (problem := unequal_days(loaded)) is not None:
        fail([f"{first}: {problem}"])
    measured_or_fail(first, targets, list(loaded.values()))
    check_work(first, list(loaded.values()), most)
    out_dir = Path(out) if out else Path("results") / f"{Path(first).stem}-compare"
    writable_or_fail(out_dir)
    unheld_or_fail(out_dir, "compare")
    started = time.perf_counter()
    drawing = workers or usable_cores()  # processes drawing the report's figures (forked)
    workers = default_workers(workers, list(loaded.values()), most, first)
    with simulating(first), guarded_pool(), \
            worker_pool(workers, len(loaded) * most) as executor:
        comparison = compare(loaded, seed=seed, replications=replications, changes=changes,
                             trace_every=None if no_report else TRACE_EVERY,
                             progress=_progress(quiet, started, len(loaded), bool(targets)),
                             executor=executor, keep_contacts=keep_contacts, precision=targets,
                             max_replications=most, policy=policy)
    written = write_comparison(comparison, out_dir)
    problems: list[str] = []
    if not no_report:
        from sim.report import write_report  # matplotlib only when drawing

        with sigterm_as_interrupt():  # (kill while drawing: the figures' temporaries go)
            files, problems = write_report(comparison, out_dir, workers=drawing)
        written += files
    click.echo(format_comparison(comparison))
    for name, result in comparison.results.items():
        for line in declined_warnings(result, f"variant {name}: "):
            click.echo(line, err=True)
    stopping = comparison.stopping
    if stopping is not None:
        click.echo(stopping, err="warning" in stopping)
    for line in problems:
        click.echo(f"warning: figure not drawn: {line}", err=True)
    if not quiet:
        click.echo(f"\n{len(loaded)} variants x {comparison.replications} replications in "
                   f"{time.perf_counter() - started:.1f}s; wrote "
                   f"{_written(written, out_dir)} to {out_dir}/", err=True)


def format_comparison(comparison: Comparison) -> str:
    """The comparison table printed by ``ccsim compare``: a block of lines per KPI."""
    from sim.features import left_out
    from sim.features import note as left_out_note
    from sim.kpis import enough_decimals, format_ci, format_kpi  # as in the report

    results = comparison.results.values()
    keys = shown_shared_kpis(comparison.results)
    # left out only where no variant models the feature and every variant shows 0
    left = left_out(keys, [r.scenario for r in results], [r.summary for r in results])
    table = comparison.table([k for k in keys if k not in left])
    base = comparison.results[comparison.baseline]
    head = (f"{base.scenario.name}  (seed {comparison.seed}, {comparison.replications} "
            "replications per variant"
            + (f", policy {base.policy['class']}" if base.policy else "") + ")")
    note = ("mean ± 95% CI; diff = variant - baseline, paired over replications, ± 95% CI; "
            "* = the CI excludes 0")
    width = max(len(n) for n in comparison.names)
    lines = [head, note, "-" * max(len(head), len(note))]
    for kpi, part in table.groupby("kpi", sort=False):
        for i, row in enumerate(part.itertuples(index=False)):
            text = (f"  {kpi if i == 0 else '':<18} {row.variant:<{width}}  "
                    f"{format_kpi(kpi, row.mean):>10} {format_ci(kpi, row.ci):<12}")
            if row.variant != comparison.baseline:
                d = enough_decimals(kpi, row.diff, row.diff_ci)  # show what was found
                text += (f"  diff {format_kpi(kpi, row.diff, signed=True, decimals=d):>10} "
                         f"{format_ci(kpi, row.diff_ci, decimals=d):<12}"
                         f"{' *' if row.significant else ''}")
            lines.append(text.rstrip())
    if left:
        lines += ["", *wrap_note(left_out_note(left, "any variant"))]
    sentences = cost_sentences(comparison)
    if sentences:
        lines += ["", *sentences]
    return "\n".join(lines)


@click.command("report")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--no-png", is_flag=True, help="Write only report.html, not the PNG figures.")
@click.option("--workers", "-w", type=WORKERS, default=None,
              help="Processes drawing the figures side by side (default: one per core).")
def report_command(folder: str, no_png: bool, workers: int | None) -> None:
    """Write report.html for a results FOLDER of `ccsim run` or `ccsim compare`.

    The page is self-contained (figures embedded, no scripts, no links): open it
    offline or e-mail it. The figures are also written as PNG files.
    """
    from sim.output import ResultsError
    from sim.report import write_report
    from sim.results_folder import read_results

    writable_or_fail(folder, option="report")
    try:
        results = read_results(folder)
    except (FileNotFoundError, ResultsError) as exc:
        fail([str(exc)])
    except ScenarioError as exc:
        fail(exc.lines())
    with sigterm_as_interrupt():  # (kill while drawing: the figures' temporaries go)
        written, problems = write_report(results, folder, png=not no_png,
                                         workers=workers or usable_cores())
    for line in problems:
        click.echo(f"warning: figure not drawn: {line}", err=True)
    click.echo(f"wrote {', '.join(p.name for p in written)} to {folder}/")


@click.command("animate")
@click.argument("scenario", type=click.Path(dir_okay=False))
@out_option("Animation file: .gif (default), .mp4 (needs ffmpeg) or .html. "
            "Default: results/<scenario file name>/day.gif.", folder=False)
@click.option("--day", type=Whole(min=1), default=1, show_default=True,
              help="Which simulated day to show.")
@click.option("--replication", type=Whole(min=1), default=1, show_default=True,
              help="Which replication to show.")
@click.option("--step", type=POSITIVE_DURATION, default="10m", show_default=True,
              help="Simulated time per frame, e.g. 5m (a bare number is seconds).")
@click.option("--max-frames", type=Whole(min=1), default=MAX_FRAMES,
              show_default=True,
              help="Refuse a --step that makes more frames than this (each takes a "
                   "fraction of a second to draw and, in a GIF, about 1 MB of memory).")
@click.option("--fps", type=Whole(1, 60), default=8, show_default=True,
              help="Frames per second (a GIF: at most 50, the most browsers play).")
@seed_option()
@set_option()
@quiet_option()
def animate_command(scenario: str, out: str | None, day: int, replication: int, step: float,
                    max_frames: int, fps: int, seed: int | None, overrides: tuple[str, ...],
                    quiet: bool) -> None:
    """Animate one day of SCENARIO: agents busy, idle or on hold, and the queue.

    Made for teaching: by default one frame per 10 simulated minutes at 8 frames a
    second, so a 12-hour day plays in about 9 seconds. A --step that makes more than
    --max-frames frames is refused before anything is simulated; long renders show a
    progress bar on stderr. Interrupted (Ctrl-C or kill), it leaves no file behind.

    Example: ccsim animate scenarios/small_bank.yaml --out day.gif
    """
    check_work(scenario, [], replication, option="--replication")
    try:
        loaded = load_scenario(scenario, overrides=parse_overrides(scenario, overrides))
    except ScenarioError as exc:
        fail(exc.lines())
    path = Path(out) if out else Path("results") / Path(scenario).stem / "day.gif"
    writable_or_fail(path, folder=False)
    try:
        check_format(path)
    except ValueError as exc:
        fail([f"--out: {exc}"])
    try:
        check_frame_rate(path, fps, name="--fps")
    except ValueError as exc:
        fail([f"{path}: {exc}"])
    if day > loaded.days:
        fail([f"{scenario}: --day: the scenario has {loaded.days} day"
               f"{'s' if loaded.days > 1 else ''}, got {day}"])
    check_work(scenario, [loaded], 1, option="--replication")  # one is simulated
    frames = frame_count(loaded, step)
    if frames > max_frames:
        fail([f"{scenario}: --step: {format_duration(step)} a frame makes {frames:,} frames "
              f"over the {loaded.open_seconds / 3600:g} hours open, more than the limit of "
              f"{max_frames:,}; give a longer --step, or --max-frames {frames} to draw them"])
    started = time.perf_counter()
    bar = _RenderProgress(quiet)
    try:
        with sigterm_as_interrupt() as stop:  # kill, like Ctrl-C, removes the temporary files
            with simulating(scenario):
                # that replication alone: the ones before it are not drawn
                result = one_replication(loaded, seed=seed, replication=replication - 1)
            bar.start()

            def progress(done: int, total: int) -> None:
                stop.check()  # between frames, in case the interrupt itself was lost
                bar(done, total)

            animate(result, path, replication=replication - 1, day=day - 1, step=step,
                    fps=fps, max_frames=max_frames, progress=progress)
    except ValueError as exc:
        fail([f"{path}: {exc}"])
    except KeyboardInterrupt:
        bar.close()
        click.echo(f"\ninterrupted: {path} not written", err=True)
        sys.exit(130)
    finally:
        bar.close()
    click.echo(f"wrote {path} ({frames} frames, {frames / fps:.1f}s at {fps} fps) in "
               f"{time.perf_counter() - started:.1f}s")


class _RenderProgress:
    """A progress callback: click's progress bar on stderr, for renders over ~3 seconds."""

    def __init__(self, quiet: bool):
        self.quiet, self.bar = quiet, None
        self.started = time.perf_counter()

    def start(self) -> None:
        """Start the clock: drawing begins now."""
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if self.quiet:
            return
        if self.bar is None:
            elapsed = time.perf_counter() - self.started
            if elapsed / done * total <= 3.0:
                return
            self.bar = click.progressbar(length=total, label=f"drawing {total:,} frames",
                                         show_eta=True, show_percent=True, show_pos=True,
                                         file=sys.stderr)
            self.bar.__enter__()
            self.bar.update(done)
        else:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
