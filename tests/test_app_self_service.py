"""The page's self-service control: one share per contact type with an IVR, named for it.

Found by an outside check of the page: the one "Self-service share" field set the IVR
share of every type with an IVR. On self_service_shift (simple issues move to the phone
menu, the complex calls stay with the agents: its variant sets only
``contact_types.simple.ivr.self_service``) a trainer typing 0.3 also served 30% of the
complex calls in the menu, and the page said nothing of it. Like the agents (a field per
group), the control now has a field per type with an IVR.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.app import settings as controls
from sim.app.model import Session
from sim.loader import load_scenario, with_overrides

SHIFT = Path(__file__).resolve().parents[1] / "scenarios" / "self_service_shift.yaml"


@pytest.fixture(scope="module")
def shift():
    return load_scenario(SHIFT).model_copy(update={"variants": {}})


def test_a_share_per_type_with_an_ivr(shift):
    """The controls show each IVR type's own share; the scenario's shares change nothing."""
    assert controls.defaults(shift).self_service == {"simple": 0.0, "complex": 0.0}
    wanted = controls.read_settings({"self_service": {"simple": 0.0, "complex": 0.0}},
                                    shift, "shift")
    assert controls.overrides(shift, wanted) == {"days": 1}


def test_the_simple_share_is_the_scenarios_own_variant(shift):
    """30% of the simple issues in the menu: the overrides of its variant, the same KPIs."""
    wanted = controls.read_settings({"self_service": {"simple": 0.3}}, shift, "shift")
    assert controls.overrides(shift, wanted) == {
        "days": 1, "contact_types.simple.ivr.self_service": 0.3}
    variant = load_scenario(SHIFT).variants["self_service_30"]
    session = Session(str(SHIFT))
    session.run({"self_service": {"simple": 0.3}, "replications": 2})
    session.wait()
    page = session.state()["result"]
    cli = sim.run(with_overrides(shift, {**variant, "days": 1}), seed=page["seed"],
                  replications=2)
    assert page["kpis"]["self_service_rate"]["mean"] == pytest.approx(
        float(cli.summary["self_service_rate"]), rel=1e-12)
    assert page["kpis"]["asa"]["mean"] == pytest.approx(float(cli.summary["asa"]), rel=1e-12)
    assert session.state()["result"]["settings"]["self_service"] == {"simple": 0.3,
                                                                     "complex": 0.0}


def test_one_share_for_every_type_still_reads(shift):
    """A script's single number (the old API) sets every type with an IVR, as it did."""
    wanted = controls.read_settings({"self_service": 0.2}, shift, "shift")
    assert wanted.self_service == {"simple": 0.2, "complex": 0.2}


@pytest.mark.parametrize(("typed", "line"), [
    ({"simple": 1.5}, "shift: self_service.simple: must be in 0..1, got 1.5"),
    ({"simple": "a"}, "shift: self_service.simple: must be a number, got 'a'"),
    ({"billing": 0.3}, "shift: self_service.billing: no such contact type with an IVR "
                       "(known: simple, complex)"),
    ("x", "shift: self_service: must be a number, got 'x'"),
    # a decimal comma (a French or German keyboard): the hint every other field gives
    ({"simple": "0,3"}, "shift: self_service.simple: must be a number with no comma "
                        "(12.5, 1000), got '0,3'"),
    ("0,3", "shift: self_service: must be a number with no comma (12.5, 1000), got '0,3'")])
def test_bad_shares_are_one_line_naming_the_type(shift, typed, line):
    with pytest.raises(controls.SettingsError) as caught:
        controls.read_settings({"self_service": typed}, shift, "shift")
    assert caught.value.lines() == [line]


def test_the_share_solved_in_the_menu_is_a_card_and_a_row():
    """30% of the simple issues in the menu: a self-service-rate card, and a before/after row.

    Before, the page had the control but no card of its effect: a trainer moving issues
    to the menu saw ASA fall and no number of the issues the menu solved (``ccsim run``
    prints it). At the scenario's 0% it is left out, as ``ccsim run`` leaves it out.
    """
    session = Session(str(SHIFT))
    session.run({"replications": 2})
    session.wait()
    before = session.state()["result"]
    assert "self_service_rate" not in before["cards"]
    assert "self_service_rate (no `ivr.self_service`)" in before["left_out"]
    session.pin()
    session.run({"self_service": {"simple": 0.3}, "replications": 2})
    session.wait()
    state = session.state()
    session.close()
    assert "self_service_rate" in state["result"]["cards"]
    assert state["result"]["kpis"]["self_service_rate"]["mean"] > 0.05
    rows = {r["kpi"]: r for r in state["comparison"]["rows"]}
    assert rows["self_service_rate"]["pinned"] == 0
    assert rows["self_service_rate"]["current"] == state["result"]["kpis"][
        "self_service_rate"]["mean"]
