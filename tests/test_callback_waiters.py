"""Callers awaiting a callback are told apart from callers still on the line.

A callback is taken on arrival: the caller hangs up and keeps a place in the queue. The
live page and day.png counted them all as "waiting" (storm_surge with callbacks: about
128 on average, most off the phone), so a trainer could not tell who was still on the
line. The counts are checked here against the records themselves: at each instant, the
contacts with ``callback`` set whose first wait (arrival to answer, or to hanging up)
spans it, and those without it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.app.views import floor_frames
from sim.compare import variant_scenarios
from sim.loader import load_scenario
from sim.plots.floor import day_figure

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "storm_surge.yaml"


@pytest.fixture(scope="module")
def runs():
    found = variant_scenarios(load_scenario(SCENARIO), ["callbacks_on"])
    return {name: sim.run(sc, seed=5, replications=1, trace_every=60.0)
            for name, sc in found.items()}


def _oracle(result, t: float) -> tuple[int, int]:
    """(on the line, awaiting a callback) at ``t``, row by row from the contacts."""
    on_line = called = 0
    for row in result.contacts.itertuples():
        if row.blocked or not row.arrival <= t < row.arrival + row.wait:
            continue
        if row.callback:
            called += 1
        else:
            on_line += 1
    return on_line, called


def test_live_page_counts_callers_on_the_line_and_awaiting_a_callback(runs):
    floor = floor_frames(runs["callbacks_on"])
    assert floor["callbacks"] is True
    frames = floor["frames"]
    most = max(range(len(frames)), key=lambda i: frames[i]["callbacks"])
    picked = sorted({len(frames) // 8, len(frames) // 3, most, len(frames) // 2,
                     len(frames) * 3 // 4})
    for i in picked:
        f = frames[i]
        on_line, called = _oracle(runs["callbacks_on"], f["t"])
        assert (f["queue"] - f["callbacks"], f["callbacks"]) == (on_line, called), f["t"]
        # the list: callers on the line first (longest first), then those awaiting a callback
        shown = len(f["waits"])
        assert f["called"] == [0] * min(on_line, shown) + [1] * (shown - min(on_line, shown))
        for flag in (0, 1):
            waits = [w for w, c in zip(f["waits"], f["called"]) if c == flag]
            assert waits == sorted(waits, reverse=True)
    assert frames[most]["callbacks"] > 0


def test_live_page_without_callbacks_says_nothing_of_them(runs):
    floor = floor_frames(runs["baseline"])
    assert floor["callbacks"] is False
    assert all(f["callbacks"] == 0 for f in floor["frames"])


def test_day_figure_draws_the_callback_waiters_where_there_are_callbacks(runs):
    result = runs["callbacks_on"]
    fig = day_figure(result)
    (area,) = [a for a in fig.axes[0].collections if a.get_label().startswith("awaiting")]
    times = result.traces[0]["time"].to_numpy()
    drawn = area.get_paths()[0].vertices[:, 1]  # the top edge: the count at each time
    hours = area.get_paths()[0].vertices[:, 0]
    for k in np.linspace(0, times.size - 1, 7).astype(int):
        t = times[k]
        expected = _oracle(result, t)[1]
        at = np.isclose(hours, t / 3600) & (drawn > 0)
        assert (drawn[at].max() if at.any() else 0) == expected or (
            t < result.scenario.open - 1800 or t > result.scenario.close + 3600), t
    assert drawn.max() > 0
    baseline = day_figure(runs["baseline"])
    assert not [a for a in baseline.axes[0].collections
                if a.get_label().startswith("awaiting")]


def test_animation_counts_the_callback_waiters_apart(runs):
    """The film's queue panel has a callback line, its title both counts, as the records say."""
    from sim.animate import build_animation

    result = runs["callbacks_on"]
    anim = build_animation(result, step=3600.0)
    (line,) = [ln for ln in anim._fig.axes[1].lines if ln.get_label().startswith("awaiting")]
    sc = result.scenario
    grid = np.arange(sc.open, sc.close + 1, 60.0)
    assert line.full.size == grid.size
    for k in np.linspace(0, grid.size - 1, 6).astype(int):
        assert line.full[k] == _oracle(result, grid[k])[1], grid[k]
    assert line.full.max() > 0
    frame = 4  # 12:00, the height of the surge
    anim._func(frame)
    on_line, called = _oracle(result, sc.open + frame * 3600.0)
    title = anim._fig._suptitle.get_text()
    assert title.endswith(f"{on_line} on the line, {called} awaiting a callback"), title
    baseline = build_animation(runs["baseline"], step=3600.0)
    assert not [ln for ln in baseline._fig.axes[1].lines
                if ln.get_label().startswith("awaiting")]
    baseline._func(4)
    assert baseline._fig._suptitle.get_text().endswith(" waiting")
