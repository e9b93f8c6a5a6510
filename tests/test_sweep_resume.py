"""A resumed sweep reuses a finished unit only if nothing that made its row has changed.

Costs switched on or off by the grid: every point keeps the KPIs its own scenario
measures, and resuming reuses them all. Files a point reads (a replayed call log, an
empirical distribution's ``file``) named by the grid: resuming after one changed is
refused, as after a change of the base scenario's own log. The scenario's variants, which
no point runs: editing one reuses every point, and a grid cannot name them.
"""

from __future__ import annotations

import hashlib
import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sweep_parts import TINY, as_format_1, part_of, tiny

import sim
from sim.cli import main
from sim.grid import Grid, point_scenarios
from sim.metrics import COST_KPIS
from sim.sweep import run_sweep
from sim.sweep_store import SweepConflictError

COSTS = {"agents": {"pool": {"hourly": 20}}}


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
        part = part_of(tmp_path, 1, 0)
        part.write_text(part.read_text().replace('"total_cost"', '"lost_cost"'))
        again = run_sweep(tiny(), grid, 1, workers=1, out=tmp_path)
        assert again.computed == [(1, 0)]
        assert not math.isnan(again.table.total_cost.iloc[1])


def _write_log(path, calls: int, seed: int) -> None:
    """A call log of ``calls`` answered calls between 08:00 and 10:00 of one day."""
    times = np.sort(np.random.default_rng(seed).uniform(8 * 3600, 10 * 3600, calls))
    pd.DataFrame({"arrival": times.round(1), "outcome": "answered", "wait": 5.0,
                  "handle": 60.0}).to_csv(path, index=False)


def replaying(folder, log: str) -> sim.Scenario:
    """The tiny scenario with its calls replayed from ``log`` in ``folder``."""
    calls = {**TINY["contact_types"]["calls"], "arrivals": {"trace": log}}
    return sim.scenario_from_dict({**TINY, "contact_types": {"calls": calls}}, base_dir=folder)


class TestFilesTheGridNames:
    """A grid whose values name files: their contents are part of the sweep."""

    def test_changed_log_of_a_point_is_refused(self, tmp_path):
        """A log only a grid point replays, changed since: resuming is refused.

        Before the fix only the base scenario's own log was fingerprinted: the point
        replaying b.csv kept its rows of the old b.csv ('0 units computed, 4 resumed').
        """
        for name in ("a.csv", "b.csv"):
            _write_log(tmp_path / name, 60, 1)
        base = replaying(tmp_path, "a.csv")
        grid, out = {"contact_types.calls.arrivals.trace": ["a.csv", "b.csv"]}, tmp_path / "sw"
        run_sweep(base, grid, 1, workers=1, out=out)
        assert run_sweep(base, grid, 1, workers=1, out=out).resumed == 2  # unchanged: reused
        _write_log(tmp_path / "b.csv", 30, 2)
        with pytest.raises(SweepConflictError, match=r"changed: files; edited since its parts "
                                                     r"were computed: b.csv\)"):
            run_sweep(base, grid, 1, workers=1, out=out)

    def test_a_log_edited_while_its_point_was_dropped_is_refused_on_its_return(self, tmp_path):
        """b.csv's point dropped from the grid, b.csv edited, the point back: refused.

        The manifest keeps the files of the points a grid drops (test_sweep_grow), so
        the refusal does not depend on the grids run in between.
        """
        for name in ("a.csv", "b.csv", "c.csv"):
            _write_log(tmp_path / name, 60, 1)
        base, out = replaying(tmp_path, "a.csv"), tmp_path / "sw"
        path = "contact_types.calls.arrivals.trace"
        run_sweep(base, {path: ["a.csv", "b.csv"]}, 1, workers=1, out=out)
        assert run_sweep(base, {path: ["a.csv", "c.csv"]}, 1, workers=1, out=out).resumed == 1
        _write_log(tmp_path / "b.csv", 30, 2)
        assert run_sweep(base, {path: ["c.csv", "a.csv"]}, 1, workers=1, out=out).resumed == 2
        with pytest.raises(SweepConflictError, match=r"changed: files; edited since its parts "
                                                     r"were computed: b.csv\)"):
            run_sweep(base, {path: ["a.csv", "b.csv", "c.csv"]}, 1, workers=1, out=out)

    def test_changed_empirical_file_of_a_point_is_refused(self, tmp_path):
        """An empirical ``file`` named by the grid, changed since: resuming is refused."""
        (tmp_path / "h.txt").write_text("4m\n5m\n")
        handle = {"dist": "empirical", "file": str(tmp_path / "h.txt")}
        grid, out = {"contact_types.calls.handle": [handle]}, tmp_path / "sw"
        run_sweep(tiny(), grid, 1, workers=1, out=out)
        assert run_sweep(tiny(), grid, 1, workers=1, out=out).resumed == 1
        (tmp_path / "h.txt").write_text("20m\n30m\n")
        named = re.escape(str(tmp_path / "h.txt"))
        with pytest.raises(SweepConflictError, match=r"changed: files; edited since its parts "
                                                     rf"were computed: {named}\)"):
            run_sweep(tiny(), grid, 1, workers=1, out=out)

    def test_the_command_names_the_edited_file(self, tmp_path):
        """``ccsim sweep``: one line naming the log as the user wrote it, exit 2.

        It said '(changed: files)', leaving the user to guess which of the files.
        """
        for name in ("a.csv", "b.csv"):
            _write_log(tmp_path / name, 60, 1)
        (tmp_path / "s.json").write_text(json.dumps({**TINY, "contact_types": {"calls": {
            **TINY["contact_types"]["calls"], "arrivals": {"trace": "a.csv"}}}}))
        command = ["sweep", str(tmp_path / "s.json"), "--grid",
                   "contact_types.calls.arrivals.trace=a.csv,b.csv", "-r", "1", "-w", "1",
                   "--out", str(tmp_path / "sw"), "--no-figures", "-q"]
        assert CliRunner().invoke(main, command).exit_code == 0
        _write_log(tmp_path / "b.csv", 30, 2)
        done = CliRunner().invoke(main, command)
        assert done.exit_code == 2, done.output
        assert done.stderr.splitlines() == [
            f"{tmp_path / 'sw'}: holds a different sweep (changed: files; edited since its "
            "parts were computed: b.csv); use --fresh to start over or another --out"]

    def test_an_edited_log_of_the_scenario_is_named_too(self, tmp_path):
        """The base scenario's own log edited: '(changed: scenario; ...: a.csv)'."""
        _write_log(tmp_path / "a.csv", 60, 1)
        grid, out = {"agents.pool.staff": [3, 4]}, tmp_path / "sw"
        run_sweep(replaying(tmp_path, "a.csv"), grid, 1, workers=1, out=out)
        _write_log(tmp_path / "a.csv", 30, 2)
        with pytest.raises(SweepConflictError, match=r"changed: scenario; edited since its "
                                                     r"parts were computed: a.csv\)"):
            run_sweep(replaying(tmp_path, "a.csv"), grid, 1, workers=1, out=out)

    def test_a_grid_naming_no_file_keeps_its_fingerprint(self, tmp_path):
        """Points that read the base's files only: fingerprinted as before the fix.

        No ``files`` in the manifest, so such folders written before the fix still resume.
        """
        _write_log(tmp_path / "a.csv", 60, 1)
        base = replaying(tmp_path, "a.csv")
        run_sweep(base, {"agents.pool.staff": [3, 4]}, 1, workers=1, out=tmp_path / "sw")
        manifest = json.loads((tmp_path / "sw" / "manifest.json").read_text())
        assert set(manifest["fingerprint"]) == {"scenario", "grid", "seed", "kpis", "engine",
                                                "metrics"}  # (replications: no longer one)


def test_log_redated_replays_the_same_rows(tmp_path):
    """A log moved to other dates, its times of day kept: same rows, so rows are reused.

    A replayed log's times count from 00:00 of its first day: its dates say which weekday
    that was (a warning when it is not the run day's), never when a contact arrives. The
    resumed table equals a fresh sweep's of the redated log; the fingerprint must change
    with it if dates ever change results.
    """
    times = pd.to_timedelta(np.random.default_rng(3).uniform(8, 10, 60), unit="h")
    out, grid = tmp_path / "sw", {"agents.pool.staff": [3, 4]}
    results = []
    for start, folder in (("2026-03-02", out), ("2026-03-04", out), ("2026-03-04", None)):
        pd.DataFrame({"arrival": (pd.Timestamp(start) + times).sort_values(),
                      "outcome": "answered", "wait": 5.0, "handle": 60.0}
                     ).to_csv(tmp_path / "a.csv", index=False)
        results.append(run_sweep(replaying(tmp_path, "a.csv"), grid, 2, workers=1, out=folder))
    _, resumed, fresh = results
    assert (resumed.resumed, len(fresh.computed)) == (4, 4)
    assert resumed.table.equals(fresh.table)


def test_reordered_groups_are_another_sweep(tmp_path):
    """Agent groups listed in another order: another sweep, refused on resume.

    Their order decides who takes a contact when several groups could, and so the waits,
    but the fingerprint hashed the scenario with its keys sorted: the reordered scenario
    reused every point of the old order, silently ('0 units computed').
    """
    chats = {**TINY["contact_types"]["calls"], "arrivals": {"rate": "30/h"}}
    mixed = {**TINY, "contact_types": {**TINY["contact_types"], "chats": chats},
             "agents": {"both": {"skills": ["calls", "chats"], "staff": 2},
                        "calls_only": {"skills": ["calls"], "staff": 3}}}
    first = sim.scenario_from_dict(mixed)
    flipped = sim.scenario_from_dict({**mixed, "agents": dict(reversed(mixed["agents"].items()))})
    grid, out = {"agents.both.staff": [2]}, tmp_path / "sw"
    before = run_sweep(first, grid, 2, workers=1, out=out).table
    assert not run_sweep(flipped, grid, 2, workers=1).table.asa.equals(before.asa)
    with pytest.raises(SweepConflictError, match=r"changed: order\)"):
        run_sweep(flipped, grid, 2, workers=1, out=out)
    # nor are the points of one order run as the other's (they compared equal as dicts)
    points = point_scenarios(first, Grid.from_spec(grid))
    with pytest.raises(ValueError, match="'points' were validated from another scenario"):
        run_sweep(flipped, grid, 2, workers=1, points=points)


def test_a_grid_mapping_in_another_order_is_another_point(tmp_path):
    """A grid value that is a mapping (all agent groups at once), its names reordered.

    Another point, computed, never given the other order's rows: the grid's JSON sorts
    keys too (it was refused, 'changed: order', before a grid's values could change).
    """
    groups = {"a": {"skills": ["calls"], "staff": 2}, "b": {"skills": ["calls"], "staff": 3}}
    out, flipped = tmp_path / "sw", {"agents": [dict(reversed(groups.items()))]}
    run_sweep(tiny(), {"agents": [groups]}, 2, workers=1, out=out)
    again = run_sweep(tiny(), flipped, 2, workers=1, out=out)
    assert (again.resumed, len(again.computed)) == (0, 2)
    assert again.table.equals(run_sweep(tiny(), flipped, 2, workers=1).table)


class TestVariants:
    """A scenario's ``variants:`` (for ``ccsim compare``): no point of a sweep runs them."""

    def test_an_edited_variant_resumes_every_point(self, tmp_path):
        """Editing a variant changes no point: every finished unit is reused, none recomputed.

        Before the fix the variants were hashed with the scenario: the resume was refused
        ('changed: scenario') though every point's inputs were the same.
        """
        grid, out = {"agents.pool.staff": [3, 4]}, tmp_path / "sw"
        first = run_sweep(tiny(variants={"more": {"agents.pool.staff": 5}}), grid, 1,
                          workers=1, out=out)
        again = run_sweep(tiny(variants={"more": {"agents.pool.staff": 6},
                                         "less": {"agents.pool.staff": 2}}), grid, 1,
                          workers=1, out=out)
        assert (again.computed, again.resumed) == ([], 2)
        assert again.table.equals(first.table)
        assert run_sweep(tiny(), grid, 1, workers=1, out=out).resumed == 2  # none at all

    def test_an_edited_scenario_is_still_refused(self, tmp_path):
        """Beside a variant, a field every point runs with changed: refused, never reused."""
        grid, out = {"agents.pool.staff": [3, 4]}, tmp_path / "sw"
        run_sweep(tiny(variants={"more": {"agents.pool.staff": 5}}), grid, 1, workers=1,
                  out=out)
        changed = tiny(variants={"more": {"agents.pool.staff": 6}}, close="11:00")
        with pytest.raises(SweepConflictError, match=r"changed: scenario; fields changed: close\)"):
            run_sweep(changed, grid, 1, workers=1, out=out)

    def test_a_variant_the_grid_makes_invalid_does_not_stop_the_sweep(self):
        """A grid value that leaves a variant nothing to change: the points still run.

        Each point was validated with the base's variants: the variant's ``pool`` gone
        at a point, the sweep was refused ('variants.more.agents.pool.skills: ...').
        """
        groups = {"team": {"skills": ["calls"], "staff": 4}}
        result = run_sweep(tiny(variants={"more": {"agents.pool.staff": 5}}),
                           {"agents": [groups]}, 1, workers=1)
        assert len(result.table) == 1

    @pytest.mark.parametrize("path", ["variants.more", "variants.more.agents.pool.staff",
                                      "variants"])
    def test_a_grid_over_variants_is_refused(self, path):
        """Every point would run the same scenario (none runs a variant): refused, one line.

        ``variants.more={agents.pool.staff: 7}`` ran, each point's numbers the base's.
        """
        with pytest.raises(sim.ScenarioError, match=rf"^tiny: {path}: a sweep runs no "
                                                    r"variant.*ccsim compare"):
            run_sweep(tiny(variants={"more": {"agents.pool.staff": 5}}),
                      {path: [{"agents.pool.staff": 7}]}, 1, workers=1)

    def test_points_of_the_scenario_with_other_variants_run(self):
        """Points validated from the scenario with other variants are the same points.

        They were refused ("its variants differs from this sweep's").
        """
        grid = Grid.from_spec({"agents.pool.staff": [3]})
        points = point_scenarios(tiny(variants={"more": {"agents.pool.staff": 5}}), grid)
        result = run_sweep(tiny(), grid, 1, workers=1, points=points)
        assert result.table.equals(run_sweep(tiny(), grid, 1, workers=1).table)


def test_more_replications_reuse_the_finished_ones(tmp_path):
    """Asking for more replications computes only the new ones; fewer compute none.

    Replication r of a point draws from the (seed, r) streams whatever their number, so
    its row is the same: the resume was refused ('changed: replications'), the finished
    units to be computed again under --fresh or in another folder.
    """
    grid, out = {"agents.pool.staff": [3, 4]}, tmp_path / "sw"
    run_sweep(tiny(), grid, 2, workers=1, out=out)
    more = run_sweep(tiny(), grid, 3, workers=1, out=out)
    assert (sorted(more.computed), more.resumed) == ([(0, 2), (1, 2)], 4)
    assert more.table.equals(run_sweep(tiny(), grid, 3, workers=1).table)
    fewer = run_sweep(tiny(), grid, 1, workers=1, out=out)
    assert (fewer.computed, fewer.resumed, len(fewer.table)) == ([], 2, 2)
    again = run_sweep(tiny(), grid, 3, workers=1, out=out)  # (the third ones kept)
    assert (again.computed, again.resumed) == ([], 6)
    assert json.loads((out / "manifest.json").read_text())["replications"] == 3


def test_a_folder_fingerprinted_with_its_replications_resumes(tmp_path):
    """A manifest written when the number of replications was an ingredient still resumes."""
    grid, out = {"agents.pool.staff": [3]}, tmp_path / "sw"
    run_sweep(tiny(), grid, 2, workers=1, out=out)
    as_format_1(out, tiny(), grid)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["fingerprint"]["replications"] = "d4735e3a265e16ee"
    (out / "manifest.json").write_text(json.dumps(manifest))
    assert run_sweep(tiny(), grid, 3, workers=1, out=out).resumed == 2


class TestWhatDecidesNoRow:
    """Fields of the scenario no row depends on: changing them reuses every point."""

    def test_a_renamed_scenario_resumes(self, tmp_path):
        """The name titles the figures only: it was refused ('changed: scenario')."""
        grid, out = {"agents.pool.staff": [3]}, tmp_path / "sw"
        run_sweep(tiny(), grid, 1, workers=1, out=out)
        assert run_sweep(tiny(name="tiny, renamed"), grid, 1, workers=1, out=out).resumed == 1

    def test_the_scenario_seed_under_another_seed_resumes(self, tmp_path):
        """The scenario's seed, overridden by the sweep's: refused, though no draw changed.

        The seed the points draw from is an ingredient of its own (``seed``).
        """
        grid, out = {"agents.pool.staff": [3]}, tmp_path / "sw"
        run_sweep(tiny(), grid, 1, seed=5, workers=1, out=out)
        assert run_sweep(tiny(seed=2), grid, 1, seed=5, workers=1, out=out).resumed == 1
        with pytest.raises(SweepConflictError, match=r"changed: seed\)"):
            run_sweep(tiny(seed=2), grid, 1, workers=1, out=out)

    def test_a_changed_scenario_is_refused_naming_its_fields(self, tmp_path):
        """The refusal says which fields of the scenario changed, not only 'scenario'."""
        grid, out = {"agents.pool.staff": [3]}, tmp_path / "sw"
        run_sweep(tiny(), grid, 1, workers=1, out=out)
        changed = tiny(close="11:00", contact_types={"calls": {
            **TINY["contact_types"]["calls"], "handle": {"dist": "exponential", "mean": "5m"}}})
        with pytest.raises(SweepConflictError, match=r"\(changed: scenario; fields changed: "
                                                     r"close, contact_types.calls\); use --fresh"):
            run_sweep(changed, grid, 1, workers=1, out=out)

    def test_a_field_every_point_sets_may_change(self, tmp_path):
        """The scenario's value at a grid path: every point replaces it, so it decides none.

        Editing it refused the resume ('fields changed: agents.pool'); a field beside it
        in the same group is still an ingredient.
        """
        grid, out = {"agents.pool.staff": [3, 4]}, tmp_path / "sw"
        run_sweep(tiny(), grid, 1, workers=1, out=out)
        pool = TINY["agents"]["pool"]
        edited = tiny(agents={"pool": {**pool, "staff": 9}})
        assert run_sweep(edited, grid, 1, workers=1, out=out).resumed == 2
        shrunk = tiny(agents={"pool": {**pool, "shrinkage": 0.2}})
        with pytest.raises(SweepConflictError, match=r"fields changed: agents.pool\)"):
            run_sweep(shrunk, grid, 1, workers=1, out=out)

    def test_a_folder_fingerprinted_with_the_whole_scenario_resumes(self, tmp_path):
        """A manifest whose scenario print holds the name, seed and variants still resumes."""
        scenario, grid, out = tiny(), {"agents.pool.staff": [3]}, tmp_path / "sw"
        run_sweep(scenario, grid, 1, workers=1, out=out)
        as_format_1(out, scenario, grid)
        manifest = json.loads((out / "manifest.json").read_text())
        whole = json.dumps(scenario.model_dump(mode="json"), sort_keys=True)  # (as it was)
        manifest["fingerprint"]["scenario"] = hashlib.sha256(whole.encode()).hexdigest()[:16]
        (out / "manifest.json").write_text(json.dumps(manifest))
        assert run_sweep(scenario, grid, 1, workers=1, out=out).resumed == 1
        with pytest.raises(SweepConflictError, match=r"changed: scenario; fields changed: close\)"):
            run_sweep(tiny(close="11:00"), grid, 1, workers=1, out=out)
