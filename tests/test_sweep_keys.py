"""A point's key holds all that decides its numbers, whatever the grid around it.

Found by an outside check of the resumable sweep (a grid grown, reordered in its folder).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import assert_same_table
from sweep_parts import as_format_1, tiny

from sim.sweep import run_sweep
from sim.sweep_store import SweepConflictError

POOL, STAFF = "agents.pool", "agents.pool.staff"


def test_a_path_inside_another_swept_one_resumes_as_a_fresh_sweep(tmp_path):
    """agents.pool and agents.pool.staff: whichever comes later wins, so their order decides.

    Before, the points were made by writing the later value into the earlier one's mapping
    (the grid's own value, shared by every point), and the keys hashed the values after it
    and the grid's paths sorted: the second sweep, which runs staff 4, took the part of the
    first's staff-3 point (its service level 0.47, a fresh sweep's 0.66).
    """
    out = tmp_path / "sw"
    mapping = {"skills": ["calls"], "staff": 2}
    run_sweep(tiny(), {POOL: [mapping], STAFF: [3, 4]}, 1, workers=1, out=out)
    assert mapping["staff"] == 2  # the caller's value, as it gave it
    grid = {STAFF: [3], POOL: [{"skills": ["calls"], "staff": 4}]}  # the mapping wins: 4
    again = run_sweep(tiny(), grid, 1, workers=1, out=out)
    assert_same_table(again.table, run_sweep(tiny(), grid, 1, workers=1).table)


def test_the_order_of_a_path_inside_another_is_in_the_key(tmp_path):
    """The same values, the paths reordered: staff 3 wins, then the mapping's staff 4."""
    out, mapping = tmp_path / "sw", {"skills": ["calls"], "staff": 4}
    run_sweep(tiny(), {POOL: [mapping], STAFF: [3]}, 1, workers=1, out=out)
    grid = {STAFF: [3], POOL: [mapping]}
    again = run_sweep(tiny(), grid, 1, workers=1, out=out)
    assert again.computed == [(0, 0)]
    assert_same_table(again.table, run_sweep(tiny(), grid, 1, workers=1).table)


def test_a_value_written_otherwise_is_the_same_point(tmp_path):
    """4 then 4.0, 3m then 180s: the same point (a grid refuses both in one list), reused.

    Before, its units were computed again.
    """
    out, patience = tmp_path / "sw", "contact_types.calls.patience.mean"
    run_sweep(tiny(), {STAFF: [4], patience: ["3m"]}, 1, workers=1, out=out)
    grid = {STAFF: [4.0, 5], patience: ["180s"]}
    again = run_sweep(tiny(), grid, 1, workers=1, out=out)
    assert (again.computed, again.resumed) == ([(1, 0)], 1)
    assert_same_table(again.table, run_sweep(tiny(), grid, 1, workers=1).table)


def test_a_format_1_manifest_whose_grid_is_damaged_is_refused_in_one_line(tmp_path):
    """Its grid a list, not a mapping: refused (exit 2), not a TypeError (an internal error)."""
    out = tmp_path / "sw"
    run_sweep(tiny(), {STAFF: [3]}, 1, workers=1, out=out)
    as_format_1(out, tiny(), {STAFF: [3]})
    manifest = out / "manifest.json"
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "grid": [[STAFF, [3]]]}))
    with pytest.raises(SweepConflictError, match=r"holds a different sweep \(changed: grid"):
        run_sweep(tiny(), {STAFF: [3, 4]}, 1, workers=1, out=out)


def test_numpy_values_resume(tmp_path):
    """A grid of numpy numbers (np.arange) keeps its parts as one of Python numbers does.

    Before, the store's key and part could not be written (TypeError: int64 is not JSON).
    """
    out = tmp_path / "sw"
    run_sweep(tiny(), {STAFF: [3]}, 1, workers=1, out=out)
    again = run_sweep(tiny(), {STAFF: np.arange(3, 5)}, 1, workers=1, out=out)
    assert (again.computed, again.resumed) == ([(1, 0)], 1)
    assert_same_table(again.table, run_sweep(tiny(), {STAFF: [3, 4]}, 1, workers=1).table)


def test_numpy_booleans_resume(tmp_path):
    """A grid of numpy booleans (an unpaid break, or not) is written as one of Python's.

    Before, the store's key could not be written (TypeError: bool is not JSON): the numpy
    numbers were converted, numpy's booleans (no ``numbers.Number``) were not.
    """
    shifts = [{"start": "08:00", "length": "2h", "count": 4,
               "breaks": [{"at": "30m", "length": "15m"}]}]
    scenario = tiny(agents={"pool": {"skills": ["calls"], "shifts": shifts}})
    paid = "agents.pool.shifts.0.breaks.0.paid"
    out = tmp_path / "sw"
    run_sweep(scenario, {paid: [True]}, 1, workers=1, out=out)
    again = run_sweep(scenario, {paid: np.array([True, False])}, 1, workers=1, out=out)
    assert (again.computed, again.resumed) == ([(1, 0)], 1)
    assert_same_table(again.table, run_sweep(scenario, {paid: [True, False]}, 1,
                                             workers=1).table)


def test_one_field_written_two_ways_is_a_path_inside_another(tmp_path):
    """staff.0 and staff[0] are one field: the later wins, so their order is in the key too."""
    def listed():
        return tiny(agents={"pool": {"skills": ["calls"], "staff": [4, 4]}})

    out = tmp_path / "sw"
    run_sweep(listed(), {f"{STAFF}.0": [3], f"{STAFF}[0]": [5]}, 1, workers=1, out=out)
    grid = {f"{STAFF}[0]": [5], f"{STAFF}.0": [3]}
    again = run_sweep(listed(), grid, 1, workers=1, out=out)
    assert_same_table(again.table, run_sweep(listed(), grid, 1, workers=1).table)
