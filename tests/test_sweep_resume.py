"""A resumed sweep reuses a finished unit only if nothing that made its row has changed.

Costs switched on or off by the grid: every point keeps the KPIs its own scenario
measures, and resuming reuses them all. Files a point reads (a replayed call log, an
empirical distribution's ``file``) named by the grid: resuming after one changed is
refused, as after a change of the base scenario's own log.
"""

from __future__ import annotations

import math

import sim
from sim.metrics import COST_KPIS
from sim.sweep import run_sweep

TINY = {"name": "tiny", "seed": 1, "days": 1, "open": "08:00", "close": "10:00",
        "interval": "1h",
        "contact_types": {"calls": {"arrivals": {"rate": "60/h"},
                                    "handle": {"dist": "exponential", "mean": "4m"},
                                    "patience": {"dist": "exponential", "mean": "3m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 4}}}
COSTS = {"agents": {"pool": {"hourly": 20}}}


def tiny(**fields) -> sim.Scenario:
    return sim.scenario_from_dict({**TINY, **fields})


class TestCostsInTheGrid:
    """A grid dimension that switches costs on or off."""

    def test_costs_switched_on_are_measured(self, tmp_path):
        """Base without costs, a point with: its cost KPIs are in the table (NaN elsewhere).

        Before the fix the table had the base's KPIs only: the costs a point measured,
        and its part file kept, never reached sweep.parquet.
        """
        result = run_sweep(tiny(), {"costs": [None, COSTS]}, 2, workers=1, out=tmp_path)
        table = result.table
        assert set(COST_KPIS) <= set(table.columns)
        assert table.loc[table.point == 0, "total_cost"].isna().all()
        assert (table.loc[table.point == 1, "total_cost"] > 0).all()
        assert "total_cost" in result.summary

    def test_costs_switched_off_resume_everything(self, tmp_path):
        """Base with costs, a point without: a second run computes nothing.

        Before the fix the part of every point without costs was taken for damaged (no
        cost KPI in it), deleted and computed again at each resume ('2 of 4 units
        already done').
        """
        grid = {"costs": [None, COSTS]}
        first = run_sweep(tiny(costs=COSTS), grid, 2, workers=1, out=tmp_path)
        again = run_sweep(tiny(costs=COSTS), grid, 2, workers=1, out=tmp_path)
        assert (again.computed, again.resumed) == ([], 4)
        assert again.table.equals(first.table)

    def test_a_cost_point_missing_its_costs_is_computed_again(self, tmp_path):
        """A costed point's part without its cost KPIs is damaged: that unit alone runs again.

        A part is checked for its own point's KPIs (before the fix, for the base's: a
        costless base let such a part through, its costs missing from the table).
        """
        grid = {"costs": [None, COSTS]}
        run_sweep(tiny(), grid, 1, workers=1, out=tmp_path)
        part = tmp_path / "parts" / "p000001-r0000.json"
        part.write_text(part.read_text().replace('"total_cost"', '"lost_cost"'))
        again = run_sweep(tiny(), grid, 1, workers=1, out=tmp_path)
        assert again.computed == [(1, 0)]
        assert not math.isnan(again.table.total_cost.iloc[1])
