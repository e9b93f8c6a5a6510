"""Report figures: every figure of a report, drawn once and kept as PNG bytes.

A report (:mod:`sim.report`) shows each figure of :mod:`sim.plots` with a heading and a
caption that says how to read it. Here each figure is drawn (Agg, no pyplot) into a
:class:`RenderedFigure`; a figure that fails to draw becomes a note in the page, not the
end of the report. The same bytes are embedded in ``report.html`` and written as PNG.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from matplotlib.figure import Figure

from sim import plots
from sim.compare import Comparison
from sim.figure_workers import draw_all
from sim.plots.style import render_png
from sim.replicate import RunResult
from sim.weekdays import day_label


@dataclass
class RenderedFigure:
    """One figure of a report, rendered.

    Attributes:
        name: File stem (``intervals`` -> ``intervals.png``).
        title: Heading in the report.
        caption: How to read it.
        png: The PNG bytes, or None if it could not be drawn.
        problem: Why it could not be drawn.
    """

    name: str
    title: str
    caption: str
    png: bytes | None = None
    problem: str | None = None


def _draw(name: str, title: str, caption: str, make: Callable[[], Figure]) -> RenderedFigure:
    """Render one figure; a figure that fails is reported in the page, not fatal."""
    try:
        return RenderedFigure(name, title, caption, png=render_png(make()))
    except Exception as exc:  # one bad figure must not lose the whole report
        return RenderedFigure(name, title, caption,
                              problem=f"{type(exc).__name__}: {exc}")


def run_figures(result: RunResult, workers: int = 1) -> list[RenderedFigure]:
    """Every figure of a single run's report, rendered (by ``workers`` forked processes)."""
    wait, intervals, *rest = _shared(result)
    return draw_all([wait, intervals, _day(result, "day", "A day at a glance"), *rest], workers)


def _shared(subject) -> list[Callable[[], RenderedFigure]]:
    """The figures a run's report and a comparison's both draw, in order.

    ``subject``: a run, or the comparison's runs by name. Waits, intervals, occupancy,
    journey and FCR.
    """
    kept = _kept_note(subject)  # (figures of the contacts kept, not of every replication)
    return [
        partial(_draw, "wait_cdf", "Waiting times", _CDF_CAPTION + kept,
                lambda: plots.wait_cdf(subject)),
        partial(_draw, "intervals", "Per interval", _INTERVAL_CAPTION,
                lambda: plots.interval_figure(subject)),
        partial(_draw, "occupancy", "Occupancy per agent group", _OCCUPANCY_CAPTION,
                lambda: plots.occupancy_figure(subject)),
        partial(_draw, "journey", "Where contacts go", _JOURNEY_CAPTION + kept,
                lambda: plots.journey_figure(subject)),
        partial(_draw, "fcr", "First-contact resolution and repeat contacts",
                _FCR_CAPTION + kept, lambda: plots.fcr_figure(subject)),
    ]


def _kept_note(subject) -> str:
    """A caption's last sentence where contacts were kept for only the first replications.

    The waiting times, journeys and contacts per issue are drawn from the contacts kept:
    "mean over replications" alone said every one, and the summary's dots, of every
    replication, sat off the curves.
    """
    result = next(iter(subject.values())) if isinstance(subject, dict) else subject
    kept, every = result.kept_replications, len(result.replications)
    if kept is None or len(kept) >= every:
        return ""
    return (f" Drawn from the contacts of the first {len(kept)} of {every} replications "
            "(--keep-contacts); the summary's figures are of every replication.")


def comparison_figures(comparison: Comparison, workers: int = 1) -> list[RenderedFigure]:
    """Every figure of a comparison's report, rendered (by ``workers`` forked processes)."""
    runs = comparison.results
    jobs = [partial(_draw, "kpis", "KPIs per variant", _KPI_CAPTION,
                    lambda: plots.kpi_bars(comparison))]
    if len(runs) > 1:
        jobs.append(partial(_draw, "differences", "Differences to the baseline", _DIFF_CAPTION,
                            lambda: plots.difference_figure(comparison)))
    jobs += _shared(runs)
    jobs += [_day(result, f"day_{name}", f"A day at a glance: {name}", name)
             for name, result in runs.items()]
    return draw_all(jobs, workers)


def _day(result: RunResult, name: str, title: str, variant: str | None = None
         ) -> Callable[[], RenderedFigure]:
    """The job that draws a run's day figure (or says why it cannot)."""
    if not result.traces:
        return partial(RenderedFigure, name, title, _DAY_CAPTION,
                       problem="no queue trace in these results (`ccsim run` and "
                               "`ccsim compare` record one unless given --no-report; "
                               "sim.run with trace_every)")
    heading = None if variant is None else (
        f"{variant}: {day_label(result.scenario, 0)}, "
        f"replication {int(result.traces[0]['replication'].iloc[0]) + 1}")
    replication = int(result.traces[0]["replication"].iloc[0])
    return partial(_draw, name, title, _DAY_CAPTION,
                   lambda: plots.day_figure(result, replication=replication, title=heading))


_CDF_CAPTION = ("Share of contacts answered within a wait of t (mean over replications); "
                "a curve levels off below 100% by the share never answered. The dots are "
                "the service levels the summary reports, each at its dashed threshold, to "
                "compare with the dotted target. Where contact types have their own "
                "thresholds, each type's dot sits at its own, and a dash-dotted line marks "
                "the service level of all types together: no single point of their curve is it.")
_INTERVAL_CAPTION = ("Per interval, all contact types together. Offered contacts and "
                     "agents on duty are means per replication; service level, ASA and "
                     "abandon rate are over all callers of the interval in every "
                     "replication, as an ACD report counts them. Agents on duty (after "
                     "shrinkage) against the Erlang C requirement for the simulated "
                     "offered contacts and the mean handle times (contact types that the "
                     "same agents take first-come are pooled, the others staffed on their "
                     "own; a chat desk's agent counts as the chats it takes at once, each "
                     "talk paced as the run paces it: chat slowdown, agent speed; "
                     "patience ignored). Where the service "
                     "level falls below the target line, look at staffing, breaks and "
                     "overflow.")
_DAY_CAPTION = ("One replication, sampled every minute: contacts waiting per contact type "
                "(top; with callbacks, those awaiting a callback, off the phone, shaded), "
                "and agents busy (filled) with the agents on duty (line): one panel "
                "per agent group where there are several. A chat desk, whose agents take "
                "several chats at once, in chats: chats in progress against the chats its "
                "agents on duty can take.")
_OCCUPANCY_CAPTION = ("Busy time / time on duty per agent group, mean over replications "
                      "with 95% confidence intervals.")
_JOURNEY_CAPTION = ("Each bar is a stage, split into what happened; counts are means per "
                    "replication. IVR, transfers, consults and repeat contacts appear when "
                    "the scenario has them.")
_FCR_CAPTION = ("Contacts per issue (1 = solved or given up at the first contact), and "
                "first-contact resolution per contact type and per agent group.")
_KPI_CAPTION = ("Mean over replications with 95% confidence interval; * marks a variant "
                "whose paired difference to the baseline is significant.")
_DIFF_CAPTION = ("Variant minus baseline, paired over replications run with the same "
                 "random numbers, with 95% confidence intervals. An interval that misses "
                 "the zero line (filled marker) is a real difference, not luck.")
