"""Sweeps with few replications: honest half-widths, and a line saying why they are so wide.

With 2 replications a 95% t interval is 12.7 standard errors wide each way (t(0.975, 1)):
a share's half-width can pass 100 points. The number is right and printed as it is; the
figures draw the band within what the KPI can be (``test_confidence_bands_stay_within_
what_a_kpi_can_be``); one line on stderr says that the replications are too few.
"""

import math

import pandas as pd
import yaml
from click.testing import CliRunner
from sweep_parts import TINY

from sim.cli import main
from sim.cli_sweep import SHOWN_KPIS, wide_intervals_note


def summary(**cis: list[float]) -> pd.DataFrame:
    """A two-point sweep summary with the shown KPIs' half-widths ``cis`` (others 0)."""
    frame = pd.DataFrame({"agents.pool.staff": [2, 3]})
    for kpi in SHOWN_KPIS:
        frame[kpi] = [0.5, 0.5]
        frame[f"{kpi}_ci"] = cis.get(kpi, [0.0, 0.0])
    return frame


class TestWideIntervalsNote:
    def test_a_share_wider_than_its_range_is_named(self):
        """A service level of ± 116 points at one point: one line, naming it and -r."""
        note = wide_intervals_note(summary(service_level=[0.05, 1.16]), SHOWN_KPIS, 2)
        assert "\n" not in note
        assert note.startswith("2 replications per point give wide 95% intervals")
        assert "service level" in note.lower() and "occupancy" not in note.lower()
        assert "-r" in note

    def test_within_the_range_says_nothing(self):
        """± 99 points is wide, but within what a share can be: no line."""
        assert wide_intervals_note(summary(service_level=[0.99, 0.2],
                                           occupancy=[1.0, 0.3]), SHOWN_KPIS, 2) == ""

    def test_times_have_no_upper_bound(self):
        """An ASA of 90 s ± 500 s is not beyond what a time can be (only below 0, drawn so)."""
        assert wide_intervals_note(summary(asa=[500.0, 800.0]), SHOWN_KPIS, 2) == ""

    def test_one_replication_has_no_interval(self):
        """With one replication every half-width is NaN: no line."""
        nan = [math.nan, math.nan]
        assert wide_intervals_note(summary(**{k: nan for k in SHOWN_KPIS}), SHOWN_KPIS, 1) == ""

    def test_kpis_left_out_are_not_judged(self):
        """A KPI the table leaves out (no point models it) is not named."""
        assert wide_intervals_note(summary(abandon_rate=[2.0, 0.1]),
                                   [k for k in SHOWN_KPIS if k != "abandon_rate"], 2) == ""


def test_the_sweep_command_prints_it_after_the_table(tmp_path):
    """``ccsim sweep -r 2``: the half-widths printed as computed, and the note on stderr.

    The note is printed exactly when the written summary has a share's half-width over 1
    (two replications of two hours on this small desk give several).
    """
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(yaml.safe_dump(TINY))
    out = tmp_path / "sw"
    ran = CliRunner().invoke(main, ["sweep", str(scenario), "--grid", "agents.pool.staff=1:3:1",
                                    "-r", "2", "-w", "1", "-q", "--no-figures",
                                    "--out", str(out)])
    assert ran.exit_code == 0, ran.output
    written = pd.read_csv(out / "sweep_summary.csv")
    wide = [k for k in ("service_level", "abandon_rate", "occupancy")
            if (written[f"{k}_ci"] > 1.0).any()]
    assert wide  # (else this example shows nothing)
    widest = written[[f"{k}_ci" for k in wide]].max().max()
    assert f"± {100 * widest:.1f} pts" in ran.stdout  # the number as computed
    notes = [line for line in ran.stderr.splitlines() if "wide 95% intervals" in line]
    assert len(notes) == 1 and notes[0].startswith("2 replications per point"), ran.stderr
