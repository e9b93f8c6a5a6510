"""`ccsim animate --replication N` simulates replication N alone, not all N of them.

A replication is a pure function of (scenario, seed, replication index), so the
replication an animation draws can be simulated by itself. The animate command ran
``sim.run(replications=N)`` and drew the last one: N times the work for a large N.
These tests check the records the animation is drawn from are the same either way
(parity of the underlying arrays, not pixels) and that the command now simulates one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from click.testing import CliRunner

import sim
import sim.measure
from sim.animate import build_animation, one_replication
from sim.animation_timelines import _talks_and_holds, _waits, _wrap_ups
from sim.cli import main
from sim.loader import load_scenario

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "fraud_consult.yaml"
SEED, N = 11, 3


def _rows(frame: pd.DataFrame, replication: int) -> pd.DataFrame:
    return frame[frame["replication"] == replication].reset_index(drop=True)


def _same_timeline(a, b) -> None:
    np.testing.assert_array_equal(a.start, b.start)
    np.testing.assert_array_equal(a.end, b.end)


def test_one_replication_draws_what_the_full_run_draws():
    """Replication N alone: the same contacts, legs, staff log and timelines as in a run of N."""
    scenario = load_scenario(SCENARIO)
    full = sim.run(scenario, seed=SEED, replications=N)
    alone = one_replication(scenario, seed=SEED, replication=N - 1)
    assert alone.kept_replications == [N - 1]
    for table in ("contacts", "legs", "staff"):
        pd.testing.assert_frame_equal(_rows(getattr(alone, table), N - 1),
                                      _rows(getattr(full, table), N - 1))
    assert len(_rows(full.contacts, N - 1)) > 0 and len(_rows(full.legs, N - 1)) > 0
    talks_a, holds_a = _talks_and_holds(alone, N - 1)
    talks_f, holds_f = _talks_and_holds(full, N - 1)
    for g in scenario.agents:
        _same_timeline(talks_a[g], talks_f[g])
        _same_timeline(holds_a[g], holds_f[g])
    wraps_a, wraps_f = _wrap_ups(alone, N - 1), _wrap_ups(full, N - 1)
    assert (wraps_a is None) == (wraps_f is None)
    for requests in (False, True):
        (wa, ta), (wf, tf) = _waits(alone, N - 1, requests), _waits(full, N - 1, requests)
        _same_timeline(wa, wf)
        np.testing.assert_array_equal(ta, tf)
    # the drawn queue lines: the same counts minute by minute
    lines_a = build_animation(alone, replication=N - 1, step=3600.0)._fig.axes[1].lines
    lines_f = build_animation(full, replication=N - 1, step=3600.0)._fig.axes[1].lines
    fulls = [(la.full, lf.full) for la, lf in zip(lines_a, lines_f) if hasattr(la, "full")]
    assert fulls and len(lines_a) == len(lines_f)
    for a, f in fulls:
        np.testing.assert_array_equal(a, f)


def test_cli_simulates_only_the_replication_it_draws(tmp_path, monkeypatch):
    """`--replication 5`: one call of run_replication, for replication index 4."""
    calls: list[int] = []
    real = sim.measure.run_replication

    def counted(scenario, seed, replication=0, **kwargs):
        calls.append(replication)
        return real(scenario, seed, replication, **kwargs)

    monkeypatch.setattr(sim.measure, "run_replication", counted)
    out = tmp_path / "day.html"
    done = CliRunner().invoke(main, ["animate", str(SCENARIO), "--replication", "5",
                                     "--out", str(out), "--step", "2h", "--quiet"])
    assert done.exit_code == 0, done.output
    assert out.is_file()
    assert calls == [4]
