"""A replayed log (``arrivals: {trace: ...}``) checked row by row against the log's text.

The log is written here from known rows (a blocked call and days beyond the scenario's
included); the run's contacts must be exactly its rows in the opening hours of the
run's days, the same in every replication and for the same seed, and what is not
replayed must be said.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.loader import scenario_from_dict

ROWS = [  # arrival, contact type, wait, outcome, handle
    ("2026-03-04T08:05:00.250", "calls", 3.0, "answered", 100.5),
    ("2026-03-04T08:05:00.250", "lost card", 0.0, "answered", 30.0),  # the same moment
    ("2026-03-04T08:40:00", "calls", 50.0, "abandoned", None),
    ("2026-03-04T09:30:00", "calls", None, "blocked", None),
    ("2026-03-04T11:59:59.5", "lost card", 2.0, "answered", 400.0),
    ("2026-03-05T10:00:00", "calls", 9.0, "answered", 61.0),
    ("2026-03-06T13:00:00", "calls", 1.0, "answered", 5.0),  # after closing
    ("2026-03-07T09:00:00", "calls", 1.0, "answered", 7.0),  # Saturday, day 3
    ("2026-03-09T08:00:00", "lost card", 1.0, "answered", 8.0),  # Monday, day 5
]


def _scenario(folder, days: int) -> dict:
    (folder / "calls.csv").write_text(pd.DataFrame(
        ROWS, columns=["arrival", "contact_type", "wait", "outcome", "handle"]).to_csv(
        index=False))
    types = {name: {"arrivals": {"trace": "calls.csv", "trace_handle": True},
                    "handle": {"dist": "exponential", "mean": "2m"},
                    "patience": {"dist": "exponential", "mean": "1m"}}
             for name in ("calls", "lost_card")}
    spec = {"name": "replay", "days": days, "open": "08:00", "close": "12:00",
            "interval": "1h", "contact_types": types,
            "agents": {"pool": {"skills": ["calls", "lost_card"], "staff": 1}}}
    (folder / "replay.yaml").write_text(yaml.safe_dump(spec))
    return spec


def _expected(days: int) -> pd.DataFrame:
    """The rows in 08:00-12:00 of the first ``days`` days: seconds from 03-04, type, handle."""
    frame = pd.DataFrame(ROWS, columns=["arrival", "type", "wait", "outcome", "handle"])
    t = pd.to_datetime(frame["arrival"], format="ISO8601")
    seconds = (t - pd.Timestamp("2026-03-04")).dt.total_seconds()
    hour = seconds % 86400 / 3600
    keep = (hour >= 8) & (hour < 12) & (seconds < days * 86400)
    return pd.DataFrame({"arrival": seconds, "type": frame["type"].str.replace(" ", "_"),
                         "handle": frame["handle"]})[keep.to_numpy()]


@pytest.mark.parametrize("days", [2, 6])
def test_replayed_contacts_are_the_logs_rows(tmp_path, days):
    """Times and types exact (ms), logged talk where answered in both, same in every rep."""
    _scenario(tmp_path, days)
    scenario = sim.load_scenario(tmp_path / "replay.yaml")
    result = sim.run(scenario, seed=5, replications=2)
    expected = _expected(days).sort_values(["arrival", "type"]).reset_index(drop=True)
    for _, ran in result.contacts.groupby("replication"):
        ran = ran.sort_values(["arrival", "contact_type"]).reset_index(drop=True)
        np.testing.assert_allclose(ran["arrival"], expected["arrival"], rtol=0, atol=1e-6)
        assert ran["contact_type"].tolist() == expected["type"].tolist()
        both = ran["answered"].to_numpy() & expected["handle"].notna().to_numpy()
        assert both.any()
        np.testing.assert_allclose(ran["handle"][both], expected["handle"][both], atol=1e-9)
    again = sim.run(scenario, seed=5, replications=2).contacts
    pd.testing.assert_frame_equal(again, result.contacts)


def test_days_beyond_the_run_are_said(tmp_path):
    """A 2-day scenario replays 5 of the 9 rows: a warning counts each type's later ones.

    The log spans 6 days (Wed 03-04 to Mon 03-09); the Friday, Saturday and Monday rows
    are not replayed. A backtest replays the trace over all its days: no such warning
    there, and the Friday 13:00 call is counted among those outside the hours.
    """
    _scenario(tmp_path, 2)
    done = CliRunner().invoke(main, ["validate", str(tmp_path / "replay.yaml")])
    assert done.exit_code == 0, done.output
    after = [line for line in done.stderr.splitlines() if "after the run" in line]
    path = tmp_path / "replay.yaml"
    assert after == [
        f"{path}: warning: contact_types.calls.arrivals.trace: 2 of its 6 contacts arrive "
        "after the run's 2 days: not replayed (the log spans 4 days from its first; days: 4 "
        "replays them all)",
        f"{path}: warning: contact_types.lost_card.arrivals.trace: 1 of its 3 contacts "
        "arrive after the run's 2 days: not replayed (the log spans 6 days from its first; "
        "days: 6 replays them all)"]
    done = CliRunner().invoke(main, ["backtest", str(path), str(tmp_path / "calls.csv"),
                                     "--replications", "2", "--out", str(tmp_path / "b.png")])
    assert done.exit_code == 0, done.output
    assert "after the run" not in done.stderr
    assert "1 of its 6 contacts in the run's days arrive outside" in done.stderr


def test_one_type_log_replayed_by_one_type_only(tmp_path):
    """Two contact types replaying a log of calls alone: refused, not every call twice.

    A log of one type is replayed whole by a type of any name; replayed by 'calls' and
    'chat' alike, each logged call came twice (5 calls offered as calls and 5 as chat).
    """
    spec = _scenario(tmp_path, 6)
    pd.read_csv(tmp_path / "calls.csv").query("contact_type == 'calls'").to_csv(
        tmp_path / "calls.csv", index=False)
    spec["contact_types"] = {"calls": spec["contact_types"]["calls"],
                             "chat": spec["contact_types"]["lost_card"]}
    spec["agents"]["pool"]["skills"] = ["calls", "chat"]
    with pytest.raises(sim.ScenarioError, match=(
            r"contact_types\.chat\.arrivals\.trace: has no rows of contact type 'chat' \(it "
            r"has calls\); a log of one contact type is replayed whole by one contact type "
            r"only, not by calls and chat")):
        scenario_from_dict(spec, base_dir=tmp_path)


def test_staffing_blocks_see_each_types_replayed_load(tmp_path):
    """`ccsim staff`'s flat-load blocks from the trace's own counts per interval.

    Per hour (08-11) the log has calls 2 1 0 0 | 0 0 1 0 and lost cards 1 0 0 1 | 0 0 0 0
    over its first two days: no two neighbours alike but the second day's first pair, and
    a day's (and a stretch's) first interval is a block of its own: 8 blocks. The trace
    was counted under no type name, so a log of two types seemed empty: flat, 4 blocks.
    """
    from sim.staffing_start import load_blocks

    _scenario(tmp_path, 2)
    scenario = sim.load_scenario(tmp_path / "replay.yaml")
    assert load_blocks(scenario).tolist() == list(range(8))


def test_replayed_days_on_other_weekdays_are_said(tmp_path):
    """The log starts on a Wednesday; chats name Monday to Friday: the run's day 0 is a Monday.

    So the trace's Wednesday fills the run's Monday, its Saturday (day 3) a Thursday: of
    the 4 days replayed (Wed, Thu, Fri, Sat), none is on its own weekday; said in one
    warning. Listing the log's weekdays as the run's aligns them: no warning.
    """
    from sim.schedule import scenario_warnings

    spec = _scenario(tmp_path, 5)
    spec["contact_types"]["lost_card"]["arrivals"] = {
        "per_interval": [1, 1, 1, 1],
        "day_factors": {d: 1 for d in ("monday", "tuesday", "wednesday", "thursday",
                                       "friday")}}
    warned = [r for p, r in scenario_warnings(scenario_from_dict(spec, base_dir=tmp_path))
              if "weekday" in r]
    assert warned == [
        "4 of the 4 days it replays fall on another weekday than the run day they fill (its "
        "day 0 is Wednesday 2026-03-04, the run's a Monday, its days the weekdays its day "
        "factors name): list the log's weekdays as the run's `weekdays`, or compare it with "
        "`ccsim backtest`, which dates each day"]
    spec["weekdays"] = ["wednesday", "thursday", "friday", "saturday", "sunday"]
    assert not [r for p, r in scenario_warnings(scenario_from_dict(spec, base_dir=tmp_path))
                if "weekday" in r]
