"""A grid grown, shrunk or reordered in the same ``--out`` reuses every finished point.

Replication r of a point draws from the (seed, r) streams whatever the other points, so a
point's rows do not depend on the grid around it (common random numbers): a sweep rerun
with values added, removed or reordered computes only the new points, and its tables are
those of a fresh sweep of the new grid in an empty folder. Before, any change of the
grid's values was refused ('changed: grid'): the finished units were computed again
under --fresh or in another folder.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from helpers import assert_same_table
from sweep_parts import TINY, as_format_1, tiny

from sim.cli import main
from sim.sweep import run_sweep
from sim.sweep_store import SweepConflictError

STAFF = "agents.pool.staff"
PATIENCE = "contact_types.calls.patience.mean"


def parts(out) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (out / "parts").iterdir()}


def same_files(out, fresh) -> None:
    """The grown folder's tables are byte for byte a fresh sweep's."""
    for name in ("sweep.parquet", "sweep_summary.csv"):
        assert (out / name).read_bytes() == (fresh / name).read_bytes(), name


@pytest.mark.parametrize("workers", [1, 2])
def test_added_values_compute_only_the_new_points(tmp_path, workers):
    """3,4 then 3,4,5,6: the 4 finished units reused, 4 computed; tables a fresh sweep's."""
    out, fresh = tmp_path / "sw", tmp_path / "fresh"
    run_sweep(tiny(), {STAFF: [3, 4]}, 2, workers=1, out=out)
    kept = parts(out)
    grown = run_sweep(tiny(), {STAFF: [3, 4, 5, 6]}, 2, workers=workers, out=out)
    assert (sorted(grown.computed), grown.resumed) == ([(2, 0), (2, 1), (3, 0), (3, 1)], 4)
    assert parts(out).items() >= kept.items()  # finished parts untouched
    whole = run_sweep(tiny(), {STAFF: [3, 4, 5, 6]}, 2, workers=1, out=fresh)
    assert_same_table(grown.table, whole.table)
    assert_same_table(grown.summary, whole.summary)
    same_files(out, fresh)


def test_values_reordered_or_inserted_in_the_middle(tmp_path):
    """3,5 then 5,4,3: only the points of 4 run; the table is in the new grid's order."""
    out = tmp_path / "sw"
    run_sweep(tiny(), {STAFF: [3, 5]}, 2, workers=1, out=out)
    moved = run_sweep(tiny(), {STAFF: [5, 4, 3]}, 2, workers=1, out=out)
    assert (sorted(moved.computed), moved.resumed) == ([(1, 0), (1, 1)], 4)
    assert moved.table[STAFF].tolist() == [5, 5, 4, 4, 3, 3]
    run_sweep(tiny(), {STAFF: [5, 4, 3]}, 2, workers=1, out=tmp_path / "fresh")
    same_files(out, tmp_path / "fresh")


def test_removed_values_keep_their_parts_for_when_they_return(tmp_path):
    """3,4,5 then 3,5: the table has 3 and 5 only; 4's parts stay, reused when 4 returns."""
    out = tmp_path / "sw"
    first = run_sweep(tiny(), {STAFF: [3, 4, 5]}, 2, workers=1, out=out)
    kept = parts(out)
    fewer = run_sweep(tiny(), {STAFF: [3, 5]}, 2, workers=1, out=out)
    assert (fewer.computed, fewer.resumed) == ([], 4)
    assert fewer.table[STAFF].tolist() == [3, 3, 5, 5]
    assert parts(out) == kept  # nothing a user computed is lost
    run_sweep(tiny(), {STAFF: [3, 5]}, 2, workers=1, out=tmp_path / "fresh")
    same_files(out, tmp_path / "fresh")
    back = run_sweep(tiny(), {STAFF: [3, 4, 5]}, 2, workers=1, out=out)
    assert (back.computed, back.resumed) == ([], 6)
    assert_same_table(back.table, first.table)


def test_a_grown_two_parameter_grid(tmp_path):
    """Both parameters grown and their order swapped: only the new combinations run."""
    out = tmp_path / "sw"
    run_sweep(tiny(), {STAFF: [3, 4], PATIENCE: ["1m", "3m"]}, 1, workers=1, out=out)
    grid = {PATIENCE: ["3m", "10m", "1m"], STAFF: [3, 4, 5]}
    grown = run_sweep(tiny(), grid, 1, workers=1, out=out)
    assert (len(grown.computed), grown.resumed) == (9 - 4, 4)
    assert {tuple(grown.table.loc[grown.table.point == p, [PATIENCE, STAFF]].iloc[0])
            for p, _ in grown.computed} == {("10m", 3), ("10m", 4), ("10m", 5), ("3m", 5),
                                            ("1m", 5)}
    run_sweep(tiny(), grid, 1, workers=1, out=tmp_path / "fresh")
    same_files(out, tmp_path / "fresh")


def test_what_decides_the_numbers_still_refuses(tmp_path):
    """A grown grid beside a changed field it does not sweep, or another seed: refused."""
    out = tmp_path / "sw"
    run_sweep(tiny(), {STAFF: [3]}, 1, workers=1, out=out)
    with pytest.raises(SweepConflictError, match=r"changed: scenario; fields changed: close\)"):
        run_sweep(tiny(close="11:00"), {STAFF: [3, 4]}, 1, workers=1, out=out)
    with pytest.raises(SweepConflictError, match=r"changed: seed\)"):
        run_sweep(tiny(), {STAFF: [3, 4]}, 1, seed=9, workers=1, out=out)
    with pytest.raises(SweepConflictError, match=r"changed: grid\)"):  # another parameter
        run_sweep(tiny(), {PATIENCE: ["3m"]}, 1, workers=1, out=out)


def test_the_command_says_what_it_reuses_and_runs(tmp_path):
    """``ccsim sweep`` rerun with two more values: exit 0, 'reusing 2 ..., 2 to compute'."""
    (tmp_path / "s.json").write_text(json.dumps(TINY))

    def sweep(values: str):
        done = CliRunner().invoke(main, ["sweep", str(tmp_path / "s.json"), "--grid",
                                         f"{STAFF}={values}", "-r", "1", "-w", "1", "--out",
                                         str(tmp_path / "sw"), "--no-figures"])
        assert done.exit_code == 0, done.output
        return [line for line in done.stderr.splitlines() if line.strip()]

    sweep("3,4")
    lines = sweep("3,4,5,6")
    assert lines[0] == "resuming: 2 of 4 units already done (reused), 2 to compute", lines
    assert lines[-1].startswith("2 units computed, 2 resumed, in "), lines


@pytest.mark.parametrize("values", [[3, 4], [3, 4, 5]])
def test_a_folder_of_an_earlier_ccsim_resumes_and_grows(tmp_path, values):
    """A folder whose parts are filed by point index (format 1) resumes, its grid grown too.

    Its own grid resumes as before; a grown one computes only the new points. The parts
    are filed again by key, and the folder is format 2.
    """
    out = tmp_path / "sw"
    run_sweep(tiny(), {STAFF: [3, 4]}, 2, workers=1, out=out)
    as_format_1(out, tiny(), {STAFF: [3, 4]})
    again = run_sweep(tiny(), {STAFF: values}, 2, workers=1, out=out)
    assert (again.resumed, len(again.computed)) == (4, 2 * (len(values) - 2))
    assert_same_table(again.table, run_sweep(tiny(), {STAFF: values}, 2, workers=1).table)
    assert all(name.startswith("pt-") for name in parts(out)) and len(parts(out)) == 2 * len(
        values)
    assert json.loads((out / "manifest.json").read_text())["format"] == 2


def test_a_folder_of_an_earlier_ccsim_still_refuses_another_scenario(tmp_path):
    """Format 1, a field the grid does not sweep changed: refused as before, parts as they were."""
    out = tmp_path / "sw"
    run_sweep(tiny(), {STAFF: [3, 4]}, 1, workers=1, out=out)
    as_format_1(out, tiny(), {STAFF: [3, 4]})
    kept = parts(out)
    with pytest.raises(SweepConflictError, match=r"changed: scenario; fields changed: close\)"):
        run_sweep(tiny(close="11:00"), {STAFF: [3, 4, 5]}, 1, workers=1, out=out)
    assert parts(out) == kept


def test_fresh_removes_the_parts_of_points_no_longer_in_the_grid(tmp_path):
    """``--fresh`` starts over: a dropped point's parts go too, or they would come back wrong.

    ``--fresh`` is how a changed sweep (a field it does not sweep, the seed, a ccsim that
    changes results) takes a folder over; a point's parts are filed by its values alone,
    so a dropped point's old parts, kept, would be read as the new sweep's when it returns.
    A grid grown or shrunk needs no ``--fresh`` (``test_removed_values_keep_...``).
    """
    out = tmp_path / "sw"
    run_sweep(tiny(), {STAFF: [3, 4]}, 2, workers=1, out=out)
    run_sweep(tiny(close="11:00"), {STAFF: [4]}, 2, workers=1, out=out, fresh=True)
    assert len(parts(out)) == 2
    back = run_sweep(tiny(close="11:00"), {STAFF: [3, 4]}, 2, workers=1, out=out)
    assert (len(back.computed), back.resumed) == (2, 2)
    run_sweep(tiny(close="11:00"), {STAFF: [3, 4]}, 2, workers=1, out=tmp_path / "fresh")
    same_files(out, tmp_path / "fresh")


def interrupted(out, grid, replications=2):
    """``run_sweep`` stopped like Ctrl-C once its first unit is kept."""
    def stop(progress):
        if progress.computed:
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run_sweep(tiny(), grid, replications, workers=1, out=out, progress=stop)


def test_an_interrupted_first_sweep_has_its_grid_pending_and_no_tables(tmp_path):
    """No tables yet: the manifest names no ``grid`` of theirs, the sweep's ``pending``.

    A refused sweep still names what changed (the paths read from ``pending``: without
    them a field only the old grid swept read as a changed field, ``agents.pool``).
    """
    out = tmp_path / "sw"
    interrupted(out, {STAFF: [3, 4]})
    manifest = json.loads((out / "manifest.json").read_text())
    assert not (out / "sweep.parquet").exists()
    assert "grid" not in manifest and "replications" not in manifest
    assert manifest["pending"] == {"grid": {STAFF: [3, 4]}, "replications": 2}
    with pytest.raises(SweepConflictError, match=r"changed: grid\)"):
        run_sweep(tiny(), {PATIENCE: ["3m"]}, 1, workers=1, out=out)
    done = run_sweep(tiny(), {STAFF: [3, 4]}, 2, workers=1, out=out)
    assert (len(done.computed), done.resumed) == (3, 1)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "pending" not in manifest and manifest["grid"] == {STAFF: [3, 4]}


def test_an_interrupted_rerun_of_the_same_sweep_leaves_nothing_pending(tmp_path):
    """The tables already are the sweep asked for: nothing pending, grid and all kept."""
    out = tmp_path / "sw"
    run_sweep(tiny(), {STAFF: [3, 4]}, 2, workers=1, out=out)
    before = json.loads((out / "manifest.json").read_text())
    for part in list((out / "parts").iterdir())[:2]:
        part.unlink()  # (two units to compute again)
    interrupted(out, {STAFF: [3, 4]})
    assert json.loads((out / "manifest.json").read_text()) == before
