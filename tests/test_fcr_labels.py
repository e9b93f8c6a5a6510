"""The FCR figure's value labels never run together, however many variants share a panel.

A comparison of four variants drew "85858585" over the agent groups' bars: upright
labels wider than bars a quarter as wide (found by an outside check of the compare
report, and seen in its screenshot).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import matplotlib

import sim
from sim.plots.journey import fcr_figure

matplotlib.use("Agg")
BANK = Path(__file__).resolve().parents[1] / "scenarios" / "small_bank.yaml"


def test_value_labels_stand_apart():
    """Side by side, two labels are at least a thin space apart (a fifth of their size).

    Upright, the agent-group panel's labels touched (0.18 px apart at 100 dpi: "8585").
    """
    base = sim.load_scenario(BANK, overrides={"days": 1})
    runs = {name: sim.run(base.model_copy(update={"name": name}), replications=2, seed=1)
            for name in ("baseline", "two", "three", "four")}
    fig = fcr_figure(runs)
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes[1:]:  # (the type and group panels carry the labels)
        labels = [t for t in ax.texts if t.get_text()]
        assert len(labels) >= 8
        space = 0.2 * labels[0].get_fontsize() * fig.dpi / 72  # (points to pixels)
        boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
        gaps = [b.x0 - a.x1 for a, b in itertools.pairwise(boxes)
                if a.y0 < b.y1 and b.y0 < a.y1]  # (side by side: heights overlap)
        assert min(gaps) >= space, (ax.get_title(), min(gaps), space)
