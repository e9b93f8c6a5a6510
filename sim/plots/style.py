"""Plot style: the colours, units and helpers every figure of :mod:`sim.plots` shares.

KPI labels and units come from the KPI registry (:mod:`sim.kpis`).

Colours carry meaning across every figure of a report: a variant has the same colour
everywhere (by its position, baseline first), so does an agent group and a contact type
(by their order in the scenario). Figures are built without ``pyplot`` on an Agg canvas,
under :data:`STYLE` (fonts fixed at A4 width).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim import kpis
from sim.metrics import measured_window
from sim.replicate import RunResult
from sim.scenario import Scenario
from sim.units import DAY

A4_WIDTH = 7.5  # inches: A4 (8.27 in) less margins
DPI = 150
# PNG text chunks: none. Matplotlib stamps its version by default, so the same figure
# would change bytes with an upgrade; a redraw must be byte-identical to the run's figure.
PNG_METADATA: dict[str, str | None] = {"Software": None}

# variants: blue baseline, then contrasting hues (tab10 order)
VARIANT_COLOURS = ("#1f5fa6", "#e8731a", "#2a9a48", "#c9312c", "#8357b0", "#8c564b",
                   "#d459a8", "#6f6f6f", "#a8a51f", "#17a5b8")
# agent groups (ColorBrewer Dark2) and contact types (colour-blind safe, Okabe-Ito based)
GROUP_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                 "#a6761d", "#666666")
TYPE_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
                "#f0e442", "#000000")
# where contacts go (journey flow)
OUTCOME_COLOURS = {
    "first contact": "#c6dbef", "retrial": "#9e9ac8", "repeat contact": "#54278f",
    "complaint post": "#c51b7d",
    "self-served in IVR": "#35978f", "busy signal": "#969696", "balked": "#f4a582",
    "queued": "#6baed6",
    "answered": "#2166ac", "called back": "#4d4d9f", "abandoned": "#d6604d",
    "unserved at close": "#bdbdbd",
    "one agent, no hold": "#66c2a5", "consult or hold": "#e0b040", "transferred": "#8073ac",
    "resolved": "#4dac26", "not resolved": "#f1a340", "hung up": "#b2182b",
    "queued at close": "#878787",
}

COMPARE_KPIS = ("service_level", "asa", "abandon_rate", "mean_wait", "wait_p90", "occupancy",
                "fcr", "customer_effort")
# labels and axis units from the KPI registry (sim.kpis)
KPI_LABELS = {kpi.name: kpi.label for kpi in kpis.REGISTRY}
UNIT_NAMES = {unit.symbol: unit.axis for unit in kpis.UNITS}

STYLE = {
    "font.size": 8.5, "axes.titlesize": 9.5, "axes.titleweight": "bold",
    "axes.labelsize": 8.5, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "legend.fontsize": 8, "legend.frameon": False, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.35,
    "grid.linewidth": 0.5, "lines.linewidth": 1.4, "figure.dpi": 100,
    "savefig.dpi": DPI,
}

Results = RunResult | Mapping[str, RunResult]
F = TypeVar("F", bound=Callable[..., Figure])


def styled(func: F) -> F:
    """Build the figure under :data:`STYLE` (fonts are fixed when text is created)."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(STYLE):
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


# ---- shared helpers ------------------------------------------------------------------


def as_runs(results: Results) -> dict[str, RunResult]:
    """``{name: run}`` from one run (named after its scenario) or a mapping of runs."""
    if isinstance(results, RunResult):
        return {results.scenario.name: results}
    if not results:
        raise ValueError("no results to plot")
    return dict(results)


def palette(names: Sequence[str], colours: Sequence[str]) -> dict[str, str]:
    """Name -> colour, by position, cycling through ``colours``."""
    return {name: colours[i % len(colours)] for i, name in enumerate(names)}


def variant_colours(names: Sequence[str]) -> dict[str, str]:
    """Colour of each variant (baseline first)."""
    return palette(names, VARIANT_COLOURS)


def group_colours(scenario: Scenario) -> dict[str, str]:
    """Colour of each agent group, in scenario order."""
    return palette(list(scenario.agents), GROUP_COLOURS)


def type_colours(scenario: Scenario) -> dict[str, str]:
    """Colour of each contact type, in scenario order."""
    return palette(list(scenario.contact_types), TYPE_COLOURS)


def new_figure(height: float, width: float = A4_WIDTH) -> Figure:
    """An empty, constrained-layout figure (inches) with an Agg canvas, outside pyplot."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def counted(result: RunResult) -> pd.DataFrame:
    """Contacts that count for contact KPIs: arrived in the measured window."""
    contacts = result.contacts
    window = measured_window(result.scenario)
    return contacts[window.contacts(contacts["arrival"].to_numpy())]


def offered_mask(contacts: pd.DataFrame) -> np.ndarray:
    """Contacts offered to the queues: not blocked by a busy signal, not self-served."""
    mask = ~contacts["blocked"].to_numpy(bool)
    if "self_served" in contacts:
        mask &= ~contacts["self_served"].to_numpy(bool)
    if "balked" in contacts:  # left on arrival: never offered
        mask &= ~contacts["balked"].to_numpy(bool)
    return mask


# dash patterns by variant position: with 3+ variants, colour alone does not tell lines
# drawn on top of each other apart (the Erlang need keeps "--", targets ":")
VARIANT_DASHES = ("-", (0, (6, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)), (0, (3, 1)),
                  (0, (6, 2, 1, 2, 1, 2)))


def line_style(position: int) -> Any:
    """The dash pattern of the variant at ``position`` (the baseline's is solid)."""
    return VARIANT_DASHES[position % len(VARIANT_DASHES)]


def line_width(position: int) -> float:
    """Later variants draw thinner lines on top, so a variant equal to the baseline shows."""
    return max(1.0, 2.2 - 0.8 * position)


def clock(seconds: float) -> str:
    """``HH:MM`` of a time in seconds from day 0 (the day left out)."""
    return f"{int(seconds % DAY // 3600):02d}:{int(seconds % 3600 // 60):02d}"
