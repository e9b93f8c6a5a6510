"""The compiled routing table (sim.routing_table) and the places that read it.

Routing used to be worked out three times (the engine, ``metrics.serving_groups``,
``staffing.load_shares``); these tests pin what those answered before the table, on every
bundled scenario and on random ones, so reading the table changes no number.
"""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import tiny
from hypothesis import HealthCheck, given, settings
from strategies import scenarios

from sim.journey import LEGS, PLAIN, PLAIN_IF_QUIET
from sim.loader import ScenarioError, load_scenario, scenario_from_dict
from sim.metrics import serving_groups
from sim.routing_table import _tables, compile_routing, routing_table
from sim.staffing import load_shares

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))


RANDOM = settings(max_examples=60, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def old_serving_groups(scenario, contact_type: str) -> list[str]:
    """``metrics.serving_groups`` as it was before the table (every routing step's group)."""
    return [step.group for step in scenario.routes(contact_type)]


def old_load_shares(scenario) -> dict[str, dict[str, float]]:
    """``staffing.load_shares`` as it was before the table (the first-line groups share)."""
    shares = {}
    for name in scenario.contact_types:
        steps = scenario.routes(name)
        first = [s.group for s in steps if s.after == 0.0] or [steps[0].group]
        shares[name] = {g: 1.0 / len(first) for g in dict.fromkeys(first)}
    return shares


def assert_same_answers(scenario) -> None:
    for name in scenario.contact_types:
        assert serving_groups(scenario, name) == old_serving_groups(scenario, name), name
    assert load_shares(scenario) == old_load_shares(scenario)


class TestParity:
    """serving_groups and load_shares answer as their definitions before the table."""

    @pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
    def test_bundled_scenarios(self, path):
        """Every bundled scenario: the same serving groups and load shares."""
        assert_same_answers(load_scenario(path))

    def test_unknown_contact_type_has_no_serving_group(self):
        """A name that is no contact type is served by nobody (as before: an empty list)."""
        scenario = load_scenario(ROOT / "scenarios" / "small_bank.yaml")
        assert serving_groups(scenario, "all") == old_serving_groups(scenario, "all") == []

    @RANDOM
    @given(scenarios())
    def test_random_scenarios(self, data):
        """Random scenarios (overflow delays, blending, several groups): the same answers."""
        assert_same_answers(scenario_from_dict(data))


def blended(**extra):
    """Calls, emails and chats: a front line, a blending back office, agents of own speeds.

    Calls overflow from the front line to the back office after 30 s; the back office
    works emails as a backlog (keeping one agent idle); chat agents each have a speed.
    """
    return tiny({"front": {"skills": {"calls": 1}, "staff": 2},
                 "back": {"skills": {"emails": 1, "calls": 2}, "staff": 3,
                          "blending": {"backlog": ["emails"], "reserve": 1}},
                 "fast": {"skills": ["chats"], "staff": 1, "speed_cv": 0.3}},
                types=("calls", "emails", "chats"),
                routing={"calls": ["front", {"group": "back", "after": 30}]}, **extra)


class TestCompileRouting:
    """compile_routing against hand-worked tables."""

    def test_small_bank(self):
        """Billing overflows to the generalists after 60 s; they take cards first."""
        table = compile_routing(load_scenario(ROOT / "scenarios" / "small_bank.yaml"))
        assert table.type_names == ("billing", "cards")
        assert table.group_names == ("billing_team", "cards_team", "generalists")
        assert table.serving == ((0, 2), (1, 2))
        assert table.immediate == ((0,), (1, 2))
        assert table.overflow == (((60.0, 2),), ())
        assert table.backlog_of == (frozenset(), frozenset())
        assert table.first_line == ((0,), (1, 2))
        assert table.levels == ((((0, 0.0),),), (((1, 0.0),),), (((1, 0.0),), ((0, 60.0),)))
        assert table.priorities == ((1,), (1,), (1, 2))
        assert table.backlog == ((), (), ())
        assert table.reserve == (0, 0, 0)
        assert table.gated == frozenset()
        assert table.single == (0, 1, None)  # the generalists have two skills
        assert table.only == (0, None)  # cards: two groups answer on arrival
        assert table.takes_line == (False, False)
        assert table.plain_arrival == (True, True)
        assert table.resolve == (True, True)  # resolution 0.85 and 0.75
        assert table.plain_talk == ((True, True),) * 3

    def test_storm_surge_takes_trunk_lines(self):
        """With ``lines``, a phone call takes a line: not a plain arrival; resolution certain."""
        table = compile_routing(load_scenario(ROOT / "scenarios" / "storm_surge.yaml"))
        assert (table.takes_line, table.plain_arrival, table.resolve) == ((True,), (False,),
                                                                          (False,))
        assert (table.single, table.only) == ((0,), (0,))

    def test_wrap_up_transfer_is_plain_talk_if_quiet(self):
        """A help-desk call may be transferred: plain only where its number says it is not.

        (Its first leg's drawn number decides.) The specialist's talk is always plain.
        """
        table = compile_routing(load_scenario(ROOT / "scenarios" / "wrap_up.yaml"))
        assert table.type_names == ("helpdesk", "specialist")
        assert table.plain_talk == ((PLAIN_IF_QUIET, PLAIN), (PLAIN_IF_QUIET, PLAIN))

    def test_misrouted_talks_are_plain_without_after_call_work(self):
        """A misrouted call's short talk skips a leg's steps, unless a leg may have a wrap-up."""
        refund = load_scenario(ROOT / "scenarios" / "refund_vs_relations.yaml")
        assert compile_routing(refund).plain_misroute is True
        assert compile_routing(refund, fast_paths=False).plain_misroute is False
        assert compile_routing(refund, policy=True).plain_misroute is True  # not routing
        thirty = {"dist": "deterministic", "value": 30}
        wrapped = load_scenario(ROOT / "scenarios" / "refund_vs_relations.yaml",
                                overrides={"contact_types.refund.wrap_up": thirty})
        assert compile_routing(wrapped).plain_misroute is False

    def test_capped_talk_is_never_plain(self):
        """A handle-time cap is a leg's step: never the plain path, even without handoffs."""
        table = compile_routing(load_scenario(ROOT / "scenarios" / "speed_vs_resolution.yaml"))
        assert table.plain_talk == ((LEGS,),) * len(table.group_names)

    def test_blending_and_agent_speeds(self):
        """A backlog is its own step after the skills; it stops the one-group path."""
        table = compile_routing(blended())
        assert table.serving == ((0, 1), (1,), (2,))
        assert table.immediate == ((0,), (1,), (2,))
        assert table.overflow == (((30.0, 1),), (), ())
        assert table.backlog_of == (frozenset(), frozenset({1}), frozenset())
        # the back office's priority 1 is all backlog: its only level is calls, after 30 s
        assert table.levels == ((((0, 0.0),),), (((0, 30.0),),), (((2, 0.0),),))
        assert table.priorities == ((1,), (2,), (1,))
        assert table.backlog == ((), ((1, 0.0),), ())
        assert table.reserve == (0, 1, 0)
        assert table.single == (0, None, 2)
        assert table.only == (0, None, 2)  # emails: answered on arrival, but as a backlog
        assert table.plain_talk == ((True,) * 3, (True,) * 3, (False,) * 3)

    def test_fast_paths_off(self):
        """``fast_paths=False`` clears every fast path, not the per-contact facts."""
        table = compile_routing(blended(lines=2), fast_paths=False)
        assert table.single == table.only == (None,) * 3
        assert table.plain_arrival == (False,) * 3
        assert table.plain_talk == ((False,) * 3,) * 3
        assert table.takes_line == (True,) * 3  # tiny's types are phone calls
        assert table.levels == compile_routing(blended(lines=2)).levels

    def test_policy_clears_the_routing_shortcuts_only(self):
        """With a routing policy, no one-group or one-queue path; plain talks stay."""
        table = compile_routing(blended(), policy=True)
        assert table.single == table.only == (None,) * 3
        assert table.plain_arrival == (True,) * 3
        assert table.plain_talk == compile_routing(blended()).plain_talk

    @pytest.mark.parametrize(("back", "without", "with_rule"), [
        # an overflow after 60 s: calls have one group on arrival, the back no shortcut
        ({"group": "back", "after": 60}, ((0, None), (0,)), ((0, None), (None,))),
        # both answer at once: no one group; the back takes its one queue straight
        ("back", ((0, 0), (None,)), ((0, None), (None,))),
    ])
    def test_a_rule_opened_pair_takes_the_fixed_shortcuts_off(self, back, without, with_rule):
        """A type and a group whose routing a rule changes have no one-group/queue path."""
        rule = {"when": {"queue_length": "calls", "at_least": 4},
                "then": {"overflow": {"group": "back", "types": ["calls"]}}}
        agents = {"pool": {"skills": ["calls"], "staff": 2},
                  "back": {"skills": ["calls"], "staff": 1}}
        routing = {"calls": ["pool", back]}
        table = compile_routing(tiny(agents, routing=routing, rules={"surge": rule}))
        assert table.gated == {(0, 1)}
        assert (table.single, table.only) == with_rule
        table = compile_routing(tiny(agents, routing=routing))
        assert (table.single, table.only) == without

    def test_a_group_listed_twice_is_refused(self):
        """Two steps of one group (which delay holds?) are refused before any compile."""
        with pytest.raises(ScenarioError, match=r"routing.calls\[1\]: agent group 'pool' is "
                                                r"already listed at routing.calls\[0\]"):
            tiny({"pool": {"skills": ["calls"], "staff": 1}},
                 routing={"calls": ["pool", {"group": "pool", "after": 20}]})


class TestRandomTables:
    """On random scenarios the table is consistent with the scenario it came from."""

    @RANDOM
    @given(scenarios())
    def test_consistent(self, data):
        """Routing order, skills by priority, backlog apart; shortcuts only where exact."""
        sc = scenario_from_dict(data)
        table = compile_routing(sc)
        groups = list(sc.agents)
        for t, name in enumerate(table.type_names):
            steps = sc.routes(name)
            assert table.serving[t] == tuple(groups.index(s.group) for s in steps)
            assert table.immediate[t] + tuple(g for _, g in table.overflow[t]) == tuple(
                [groups.index(s.group) for s in steps if s.after == 0]
                + [groups.index(s.group) for s in steps if s.after > 0])
            if table.only[t] is not None:
                assert table.immediate[t] == (table.only[t],)
                assert table.only[t] not in table.backlog_of[t]
        for g, spec in enumerate(sc.agents.values()):
            taken = [t for level in table.levels[g] for t, _ in level]
            backlog = [t for t, _ in table.backlog[g]]
            routed = [t for t in range(len(table.type_names)) if g in table.serving[t]]
            assert sorted(taken + backlog) == routed
            assert all(g in table.backlog_of[t] for t in backlog)
            names = table.type_names
            assert table.priorities[g] == tuple(sorted(table.priorities[g]))
            for level, priority in zip(table.levels[g], table.priorities[g]):
                assert {spec.skills[names[t]] for t, _ in level} == {priority}
            if table.single[g] is not None:
                assert table.levels[g] == (((table.single[g], 0.0),),) and not backlog


class TestRoutingTableCache:
    def test_one_table_per_scenario_object(self):
        """The same object gets the same table; an equal copy its own, freed with it."""
        sc = load_scenario(ROOT / "scenarios" / "small_bank.yaml")
        assert routing_table(sc) is routing_table(sc)
        copy = sc.model_copy()
        assert routing_table(copy) is not routing_table(sc)
        assert routing_table(copy) == routing_table(sc)
        key = id(copy)
        del copy
        gc.collect()
        assert key not in _tables


def test_import_loads_no_heavy_library():
    """The compile step is pure Python: importing it loads neither SimPy nor numpy & co."""
    script = ("import sys, sim.routing_table\n"
              "print(' '.join(m for m in ('simpy', 'numpy', 'pandas', 'scipy') "
              "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == []
