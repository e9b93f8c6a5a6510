"""Cheaper drawing helpers of sim.plots.style: each must draw what matplotlib's own draws."""

import numpy as np
import pytest
from matplotlib.lines import Line2D
from matplotlib.textpath import TextPath

from sim.plots import style
from sim.report import render_png


class TestTextWidth:
    @pytest.mark.parametrize("text", ["00:00", "Day 1 (Monday)", "Day 16 (Wed)", "Day 30",
                                      "Qgjy|(W)", "Tag 3 (Donnerstag)", "1"])
    @pytest.mark.parametrize("size", [8, 11.5])
    def test_as_text_path_extents(self, text, size):
        """A label's width as TextPath's extents measure it: where labels fit, unchanged."""
        expected = TextPath((0, 0), text, size=size).get_extents().width
        assert style.text_width(text, size) == pytest.approx(expected, rel=1e-12, abs=1e-9)

    def test_empty(self):
        """An empty label takes no room."""
        assert style.text_width("", 8) == 0.0


def two_figures(draw_theirs, draw_mine) -> tuple[bytes, bytes]:
    """PNGs of the same small figure drawn with matplotlib's call and with ours."""
    pngs = []
    for draw in (draw_theirs, draw_mine):
        fig = style.new_figure(2.5)
        axes = fig.subplots(2, 1, sharex=True)
        draw(axes)
        axes[0].set(ylim=(0, None))
        pngs.append(render_png(fig, dpi=100))
    return pngs[0], pngs[1]


class TestStairs:
    @pytest.mark.parametrize("values", [[3.0, 5.0, 1.0, 4.0],
                                        [np.nan, 2.0, 7.0, np.nan, 4.0, 4.5]])
    def test_draws_as_axes_stairs(self, values):
        """The same pixels, data limits and view limits as Axes.stairs (gaps at NaN too)."""
        edges = np.arange(len(values) + 1)
        kwargs = {"color": "#1f5fa6", "lw": 1.4, "ls": (0, (6, 2)), "baseline": None}
        limits = {}

        def draw(stairs):
            def on(axes):
                for k, ax in enumerate(axes):
                    stairs(ax, (1 + k) * np.asarray(values), edges)
                limits[stairs] = [(ax.dataLim.bounds, ax.get_xlim(), ax.get_ylim())
                                  for ax in axes]
            return on

        theirs, mine = two_figures(draw(lambda ax, v, e: ax.stairs(v, e, **kwargs)),
                                   draw(lambda ax, v, e: style.stairs(ax, v, e, **kwargs)))
        assert theirs == mine
        assert len(set(map(str, limits.values()))) == 1, limits

    def test_is_a_patch_of_the_axes(self):
        """Found where Axes.stairs' patch is: among the axes' patches, clipped to it."""
        ax = style.new_figure(2).subplots()
        patch = style.stairs(ax, [1.0, 2.0], [0, 1, 2], color="k", baseline=None)
        assert list(ax.patches) == [patch] and patch.get_clip_box() is not None


class TestVerticalLines:
    def test_draws_as_axvlines(self):
        """One line through several x draws the pixels of one axvline at each."""
        xs = [1.0, 2.0, 3.5]

        def theirs(axes):
            for ax in axes:
                ax.plot([0, 5], [0, 2])
                for x in xs:
                    ax.axvline(x, color="0.3", lw=0.8)

        def mine(axes):
            for ax in axes:
                ax.plot([0, 5], [0, 2])
                style.vertical_lines(ax, xs, color="0.3", lw=0.8)

        a, b = two_figures(theirs, mine)
        assert a == b

    def test_one_line(self):
        """One artist for all of them, not one each."""
        ax = style.new_figure(2).subplots()
        line = style.vertical_lines(ax, [1, 2, 3], color="k")
        assert isinstance(line, Line2D) and ax.get_lines() == [line]


def test_variant_colours_are_not_the_reports_better_and_worse():
    """No variant is drawn green or red: the report's table marks better and worse so.

    A variant drawn green (or red) in the difference figures beside the table read as
    better (or worse) whatever its change (a worse wait drawn green: an outside check).
    """
    import colorsys

    from sim.plots.style import VARIANT_COLOURS

    for colour in VARIANT_COLOURS:
        r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
        hue, _, saturation = colorsys.rgb_to_hls(r, g, b)
        if saturation < 0.25:
            continue  # a grey or black
        degrees = hue * 360
        assert 20 <= degrees <= 340 and not 80 <= degrees <= 170, (colour, degrees)
