"""Animation layout: the frame's words fitted within it, once its panels are laid out.

An animation's frame is laid out once, on its first frame, and then frozen (re-solving the
layout every frame doubles the time, :mod:`sim.animate`). What varies with the scenario
must then fit the room it was given: the title, whose counts change every frame, is
shrunk to the figure's width; the queue legend, one entry per contact type, wraps into
as many rows as its panel's width needs, and the panel's height leaves room above the
day's highest queue for it; a group's label, however long its name, is shrunk to the
seat panel's width.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.text import Text

HEADROOM = 1.45  # the queue axis' height per contact at its highest, with one legend row
GAP = 0.05  # of the panel's height, between the highest queue and the legend


def fit_width(text: Text, size: float) -> None:
    """Draw ``text`` at ``size`` points, or smaller so that it fits the figure's width."""
    text.set_fontsize(size)
    _shrink(text, 0.98 * text.get_figure().bbox.width)


def _shrink(text: Text, room: float) -> None:
    """Make ``text`` smaller until it is at most ``room`` pixels wide.

    A few steps: glyphs are placed on whole pixels, so a text at half the size is more
    than half as wide.
    """
    renderer = text.get_figure().canvas.get_renderer()
    for _ in range(8):
        wide = text.get_window_extent(renderer).width
        if wide <= room:
            return
        text.set_fontsize(text.get_fontsize() * 0.98 * room / wide)


def fit_labels(ax: Axes) -> None:
    """Shrink each text of ``ax`` that runs past its right edge, to end there.

    Call once the layout is done, with the texts left out of it: a long group name,
    laid out, widened the seat panel and pushed the other panels off the frame.
    """
    renderer = ax.figure.canvas.get_renderer()
    right = ax.get_window_extent(renderer).x1
    for text in ax.texts:
        left = text.get_window_extent(renderer).x0
        if left < right:
            _shrink(text, right - left)


def fit_legend(ax: Axes, top: int) -> None:
    """The legend of ``ax``'s lines, in as many columns as fit its width, above ``top``.

    Call once the layout is done. The legend is left out of the layout: a legend wider
    than its panel made the layout shrink the panel to a sliver.

    Args:
        ax: The queue panel, its lines labelled.
        top: The day's highest queue (contacts): the y axis leaves room above it.
    """
    renderer = ax.figure.canvas.get_renderer()
    panel = ax.get_window_extent(renderer)
    columns = len(ax.get_legend_handles_labels()[0])  # (the clock line has no label)
    while True:
        legend = ax.legend(loc="upper left", ncol=columns)
        legend.set_in_layout(False)
        box = legend.get_window_extent(renderer)
        if box.width <= panel.width or columns == 1:
            break
        columns -= 1
    share = box.height / panel.height  # of the panel's height, the legend's
    ax.set_ylim(0, max(top * HEADROOM + 1, (top + 1) / max(1 - share - GAP, 0.2)))
