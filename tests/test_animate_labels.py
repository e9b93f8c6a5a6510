"""An animation's words are readable and say the moment drawn.

The title of every frame (scenario, day, clock, agents busy of on duty, customers waiting)
lies within the frame: social_backlash's, with its chat desk's slots, was some 60 pixels
wider than the 640-pixel frame, so the number waiting, the number a trainer points at,
was cut off on the right (and the scenario's name on the left).

A day open round the clock ends at 24:00, as ``close: "24:00"`` and day.png say: the last
frame of the bundled Erlang scenarios (open 00:00 to 24:00) read ``day 1, 00:00: 36 of
36 agents busy``, the first frame's clock with other counts, and the queue's time axis
ended at 00:00.
"""

from __future__ import annotations

import gc
import itertools
import re
from pathlib import Path

import pytest

from sim.animate import build_animation, one_replication
from sim.loader import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]

# a long name, five groups of which one chat desk, four queues: the busiest title
LONG = {"name": "Big national utility helpline with many groups", "days": 1,
        "open": "08:00", "close": "12:00", "interval": "1h",
        "contact_types": {
            t: {"arrivals": {"rate": f"{r}/h"}, "handle": {"dist": "exponential", "mean": "8m"},
                "patience": {"dist": "exponential", "mean": "5m"},
                **({"channel": "chat"} if t == "chat" else {})}
            for t, r in (("billing", 1500), ("faults", 400), ("moves", 100), ("chat", 200))},
        "agents": {"billing_customer_service_team_north": {"skills": ["billing"], "staff": 150},
                   "faults_engineers": {"skills": ["faults"], "staff": 55},
                   "home_moves": {"skills": ["moves"], "staff": 14},
                   "web_chat_team": {"skills": ["chat"], "staff": 12, "concurrency": 3},
                   "supervisors": {"skills": ["billing", "faults"], "staff": 5}}}


def _titles(anim):
    """Each frame's title text and its extent (pixels), then the figure's width."""
    fig = anim._fig
    renderer = fig.canvas.get_renderer()
    for i in range(len(anim._save_seq) if anim._save_seq else anim._save_count):
        anim._func(i)
        title = fig._suptitle
        yield title.get_text(), title.get_window_extent(renderer), fig.bbox.width


def _clocks(anim) -> list[str]:
    """Each frame's clock, as its title says it (``day 1, 08:00``)."""
    return [re.search(r"day 1, (\d\d:\d\d)\b", text).group(1) for text, _, _ in _titles(anim)]


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
@pytest.mark.parametrize("scenario", [
    pytest.param(lambda: load_scenario(ROOT / "scenarios" / "social_backlash.yaml"),
                 id="social_backlash"),
    pytest.param(lambda: scenario_from_dict(LONG), id="long-name-many-groups")])
def test_every_frame_title_lies_within_the_frame(scenario):
    """All of the title is drawn (left edge >= 0, right edge <= the width), waiting included."""
    sc = scenario()
    anim = build_animation(one_replication(sc, seed=13), day=sc.days - 1, step=3600.0)
    frames = 0
    for text, box, width in _titles(anim):
        frames += 1
        assert re.search(r"\d+ of \d+ agents busy", text) and "waiting" in text, text
        assert box.x0 >= 0 and box.x1 <= width, (text, box.x0, box.x1, width)
    assert frames > 3
    del anim
    gc.collect()


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_a_day_round_the_clock_ends_at_24_00():
    """erlang_c (00:00-24:00) every 6 hours: 00:00, 06:00, ... 24:00; the axis to 24:00."""
    sc = load_scenario(ROOT / "scenarios" / "erlang_c.yaml")
    anim = build_animation(one_replication(sc), step=6 * 3600.0)
    assert _clocks(anim) == ["00:00", "06:00", "12:00", "18:00", "24:00"]
    ticks = [t.get_text() for t in anim._fig.axes[1].get_xticklabels()]
    assert ticks[0] == "00:00" and ticks[-1] == "24:00", ticks
    del anim
    gc.collect()


DAY_8_20 = {"name": "eight to eight", "days": 1, "open": "08:00", "close": "20:00",
            "interval": "1h",
            "contact_types": {"calls": {"arrivals": {"rate": "30/h"},
                                        "handle": {"dist": "exponential", "mean": "4m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 3}}}


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
@pytest.mark.parametrize(("scenario", "step", "expected"), [
    pytest.param(lambda: scenario_from_dict(DAY_8_20), 13, ["08:00", "20:00"], id="13h-of-12"),
    pytest.param(lambda: scenario_from_dict(DAY_8_20), 7, ["08:00", "15:00", "20:00"],
                 id="7h-of-12"),
    pytest.param(lambda: load_scenario(ROOT / "scenarios" / "erlang_c.yaml"), 5,
                 ["00:00", "05:00", "10:00", "15:00", "20:00", "24:00"], id="5h-of-24")])
def test_a_step_that_does_not_divide_the_day_ends_at_the_close(scenario, step, expected):
    """--step 13h on an 08:00-20:00 day drew 21:00 (0 of 0 agents busy); 5h of 24 '25:00'."""
    anim = build_animation(one_replication(scenario()), step=step * 3600.0)
    assert _clocks(anim) == expected
    del anim
    gc.collect()


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_the_queue_axis_clock_labels_do_not_overlap():
    """A 24-hour day (erlang_c): 13 labels every 2 hours ran into each other ('00:0002:00')."""
    sc = load_scenario(ROOT / "scenarios" / "erlang_c.yaml")
    anim = build_animation(one_replication(sc), step=6 * 3600.0)
    fig = anim._fig
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[1].get_xticklabels()
             if t.get_text()]
    assert len(boxes) >= 4
    for left, right in itertools.pairwise(boxes):
        assert left.x1 < right.x0, (left, right)
    del anim, fig
    gc.collect()


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_a_dollar_in_the_name_is_drawn_as_written():
    """'Fees: $5 per call vs $2 per call' was drawn 'Fees: 5percallvs2 per call' (TeX math)."""
    name = "Fees: $5 per call vs $2 per call"
    sc = scenario_from_dict({**LONG, "name": name})
    anim = build_animation(one_replication(sc, seed=13), step=3600.0)
    title = anim._fig._suptitle
    assert title.get_text().startswith(f"{name} - day 1, 08:00")
    # what matplotlib draws: the text as math (True) or as written (False)
    assert title._preprocess_math(title.get_text())[1] is False
    del anim, title
    gc.collect()


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_more_waiting_than_shown_is_said_clear_of_the_bars():
    """'+N more' under the 25 longest waits overlapped the last bars (storm_surge at 14:00)."""
    jam = {"name": "jam", "days": 1, "open": "08:00", "close": "10:00", "interval": "1h",
           "contact_types": {"calls": {"arrivals": {"rate": "1200/h"},
                                       "handle": {"dist": "exponential", "mean": "4m"},
                                       # all hang up after about 30 minutes: at
                                       # 09:00 the 25 longest bars reach the right
                                       "patience": {"dist": "uniform", "low": "29m",
                                                    "high": "30m"}}},
           "agents": {"pool": {"skills": ["calls"], "staff": 2}}}
    anim = build_animation(one_replication(scenario_from_dict(jam), seed=1), step=3600.0)
    fig = anim._fig
    fig.canvas.draw()  # (its first draw starts the animation at frame 0)
    anim._func(1)  # 09:00: scores waiting
    renderer = fig.canvas.get_renderer()
    wait_ax = fig.axes[2]
    more = next(t for t in wait_ax.texts if t.get_text().endswith(" more"))
    box = more.get_window_extent(renderer)
    bars = [b.get_window_extent(renderer) for b in wait_ax.patches if b.get_width() > 0]
    assert len(bars) == 25
    assert not [b for b in bars if b.overlaps(box)], (more.get_text(), box)
    del anim, fig, more
    gc.collect()


SIX = {"name": "six queues", "days": 1, "open": "08:00", "close": "12:00", "interval": "1h",
       "contact_types": {t: {"arrivals": {"rate": "40/h"},
                             "handle": {"dist": "exponential", "mean": "4m"},
                             "patience": {"dist": "exponential", "mean": "5m"}}
                         for t in ("billing_questions", "card_problems", "mortgages",
                                   "fraud_reports", "complaints", "savings")},
       "agents": {"pool": {"skills": ["billing_questions", "card_problems", "mortgages",
                                      "fraud_reports", "complaints", "savings"], "staff": 16}}}


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_a_legend_of_six_queues_fits_its_panel():
    """Six contact types: the queue legend in one row was wider than the frame.

    The layout then shrank the queue panel to a sliver (its clock labels on top of each
    other), pushed the seats' legend off the left edge and cut the queue legend at the
    right. Now the legend wraps within its panel, the panels keep their size, and every
    label of the frame lies within it.
    """
    anim = build_animation(one_replication(scenario_from_dict(SIX), seed=1), step=3600.0)
    fig = anim._fig
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    _, queue_ax, wait_ax = fig.axes
    panel = queue_ax.get_window_extent(renderer)
    assert panel.width > 0.4 * fig.bbox.width and wait_ax.bbox.width > 0.4 * fig.bbox.width
    legend = queue_ax.get_legend().get_window_extent(renderer)
    assert panel.x0 <= legend.x0 and legend.x1 <= panel.x1, (panel, legend)
    assert legend.y0 >= panel.y0 and legend.y1 <= panel.y1, (panel, legend)
    for ax in fig.axes:
        if ax.get_legend() is not None:
            box = ax.get_legend().get_window_extent(renderer)
            assert box.x0 >= 0 and box.x1 <= fig.bbox.width, (ax.get_title(), box)
    # the queues drawn below the legend (it covered a surge once)
    highest = max(line.full.max() for line in queue_ax.get_lines() if hasattr(line, "full"))
    top_of_data = queue_ax.transData.transform((0, highest))[1]
    assert top_of_data < legend.y0, (top_of_data, legend)
    del anim, fig
    gc.collect()


def _group_names(n: int) -> dict:
    """Seven phone groups, and a chat desk with a long name (a seat per chat, 3 per agent)."""
    agents = {f"group_number_{i}": {"skills": [f"t{i % 2}"], "staff": 4 + i} for i in range(n)}
    agents["escalations_and_complaints_specialists_london_office"] = {
        "skills": ["t2"], "staff": 6, "concurrency": 3}
    return agents


EIGHT = {"name": "eight groups", "days": 1, "open": "08:00", "close": "12:00", "interval": "1h",
         "contact_types": {t: {"arrivals": {"rate": "60/h"},
                               "handle": {"dist": "exponential", "mean": "6m"},
                               **({"channel": "chat"} if t == "t2" else {})}
                           for t in ("t0", "t1", "t2")},
         "agents": _group_names(7)}


@pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
def test_a_long_group_name_stays_in_the_seat_panel():
    """A chat desk named at length: every word of the frame lies within it.

    Its label ('escalations_and_complaints_specialists_london_office (a seat per chat, 3
    per agent)') widened the seat panel in the layout: the waiting panel's title was cut
    at the right ('... longest firs') and the seats' legend at the left.
    """
    anim = build_animation(one_replication(scenario_from_dict(EIGHT), seed=1), step=3600.0)
    fig = anim._fig
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    seat_ax = fig.axes[0]
    texts = [fig._suptitle]
    for ax in fig.axes:
        texts += [*ax.texts, ax.title, ax.xaxis.label, ax.yaxis.label]
        for axis, (low, high) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
            texts += [tick.label1 for tick in axis.get_major_ticks()  # those drawn
                      if ax.axison and min(low, high) <= tick.get_loc() <= max(low, high)]
        texts += ax.get_legend().get_texts() if ax.get_legend() else []
    texts = [t for t in texts if t.get_visible() and t.get_text()]
    assert any(t.get_text().startswith("escalations_and") for t in texts)
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.x1 <= fig.bbox.width, (text.get_text(), box)
    panel = seat_ax.get_window_extent(renderer)
    for label in seat_ax.texts:
        assert label.get_window_extent(renderer).x1 <= panel.x1, label.get_text()
    legend = seat_ax.get_legend().get_window_extent(renderer)
    assert legend.x0 >= 0, legend
    del anim, fig
    gc.collect()
