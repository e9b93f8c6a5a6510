"""The live page's floor counts its "so far today" KPIs as the run counts its KPIs.

The floor (:func:`sim.app.views.floor_frames`) plays day 1 of replication 1 back with
answered, abandoned, service level and ASA so far. Once every contact's fate is known,
those must be the replication's own KPIs (``RunResult.replications``, which
:mod:`sim.metrics` computes): the queue wait, not the IVR menu before it; each contact
type's own threshold; the scenario's service-level definition; offered contacts only (not
blocked, served in the IVR or balked); the measured window (after the warm-up).
"""

from __future__ import annotations

import itertools
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from strategies import scenarios

from sim.app import views
from sim.loader import load_scenario, scenario_from_dict
from sim.replicate import run

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
KEYS = ("answered", "abandoned", "hung_up", "blocked", "balked", "complaints", "service_level",
        "asa")


def final(result, replication: int = 0) -> dict:
    """The "so far" KPIs once the whole run is over (every fate known)."""
    contacts = result.contacts[result.contacts["replication"] == replication]
    return views.so_far(contacts, result.scenario, np.array([math.inf]))[0]


def replication_kpis(result, replication: int = 0) -> dict:
    row = result.replications.iloc[replication]
    return {k: float(row[k]) for k in KEYS}


def assert_same(got: dict, want: dict) -> None:
    for k in KEYS:
        if want[k] != want[k]:  # NaN: nothing to measure; the floor shows none
            assert got[k] is None, k
        else:
            assert got[k] == pytest.approx(want[k], rel=1e-12, abs=1e-12), k


@pytest.mark.parametrize(("name", "overrides"), [
    ("refund_vs_relations", {}),  # an IVR menu before the queue
    ("social_backlash", {}),  # posts with a threshold of their own (1 h)
    ("self_service_shift", {}),  # callers served in the IVR: never offered
    ("erlang_a", {}),  # a warm-up of 2 h
    ("storm_surge", {"service_level.definition": "short_abandons_excluded"}),  # busy signals
    ("small_bank", {"service_level.definition": "answered"}),
])
def test_floor_kpis_are_the_runs(name, overrides):
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml",
                             overrides={"days": 1, **overrides})
    result = run(scenario, seed=3, replications=1)
    assert_same(final(result), replication_kpis(result))


@settings(max_examples=int(os.environ.get("CCSIM_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_floor_kpis_are_the_runs_on_random_scenarios(data):
    scenario = scenario_from_dict(data)
    try:
        result = run(scenario, seed=1, replications=1)
    except Exception as exc:  # a stuck consult or warm transfer: documented elsewhere
        if type(exc).__name__ != "SimulationError":
            raise
        return
    event("offered contacts" if result.replications["offered"].iloc[0] else "none offered")
    assert_same(final(result), replication_kpis(result))


def test_last_frame_counts_what_was_known_at_closing():
    """The frames stop at closing: a contact answered after it is not counted yet."""
    scenario = load_scenario(ROOT / "scenarios" / "refund_vs_relations.yaml",
                             overrides={"days": 1})
    result = run(scenario, seed=3, replications=1)
    floor = views.floor_frames(result)
    last = floor["frames"][-1]
    c = result.contacts
    by_close = c[(c["answer"] <= scenario.close) & c["answered"]]
    assert last["answered"] == len(by_close)
    assert last["asa"] == pytest.approx(by_close["wait"].mean())


def test_frames_stay_within_the_opening_hours():
    """Open 08:00:10-09:00, a frame a minute: the last was drawn at 09:00:10, after closing."""
    scenario = scenario_from_dict({
        "name": "odd open", "days": 1, "open": "08:00:10", "close": "09:00",
        "interval": "3590s",
        "contact_types": {"calls": {"arrivals": {"rate": "30/h"},
                                    "handle": {"dist": "exponential", "mean": "4m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 3}}})
    times = [f["t"] for f in views.floor_frames(run(scenario, seed=1, replications=1))["frames"]]
    assert times[0] == scenario.open and times[-1] == scenario.close
    assert all(a < b for a, b in itertools.pairwise(times))


def test_waits_turn_red_past_their_own_types_threshold():
    """Social posts (threshold 1 h) waiting 5 minutes are not late; calls (60 s) are."""
    scenario = load_scenario(ROOT / "scenarios" / "social_backlash.yaml", overrides={"days": 1})
    floor = views.floor_frames(run(scenario, seed=3, replications=1))
    shown = [(w, late) for f in floor["frames"] for w, late in zip(f["waits"], f["late"])]
    assert all(len(f["late"]) == len(f["waits"]) for f in floor["frames"])
    # (waits are shown in whole seconds: 60 may be 60.4, past the minute)
    assert all(not late for w, late in shown if w < 60)
    assert all(late for w, late in shown if w > 3600)
    assert any(not late for w, late in shown if w > 61)  # a post, not yet at its hour
    assert any(late for w, late in shown if 61 < w <= 3600)  # a call past its minute


@pytest.mark.parametrize("warmup", ["21h", "30h"])
def test_a_day_inside_the_warm_up_says_when_counting_starts(warmup):
    """A warm-up ending after the day's closing (or on a later day) still says when it ends.

    The day counts nothing so far (every contact is in the warm-up): the panel must say
    why, with the warm-up's end in seconds from the day's midnight, not nothing at all.
    """
    scenario = load_scenario(ROOT / "scenarios" / "small_bank.yaml",
                             overrides={"days": 2, "warmup": warmup})
    assert scenario.close <= scenario.warmup  # the whole of day 1 is warm-up
    floor = views.floor_frames(run(scenario, seed=3, replications=1))
    assert all(f["answered"] == 0 for f in floor["frames"])
    assert floor["measured_from"] == scenario.warmup


@pytest.mark.parametrize(("name", "lost"), [
    ("erlang_c", []),  # nobody hangs up: no abandoned 0 beside the cards that leave it out
    ("erlang_b", ["blocked"]),
    ("erlang_a", ["abandoned"]),
    ("social_backlash", ["abandoned", "hung_up"])])
def test_the_floor_counts_the_callers_lost_the_cards_count(name, lost):
    """The floor names the callers lost of the kinds the run models, as the cards do.

    Found by an outside check of the page: erlang_b and erlang_c, where nobody has
    patience, showed "abandoned 0" so far today, while the cards left the abandon rate
    out as not in the scenario.
    """
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={"days": 1})
    result = run(scenario, seed=3, replications=1)
    floor = views.floor_frames(result)
    assert [k for k, _ in floor["lost"]] == lost
    assert ("abandon_rate" in views.cards(result)[0]) == ("abandoned" in lost)


@pytest.mark.parametrize(("name", "posted"), [("social_backlash", True), ("erlang_a", False)])
def test_the_floor_counts_complaints_where_the_cards_do(name, posted):
    """Complaints posted so far, on the floor of a scenario with `complaint:`, as its card.

    Found by an outside check of the page: social_backlash's cards had a complaints count
    and its floor, the moving picture of the day, none. Each complaint counts when it is
    posted (its contact's arrival); at closing, those of the day; once every post is
    made, the run's own count (test_floor_kpis_are_the_runs).
    """
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", overrides={"days": 1})
    result = run(scenario, seed=3, replications=1)
    floor = views.floor_frames(result)
    assert floor["complaints"] is posted
    assert ("complaints" in views.cards(result)[0]) is posted
    c = result.contacts
    posts = c.loc[c["origin"] == "complaint", "arrival"].to_numpy()
    counts = [f["complaints"] for f in floor["frames"]]
    assert counts == [int(np.sum(posts <= f["t"])) for f in floor["frames"]]
    assert (counts[-1] > 20) is posted  # the case at hand
