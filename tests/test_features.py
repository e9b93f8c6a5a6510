"""KPIs of features a scenario lacks are always 0, and tables for people leave them out.

The registry (:mod:`sim.kpis`) says which feature each such KPI needs (``Kpi.needs``) and
:mod:`sim.features` which features a scenario has. The invariant that makes leaving rows
out safe is checked on random scenarios (tier 5): every KPI whose feature the scenario
lacks is exactly 0, overall, per contact type and per agent group (NaN only where it is a
share or mean of nothing; the live queue's KPIs are ``service_level`` and ``asa``).
``CCSIM_EXAMPLES=200`` hunts longer.
"""

from __future__ import annotations

import math
import os

import pytest
from hypothesis import HealthCheck, event, given, note, reject, settings
from hypothesis import strategies as st
from strategies import costed, routing_policies, scenarios, without_features

import sim
from sim import kpis
from sim.engine import SimulationError
from sim.features import features, left_out, modelled, void
from sim.features import note as left_out_note

SETTINGS = settings(max_examples=int(os.environ.get("CCSIM_EXAMPLES", "40")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
# a share or mean over these (in the same table) is NaN when they are 0 (or NaN): nothing
# to divide by; where they are not, a KPI of a missing feature must be 0
DENOMINATOR = {"block_rate": "offered", "hold_time": "answered", "transfer_rate": "answered",
               "repeat_rate": "offered", "callback_rate": "offered", "balk_rate": "offered",
               "self_service_rate": "contacts_per_issue", "abandon_rate": "offered"}
NEEDING = [kpi for kpi in kpis.REGISTRY if kpi.needs is not None]


def nan(value: float) -> bool:
    return value != value


def check_unmodelled(kpi: kpis.Kpi, values: dict, where: str) -> None:
    """``values[kpi]`` is what it must be without the KPI's feature (if it is measured)."""
    if kpi.name not in values:
        return
    value = values[kpi.name]
    if kpi.otherwise is not None:
        other = values[kpi.otherwise]
        assert value == other or (nan(value) and nan(other)), (where, kpi.name, value, other)
    elif kpi.name == "callback_wait":  # a mean over callbacks: of nothing
        assert nan(value), (where, kpi.name, value)
    elif nan(value):
        den = values[DENOMINATOR[kpi.name]]
        assert den == 0 or nan(den), (where, kpi.name, "NaN with", DENOMINATOR[kpi.name], den)
    else:
        assert value == 0, (where, kpi.name, value)


@SETTINGS
@given(scenarios(), st.integers(0, 10_000), st.data())
def test_kpis_of_missing_features_are_zero(data, seed, draw):
    """Every KPI whose feature the scenario lacks is 0, overall, per type and per group."""
    data = draw.draw(without_features(data))
    if draw.draw(st.booleans()):
        data = draw.draw(costed(data))
    if draw.draw(st.booleans()):  # a routing policy runs another path of the engine
        data = draw.draw(routing_policies(data))
    note(f"seed={seed} {data}")
    scenario = sim.scenario_from_dict(data)
    try:
        result = sim.run(scenario, seed=seed, replications=1)
    except SimulationError as exc:  # a warm transfer nobody can answer (README, Journeys)
        event(f"stopped: {exc.reason.split(':')[0]}")
        reject()
    has = features(scenario)
    tables = {"summary": result.summary, **{f"type {t}": v for t, v in result.by_type.items()},
              **{f"group {g}": v for g, v in result.by_group.items()}}
    for kpi in NEEDING:
        if kpi.needs in has:
            continue
        event(f"without {kpi.needs.name}")
        for where, values in tables.items():
            check_unmodelled(kpi, values, where)


class TestFeatures:
    """features(): which parts of the model a scenario has."""

    def test_bundled_scenarios(self):
        """Each bundled scenario has the features it is about, and no others."""
        expect = {"small_bank": {"patience"}, "erlang_b": {"lines"}, "erlang_c": set(),
                  "storm_surge": {"patience", "lines", "retrials"},
                  "fraud_consult": {"patience", "holds", "handoffs"},
                  "refund_vs_relations": {"patience", "transfers", "handoffs", "repeats"},
                  "social_backlash": {"patience", "complaints", "holds", "handoffs"}}
        for name, names in expect.items():
            scenario = sim.load_scenario(f"scenarios/{name}.yaml")
            assert {f.name for f in features(scenario)} == names, name

    def test_variants_switch_features_on(self):
        """A variant with callbacks or IVR self-service has them."""
        storm = sim.load_scenario("scenarios/storm_surge.yaml")
        assert kpis.CALLBACKS not in features(storm)
        assert kpis.CALLBACKS in features(sim.variant(storm, "callbacks_on"))
        shift = sim.load_scenario("scenarios/self_service_shift.yaml")
        assert kpis.SELF_SERVICE in features(sim.variant(shift, "self_service_30"))

    def test_a_rule_that_offers_callbacks_counts(self):
        """Callbacks a real-time rule switches on are modelled."""
        scenario = sim.load_scenario("scenarios/storm_surge.yaml", overrides={
            "contact_types.claims.callback": {"threshold": "2m", "accept": 0.5},
            "rules": {"busy": {"when": {"queue_length": "claims", "at_least": 5},
                               "then": {"callbacks": {"types": ["claims"], "offer": True}}}}})
        assert kpis.CALLBACKS in features(scenario)

    def test_escalation_mode_decides(self):
        """An escalation as a transfer is a transfer; as a consult, a hold."""
        base = sim.load_scenario("scenarios/small_bank.yaml")
        group, target = next(iter(base.agents)), next(iter(base.contact_types))
        as_transfer = sim.with_overrides(base, {f"agents.{group}.escalate": {
            "probability": 0.1, "to": target}})
        as_consult = sim.with_overrides(base, {f"agents.{group}.escalate": {
            "probability": 0.1, "to": target, "as": "consult",
            "talk": {"dist": "exponential", "mean": "2m"}}})
        assert features(as_transfer) == {kpis.PATIENCE, kpis.TRANSFERS, kpis.HANDOFFS}
        assert features(as_consult) == {kpis.PATIENCE, kpis.HOLDS, kpis.HANDOFFS}


MISROUTES = {
    "name": "misroutes", "days": 1, "open": "08:00", "close": "10:00",
    "contact_types": {
        "cards": {"arrivals": {"rate": "60/h"}, "handle": {"dist": "exponential", "mean": "2m"},
                  "patience": {"dist": "exponential", "mean": "1m"},
                  "ivr": {"time": {"dist": "deterministic", "value": 30}, "misroute": 0.5}},
        "loans": {"arrivals": {"rate": "30/h"}, "handle": {"dist": "exponential", "mean": "2m"}}},
    "agents": {"pool": {"skills": ["cards", "loans"], "staff": 3}}}


def test_a_misroute_alone_transfers():
    """An IVR misroute, with no `transfer` or `escalate`, makes transfers and hang-ups.

    (Random scenarios rarely have misroutes without transfers: shown here.)
    """
    scenario = sim.scenario_from_dict(MISROUTES)
    assert features(scenario) == {kpis.PATIENCE, kpis.TRANSFERS, kpis.HANDOFFS}
    summary = sim.run(scenario, seed=1, replications=1).summary
    assert summary["transfer_rate"] > 0 and summary["hung_up"] > 0


class TestLeftOut:
    """left_out() and note(): the rows a table for people leaves out, and its line."""

    @pytest.fixture(scope="class")
    @classmethod
    def bank(cls):
        return sim.load_scenario("scenarios/small_bank.yaml")

    def test_rows_of_missing_features_that_are_zero(self, bank):
        """0, NaN and a live KPI equal to its own are left out; other KPIs never."""
        values = {k: 0.0 for k in kpis.BY_NAME}
        values.update(callback_wait=math.nan, service_level=0.9, live_service_level=0.9,
                      asa=5.0, live_asa=5.0)
        out = left_out(kpis.RUN_KPIS, [bank], [values])
        assert out == tuple(k.name for k in NEEDING if k.scope is kpis.Scope.RUN
                            and k.needs is not kpis.PATIENCE)  # the bank's callers abandon
        assert "abandoned" not in out and "unanswered" not in out

    def test_a_number_is_never_hidden(self, bank):
        """A KPI of a missing feature that is not 0 is shown, whatever its feature."""
        values = {k: 0.0 for k in kpis.BY_NAME}
        values.update(complaints=1.0, service_level=0.9, live_service_level=0.8)
        out = left_out(kpis.RUN_KPIS, [bank], [values, {**values, "complaints": 0.0}])
        assert "complaints" not in out and "live_service_level" not in out

    def test_any_variant_with_the_feature_shows_it(self, bank):
        """A comparison leaves a row out only if no variant has its feature."""
        storm = sim.load_scenario("scenarios/storm_surge.yaml")
        zeros = {k: 0.0 for k in kpis.BY_NAME}
        assert "blocked" in left_out(["blocked"], [bank], [zeros])
        assert left_out(["blocked"], [bank, storm], [zeros, zeros]) == ()
        assert modelled("blocked", [storm]) and modelled("offered", [bank])

    def test_void(self):
        """void(): 0, NaN or missing; for a live KPI, its own KPI's value."""
        assert void("blocked", {"blocked": 0}) and void("blocked", {})
        assert void("callback_wait", {"callback_wait": math.nan})
        assert not void("blocked", {"blocked": 0.5})
        assert void("live_asa", {"live_asa": math.nan, "asa": math.nan})
        assert not void("live_asa", {"live_asa": 3.0, "asa": 4.0})
        assert not void("live_asa", {"live_asa": 3.0})

    def test_note_groups_by_feature(self):
        """The line names the rows by feature and the field that would switch each on."""
        line = left_out_note(["blocked", "block_rate", "callbacks", "live_asa",
                              "blocked_cost"])
        assert line == ("Not in this scenario (always 0 or –; live_asa = asa): blocked, "
                        "block_rate, blocked_cost (no `lines`); callbacks, live_asa "
                        "(no `callback`).")
        assert left_out_note([]) == ""
        assert left_out_note(["balked"], "any variant").startswith("Not in any variant")


def test_readme_lists_what_each_kpi_needs():
    """README's list of what each KPI needs has the registry's KPIs, one item per feature."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("What each needs, in the registry")
    block = readme[start:readme.index("\n\n", readme.index("\n- ", start))]
    items = block.split("\n- ")[1:]
    listed = [[w.strip("`,;.") for w in item.rsplit(": ", 1)[1].split()] for item in items]
    groups: dict = {}
    for kpi in NEEDING:
        groups.setdefault(kpi.needs, []).append(kpi.name)
    assert sorted(map(sorted, listed)) == sorted(map(sorted, groups.values()))


def test_no_patience_no_abandonment_rows(tmp_path):
    """Without `patience` (Erlang C) nobody abandons: `ccsim run` leaves the rows out, says why.

    Before, it printed "abandoned 0" and "abandon_rate 0.0%" as if abandonment were
    modelled and none happened.
    """
    from click.testing import CliRunner

    from sim.cli import main

    scenario = sim.load_scenario("scenarios/erlang_c.yaml")
    assert kpis.PATIENCE not in features(scenario)
    assert kpis.PATIENCE in features(sim.load_scenario("scenarios/erlang_a.yaml"))
    done = CliRunner().invoke(main, ["run", "scenarios/erlang_c.yaml", "-r", "2", "--no-report",
                                     "--set", "days=1", "--out", str(tmp_path)])
    assert done.exit_code == 0, done.output
    rows = [line.split()[0] for line in done.output.splitlines() if line.startswith("  ")]
    assert "abandoned" not in rows and "abandon_rate" not in rows and "answered" in rows
    assert "abandoned, abandon_rate (no `patience`)" in " ".join(done.output.split())
