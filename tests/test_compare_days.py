"""Variants that run other days than the baseline are refused: they cannot be paired.

Replications pair day by day (the same customers). small_bank's week against the same
file at one day was compared, its counts a week's against a day's, and the cost sentence
divided the paired difference by the baseline's days: "9,721.99 less a day in wages"
where the day plan cost about 6 more (found by an outside check).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.compare import compare

BANK = Path(__file__).resolve().parents[1] / "scenarios" / "small_bank.yaml"


def test_a_variant_of_other_days_is_refused(tmp_path):
    day = tmp_path / "bank_1day.yaml"
    day.write_text(BANK.read_text().replace("days: 5", "days: 1"))
    assert "days: 1" in day.read_text()
    done = CliRunner().invoke(main, ["compare", str(BANK), str(day), "-r", "2", "-q",
                                     "--out", str(tmp_path / "cmp")])
    assert done.exit_code == 2, done.output
    assert done.output.strip() == (
        f"{BANK}: variants: 'bank_1day' runs 1 days, the baseline 5: replications pair day "
        "by day; compare variants of the same days")
    assert not (tmp_path / "cmp").exists()
    base = sim.load_scenario(BANK)
    with pytest.raises(ValueError, match="runs 1 days, the baseline 5"):
        compare({"baseline": base, "day": base.model_copy(update={"days": 1})})


def test_the_page_pairs_no_runs_of_other_days():
    """The trainer's page: a pinned day against a current three days is no pair either."""
    from sim.app.model import Session

    session = Session(str(BANK))
    assert session.run({"days": 1, "replications": 2}) is not None
    session.wait(120)
    session.pin()
    assert session.run({"days": 3, "replications": 2}) is not None
    session.wait(120)
    shown = session.comparison()
    assert shown["rows"] == [] and shown["problem"] == (  # (in the page's words: an audit)
        "“Before” ran 1 day, now 3: set Days back to 1 to compare (the pairs need the same "
        "customers, day by day and replication by replication)"), shown
    assert session.run({"days": 1, "replications": 3}) is not None
    session.wait(120)
    assert session.comparison()["problem"] == (
        "“Before” ran 2 replications, now 3: set Replications back to 2 to compare (the "
        "pairs need the same customers, day by day and replication by replication)")
