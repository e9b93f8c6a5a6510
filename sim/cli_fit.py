"""``ccsim fit`` and ``ccsim backtest``: from a call log to a scenario, and back.

``fit`` reads a call log (see :mod:`sim.calllog`), estimates a scenario (see
:mod:`sim.fit`), writes it as YAML with its report beside it (``a.yaml``:
``a.fit_report.html``, see :func:`fit_report_path`) and prints the estimates.
``backtest`` simulates a scenario over a log's days and prints, per KPI, the mean absolute
error per interval, with a figure of simulated bands against the actual.
"""

from __future__ import annotations

from pathlib import Path

import click

from sim import limits
from sim.cli_common import (
    fail,
    load_or_fail,
    simulating,
    warn_rarely_meant,
    writable_or_fail,
)
from sim.cli_options import (
    DURATION,
    POSITIVE_DURATION,
    Whole,
    out_option,
    replications_option,
    seed_option,
)
from sim.loader import ScenarioError, scenario_from_yaml
from sim.units import counted, format_clock_exact, format_duration, opening_hours

# pandas, SciPy and YAML are imported inside the commands: `ccsim --help` and the other
# commands must not pay for them

_COLUMNS_HELP = ("Map canonical column names to the log's, e.g. "
                 "--columns arrival=CallStart,wait=QueueSecs,outcome=Result.")


def _read_log(path: str, columns: str | None):
    from sim.calllog import CallLogError, parse_columns, read_call_log

    try:
        mapping = parse_columns(columns)
    except ValueError as exc:
        fail([f"--columns: {exc}"])
    try:
        log = read_call_log(path, mapping)
    except CallLogError as exc:
        fail([str(exc)])
    for warning in log.warnings:  # e.g. ccsim's own contacts whose week is not known
        click.echo(f"warning: {warning}", err=True)
    return log


def fit_report_path(out: str | Path) -> Path:
    """The report of the fitted scenario file ``out``: beside it, named after it.

    ``folder/a.yaml`` gives ``folder/a.fit_report.html``, and any other name keeps its
    suffix (``a.yml``: ``a.yml.fit_report.html``): each fitted scenario keeps its own
    report, so a second fit into the folder does not overwrite the first one's. The
    names that still meet (``a`` and ``a.yaml``) are refused by :func:`_own_report_or_fail`.
    """
    out = Path(out)
    return out.with_name(f"{out.stem if out.suffix == '.yaml' else out.name}.fit_report.html")


def _own_report_or_fail(report: Path, scenario: str) -> None:
    """Refuse, before any work, to overwrite the report of another scenario file."""
    if not report.is_file():
        return
    from sim.fit_report import report_scenario

    other = report_scenario(report)
    if other is not None and other != scenario:
        fail([f"--out: {report} is the report of {other}, another scenario file: give "
              "another --out, or --no-report"])


def _interval(seconds: float) -> float:
    if seconds < 60:  # a scenario's shortest interval (Scenario.interval)
        fail([f"--interval: must be at least 1m, got {format_duration(seconds)}"])
    if 86400 % seconds:
        fail([f"--interval: must divide a day (e.g. 15m, 30m, 1h), got "
              f"{format_duration(seconds)}"])
    return seconds


def _text_or_fail(text: str, path: str) -> None:
    """Check the scenario YAML ``text`` that is to be written to ``path``, before it is.

    It is read as the file will be (relative paths from ``path``'s folder); an invalid
    one is every problem printed, ``path (not written): field: reason``, and exit 2, so
    ``fit`` never leaves behind a scenario that would not load. Warnings as
    :func:`load_or_fail` prints them.
    """
    try:
        scenario = scenario_from_yaml(text, source=f"{path} (not written)",
                                      base_dir=Path(path).resolve().parent)
    except ScenarioError as exc:
        fail(exc.lines())
    warn_rarely_meant(path, scenario)


@click.command("fit")
@click.argument("log", type=click.Path(dir_okay=False))
@click.option("--interval", type=POSITIVE_DURATION, default="30m", show_default=True,
              help="Interval of the fitted arrivals and staffing.")
@out_option("The scenario file to write; its report goes beside it (a.yaml: "
            "a.fit_report.html, a.yml: a.yml.fit_report.html).", folder=False,
            default="fitted.yaml")
@click.option("--columns", help=_COLUMNS_HELP)
@click.option("--staff", type=Whole(min=1),
              help="Agents on duty (default: per interval, the agents the log names "
                   "working then (an agent column), else the most seen busy at once, on a "
                   "typical day: a lower bound).")
@click.option("--threshold", type=DURATION, default="20s", show_default=True,
              help="Service-level threshold of the fitted scenario.")
@click.option("--no-report", is_flag=True, help="Skip the report (a.fit_report.html).")
def fit_command(log: str, interval: float, out: str, columns: str | None, staff: int | None,
                threshold: float, no_report: bool) -> None:
    """Estimate a scenario from the call LOG (CSV or Parquet, or ccsim's contacts.parquet).

    Per contact type: arrivals per interval with day-of-week factors and forecast error,
    handle time (exponential, lognormal or gamma by maximum likelihood and AIC; with any
    hold the log tells) and patience from censored waits (answered callers' waits are
    lower bounds), and after-call work (a wrap_up column) as the type's wrap_up. Staff:
    the agents the log names working per interval (an agent column), each group it names
    as itself (a group column too), else the most seen busy at once.
    """
    import yaml

    from sim.calllog import CallLogError
    from sim.fit import fit_log
    from sim.fit_scenario import scenario_dict
    from sim.output import write_atomic

    seconds = _interval(interval)
    threshold_s = threshold
    try:
        too_many = limits.AGENTS.problem(staff or 0)
    except ValueError as exc:  # CCSIM_MAX_AGENTS is not a number
        too_many = str(exc)
    if too_many:
        fail([f"--staff: {too_many}"])
    writable_or_fail(out, folder=False, inputs=(log,))
    report = fit_report_path(out)  # never `out` itself: its name is out's stem and more
    if not no_report:
        writable_or_fail(report, folder=False, inputs=(log,))
        _own_report_or_fail(report, Path(out).name)
    calls = _read_log(log, columns)
    try:
        fitted = fit_log(calls, seconds)
    except CallLogError as exc:  # contact types that would share a scenario name
        fail([str(exc)])
    staffing = [staff] * fitted.intervals_per_day if staff else None
    scenario = scenario_dict(fitted, f"Fitted from {Path(log).name}", staffing, threshold_s)
    header = (f"# Fitted by `ccsim fit {log} --interval {format_duration(interval)}` from "
              f"{len(calls.table):,} contacts over {counted(fitted.open_days, 'open day')}.\n")
    weekdays = next(iter(fitted.types.values())).arrivals.weekdays
    if len(weekdays) > 1:
        header += ("# day_factors are per day of the week the log has contacts on; the "
                   "run's days are\n# those days in order, day 1 (the run's first) a "
                   f"{weekdays[0]}.\n")
    text = header + yaml.safe_dump(scenario, sort_keys=False, default_flow_style=None, width=100)
    _text_or_fail(text, out)  # what we write must load: refused here, not in `run`
    write_atomic(out, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    for line in _summary(fitted):
        click.echo(line)
    written = [out]
    if not no_report:
        from sim.fit_report import write_fit_report

        for problem in write_fit_report(fitted, report, scenario=Path(out).name):
            click.echo(f"warning: figure not drawn: {problem}", err=True)
        written.append(str(report))
    click.echo("wrote " + ", ".join(written), err=True)


def _summary(fitted) -> list[str]:
    from sim.fit_capacity import (  # (with the fit: pandas only when fitting)
        SEEN_WORKING,
        count_span,
        group_text,
    )
    from sim.fit_transfers import reached_text, transfer_text

    lines = [f"{len(fitted.log.table):,} contacts, {counted(len(fitted.log.days), 'day')}, open "
             f"{fitted.open / 3600:g}h-{fitted.close / 3600:g}h"]
    for t in fitted.types.values():
        a = t.arrivals
        lines.append(f"{t.name}:")
        lines.append(f"  arrivals        {sum(a.per_interval):,.1f} per day; day factors "
                     + ", ".join(f"{d[:3]} {f:g}" for d, f in zip(a.weekdays, a.day_factors,
                                                                  strict=True))
                     + f"; {a.forecast_text()}")
        if t.handle:
            best = min(f.aic for f in t.handle_fits)
            lines.append(f"  handle          {_spec(t.handle.spec)}  (AIC: "
                         + ", ".join(f"{f.family} {f.aic - best:+.0f}" for f in t.handle_fits)
                         + ")")
        if t.hold_mean is not None:
            lines.append(f"  hold            mean {format_duration(t.hold_mean)} per answered "
                         "contact, in the handle time above (caller and agent on the call)")
        if t.wrap_up:
            lines.append(f"  wrap-up         {_spec(t.wrap_up)} after the talk (the agents' "
                         "after-call work)")
        if t.menu:
            lines.append(f"  IVR menu        {_spec(t.menu)} before the queue")
        lines.append(f"  abandon rate    {t.abandon_rate:.2%}")
        if t.patience:
            p = t.patience
            lines.append(f"  patience        {_spec(p.best.spec)}  (censored: {p.abandoned:,} "
                         f"abandoned, {p.censored:,} waited and did not abandon)")
            lines.append(f"  patience naive  mean {format_duration(p.naive_mean)} from abandon "
                         "times alone (biased low; not used)")
        if t.repeat_share is not None:
            lines.append(f"  repeat share    {t.repeat_share:.2%}" + (
                f", mean delay {format_duration(t.repeat_delay)} after the contact before "
                "ended" if t.repeat_share else ""))
        if t.transfer_share is not None:
            lines.append(f"  transfer share  {t.transfer_share:.2%} (transfers per answered "
                         "contact)")
        if t.transfer is not None:
            lines.append(f"  transfer        {transfer_text(t.transfer)}")
    for name, leg in fitted.second_legs.items():
        lines += [f"{name}:", f"  reached         {reached_text(leg)}",
                  f"  handle          {_spec(leg.handle)}"]
        if leg.wrap_up is not None:
            lines.append(f"  wrap-up         {_spec(leg.wrap_up)} after the talk")
    staff, lower, named = fitted.staff, fitted.staff_lower, fitted.agents_seen
    if named is not None:  # (the fitted staff)
        lines.append(f"staff: agents seen working per interval: {count_span(named)} "
                     f"({SEEN_WORKING})")
    for name, (skills, seen) in (fitted.groups or {}).items():  # (the fitted groups)
        lines.append("  group " + group_text(name, skills, seen, fitted.concurrency.get(name)))
    lines.append(f"staff seen busy at once per interval: {count_span(staff)}" + (
        "" if lower is None else
        f" (each transferred contact busy for all its talk from its first answer, its "
        f"second wait left out: this can exceed the staff on duty; the contacts never "
        f"transferred alone {count_span(lower)}, a lower bound"
        + ("" if named is not None else "; give --staff if known") + ")"))
    if fitted.lines is not None:
        lines.append(f"trunk lines: {fitted.lines} (calls on the lines at each busy signal, "
                     "median)")
    lines += [f"note: {n}" for n in fitted.notes]
    return lines


def _spec(spec: dict) -> str:
    rest = ", ".join(f"{k} {format_duration(v) if k == 'mean' else v}"
                     for k, v in spec.items() if k != "dist")
    return f"{spec['dist']} {rest}"


@click.command("backtest")
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.argument("log", type=click.Path(dir_okay=False))
@click.option("--columns", help=_COLUMNS_HELP)
@replications_option(default=10, minimum=2, note="They make the 95% bands.")
@seed_option()
@out_option("The figure to write.", folder=False, default="backtest.png")
def backtest_command(scenario: str, log: str, columns: str | None, replications: int,
                     seed: int | None, out: str) -> None:
    """Simulate SCENARIO over the days of the call LOG and compare, per interval.

    Prints the mean absolute error per interval of offered contacts per day, service
    level, ASA and abandon rate, and plots simulated 95% bands against the actual.
    Contacts outside the scenario's opening hours are compared on neither side, nor days
    without a contact in them (closed days); how many is printed.
    """
    from sim.backtest import BACKTEST_KPIS, backtest
    from sim.calllog import CallLogError

    loaded = load_or_fail(scenario, {}, whole_trace=True)  # replayed over all its days
    writable_or_fail(out, folder=False, inputs=(scenario, log))
    if not out.lower().endswith(".png"):  # (PNG bytes went under any name given)
        fail([f"--out: the backtest's figure is a PNG: give a .png path, got {out!r}"])
    calls = _read_log(log, columns)
    try:
        with simulating(scenario):
            bt = backtest(loaded, calls, replications=replications, seed=seed)
    except CallLogError as exc:  # contact types that would share a scenario name
        fail([str(exc)])
    except ScenarioError as exc:  # values of each day, on another number of days
        fail(ScenarioError(scenario, exc.problems).lines())
    listed = [name for name, ct in loaded.contact_types.items()
              if isinstance(ct.arrivals.day_factors, list) and len(ct.arrivals.day_factors) > 1]
    if listed:  # a scenario fitted before the factors were named
        first = bt.days[0]
        click.echo(f"warning: {scenario}: day_factors of {', '.join(listed)} name no days of "
                   f"the week: cycled from the log's first open day ({first.day_name()} "
                   f"{first.date()}); name them ({{monday: ..., tuesday: ...}}) to align them "
                   "by date", err=True)
    from sim.fit_report import write_backtest_figure

    click.echo(f"{'interval':<9}" + "".join(f"{k + ' act/sim':>24}" for k in BACKTEST_KPIS))
    for start in bt.actual.index:
        cells = "".join(f"{_cell(k, bt.actual.at[start, k]):>12}"
                        f"{_cell(k, bt.mean.at[start, k]):>12}" for k in BACKTEST_KPIS)
        click.echo(f"{format_clock_exact(start):<9}" + cells)
    click.echo(f"outside opening hours {opening_hours(loaded.open, loaded.close)}, not "
               f"compared: {bt.outside_actual:,} logged contacts "
               f"({bt.outside_actual / len(calls.table):.1%}), "
               f"{round(bt.outside_simulated, 1):g} simulated per replication")
    click.echo(f"{'day':<15}{'offered act':>12}{'sim':>10}{'95% band':>16}")
    for date, row in bt.daily.iterrows():
        click.echo(f"{date.day_name()[:3]} {date.date()}  {row['actual']:>12,.0f}"
                   f"{row['mean']:>10,.1f}{f'{row.low:,.0f}-{row.high:,.0f}':>16}")
    actual_mean = float(bt.daily["actual"].mean())
    click.echo(f"offered per open day: MAE {bt.daily_mae:,.1f}"
               + (f" ({bt.daily_mae / actual_mean:.1%} of the actual mean)" if actual_mean else ""))
    click.echo(f"days compared: {counted(len(bt.days), 'open day')} of the log; days with contacts "
               f"outside opening hours only (closed), not compared: {_dates(bt.closed_days)}")
    click.echo("MAE per interval: " + ", ".join(  # a share's error in points, not a %
        f"{k} {_cell(k, bt.mae[k]).replace('%', ' pts')}" for k in BACKTEST_KPIS))
    problem = write_backtest_figure(bt, out)
    if problem:
        click.echo(f"warning: figure not drawn: {problem}", err=True)
    else:
        click.echo(f"wrote {out}", err=True)


def _dates(dates, shown: int = 5) -> str:
    """``2 (Tue 2026-03-03, Wed 2026-03-04)``: how many, and the first few."""
    if not len(dates):
        return "0"
    names = ", ".join(f"{d.day_name()[:3]} {d.date()}" for d in dates[:shown])
    return f"{len(dates)} ({names}{', ...' if len(dates) > shown else ''})"


def _cell(kpi: str, value: float) -> str:
    """A value in the KPI registry's format ("–": nothing offered)."""
    from sim.kpis import format_kpi

    return format_kpi(kpi, float(value))
