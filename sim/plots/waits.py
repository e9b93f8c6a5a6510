"""The waiting-time figure: the share of contacts answered within t, and the service level.

The service level is one point of the waiting-time distribution: the share answered
within the threshold. This figure draws the distribution and marks on it the KPIs the
summary reports, computed by :mod:`sim.metrics` (the figure does not count them again).
"""

from __future__ import annotations

from textwrap import fill
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from sim.kpis import format_kpi
from sim.metrics import contact_thresholds
from sim.plots.style import (
    Results,
    as_runs,
    counted,
    line_width,
    new_figure,
    offered_mask,
    styled,
    type_colours,
    variant_colours,
)
from sim.replicate import RunResult
from sim.scenario import Scenario
from sim.scenario_contacts import ServiceLevelDefinition
from sim.units import format_duration

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@styled
def wait_cdf(results: Results) -> Figure:
    """Share of contacts answered within t, against t, per variant and per contact type.

    A curve is, at every t, answered within t / the service-level denominator (offered
    contacts by default), averaged over the replications as the summary's KPIs are; it
    levels off below 100% by the share never answered. The marks are the run's
    service-level KPIs, ``summary`` and ``by_type``: a dot on each type's curve at the
    type's own threshold, and on the left a dot on each variant's curve at the threshold
    when its types share one. When types have their own thresholds, no point of the
    all-types curve is the service level: a horizontal line then marks it. (With the
    contacts of some replications only kept, the curves are theirs, the marks all
    replications'.)

    Args:
        results: One run or ``{variant: run}``.

    Returns:
        A figure: left per variant (all contact types), right per contact type of the
        first run, with the thresholds, targets and service levels marked.
    """
    runs = as_runs(results)
    first = next(iter(runs.values()))
    scenario = first.scenario
    shown = _types_shown(first)
    thresholds = [r.scenario.threshold(t) for r in runs.values() for t in _types_shown(r)]
    low = min((t for t in thresholds if t > 0), default=0.0)
    xmax = max(max(_wait_axis_end(r, low) for r in runs.values()), 1.5 * max(thresholds))
    # waits far beyond the threshold (callbacks waiting for hours) on a linear axis
    # squeeze the threshold against the y axis: a log axis keeps both readable
    log = xmax > LOG_AXIS_FROM * low and low > 0
    xmin = min(1.0, low / 10) if log else 0.0
    grid = np.geomspace(xmin, xmax, 400) if log else np.linspace(0.0, xmax, 400)
    fig = new_figure(4.0)  # the legends go under the panels
    left, right = fig.subplots(1, 2, sharey=True)
    colours = variant_colours(list(runs))
    for name, result in runs.items():
        contacts = counted(result)
        left.plot(grid, 100 * answered_within(contacts, grid, result.scenario),
                  color=colours[name], label=name,
                  lw=line_width(list(runs).index(name)) if len(runs) > 1 else 1.4)
        _mark_service_level(left, result, colours[name])
    contacts = counted(first)
    for t_name, colour in type_colours(scenario).items():
        mine = contacts[contacts["contact_type"] == t_name]
        if not len(mine):
            continue
        threshold, value = scenario.threshold(t_name), first.by_type[t_name]["service_level"]
        right.plot(grid, 100 * answered_within(mine, grid, scenario), color=colour,
                   label=f"{t_name}: {format_kpi('service_level', value)} within "
                         f"{format_duration(threshold)}")
        if np.isfinite(value):
            right.plot([threshold], [100 * value], "o", color=colour, ms=4, clip_on=False,
                       gid=f"service_level:{t_name}")
    definition = {"offered": "offered", "answered": "answered",
                  "short_abandons_excluded": "offered less short abandons"
                  }[scenario.service_level.definition.value]
    for ax, title in ((left, "By variant, all contact types" if len(runs) > 1 else
                       "All contact types"),
                      (right, _by_type_title(next(iter(runs))) if len(runs) > 1
                       else "By contact type")):
        # where types differ, the right panel's legend names each threshold
        _threshold_lines(ax, scenario, shown, named=ax is right)
        _target_lines(ax, scenario, shown if ax is right else [])
        ax.set(xlim=(xmin, xmax), ylim=(0, 100), title=title,
               xlabel="Wait until answered, t" + (" (log scale)" if log else " (s)"))
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(FixedLocator(
                [t for t in WAIT_TICKS if xmin <= t <= xmax]))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda t, _pos: format_duration(t)))
            ax.xaxis.set_minor_formatter(NullFormatter())
    # under the panels, left and right, one entry a line: inside, no corner is free of the
    # curves once there are two variants, a threshold and a target to name; two columns
    # under each panel ran past the figure's edges and into each other (long names)
    entries = [ax.get_legend_handles_labels() for ax in (left, right)]
    for (handles, labels), where in zip(entries, ("outside lower left", "outside lower right")):
        fig.legend(handles, [fill(label, LEGEND_WIDTH) for label in labels], loc=where)
    fig.set_figheight(2.9 + LEGEND_LINE * max(len(labels) for _, labels in entries))
    left.set_ylabel(f"Answered within t\n(% of {definition})")
    return fig


LEGEND_WIDTH = 48  # characters of a legend entry a line (half the figure's width)
LEGEND_LINE = 0.19  # inches a legend entry takes


LOG_AXIS_FROM = 30  # a wait axis longer than this many thresholds is drawn on a log scale
WAIT_TICKS = (1, 10, 60, 300, 1800, 7200, 28800, 86400)  # 1s 10s 1m 5m 30m 2h 8h 1d


def _by_type_title(variant: str) -> str:
    """The right panel's title; a long variant name wrapped under it, not clipped."""
    title = f"By contact type ({variant})"
    return title if len(title) <= 36 else "By contact type\n" + fill(f"({variant})", 36)


def _types_shown(result: RunResult) -> list[str]:
    """The contact types the run offered (those the service level is made of)."""
    shown = [t for t in result.scenario.contact_types
             if result.by_type.get(t, {}).get("offered", 0) > 0]
    return shown or list(result.scenario.contact_types)


def _mark_service_level(ax: Axes, result: RunResult, colour: str) -> None:
    """The run's service level (the summary's): a dot at the threshold, or a level line."""
    value = result.summary["service_level"]
    if not np.isfinite(value):
        return
    text = f"service level {format_kpi('service_level', value)}"
    thresholds = {result.scenario.threshold(t) for t in _types_shown(result)}
    if len(thresholds) == 1:
        ax.plot([thresholds.pop()], [100 * value], "o", color=colour, ms=4, label=text,
                clip_on=False, gid="service_level")
    else:  # each type at its own threshold: no single t reads it off the curve
        ax.axhline(100 * value, color=colour, ls="-.", lw=1.0, gid="service_level",
                   label=f"{text} (each type at its own threshold)")


def _threshold_lines(ax: Axes, scenario: Scenario, types: list[str], named: bool) -> None:
    """A dashed line at each threshold of ``types``, coloured by type where they differ.

    One threshold is always in the legend; different ones only if ``named``, with the
    types that have each.
    """
    by_value: dict[float, list[str]] = {}
    for t in types:
        by_value.setdefault(scenario.threshold(t), []).append(t)
    colours = type_colours(scenario)
    for threshold, names in sorted(by_value.items()):
        label = f"threshold {format_duration(threshold)}"
        single = len(by_value) > 1 and len(names) == 1
        if len(by_value) > 1:
            label = f"{label} ({', '.join(names)})" if named else "_nolegend_"
        ax.axvline(threshold, color=colours[names[0]] if single else "k", ls="--", lw=0.9,
                   label=label)


def _target_lines(ax: Axes, scenario: Scenario, types: list[str]) -> None:
    """A dotted line at the target; per type (``types``) where types have their own."""
    by_value: dict[float, list[str]] = {}
    for t in types:
        by_value.setdefault(scenario.target(t), []).append(t)
    if len(by_value) <= 1:
        value = next(iter(by_value), scenario.service_level.target)
        ax.axhline(100 * value, color="k", ls=":", lw=0.9, label=f"target {100 * value:g}%")
        return
    colours = type_colours(scenario)
    for value, names in sorted(by_value.items()):
        ax.axhline(100 * value, color=colours[names[0]] if len(names) == 1 else "k", ls=":",
                   lw=0.9, label=f"target {100 * value:g}% ({', '.join(names)})")


def _wait_axis_end(result: RunResult, threshold: float) -> float:
    """Right end of a wait axis: the 95th percentile of answer waits, at least 4 thresholds."""
    contacts = counted(result)
    waits = contacts.loc[contacts["answered"].to_numpy(bool), "wait"].to_numpy()
    p95 = float(np.quantile(waits, 0.95)) if waits.size else 0.0
    return max(p95 * 1.1, 4 * threshold, 60.0)


def answered_within(contacts: pd.DataFrame, t: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Answered within each ``t`` / the service-level denominator, mean over replications.

    The mean of the replications' shares (those with a denominator), as the summary
    averages its KPIs: at a threshold shared by all types it is the service level.
    """
    if "replication" not in contacts:
        return _share_within(contacts, t, scenario)
    shares = np.array([_share_within(part, t, scenario) for _, part in
                       contacts.groupby("replication", sort=True, observed=True)])
    counted_ = ~np.isnan(shares)
    if not shares.size:
        return np.full(t.shape, np.nan)
    n = counted_.sum(axis=0)
    total = np.where(counted_, shares, 0.0).sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _share_within(contacts: pd.DataFrame, t: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Answered within each ``t`` / the service-level denominator of ``contacts``."""
    answered = contacts["answered"].to_numpy(bool)
    wait = contacts["wait"].to_numpy(float)
    waits = np.sort(wait[answered])
    definition = scenario.service_level.definition
    if definition is ServiceLevelDefinition.ANSWERED:
        denominator = float(answered.sum())
    else:
        offered = offered_mask(contacts)
        denominator = float(offered.sum())
        if definition is ServiceLevelDefinition.SHORT_ABANDONS_EXCLUDED:
            # an abandon is short by its own type's threshold, as the KPI judges it
            short = (offered & contacts["abandoned"].to_numpy(bool)
                     & (wait <= contact_thresholds(contacts["contact_type"], scenario)))
            denominator -= float(short.sum())
    if denominator <= 0:
        return np.full(t.shape, np.nan)
    return np.searchsorted(waits, t, side="right") / denominator
