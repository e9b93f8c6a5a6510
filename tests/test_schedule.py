"""Schedule and arrivals: staffing step functions, shrinkage, shifts, Poisson arrivals."""

import numpy as np
import pytest
from helpers import tiny

from sim.arrivals import arrival_times, expected_counts
from sim.loader import scenario_from_dict
from sim.schedule import StaffChange, interval_starts, on_phones, staff_changes


def changes(sc, group):
    return [(c.time, c.count, c.drain) for c in staff_changes(sc, sc.agents[group])]


class TestStaffChanges:
    def test_constant(self):
        """Constant staff: on at opening, drain at closing, every day."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 4}}, days=2, open="08:00", close="10:00")
        assert changes(sc, "a") == [(28800, 4, False), (36000, 0, True),
                                    (115200, 4, False), (122400, 0, True)]

    def test_per_interval_merges_equal_steps(self):
        """A per-interval table changes only where the count changes."""
        sc = tiny({"a": {"skills": ["calls"], "staff": [2, 2, 3]}}, close="03:00")
        assert changes(sc, "a") == [(0, 2, False), (7200, 3, False), (10800, 0, True)]

    def test_shrinkage_rounds_half_up(self):
        """10 scheduled with 25% shrinkage is 7.5, so 8 on the phones."""
        assert on_phones(10, 0.25) == 8
        sc = tiny({"a": {"skills": ["calls"], "staff": 10, "shrinkage": 0.25}})
        assert changes(sc, "a")[0] == (0, 8, False)

    def test_shifts_with_breaks(self):
        """Shifts add up; breaks take the shift's agents off for their length."""
        sc = tiny({"a": {"skills": ["calls"], "shifts": [
            {"start": "08:00", "length": "4h", "count": 3,
             "breaks": [{"at": "2h", "length": "30m"}]},
            {"start": "10:00", "length": "4h", "count": 2}]}},
            open="08:00", close="14:00", interval="1h")
        h = 3600
        assert changes(sc, "a") == [(8 * h, 3, False), (10 * h, 2, False), (10.5 * h, 5, False),
                                    (12 * h, 2, False), (14 * h, 0, True)]

    def test_overnight_shift_wraps(self):
        """A shift from 22:00 for 8 h still staffs the next morning until 06:00."""
        sc = tiny({"a": {"skills": ["calls"], "shifts": [
            {"start": "22:00", "length": "8h", "count": 5}]}}, days=2)
        got = changes(sc, "a")
        assert got[0] == (0, 5, False)  # the shift from the day before
        assert (6 * 3600, 0, False) in got and (22 * 3600, 5, False) in got

    def test_staff_change_type(self):
        """Changes are StaffChange objects."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}})
        assert isinstance(staff_changes(sc, sc.agents["a"])[0], StaffChange)


class TestArrivals:
    def test_interval_starts(self):
        """Intervals run from opening to closing, every day."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}}, days=2, open="08:00", close="09:00",
                  interval="30m")
        assert interval_starts(sc).tolist() == [28800, 30600, 115200, 117000]

    def test_poisson_count_and_uniformity(self):
        """Counts per interval have the Poisson mean and variance; times fill the interval."""
        data = {"name": "a", "days": 1, "interval": "1h",
                "contact_types": {"c": {"arrivals": {"rate": "100/h"},
                                        "handle": {"dist": "exponential", "mean": 60}}},
                "agents": {"a": {"skills": ["c"], "staff": 1}}}
        sc = scenario_from_dict(data)
        rng = np.random.default_rng(3)
        counts = np.concatenate([
            np.bincount((arrival_times(sc, sc.contact_types["c"].arrivals, rng) // 3600)
                        .astype(int), minlength=24) for _ in range(50)])
        # 1200 Poisson(100) counts: mean within 4 standard errors (sqrt(100/1200))
        assert abs(counts.mean() - 100) < 4 * np.sqrt(100 / counts.size)
        assert counts.var(ddof=1) == pytest.approx(100, rel=0.15)  # se of the variance ~4%
        times = arrival_times(sc, sc.contact_types["c"].arrivals, rng)
        assert np.all(np.diff(times) >= 0) and times.min() >= 0 and times.max() < 86400

    def test_day_factors_cycle(self):
        """Day factors scale each day and repeat when shorter than the run."""
        data = {"name": "a", "days": 3, "interval": "12h",
                "contact_types": {"c": {"arrivals": {"per_interval": [10, 20],
                                                     "day_factors": [1.0, 0.5]},
                                        "handle": {"dist": "exponential", "mean": 60}}},
                "agents": {"a": {"skills": ["c"], "staff": 1}}}
        sc = scenario_from_dict(data)
        assert expected_counts(sc, sc.contact_types["c"].arrivals).tolist() == [
            10, 20, 5, 10, 10, 20]

    def test_day_factors_by_weekday(self):
        """Named factors: the run's days are the days named by any type, Monday first.

        ``calls`` names Monday, Wednesday and Friday (given out of order), ``chats``
        Monday and Saturday: the run's days are Mon, Wed, Fri, Sat, Mon; ``chats`` is
        closed on the days it does not name, ``posts`` (no factors) arrives alike on all.
        """
        kinds = {"calls": {"friday": 0.5, "Monday": 2.0, "wednesday": 1.0},
                 "chats": {"monday": 1.0, "saturday": 3.0}, "posts": None}
        data = {"name": "a", "days": 5, "interval": "24h",
                "contact_types": {name: {"arrivals": {"per_interval": [10], **(
                    {"day_factors": factors} if factors else {})},
                    "handle": {"dist": "exponential", "mean": 60}} for name, factors in
                    kinds.items()},
                "agents": {"a": {"skills": list(kinds), "staff": 1}}}
        sc = scenario_from_dict(data)
        counts = {name: expected_counts(sc, ct.arrivals).tolist()
                  for name, ct in sc.contact_types.items()}
        assert counts == {"calls": [20, 10, 5, 0, 20], "chats": [10, 0, 0, 30, 10],
                          "posts": [10, 10, 10, 10, 10]}

    def test_forecast_error_overdispersion(self):
        """With forecast error, daily volumes vary more than Poisson (Poisson-gamma)."""
        data = {"name": "a", "days": 200, "interval": "24h",
                "contact_types": {"c": {"arrivals": {"rate": "1000/d", "forecast_error": 0.2},
                                        "handle": {"dist": "exponential", "mean": 60}}},
                "agents": {"a": {"skills": ["c"], "staff": 1}}}
        sc = scenario_from_dict(data)
        times = arrival_times(sc, sc.contact_types["c"].arrivals, np.random.default_rng(5))
        daily = np.bincount((times // 86400).astype(int), minlength=200)
        # Var = mean + (cv * mean)^2 = 1000 + 40000; Poisson alone would be 1000
        assert daily.var(ddof=1) > 10 * 1000
        assert daily.var(ddof=1) == pytest.approx(41000, rel=0.35)
