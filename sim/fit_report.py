"""Figures and pages of ``ccsim fit`` (``a.fit_report.html``) and ``ccsim backtest``.

For each contact type: arrivals per interval (each day's counts and the fitted mean),
handle times (histogram with the fitted families, and a QQ plot of the chosen one) and
patience (Kaplan-Meier survival of patience, the censored fit, and the naive fit from
abandon times alone). The backtest figure shows each KPI per interval: the actual value,
the simulated mean and its 95% band; and the offered contacts per open day of the log.
"""

from __future__ import annotations

import html
import warnings
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, Locator, MaxNLocator

from sim.backtest import BACKTEST_KPIS, Backtest
from sim.fit import Fit, TypeFit
from sim.fit_capacity import SEEN_WORKING, count_span, group_text
from sim.fit_transfers import reached_text, transfer_text
from sim.output import write_atomic
from sim.plots.style import new_figure, styled
from sim.report import _esc, _figure_html, _page
from sim.report_figures import RenderedFigure, _draw
from sim.units import counted, format_clock_until

_ACTUAL, _SIM, _NAIVE = "#222222", "#1f5fa6", "#c9312c"
_LABELS = {"offered": "Offered per interval", "service_level": "Service level (%)",
           "asa": "ASA (s)", "abandon_rate": "Abandon rate (%)"}
_SCALE = {"service_level": 100.0, "abandon_rate": 100.0}
# how a fit report names its scenario file, written and read back (report_scenario)
_SCENARIO_NOTE = ("<p>The fitted scenario: ", ", beside this page.</p>")


def _hours(seconds: np.ndarray) -> np.ndarray:
    return np.asarray(seconds, dtype=float) / 3600.0


class _ClockLocator(Locator):
    """Ticks of an axis of hours at the finest clock step that makes at most eight.

    Whole hours on a day of a few hours or more (every 2 on 08:00-20:00), minutes on a
    shorter one: a whole-hour locator on a log open about an hour fell back to ticks at
    08:12, 08:24, ..., each then labelled "08:00" or "09:00".
    """

    STEPS_MIN = (1, 2, 5, 15, 30, 60, 120, 180, 240, 360, 720)  # (quarter hours, not 08:10)
    MAX_TICKS = 8

    def __call__(self) -> np.ndarray:
        return self.tick_values(*self.axis.get_view_interval())

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        lo, hi = sorted((vmin * 60, vmax * 60))  # minutes
        for step in self.STEPS_MIN:  # (the coarsest if none makes few enough)
            ticks = np.arange(np.ceil(lo / step - 1e-9) * step, hi + 1e-9, step)
            if ticks.size <= self.MAX_TICKS:
                break
        return ticks / 60


def _clock_axis(ax) -> None:
    """An axis of hours of the day ticked as clock times (10:00, not 10.0; 08:15 if short)."""
    ax.xaxis.set_major_locator(_ClockLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _pos: format_clock_until(h * 3600)))
    ax.set_xlabel("Time of day")


@styled
def arrivals_figure(fit: Fit, t: TypeFit) -> Figure:
    """Contacts per interval: every day (thin grey), the fitted mean (blue)."""
    fig = new_figure(2.8)
    ax = fig.add_subplot(1, 2, 1)
    n = fit.intervals_per_day
    starts = _hours(fit.open + fit.interval * np.arange(n) + fit.interval / 2)
    for counts in t.arrivals.counts.to_numpy():  # each open day's, as fitted
        ax.plot(starts, counts, color="#999999", lw=0.5, alpha=0.5)
    ax.plot(starts, t.arrivals.per_interval, color=_SIM, lw=2, label="fitted mean")
    ax.plot([], [], color="#999999", lw=0.5, label="each day")
    ax.set(ylabel="Contacts per interval", title="Arrivals per interval")
    _clock_axis(ax)
    ax.legend(loc="best")  # (a fixed corner sat on the line of a short day)
    ax2 = fig.add_subplot(1, 2, 2)
    totals = t.arrivals.days
    days = np.arange(1, len(totals) + 1)  # counted from 1, as a person reads them
    ax2.bar(days, totals.to_numpy(), color="#999999", label="actual")
    mean = totals.mean()
    factor = dict(zip(t.arrivals.weekdays, t.arrivals.day_factors, strict=True))
    expected = [mean * factor.get(d.day_name(), 1.0) for d in totals.index]
    ax2.plot(days, expected, "o", color=_SIM, ms=3,
             label="fitted (forecast error " + (f"{t.arrivals.forecast_error:.1%})"
                                                 if t.arrivals.spread_days else "not estimated)"))
    ax2.set(xlabel="Day of the log", ylabel="Contacts per day", title="Daily volume",
            # room for the legend above the bars (a type of stray contacts only: none)
            ylim=(0, max(float(totals.max()), 1.0) * 1.3))
    ax2.set_xlim(0.4, len(totals) + 0.6)  # (no day 0 in view)
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax2.legend(loc="upper center", ncol=2)
    return fig


@styled
def handle_figure(t: TypeFit) -> Figure:
    """Handle-time histogram with each fitted family, and the chosen family's QQ plot."""
    fig = new_figure(2.8)
    ax = fig.add_subplot(1, 2, 1)
    x = t.handle_values / 60.0
    top = np.quantile(x, 0.995)
    ax.hist(x[x <= top], bins=60, density=True, color="#bbbbbb", label="logged")
    grid = np.linspace(top / 400, top, 300)
    best_aic = min(f.aic for f in t.handle_fits)
    for i, f in enumerate(t.handle_fits):
        ax.plot(grid, f.frozen.pdf(grid * 60.0) * 60.0, lw=2 if i == 0 else 1,
                label=f"{f.family} (AIC {f.aic - best_aic:+.0f})")
    ax.set(xlabel="Handle time (min)", ylabel="Density", title="Handle time")
    ax.legend()
    ax2 = fig.add_subplot(1, 2, 2)
    best = t.handle_fits[0]
    q = (np.arange(1, 201) - 0.5) / 200
    ax2.plot(best.frozen.ppf(q) / 60.0, np.quantile(x, q), "o", ms=2.5, color=_SIM)
    hi = max(best.frozen.ppf(q[-1]) / 60.0, np.quantile(x, q[-1]))
    ax2.plot([0, hi], [0, hi], color=_ACTUAL, lw=0.8, ls="--")
    ax2.set(xlabel=f"Fitted {best.family} quantile (min)", ylabel="Logged quantile (min)",
            title=f"QQ plot: {best.family}")
    return fig


@styled
def patience_figure(t: TypeFit) -> Figure:
    """Survival of patience: Kaplan-Meier, censored fit, naive (abandoned-only) fit."""
    p = t.patience
    fig = new_figure(3.0)
    ax = fig.add_subplot(1, 1, 1)
    sf = p.km.sf
    with warnings.catch_warnings():  # undefined where every caller left: the band stops
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = sf.confidence_interval(0.95)
    ax.step(sf.quantiles / 60.0, sf.probabilities, where="post", color=_ACTUAL,
            label="Kaplan-Meier (censored data)")
    ax.fill_between(ci.low.quantiles / 60.0, ci.low.probabilities, ci.high.probabilities,
                    step="post", color=_ACTUAL, alpha=0.15, lw=0)
    top = max(float(sf.quantiles.max()), 1.0)
    grid = np.linspace(0, top * 1.5, 300)
    ax.plot(grid / 60.0, p.best.frozen.sf(grid), color=_SIM, lw=2,
            label=f"censored fit: {p.best.family}, mean {p.best.frozen.mean() / 60:.1f} min")
    ax.plot(grid / 60.0, np.exp(-grid / p.naive_mean), color=_NAIVE, ls="--",
            label=f"naive (abandon times only): mean {p.naive_mean / 60:.1f} min")
    ax.set(xlabel="Time in queue (min)", ylabel="P(patience > t)", ylim=(0, 1.02),
           title=f"Patience: {p.abandoned:,} abandoned, {p.censored:,} waited, did not abandon")
    ax.legend(loc="lower left")
    return fig


@styled
def backtest_figure(bt: Backtest) -> Figure:
    """Each KPI per interval (actual, simulated mean and 95% band); offered per open day."""
    fig = new_figure(7.2)
    grid = fig.add_gridspec(3, 2)
    starts = bt.actual.index.to_numpy(dtype=float)
    width = starts[1] - starts[0] if starts.size > 1 else 3600.0
    x = _hours(np.append(starts, starts[-1] + width))  # edges: the last interval drawn too

    def edge(values):
        values = values.to_numpy(dtype=float)
        return np.append(values, values[-1])

    for i, kpi in enumerate(BACKTEST_KPIS):
        ax = fig.add_subplot(grid[i // 2, i % 2])
        s = _SCALE.get(kpi, 1.0)
        ax.fill_between(x, edge(bt.low[kpi]) * s, edge(bt.high[kpi]) * s, step="post",
                        color=_SIM, alpha=0.2, lw=0, label="simulated 95% band")
        ax.step(x, edge(bt.mean[kpi]) * s, where="post", color=_SIM, label="simulated mean")
        ax.step(x, edge(bt.actual[kpi]) * s, where="post", color=_ACTUAL, lw=1.2,
                label="actual")
        unit = " pts" if kpi in _SCALE else (" s" if kpi == "asa" else "")  # (points)
        ax.set(title=f"{_LABELS[kpi]}: MAE {bt.mae[kpi] * s:.3g}{unit}")
        _clock_axis(ax)
        if i == 0 and bt.daily.empty:  # (else the daily panel's legend names the same)
            ax.legend(loc="best")  # (at "lower center" it sat on the offered band)
    if not bt.daily.empty:
        _daily_panel(fig.add_subplot(grid[2, :]), bt)
    return fig


def _daily_panel(ax, bt: Backtest) -> None:
    """Offered per open day of the log: actual, simulated mean and 95% band, by date.

    Per interval a week's days are pooled; here a misplaced weekday shows.
    """
    daily, days = bt.daily, np.arange(len(bt.daily))
    ax.fill_between(days, daily["low"], daily["high"], color=_SIM, alpha=0.2, lw=0,
                    label="simulated 95% band")
    ax.plot(days, daily["mean"].to_numpy(), "o-", color=_SIM, ms=3, lw=1,
            label="simulated mean")
    ax.plot(days, daily["actual"].to_numpy(), "s", color=_ACTUAL, ms=3.5, label="actual")
    every = max(1, int(np.ceil(len(days) / 31)))  # a label for each day up to a month
    few = len(days) <= 16  # the weekday above the date; else one line, turned
    ax.set_xticks(days[::every], [f"{d.strftime('%a')}{chr(10) if few else ' '}{d.day} "
                                  f"{d.strftime('%b')}" for d in daily.index[::every]],
                  rotation=0 if few else 90, fontsize="small")
    ax.set(title=f"Offered per open day: MAE {bt.daily_mae:.3g}", ylabel="Contacts",
           xlim=(-0.6, len(days) - 0.4))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")  # beside


def fit_figures(fit: Fit) -> list[RenderedFigure]:
    """Every figure of the fit report, rendered."""
    figures = []
    for t in fit.types.values():
        figures.append(_draw(f"arrivals_{t.name}", f"{t.name}: arrivals",
                             "Grey: each day's contacts per interval; blue: the fitted mean "
                             "(per_interval). Right: daily totals and the day-of-week fit.",
                             lambda t=t: arrivals_figure(fit, t)))
        if t.handle_fits:
            figures.append(_draw(f"handle_{t.name}", f"{t.name}: handle time",
                                 "Families fitted by maximum likelihood; the lowest AIC is "
                                 "chosen. QQ points on the dashed line: the family fits.",
                                 lambda t=t: handle_figure(t)))
        if t.patience is not None:
            figures.append(_draw(f"patience_{t.name}", f"{t.name}: patience",
                                 "An answered caller's wait (or one's still waiting when the "
                                 "log ended) is a lower bound of its patience (censored). "
                                 "Ignoring that (red, dashed) underestimates patience.",
                                 lambda t=t: patience_figure(t)))
    return figures


def _rows(t: TypeFit) -> str:
    cells = [("contacts", f"{t.contacts:,}"), ("abandon rate", f"{t.abandon_rate:.2%}")]
    if t.handle:
        cells.append(("handle", _spec_text(t.handle.spec)))
    if t.hold_mean is not None:  # (as the text says them, where told)
        cells.append(("hold", f"mean {t.hold_mean:.1f} s per answered contact, in the handle"))
    if t.wrap_up is not None:
        cells.append(("wrap-up", _spec_text(t.wrap_up) + " after the talk (after-call work)"))
    if t.menu is not None:  # (as the text says it: the menu before the queue, where told)
        cells.append(("IVR menu", _spec_text(t.menu) + " before the queue"))
    if t.patience:
        cells += [("patience (censored)", _spec_text(t.patience.best.spec)),
                  ("patience naive", f"exponential, mean {t.patience.naive_mean:.1f} s")]
    cells += [("day factors", ", ".join(f"{d[:3]} {f:g}" for d, f in
                                        zip(t.arrivals.weekdays, t.arrivals.day_factors,
                                            strict=True))),
              ("forecast error", t.arrivals.forecast_text().removeprefix("forecast error "))]
    if t.repeat_share is not None:
        cells.append(("repeat share", f"{t.repeat_share:.2%} (mean delay "
                      f"{t.repeat_delay / 3600:.1f} h after the contact before ended)"
                      if t.repeat_share else f"{0:.2%}"))
    if t.transfer_share is not None:
        cells.append(("transfer share", f"{t.transfer_share:.2%} of answered"))
    if t.transfer is not None:
        cells.append(("transfer", transfer_text(t.transfer)))
    return "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in cells)


def _spec_text(spec: dict) -> str:
    """A fitted distribution for people: ``lognormal, mean 299.5 s, cv 0.80``."""
    parts = [str(spec.get("dist", ""))]
    for key, value in spec.items():
        if key != "dist":  # a cv (or a shape) has no unit; every other number is seconds
            parts.append(f"{key} {value:.2f}" if key in ("cv", "shape")
                         else f"{key} {value:,.1f} s")
    return ", ".join(parts)


def _staff_html(fit: Fit) -> str:
    """The staff the fit found, as the text prints it: agents named, else busy at once."""
    if fit.agents_seen is None:
        return (f"<p>Staff: {count_span(fit.staff, 'agent')} seen busy at once per interval (a "
                "lower bound where the log has no transfers; see the printed fit).</p>")
    groups = "".join(f"<li>{_esc(group_text(name, skills, seen, fit.concurrency.get(name)))}"
                     "</li>" for name, (skills, seen) in (fit.groups or {}).items())
    return (f"<p>Staff: {count_span(fit.agents_seen, 'agent')} seen working per interval "
            f"({SEEN_WORKING})" + (f", in groups:</p><ul>{groups}</ul>" if groups else ".</p>"))


def fit_html(fit: Fit, figures: list[RenderedFigure], scenario: str | None = None) -> str:
    """The fit report page; ``scenario``: the name of the scenario file written with it."""
    body = [f"<h1>Fit of {_esc(fit.log.path)}</h1>"]
    if scenario is not None:
        body.append(_esc(scenario).join(_SCENARIO_NOTE))
    body += [f"<p>{len(fit.log.table):,} contacts over {counted(fit.open_days, 'open day')}, open "
            f"{fit.open / 3600:g}h to {fit.close / 3600:g}h, intervals of "
            f"{fit.interval / 60:g} min." + (
                "" if fit.lines is None else f" Trunk lines: {fit.lines} (the calls on the "
                "lines at each busy signal, median).") + "</p>", _staff_html(fit)]
    for t in fit.types.values():
        body.append(f"<h2>{_esc(t.name)}</h2><table>{_rows(t)}</table>")
    for name, leg in fit.second_legs.items():  # reached only by transfer (sim.fit_transfers)
        cells = [("reached", reached_text(leg)), ("handle", _spec_text(leg.handle))] + (
            [] if leg.wrap_up is None else [("wrap-up", _spec_text(leg.wrap_up))])
        body.append(f"<h2>{_esc(name)}</h2><table>" + "".join(
            f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in cells) + "</table>")
    body += [f"<p class='note'>{_esc(n)}</p>" for n in fit.notes]
    body += [_figure_html(f) for f in figures]
    return _page(f"Fit of {fit.log.path}", body)


def write_fit_report(fit: Fit, path: str | Path, scenario: str | None = None) -> list[str]:
    """Write the fit report page at ``path``; ``scenario``: the scenario file it goes with.

    Returns:
        The problems of the figures that could not be drawn.
    """
    figures = fit_figures(fit)
    text = fit_html(fit, figures, scenario)
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return [f"{f.name}: {f.problem}" for f in figures if f.png is None]


def report_scenario(path: str | Path) -> str | None:
    """The name of the scenario file the fit report at ``path`` goes with, as it says.

    None when no page can be read there or it names none (not a fit report, or one
    written without ``scenario``).
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as page:
            head = page.read(1 << 16)  # the name follows the page's title
    except OSError:
        return None
    start, end = _SCENARIO_NOTE
    _, found, rest = head.partition(start)  # (the title's text is escaped: no '<p>')
    name, ended, _ = rest.partition(end)
    return html.unescape(name) if found and ended else None


def write_backtest_figure(bt: Backtest, path: str | Path) -> str | None:
    """Write the backtest PNG; returns why it could not be drawn, or None."""
    figure = _draw("backtest", "Backtest", "", lambda: backtest_figure(bt))
    if figure.png is None:
        return figure.problem
    write_atomic(path, lambda tmp: tmp.write_bytes(figure.png))
    return None
