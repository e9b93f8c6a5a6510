"""A sweep's figures say what they show, and every line is visible on the page.

- The heatmap's title names the KPIs shown and what its two axes are (a person, not
  only the grid's dotted paths); each panel is titled with its KPI; both axes carry
  what the parameter is and its unit.
- Each line of the curves (one per value of the second parameter) contrasts with the
  white page at least 3:1 (WCAG 2.1, 1.4.11: graphical objects), the last value too:
  a pale line at the bright end of the colour map was hard to see.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from sim import sweep_plots

PATHS = ["agents.pool.staff", "contact_types.calls.patience.mean"]


@pytest.fixture
def summary() -> pd.DataFrame:
    """A 2 x 3 sweep summary of agents by mean patience (made-up but plausible values)."""
    rows = []
    for k, patience in enumerate(["1m", "3m", "10m"]):
        for n in (40, 42):
            level = 0.9 - 0.1 * k + 0.02 * (n - 40)
            rows.append({PATHS[0]: n, PATHS[1]: patience, "service_level": level,
                         "service_level_ci": 0.02, "abandon_rate": 0.06 - 0.01 * k,
                         "abandon_rate_ci": 0.005, "asa": 10.0 * (k + 1), "asa_ci": 1.0,
                         "occupancy": 0.9, "occupancy_ci": 0.01})
    return pd.DataFrame(rows)


@pytest.fixture
def drawn(monkeypatch) -> list:
    """The figures a sweep plot would write, kept instead of saved."""
    figures: list = []
    monkeypatch.setattr(sweep_plots, "_save", lambda fig, path: figures.append(fig))
    return figures


def contrast_on_white(colour) -> float:
    """WCAG 2.1 contrast ratio of ``colour`` against white."""
    rgb = np.array(to_rgb(colour))
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return 1.05 / (float(linear @ [0.2126, 0.7152, 0.0722]) + 0.05)


def test_the_heatmap_title_names_the_kpis_and_the_axes(summary, drawn, tmp_path):
    """Title: the KPIs and the axes' meanings; panels: their KPI; axes: meaning and unit."""
    sweep_plots.plot_heatmap(summary, PATHS, tmp_path / "h.png", target=0.8,
                             title="Sweep of 'Erlang A'\n5 replications", threshold_s=20.0)
    fig = drawn.pop()
    title = fig.get_suptitle()
    assert "Service level and abandon rate by" in title, title
    assert "agents (pool)" in title and "mean patience (calls)" in title, title
    assert "Sweep of 'Erlang A'" in title and "5 replications" in title, title
    panels = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title(loc="left") for ax in panels] == [
        "Service level (% within 20s)", "Abandon rate (%)"]
    for ax in panels:
        assert ax.get_xlabel() == "agents (pool)\nagents.pool.staff (agents)"
        name, *path = ax.get_ylabel().split("\n")  # (the path broken at dots to fit)
        assert name == "mean patience (calls)"
        assert "".join(path) == "contact_types.calls.patience.mean (min)", path


def test_every_curve_is_visible_on_white(summary, drawn, tmp_path):
    """Each value's line (10m, the last, included) contrasts at least 3:1 with the page."""
    sweep_plots.plot_curves(summary, PATHS, tmp_path / "c.png", target=0.8)
    fig = drawn.pop()
    lines = [line for line in fig.axes[0].get_lines() if line.get_label() in ("1m", "3m", "10m")]
    assert [line.get_label() for line in lines] == ["1m", "3m", "10m"]
    ratios = [contrast_on_white(line.get_color()) for line in lines]
    assert min(ratios) >= 3.0, ratios
    assert len({line.get_color() if isinstance(line.get_color(), str)
                else tuple(line.get_color()) for line in lines}) == 3


def test_line_colours_stay_visible_for_many_values():
    """However many lines, each contrasts 3:1 with white and no two are the same."""
    for n in (1, 2, 5, 12):
        colours = sweep_plots.line_colours(n)
        assert len(colours) == n
        assert min(contrast_on_white(c) for c in colours) >= 3.0
        assert len({tuple(c) for c in colours}) == n
