"""Run days named to people say their weekday where the run names its weekdays.

A Monday-to-Friday run's day 6 is a Monday: figures, the animation and a routing policy's
error say ``day 6 (Monday)`` (:func:`sim.weekdays.day_label`); a run of no weekday in
particular keeps ``day 6``.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

import sim
from sim import plots
from sim.animate import animate, build_animation
from sim.backtest import on_dates
from sim.errors import PolicyError, SimulationError
from sim.loader import scenario_from_dict
from sim.weekdays import day_label

WORKWEEK = {"monday": 1.2, "tuesday": 1.0, "wednesday": 1.0, "thursday": 1.0, "friday": 0.9}


def center(days: int = 10, factors=None) -> sim.Scenario:
    """A center open 08:00-10:00, its days Monday to Friday unless ``factors`` say otherwise."""
    return scenario_from_dict({
        "name": "workweek", "seed": 3, "days": days, "open": "08:00", "close": "10:00",
        "interval": "1h",
        "contact_types": {"calls": {
            "arrivals": {"rate": "60/h", "day_factors": factors or WORKWEEK},
            "handle": {"dist": "exponential", "mean": "2m"},
            "patience": {"dist": "exponential", "mean": "1m"}}},
        "agents": {"team": {"skills": ["calls"], "staff": 3}}})


@pytest.fixture(scope="module")
def named_run():
    """Six days of a Mon-Fri center, traced (day 5 of the run is the second Monday)."""
    return sim.run(center(days=6), seed=2, trace_every=60.0)


class TestDayLabel:
    def test_named_days_say_their_weekday(self):
        """Mon-Fri: day index 2 is ``day 3 (Wednesday)``, index 5 the next Monday."""
        sc = center()
        assert day_label(sc, 2) == "day 3 (Wednesday)"
        assert day_label(sc, 5) == "day 6 (Monday)"
        assert day_label(sc, 9, capital=True) == "Day 10 (Friday)"

    def test_a_backtests_listed_days(self):
        """A run standing for dates (a Monday holiday): day 6 is the second Tuesday."""
        run = on_dates(center(), pd.bdate_range("2026-01-05", periods=10).delete(5))
        assert day_label(run, 5) == "day 6 (Tuesday)"

    def test_plain_days_are_numbers(self):
        """Factors as a list name no weekday: ``day 3``, ``Day 3``."""
        sc = center(factors=[1.0, 2.0])
        assert day_label(sc, 2) == "day 3"
        assert day_label(sc, 2, capital=True) == "Day 3"


class TestShown:
    def test_interval_figure_heads_each_day(self):
        """The per-interval figure heads each day's column ``Day 3 (Wednesday)``."""
        fig = plots.interval_figure(sim.run(center(days=5), seed=2))
        heads = [t.get_text() for t in fig.axes[0].texts]
        assert heads == ["Day 1 (Monday)", "Day 2 (Tuesday)", "Day 3 (Wednesday)",
                         "Day 4 (Thursday)", "Day 5 (Friday)"]

    @pytest.mark.parametrize(("days", "heads", "axis"), [
        (6, [f"Day {d + 1} ({w})" for d, w in enumerate(["Mon", "Tue", "Wed", "Thu", "Fri",
                                                          "Mon"])], None),
        (10, [], ["Day 1 (Mon)", "Day 3 (Wed)", "Day 5 (Fri)", "Day 7 (Tue)", "Day 9 (Thu)"]),
        (30, [], [f"Day {d} (Mon)" for d in range(1, 30, 5)]),
    ])
    def test_many_days_are_named_once_without_overlap(self, days, heads, axis):
        """More days: heads shortened (``Day 6 (Mon)``); then the time axis names the days.

        Before, the heads of thirty days (``Day 30``) ran into each other; with the
        weekday's name, those of six days did. Where a clock time a day is too many, the
        axis labels each shown day's opening with its name (it said "08:00" every three
        days, under heads every five), and the heads, which would say it twice, are left
        out.
        """
        fig = plots.interval_figure(sim.run(center(days=days), seed=2))
        fig.canvas.draw()
        texts = fig.axes[0].texts
        boxes = [t.get_window_extent() for t in texts]
        assert all(a.x1 < b.x0 for a, b in pairwise(boxes)), [t.get_text() for t in texts]
        assert [t.get_text() for t in texts] == heads
        ticks = [t for t in fig.axes[-1].get_xticklabels() if t.get_text()]
        if axis is not None:
            assert [t.get_text() for t in ticks] == axis
        boxes = [t.get_window_extent() for t in ticks]
        assert all(a.x1 < b.x0 for a, b in pairwise(boxes)), [t.get_text() for t in ticks]

    def test_plain_interval_figure_heads_keep_numbers(self):
        """Without named days the heads stay ``Day 1``, ``Day 2``."""
        fig = plots.interval_figure(sim.run(center(days=2, factors=[1.0]), seed=2))
        assert [t.get_text() for t in fig.axes[0].texts] == ["Day 1", "Day 2"]

    def test_day_figure_title(self, named_run):
        """A day at a glance of run day 5: the second Monday, replication 1."""
        fig = plots.day_figure(named_run, day=5)
        assert fig.axes[0].get_title() == "workweek: day 6 (Monday), replication 1"

    def test_animation_titles(self, named_run, tmp_path):
        """The frames and the page say the weekday; the page counts replications from 1.

        Before, the page said ``replication 0`` of the replication ``--replication 1``
        shows and the floor figure calls ``replication 1``.
        """
        anim = build_animation(named_run, day=5, step=3600.0)
        anim._fig.canvas.draw()  # frame 0 (an animation never drawn warns when collected)
        frame = [t.get_text() for t in anim._fig.texts]
        assert any(t.startswith("workweek - day 6 (Monday), 08:00\n") for t in frame), frame
        text = animate(named_run, tmp_path / "day.html", day=5, step=3600.0).read_text()
        assert "<title>workweek: day 6 (Monday), replication 1</title>" in text

    def test_a_policys_error_says_the_weekday(self):
        """A policy that raises: the line says when, on which weekday (day 1 a Wednesday)."""

        class Raises:
            def choose_agent(self, contact, agents, now):
                raise KeyError("skill_level")

            def choose_contact(self, agent, queues, now):
                return 0

        sc = center(days=1, factors={"wednesday": 1.0})
        with pytest.raises(PolicyError, match=r"raised KeyError: 'skill_level' "
                                              r"\(day 1 \(Wednesday\), 08:\d\d\)$"):
            sim.run(sc, seed=1, policy=Raises())

    def test_a_rule_that_flips_itself_says_the_weekday(self):
        """A rule stopped for undoing its own condition: on ``day 1 (Thursday)``."""
        sc = scenario_from_dict({
            "name": "flap", "days": 1, "interval": "1h",
            "contact_types": {"calls": {"arrivals": {"rate": "10/h",
                                                     "day_factors": {"thursday": 1.0}},
                                        "handle": {"dist": "exponential", "mean": 60}}},
            "agents": {"a": {"skills": ["calls"], "staff": 4},
                       "b": {"skills": ["calls"], "staff": 1}},
            "rules": {"shift": {"when": {"idle_agents": "a", "at_least": 3},
                                "then": {"move": {"agents": 2, "from": "a", "to": "b"}}}}})
        with pytest.raises(SimulationError, match=r"times on day 1 \(Thursday\) at 00:00 "):
            sim.run(sc, seed=1)

    def test_an_unanswered_warm_transfer_says_the_weekday(self):
        """Every agent holding a warm transfer only they could answer: ``from day 1 (Friday)``."""
        sc = scenario_from_dict({
            "name": "deadlock", "days": 1, "open": "08:00", "close": "10:00", "interval": "1h",
            "contact_types": {
                "a": {"arrivals": {"rate": "60/h", "day_factors": {"friday": 1.0}},
                      "handle": {"dist": "exponential", "mean": "4m"},
                      "transfer": {"probability": 0.5, "to": "b", "mode": "warm"}},
                "b": {"arrivals": {"rate": 0, "day_factors": {"friday": 1.0}},
                      "handle": {"dist": "exponential", "mean": "4m"}}},
            "agents": {"g": {"skills": ["a", "b"], "staff": 2}}})
        with pytest.raises(SimulationError, match=r"waiting from day 1 \(Friday\) 0[89]:\d\d\)"):
            sim.run(sc, seed=1)

    def test_a_schedule_not_held_says_the_weekday(self):
        """``ccsim schedule``'s worst interval: ``calls at day 2 (Tuesday) 09:00``."""
        from types import SimpleNamespace

        from sim.cli_schedule import _furthest_below
        from sim.plan_evaluation import Goal

        levels = np.array([[0.85, 0.85, 0.85, 0.60]])  # day 2's second interval
        result = SimpleNamespace(scenario=center(days=2), service_level=levels,
                                 settings=SimpleNamespace(goal=Goal(0.8, 20.0)))
        assert _furthest_below(result) == ("; furthest below its target: calls at day 2 "
                                           "(Tuesday) 09:00, service level 0.600 against 0.8")
