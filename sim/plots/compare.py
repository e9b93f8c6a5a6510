"""Comparison figures: KPIs per variant, and paired differences to the baseline, with CIs."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from sim.kpis import kpi_scale, label
from sim.plots.style import (
    COMPARE_KPIS,
    UNIT_NAMES,
    new_figure,
    styled,
    variant_colours,
)

if TYPE_CHECKING:
    from sim.compare import Comparison


# ---- comparison ----------------------------------------------------------------------


def _panel_title(kpi: str, cols: int) -> str:
    """The KPI's label, on two lines when four panels share a row (else titles collide)."""
    text = label(kpi)
    return textwrap.fill(text, 14) if cols >= 4 else text


def _kpi_grid(n: int) -> tuple[int, int]:
    cols = min(4, n)
    return math.ceil(n / cols), cols


@styled
def kpi_bars(comparison: Comparison, kpis: Sequence[str] = COMPARE_KPIS) -> Figure:
    """KPI per variant with its 95% CI; a star marks a significant difference to baseline.

    Args:
        comparison: A :class:`~sim.compare.Comparison`.
        kpis: KPIs to show, one panel each.

    Returns:
        A grid of bar charts.
    """
    table = comparison.table(kpis)
    names = comparison.names
    colours = variant_colours(names)
    rows, cols = _kpi_grid(len(kpis))
    fig = new_figure(0.5 + 2.0 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, kpi in zip(axes, kpis):
        part = table[table["kpi"] == kpi].set_index("variant").loc[names]
        scale, unit = kpi_scale(kpi)
        means = scale * part["mean"].to_numpy(float)
        cis = scale * np.nan_to_num(part["ci"].to_numpy(float))
        x = np.arange(len(names))
        ax.bar(x, means, 0.7, yerr=cis, capsize=3, color=[colours[n] for n in names],
               error_kw={"lw": 0.9})
        top = np.nanmax(means + cis) if np.isfinite(means).any() else 1.0
        for xi, m, c, sig in zip(x, means, cis, part["significant"].to_numpy(bool)):
            if sig:
                ax.text(xi, m + c + 0.03 * top, "*", ha="center", va="bottom", fontsize=12,
                        fontweight="bold")
        ax.set_ylim(0, top * 1.2 if top > 0 else 1)
        ax.set_title(_panel_title(kpi, cols))
        ax.set_ylabel(UNIT_NAMES[unit])
        tilt = len(names) > 2 or max(len(n) for n in names) > 12  # long names overlap
        ax.set_xticks(x, names, rotation=25 if tilt else 0, ha="right" if tilt else "center")
        ax.grid(axis="x", visible=False)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle(f"KPIs per variant: mean and 95% CI over {comparison.replications} "
                 "replications; * differs from the baseline (paired 95% CI excludes 0)",
                 fontsize=9)
    return fig


@styled
def difference_figure(comparison: Comparison, kpis: Sequence[str] = COMPARE_KPIS) -> Figure:
    """Each variant's paired difference to the baseline with its 95% CI, per KPI.

    A difference whose interval misses the zero line is significant (filled marker).

    Args:
        comparison: A :class:`~sim.compare.Comparison` with at least one variant.
        kpis: KPIs to show, one panel each.

    Returns:
        A grid of interval plots.
    """
    table = comparison.table(kpis)
    names = [n for n in comparison.names if n != comparison.baseline]
    if not names:
        raise ValueError("no variant to compare with the baseline")
    colours = variant_colours(comparison.names)
    rows, cols = _kpi_grid(len(kpis))
    fig = new_figure(0.6 + (0.5 + 0.28 * len(names)) * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, kpi in zip(axes, kpis):
        part = table[table["kpi"] == kpi].set_index("variant").loc[names]
        scale, unit = kpi_scale(kpi)
        for y, name in enumerate(names):
            d, ci, sig = (part.loc[name, "diff"] * scale, part.loc[name, "diff_ci"] * scale,
                          bool(part.loc[name, "significant"]))
            ax.errorbar(d, y, xerr=0 if math.isnan(ci) else ci, fmt="o", color=colours[name],
                        mfc=colours[name] if sig else "white", ms=5, capsize=3, lw=1.2)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(range(len(names)), names if ax in axes[::cols] else [""] * len(names))
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_title(_panel_title(kpi, cols))
        ax.set_xlabel("Difference (" + ("% points" if unit == "%" else UNIT_NAMES[unit]) + ")")
        ax.grid(axis="y", visible=False)
        lo, hi = ax.get_xlim()
        span = max(abs(lo), abs(hi))
        ax.set_xlim(-span, span)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle(f"Difference to {comparison.baseline} (variant − baseline), paired over "
                 f"{comparison.replications} replications, 95% CI; filled = significant",
                 fontsize=9)
    return fig
