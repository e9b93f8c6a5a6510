"""Plot style: the colours, units and helpers every figure of :mod:`sim.plots` shares.

KPI labels and units come from the KPI registry (:mod:`sim.kpis`).

Colours carry meaning across every figure of a report: a variant has the same colour
everywhere (by its position, baseline first), so does an agent group and a contact type
(by their order in the scenario). Figures are built without ``pyplot`` on an Agg canvas,
under :data:`STYLE` (fonts fixed at A4 width).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import StepPatch
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from PIL import Image

from sim import kpis
from sim.metrics import measured_window
from sim.replicate import RunResult
from sim.scenario import Scenario
from sim.units import DAY

if TYPE_CHECKING:
    from matplotlib.axes import Axes

A4_WIDTH = 7.5  # inches: A4 (8.27 in) less margins
DPI = 150
# PNG text chunks: none. Matplotlib stamps its version by default, so the same figure
# would change bytes with an upgrade; a redraw must be byte-identical to the run's figure.
PNG_METADATA: dict[str, str | None] = {"Software": None}

# zlib level of every PNG figure (reports, sweeps, schedules): on the figures of small_bank
# and a comparison, 3 encodes in 0.6 of the time of Pillow's default 6, for files 6% larger
# (still 5% smaller than the RGBA files of before; bench_report.py)
PNG_COMPRESS_LEVEL = 3


def render_png(fig: Figure, dpi: int = DPI) -> bytes:
    """A figure as PNG bytes (Agg), with no text chunks: same figure, same bytes.

    The pixels, size and dpi are ``fig.savefig``'s, from one draw instead of its two:
    with a layout engine, savefig first draws with drawing disabled only to lay the
    figure out, then draws again, while Agg's draw lays the figure out itself (a third
    less time). An opaque figure is written as RGB, not RGBA (its alpha is 255
    everywhere): the same picture, a quarter fewer bytes to compress. zlib's level
    :data:`PNG_COMPRESS_LEVEL`, not Pillow's 6: figures are mostly flat colour, where
    the slower levels save little. No software version is written, so an upgrade of
    matplotlib or Pillow alone does not change the bytes of a redraw.
    """
    own_canvas, own_dpi = fig.canvas, fig.dpi
    # a GUI's or notebook's canvas (even one built on Agg) may scale for the screen: draw
    # on a plain Agg canvas, as savefig does, and give the figure its own back after
    canvas = own_canvas if type(own_canvas) is FigureCanvasAgg else FigureCanvasAgg(fig)
    fig.dpi = dpi
    try:
        canvas.draw()
        image = Image.frombuffer("RGBA", canvas.get_width_height(physical=True),
                                 canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        opaque = image.getchannel("A").getextrema()[0] == 255
        image = image.convert("RGB") if opaque else image.copy()  # copy: before a redraw
    finally:
        fig.dpi = own_dpi
        if canvas is not own_canvas:
            fig.set_canvas(own_canvas)
    buffer = io.BytesIO()
    image.save(buffer, format="png", dpi=(dpi, dpi), compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


# variants: blue baseline, then contrasting hues; no green or red, which the report's table
# uses for better and worse (a variant drawn green read as better whatever its change)
VARIANT_COLOURS = ("#1f5fa6", "#e8731a", "#8357b0", "#17a5b8", "#d459a8", "#a8a51f",
                   "#6f6f6f", "#b8860b", "#3b3b98", "#000000")
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
    # names are the user's words: "$5 a call vs $2 a call" is not TeX math
    "text.parse_math": False,
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


# ---- cheaper ways to draw what matplotlib's own calls draw ---------------------------


def stairs(ax: Axes, values: Any, edges: Any, **style: Any) -> StepPatch:
    """``ax.stairs(values, edges, **style)`` (unfilled), without its walk over every step.

    Axes.stairs widens the data limits by walking the patch's path one Bezier segment at
    a time in Python: for the five panels of a 5-day interval figure, a tenth of its
    time. Steps are straight, so their vertices bound them: the same limits and pixels.
    """
    patch = StepPatch([], [0], fill=False, edgecolor=style.pop("color"), **style)
    ax.add_patch(patch)  # empty: nothing to walk
    patch.set_data(values, edges)
    ax.update_datalim(patch.get_path().vertices)
    ax.autoscale_view()
    return patch


def vertical_lines(ax: Axes, xs: Sequence[float], **style: Any) -> Line2D:
    """One line through the axes' height at each of ``xs``: ``ax.axvline`` at each, as one.

    One artist instead of one per x (day dividers on every panel of a 30-day run were
    hundreds): the same pixels, a fraction of the time to make, lay out and draw.
    """
    x = np.repeat(np.asarray(xs, dtype=float), 3)
    x[2::3] = np.nan  # a gap between the lines
    y = np.tile([0.0, 1.0, np.nan], len(xs))
    line = Line2D(x, y, transform=ax.get_xaxis_transform(which="grid"), **style)
    ax.add_line(line)
    return line


def text_width(text: str, size: float) -> float:
    """Points wide ``text`` is at ``size`` points: its TextPath's extents, computed faster.

    ``TextPath(...).get_extents()`` walks each curve of each glyph in Python (7 ms a
    label); here the extremes of the straight and quadratic segments of the outline are
    found with numpy, to the same value.
    """
    if not text:
        return 0.0
    path = TextPath((0, 0), text, size=size)
    codes, x = path.codes, path.vertices[:, 0]
    if codes is None:
        return float(x.max() - x.min())
    curve = codes == Path.CURVE3
    index = np.arange(len(codes))
    # in a run of CURVE3 codes the vertices alternate: control point, end point
    run_start = np.maximum.accumulate(np.where(curve & ~np.r_[False, curve[:-1]], index, 0))
    control = np.flatnonzero(curve & ((index - run_start) % 2 == 0))
    if (codes == Path.CURVE4).any() or np.isin(codes[control - 1], (Path.CLOSEPOLY,
                                                                      Path.STOP)).any():
        return float(path.get_extents().width)  # cubic outlines: matplotlib's own walk
    start, middle, end = x[control - 1], x[control], x[control + 1]
    bend = start - 2 * middle + end
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(bend != 0, (start - middle) / bend, -1.0)
    inside = (t > 0) & (t < 1)  # an extreme within the curve, not at its ends
    t, start, middle, end = t[inside], start[inside], middle[inside], end[inside]
    ends = np.isin(codes, (Path.MOVETO, Path.LINETO)) | curve
    ends[control] = False
    xs = np.concatenate([x[ends], (1 - t) ** 2 * start + 2 * t * (1 - t) * middle + t ** 2 * end])
    return float(xs.max() - xs.min())
