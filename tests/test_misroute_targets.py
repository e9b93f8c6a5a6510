"""A caller who picks the wrong option in the phone menu reaches another queue callers dial.

By default a misroute went to any other contact type: a mixed center sent phone calls
into its social-media posts queue (174 in an outside check's scenario) and into desks
only agents reach (a consult-only fraud desk). The default is now the other types of the
same channel with arrivals of their own; ``misroute_to`` still names any.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.journey import compile_types
from sim.plan_evaluation import Goal
from sim.scenario_contacts import misroute_targets
from sim.staffing_start import erlang_requirement


def _center(misroute_to: list[str] | None = None) -> dict:
    ivr = {"time": {"dist": "deterministic", "value": 20}, "misroute": 0.3}
    if misroute_to is not None:
        ivr["misroute_to"] = misroute_to
    calls = {"handle": {"dist": "exponential", "mean": 180},
             "patience": {"dist": "exponential", "mean": 300}}
    return {"name": "mixed", "days": 1, "open": "08:00", "close": "12:00", "interval": "1h",
            "contact_types": {
                "a": {"arrivals": {"rate": "60/h"}, "ivr": ivr, **calls},
                "b": {"arrivals": {"rate": "40/h"}, **calls},
                "posts": {"channel": "social", "arrivals": {"rate": "20/h"}, **calls},
                "fraud": {"arrivals": {"rate": 0}, **calls}},
            "agents": {"team": {"skills": ["a", "b", "posts", "fraud"], "staff": 8}}}


def test_the_default_is_the_other_phone_queues_callers_dial():
    scenario = sim.scenario_from_dict(_center())
    assert misroute_targets(scenario.contact_types, "a") == ["b"]
    plans = compile_types(scenario)
    assert plans[0].ivr.wrong_queues == [1]  # (b's index)
    legs = sim.run(scenario, seed=4).legs
    wrong = legs[legs["reason"] == "misroute"]
    assert len(wrong) > 20 and set(wrong["queue"].astype(str)) == {"b"}


def test_misroute_to_still_names_any_queue():
    scenario = sim.scenario_from_dict(_center(["posts", "fraud"]))
    assert misroute_targets(scenario.contact_types, "a") == ["posts", "fraud"]
    legs = sim.run(scenario, seed=4).legs
    wrong = legs[legs["reason"] == "misroute"]
    assert set(wrong["queue"].astype(str)) == {"posts", "fraud"}


def test_the_staffing_start_sends_them_where_the_engine_does():
    """The Erlang start counts a misroute's talk in b's queue only (as the engine)."""
    plain = sim.scenario_from_dict(_center())
    named = sim.scenario_from_dict(_center(["b"]))
    goal = Goal(0.8, 20.0)
    assert np.array_equal(erlang_requirement(plain, goal), erlang_requirement(named, goal))


def test_a_misroute_with_no_queue_to_go_to_is_refused():
    """One phone queue beside a chat desk, or a desk reached only by transfer: no default.

    The misroutes were dropped without a word, ``ccsim validate`` saying ok (found in
    review); now one line names ``ivr.misroute`` (misroute_to names a queue).
    """
    for other in ({"channel": "chat", "arrivals": {"rate": "30/h"}}, {"arrivals": {"rate": 0}},
                  {"arrivals": {"rate": "30/h", "day_factors": [0]}}):
        data = _center()
        data["contact_types"] = {"a": data["contact_types"]["a"],
                                 "b": {**data["contact_types"]["b"], **other}}
        data["agents"]["team"]["skills"] = ["a", "b"]
        with pytest.raises(sim.ScenarioError) as refused:
            sim.scenario_from_dict(data)
        assert refused.value.lines()[-1].endswith(
            "contact_types.a.ivr.misroute: no other phone queue with arrivals of its own to "
            "send a wrong pick to: name one in misroute_to"), refused.value.lines()
        data["contact_types"]["a"]["ivr"]["misroute_to"] = ["b"]  # named: as asked
        assert sim.scenario_from_dict(data).contact_types["a"].ivr.misroute_to == ("b",)
