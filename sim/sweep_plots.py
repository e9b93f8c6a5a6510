"""Sweep figures: how KPIs respond to the swept parameters.

Two kinds of figure, drawn from a sweep's summary table (one row per point, with each
KPI's mean and 95% confidence half-width):

- *curves*: each KPI against the first grid parameter, the shaded band being the 95%
  confidence interval over replications; with a second parameter, one line per value;
- *heatmaps*: with two parameters, a KPI over the grid, each cell labelled with its mean
  (service level cells that meet the scenario's target in bold).

Axes say what a parameter is, for people (``mean patience (calls)``), above its grid path
and unit: a parameter given as durations (``1m``, ``3m``) is drawn in minutes or
seconds, one given as rates (``600/h``) per hour, agent counts as agents. Titles name the
KPIs shown and the parameters they are shown against. Lines are coloured from the dark
part of a colour map only (:func:`line_colours`), so that each stands out on the page. Figures are
sized for an A4 page and written as PNG; they are plain matplotlib ``Figure`` objects
(no pyplot), so drawing them changes no global backend or state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim import kpis
from sim.kpis import MONEY, better, unit_of
from sim.kpis import label as kpis_label
from sim.output import atomic_path
from sim.plots.style import render_png, styled
from sim.sweep_store import CURVES, HEATMAP
from sim.units import format_duration, format_list, parse_duration, parse_rate


@dataclass(frozen=True)
class KpiStyle:
    """How a KPI is drawn: its axis label, unit factor and the range its values can take.

    ``scale`` turns the KPI's unit into the axis unit; ``low`` and ``high`` are in axis
    units (a confidence band is drawn within them).
    """

    label: str
    scale: float = 1.0
    low: float = -np.inf
    high: float = np.inf


PAST_100 = frozenset({"transfer_rate"})
"""Shares that can pass 100%: transfers per answered contact (one may be transferred
several times)."""


def kpi_style(kpi: str, threshold_s: float | None = None) -> KpiStyle:
    """The style of a KPI, from the registry; the service level names its threshold if known.

    Shares lie in 0..100% (but :data:`PAST_100`), counts and times are never negative;
    money may be (profit).
    """
    unit = kpis.unit_of(kpi)
    low, high = ((0.0, 100.0) if unit is kpis.RATIO and kpi not in PAST_100 else
                 (-np.inf, np.inf) if unit is kpis.MONEY else (0.0, np.inf))
    if kpi == "service_level" and threshold_s is not None:
        label = f"Service level (% within {format_duration(threshold_s)})"
    else:
        label = f"{kpis.label(kpi)} ({unit.axis})"
    return KpiStyle(label, unit.scale, low, high)


CURVE_KPIS = ("service_level", "abandon_rate", "asa", "occupancy")
HEATMAP_KPIS = ("service_level", "abandon_rate")
COUNT_KEYS = {"staff", "count", "lines", "max_contacts", "max_attempts", "max_transfers"}
DURATION_KEYS = {"mean", "value", "low", "high", "mode", "threshold", "after", "at", "length",
                 "interval", "warmup", "max", "delay", "time"}


NAMES = {("agents", "staff"): "agents", ("agents", "shrinkage"): "shrinkage",
         ("agents", "absenteeism"): "absenteeism", ("agents", "concurrency"): "concurrency",
         ("contact_types", "patience.mean"): "mean patience",
         ("contact_types", "handle.mean"): "mean handle time",
         ("contact_types", "handle.cv"): "handle time cv",
         ("contact_types", "arrivals.rate"): "arrival rate",
         ("contact_types", "resolution"): "resolution", ("lines",): "trunk lines",
         ("service_level", "threshold"): "service-level threshold",
         ("service_level", "target"): "service-level target"}
"""What a grid path is, for people: by its first part and the rest after the group's or
contact type's name (``agents.pool.staff``: ``agents (pool)``)."""

LINE_CONTRAST = 0.6
"""Lines take viridis from 0 (dark purple) to this (green): past it the colours are too
pale on white (under 3:1, WCAG's least for a line)."""


def parameter_name(path: str) -> str:
    """A grid path as people say it: ``mean patience (calls)``; unknown paths as given."""
    parts = path.split(".")
    if parts[0] in ("agents", "contact_types") and len(parts) > 2:
        name = NAMES.get((parts[0], ".".join(parts[2:])))
        return path if name is None else f"{name} ({parts[1]})"
    return NAMES.get(tuple(parts), path)


def line_colours(n: int) -> list[tuple[float, float, float, float]]:
    """``n`` colours for lines in order of a parameter, dark to light, none pale."""
    return list(mpl.colormaps["viridis"](np.linspace(0.0, LINE_CONTRAST if n > 1 else 0.0,
                                                     max(n, 1))))[:n]


@dataclass(frozen=True)
class Axis:
    """A grid parameter as plot coordinates: positions, tick labels and an axis label."""

    label: str
    positions: np.ndarray
    ticks: list[str]
    numeric: bool


def parameter_axis(path: str, values: Sequence[object]) -> Axis:
    """Plot coordinates for the values of one grid parameter (see the module docstring).

    Its label is what the parameter is (:func:`parameter_name`) over its path and unit.
    """
    axis = _axis(path, values)
    name = parameter_name(path)
    return axis if name == path else Axis(f"{name}\n{axis.label}", axis.positions,
                                          axis.ticks, axis.numeric)


def _axis(path: str, values: Sequence[object]) -> Axis:
    values = list(values)
    ticks = [str(v) for v in values]
    key = path.split(".")[-2] if path.split(".")[-1].isdigit() else path.split(".")[-1]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        numbers = np.asarray(values, dtype=float)
        if key in DURATION_KEYS:
            return _duration_axis(path, numbers, ticks)
        if key == "rate":
            return Axis(f"{path} (per hour)", numbers * 3600.0, ticks, True)
        unit = " (agents)" if key in ("staff", "count") else ""
        return Axis(f"{path}{unit}", numbers, ticks, True)
    for parse in (parse_duration, _rate_per_hour):
        try:
            numbers = np.array([parse(v) for v in values], dtype=float)
        except ValueError:
            continue
        if parse is parse_duration:
            return _duration_axis(path, numbers, ticks)
        return Axis(f"{path} (per hour)", numbers, ticks, True)
    return Axis(path, np.arange(len(values), dtype=float), ticks, False)


def _rate_per_hour(value: object) -> float:
    return parse_rate(value) * 3600.0


def _duration_axis(path: str, seconds: np.ndarray, ticks: list[str]) -> Axis:
    if np.nanmax(seconds) >= 120.0:
        return Axis(f"{path} (min)", seconds / 60.0, ticks, True)
    return Axis(f"{path} (s)", seconds, ticks, True)


@styled
def plot_curves(summary: pd.DataFrame, paths: Sequence[str], path: str | Path,
                kpis: Sequence[str] = CURVE_KPIS, target: float | None = None,
                title: str = "", threshold_s: float | None = None) -> Path:
    """KPIs against the first grid parameter, 95% CI bands, a line per second-parameter value.

    Args:
        summary: The sweep summary (see :func:`sim.sweep.summarize`).
        paths: The grid paths; the first is the x axis, the second (if any) the lines.
            With more, the others are averaged over (and the bands widen accordingly).
        path: The PNG file to write.
        kpis: The KPIs, one panel each.
        target: Service-level target (0..1) drawn as a dashed line on its panel.
        title: Figure title.
        threshold_s: Service-level threshold, seconds (for the axis label).
    """
    x_path, line_path = paths[0], (paths[1] if len(paths) > 1 else None)
    x_values = list(dict.fromkeys(summary[x_path]))
    axis = parameter_axis(x_path, x_values)
    kpis = [k for k in kpis if k in summary]
    ncols = 2 if len(kpis) > 1 else 1
    nrows = -(-len(kpis) // ncols)
    fig = Figure(figsize=(8.0, 3.0 * nrows + 0.6), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    groups = [(None, summary)] if line_path is None else list(summary.groupby(line_path,
                                                                             sort=False))
    colors = line_colours(len(groups))
    for ax, kpi in zip(axes.flat, kpis):
        style = kpi_style(kpi, threshold_s)
        for (value, frame), color in zip(groups, colors):
            frame = frame.groupby(x_path, sort=False)[[kpi, f"{kpi}_ci"]].mean()
            x = axis.positions[[x_values.index(v) for v in frame.index]]
            mean = frame[kpi].to_numpy(dtype=float) * style.scale
            ci = np.nan_to_num(frame[f"{kpi}_ci"].to_numpy(dtype=float)) * style.scale
            label = None if value is None else str(value)
            ax.plot(x, mean, marker="o", markersize=3, color=color, label=label)
            # with few replications a t band can reach past what the KPI can be: drawn within
            ax.fill_between(x, np.clip(mean - ci, style.low, style.high),
                            np.clip(mean + ci, style.low, style.high), color=color, alpha=0.2,
                            linewidth=0)
        if kpi == "service_level" and target is not None:
            ax.axhline(target * 100.0, color="firebrick", linestyle="--", linewidth=1,
                       label=f"target {target:.0%}")
        ax.set_ylabel(style.label)
        _x_ticks(ax, axis)
    for col in range(ncols):  # the lowest panel of each column is labelled
        shown = [row for row in range(nrows) if row * ncols + col < len(kpis)]
        lowest = axes[shown[-1], col]
        lowest.set_xlabel(axis.label)
        lowest.xaxis.set_tick_params(labelbottom=True)  # (sharex hides it above the last row)
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if labels:
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5),
                   title=_legend_title(line_path), fontsize=9, title_fontsize=9)
    shown = f"{kpi_list(kpis)} against {parameter_name(x_path)}"
    if line_path is not None:
        shown += f", a line per {parameter_name(line_path)}"
    fig.suptitle(f"{shown}\n{title or 'Sweep'}: mean and 95% confidence band", fontsize=11)
    return _save(fig, path)


def kpi_list(kpis: Sequence[str]) -> str:
    """KPIs' labels in a sentence: ``Service level, ASA and occupancy``."""
    names = [kpis_label(k) for k in kpis]  # in a sentence: "and abandon rate", "and ASA"
    names[1:] = [n if n[:2].isupper() else n[0].lower() + n[1:] for n in names[1:]]
    return format_list(names)


def _legend_title(path: str | None) -> str | None:
    name = None if path is None else parameter_name(path)
    return path if name == path else f"{name}: {path}"


def _x_ticks(ax, axis: Axis) -> None:
    """Label every value when there are few; categorical axes always get their labels."""
    if not axis.numeric or len(axis.ticks) <= 8:
        ax.set_xticks(axis.positions, axis.ticks, rotation=0 if len(axis.ticks) <= 8 else 45)


@styled
def plot_heatmap(summary: pd.DataFrame, paths: Sequence[str], path: str | Path,
                 kpis: Sequence[str] = HEATMAP_KPIS, target: float | None = None,
                 title: str = "", threshold_s: float | None = None) -> Path:
    """Heatmaps of KPIs over the first two grid parameters (one panel per KPI).

    Args:
        summary: The sweep summary.
        paths: The grid paths (at least two; further ones are averaged over).
        path: The PNG file to write.
        kpis: The KPIs, one panel each.
        target: Service-level target: cells meeting it are labelled in bold.
        title: Figure title.
        threshold_s: Service-level threshold, seconds (for the colour bar label).
    """
    x_path, y_path = paths[0], paths[1]
    kpis = [k for k in kpis if k in summary]
    x_values = list(dict.fromkeys(summary[x_path]))
    y_values = list(dict.fromkeys(summary[y_path]))
    height = max(2.6, 0.45 * len(y_values) + 1.6)
    fig = Figure(figsize=(8.0, height * len(kpis)), layout="constrained")
    axes = fig.subplots(len(kpis), 1, squeeze=False)
    for ax, kpi in zip(axes[:, 0], kpis):
        style = kpi_style(kpi, threshold_s)
        grid = (summary.groupby([y_path, x_path], sort=False)[kpi].mean().unstack(x_path)
                .reindex(index=y_values, columns=x_values).to_numpy(dtype=float)) * style.scale
        cmap = "viridis" if better(kpi) > 0 else "viridis_r"  # bright where better
        image = ax.imshow(grid, aspect="auto", origin="lower", cmap=cmap)
        ax.grid(False)  # cells, not gridlines
        ax.set_xticks(range(len(x_values)), [str(v) for v in x_values],
                      rotation=0 if len(x_values) <= 14 else 90)
        ax.set_yticks(range(len(y_values)), [str(v) for v in y_values])
        ax.set_xlabel(parameter_axis(x_path, x_values).label)
        ax.set_ylabel(_fitted(parameter_axis(y_path, y_values).label, height - 1.3))
        ax.set_title(style.label, loc="left", fontsize=9)
        fig.colorbar(image, ax=ax, label=style.label, shrink=0.9)
        if grid.size <= 225:
            bold_from = (target * style.scale if target is not None
                         and kpi == "service_level" else None)
            _annotate(ax, grid, image, bold_from=bold_from, money=unit_of(kpi) is MONEY)
            if bold_from is not None:  # else nothing on the figure says why cells are bold
                ax.set_title(f"bold: the {100 * target:g}% target is met", loc="right",
                             fontsize=8, fontweight="bold")
    shown = (f"{kpi_list(kpis)} by {parameter_name(x_path)} (across) and "
             f"{parameter_name(y_path)} (up)")
    fig.suptitle(f"{shown}\n{title or 'Sweep'}: each cell the mean over replications",
                 fontsize=11)
    return _save(fig, path)


def _fitted(label: str, inches: float) -> str:
    """A y label broken at its path's dots into lines that fit ``inches`` of a panel.

    (A panel of two rows is shorter than ``contact_types.calls.arrivals.rate (per hour)``:
    two panels' labels were printed over each other.)
    """
    most = max(12, int(inches / 0.075))  # characters an inch at the label's size, about
    lines = []
    for line in label.split("\n"):
        while len(line) > most and "." in line[1:most]:
            cut = line.rindex(".", 1, most) + 1
            lines.append(line[:cut])
            line = line[cut:]
        lines.append(line)
    return "\n".join(lines)


def _annotate(ax, grid: np.ndarray, image, bold_from: float | None,
              money: bool = False) -> None:
    """Write each cell's value, dark on light cells and light on dark ones (money: cents)."""
    low, high = np.nanmin(grid), np.nanmax(grid)
    for (row, col), value in np.ndenumerate(grid):
        if np.isnan(value):
            continue
        shade = (value - low) / (high - low) if high > low else 0.5
        if image.get_cmap().name.endswith("_r"):
            shade = 1.0 - shade
        text = (f"{value:,.2f}" if money else f"{value:.1f}" if abs(value) < 100
                else f"{value:.0f}")
        ax.text(col, row, text,
                ha="center", va="center", fontsize=8,
                color="black" if shade > 0.55 else "white",
                fontweight="bold" if bold_from is not None and value >= bold_from else "normal")


def _save(fig: Figure, path: str | Path) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(render_png(fig, dpi=150))
    return Path(path)


def plot_sweep(summary: pd.DataFrame, paths: Sequence[str], out: str | Path,
               target: float | None = None, title: str = "",
               threshold_s: float | None = None,
               leave_out: Sequence[str] = ()) -> list[Path]:
    """Write every sweep figure into ``out``.

    ``sweep_curves.png`` always; ``sweep_heatmap.png`` with two or more grid parameters.
    ``target`` (0..1) and ``threshold_s`` (seconds) are the scenario's service-level goal.
    ``leave_out``: KPIs no point models (:func:`sim.features.left_out`), given no panel.
    """
    out = Path(out)
    options = {"target": target, "title": title, "threshold_s": threshold_s}
    curves = [k for k in CURVE_KPIS if k not in leave_out]
    heatmaps = [k for k in HEATMAP_KPIS if k not in leave_out]
    written = [plot_curves(summary, paths, out / CURVES, curves, **options)]
    if len(paths) >= 2:
        written.append(plot_heatmap(summary, paths, out / HEATMAP, heatmaps,
                                    **options))
    return written
