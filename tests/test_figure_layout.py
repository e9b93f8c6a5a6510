"""Figure text neither runs off the figure nor into other text (found by an outside check).

- The waiting-times figure's two legends, two columns under each panel, were wider than
  their panels with long names (social_backlash, refund_vs_relations): they ran past the
  figure's edges and into each other.
- A sweep heatmap's y label (the parameter's name, then its whole path and unit) was
  taller than its panel: two panels' labels were printed over each other.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

import sim
from sim import plots, sweep_plots

ROOT = Path(__file__).resolve().parents[1] / "scenarios"


def _drawn(fig):
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer(), fig.bbox


@pytest.mark.parametrize("name", ["social_backlash", "refund_vs_relations", "small_bank"])
def test_the_wait_figures_legends_are_inside_and_apart(name):
    scenario = sim.load_scenario(ROOT / f"{name}.yaml", overrides={"days": 1})
    fig = plots.wait_cdf(sim.run(scenario, seed=1, replications=1))
    renderer, whole = _drawn(fig)
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    assert len(legends) == 2
    boxes = [legend.get_window_extent(renderer) for legend in legends]
    for box in boxes:
        assert whole.x0 - 1 <= box.x0 and box.x1 <= whole.x1 + 1, (box, whole)
        assert whole.y0 - 1 <= box.y0 and box.y1 <= whole.y1 + 1, (box, whole)
        for ax in fig.axes:  # under the panels, not over the curves
            assert not box.overlaps(ax.get_window_extent(renderer)), (box, ax.get_title())
    assert not boxes[0].overlaps(boxes[1]), boxes


def test_a_sweep_heatmaps_y_labels_fit_their_panels(tmp_path, monkeypatch):
    summary = pd.DataFrame({
        "agents.pool.staff": [40, 40, 42, 42, 44, 44, 46, 46],
        "contact_types.calls.arrivals.rate": ["560/h", "600/h"] * 4,
        "service_level": np.linspace(0.7, 0.97, 8),
        "abandon_rate": np.linspace(0.06, 0.01, 8),
    })
    drawn = {}
    monkeypatch.setattr(sweep_plots, "_save", lambda fig, path: drawn.setdefault("fig", fig))
    sweep_plots.plot_heatmap(summary, ["agents.pool.staff",
                                       "contact_types.calls.arrivals.rate"],
                             tmp_path / "h.png", target=0.8, title="Sweep", threshold_s=20)
    fig = drawn["fig"]
    renderer, whole = _drawn(fig)
    panels = [ax for ax in fig.axes if ax.get_ylabel() and ax.images]
    assert len(panels) == 2
    labels = [ax.yaxis.label.get_window_extent(renderer) for ax in panels]
    for label in labels:
        assert whole.y0 - 1 <= label.y0 and label.y1 <= whole.y1 + 1, (label, whole)
    assert not labels[0].overlaps(labels[1]), labels
    assert "contact_types.calls.arrivals.rate" in panels[0].get_ylabel().replace("\n", "")


def test_figures_from_kept_contacts_say_so():
    """With --keep-contacts 1 of 3, the captions say the figures are of replication 1.

    The waiting-times, journey and FCR figures are drawn from the contacts kept; their
    captions said "mean over replications", and the dots (every replication's service
    level) sat off the curve (an outside check).
    """
    from sim.report_figures import run_figures

    scenario = sim.load_scenario(ROOT / "small_bank.yaml", overrides={"days": 1})
    kept = {f.name: f.caption for f in run_figures(sim.run(scenario, seed=1, replications=3,
                                                           keep_contacts=1))}
    every = {f.name: f.caption for f in run_figures(sim.run(scenario, seed=1,
                                                            replications=3))}
    for name in ("wait_cdf", "journey", "fcr"):
        assert "first 1 of 3 replications" in kept[name], (name, kept[name])
        assert "replications (--keep-contacts)" not in every[name], every[name]
    assert "first 1 of 3" not in kept["occupancy"]  # (every replication's)
