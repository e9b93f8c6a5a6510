"""After-call work (wrap-up) and conference transfers (issue 16, section 4).

Exact traces on hand-made contacts (who was busy when), the M/G/1 mean wait of
Pollaczek-Khinchine where the service is talk + wrap-up, Little's law with both agents
busy in a conference, and the records every path must agree on. Statistical tolerances
are 4 standard errors of the mean over independent replications (or independent keyed
draws): a false alarm has probability under 1e-4 per check, and each such test also
asserts that the tolerance tells the right value from the wrong one it guards against.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.contacts import ContactDraws
from sim.engine import run_replication
from sim.frames import contacts_frame, legs_frame
from sim.records import ANSWERED

DET = "deterministic"


def within_4_se(name: str, values, theory: float, wrong: tuple[float, ...] = ()) -> None:
    """The mean of ``values`` (independent) is within 4 standard errors of ``theory``."""
    values = np.asarray(values, dtype=float)
    mean, se = values.mean(), values.std(ddof=1) / np.sqrt(values.size)
    assert abs(mean - theory) <= 4 * se, f"{name}: {mean:.4g} ± {se:.3g} (SE), theory {theory:.4g}"
    for other in wrong:
        assert abs(mean - other) > 4 * se, f"{name}: cannot tell {theory:.4g} from {other:.4g}"


def one_agent(wrap_up: dict | None, staff: int = 1, rate: str = "24/h",
              handle: dict | None = None, **extra) -> sim.Scenario:
    """One phone queue and one agent (or ``staff``), open all day; ``wrap_up`` after calls."""
    calls: dict = {"arrivals": {"rate": rate},
                   "handle": handle or {"dist": "exponential", "mean": 60}}
    if wrap_up is not None:
        calls["wrap_up"] = wrap_up
    return sim.scenario_from_dict({"name": "one agent", "interval": "1h", **extra,
                                   "contact_types": {"calls": calls},
                                   "agents": {"agent": {"skills": ["calls"], "staff": staff}}})


def given(arrival: list[float], handle: list[float]) -> ContactDraws:
    """Hand-made contacts of the first contact type, never abandoning."""
    n = len(arrival)
    return ContactDraws(arrival=np.array(arrival, float), contact_type=np.zeros(n, np.int16),
                        handle=np.array(handle, float), patience=np.full(n, np.inf))


def both_paths(scenario: sim.Scenario, draws: ContactDraws | None = None, seed: int = 0):
    """Records of the fast and the general path, which must be the same."""
    fast = run_replication(scenario, seed, draws=draws)
    slow = run_replication(scenario, seed, draws=draws, fast_paths=False)
    for name in ("answer", "end", "wait", "talk", "state", "agent", "wrap_up"):
        a, b = getattr(fast, name), getattr(slow, name)
        assert (a is None and b is None) or np.array_equal(a, b, equal_nan=True), name
    assert fast.legs.keys() == slow.legs.keys()
    for name, column in fast.legs.items():
        assert np.array_equal(column, slow.legs[name], equal_nan=True), f"legs.{name}"
    return fast


class TestWrapUpTrace:
    def test_agent_busy_until_wrap_up_ends(self):
        """A call at 10 s waits for the first call's talk (20 s) and wrap-up (30 s): 40 s."""
        records = both_paths(one_agent({"dist": DET, "value": 30}),
                             given([0.0, 10.0], [20.0, 20.0]))
        assert records.answer.tolist() == [0.0, 50.0]
        assert records.end.tolist() == [20.0, 70.0]  # the customer leaves when talk ends
        assert records.wait.tolist() == [0.0, 40.0]
        assert records.talk.tolist() == [20.0, 20.0]  # the customer's handle: no wrap-up
        assert records.wrap_up.tolist() == [30.0, 30.0]

    def test_trunk_line_freed_when_the_customer_hangs_up(self):
        """With one line, a call at 25 s (first caller gone at 20 s) is not blocked: it waits."""
        records = both_paths(one_agent({"dist": DET, "value": 30}, lines=1),
                             given([0.0, 25.0], [20.0, 20.0]))
        assert records.state.tolist() == [ANSWERED, ANSWERED]
        assert records.wait.tolist() == [0.0, 25.0]

    def test_no_wrap_up_no_column(self):
        """Without wrap-up the records carry none (what bundled scenarios record is unchanged)."""
        records = run_replication(one_agent(None), 0, draws=given([0.0], [20.0]))
        assert records.wrap_up is None
        table = contacts_frame(records, one_agent(None), 0)
        assert table["wrap_up"].tolist() == [0.0]

    def test_wrap_up_is_per_leg_of_the_queue_answered(self):
        """A cold transfer: each agent wraps up after its own leg, as the leg's queue says."""
        scenario = sim.scenario_from_dict({
            "name": "two legs", "interval": "1h",
            "contact_types": {
                "sales": {"arrivals": {"rate": "1/h"}, "handle": {"dist": DET, "value": 20},
                          "wrap_up": {"dist": DET, "value": 5},
                          "transfer": {"probability": 1.0, "to": "support"}},
                "support": {"arrivals": {"rate": 0}, "handle": {"dist": DET, "value": 40},
                            "wrap_up": {"dist": DET, "value": 7}}},
            "agents": {"front": {"skills": ["sales"], "staff": 1},
                       "back": {"skills": ["support"], "staff": 1}}})
        records = both_paths(scenario, given([0.0], [20.0]))
        assert records.legs["wrap_up"].tolist() == [5.0, 7.0]
        assert records.wrap_up.tolist() == [12.0]
        assert records.talk.tolist() == [60.0]


class TestWrapUpTheory:
    def test_mg1_wait_with_exponential_talk_and_constant_wrap_up(self):
        """M/G/1: the mean wait is Pollaczek-Khinchine's with service = talk + wrap-up.

        lambda = 1/150 s, talk exponential (mean 60 s), wrap-up 30 s: rho = 0.6,
        E[S^2] = 60^2 + 90^2, Wq = lambda E[S^2] / (2 (1 - rho)) = 97.5 s (Kleinrock,
        Queueing Systems I, eq. 5.72). The wrong models it guards against: wrap-up not
        holding the agent (M/M/1 with mean 60 s: 40 s), or service taken as exponential
        with the total mean (M/M/1 with mean 90 s: 135 s). Occupancy includes the wrap-up
        (rho = 0.6, not 0.4); AHT does not (60 s, not 90 s).
        """
        scenario = one_agent({"dist": DET, "value": 30}, warmup="1h")
        result = sim.run(scenario, seed=3, replications=20)
        per = result.replications
        within_4_se("asa", per["asa"], 97.5, wrong=(40.0, 135.0))
        within_4_se("occupancy", per["occupancy"], 0.6, wrong=(0.4,))
        within_4_se("aht", per["aht"], 60.0, wrong=(90.0,))

    def test_wrap_up_drawn_per_customer_whatever_the_staffing(self):
        """Common random numbers: each contact's wrap-up is the same with 1 or 3 agents."""
        draws = {"dist": "exponential", "mean": 30}
        one = run_replication(one_agent(draws), 4)
        three = run_replication(one_agent(draws, staff=3), 4)
        assert one.wrap_up.size == three.wrap_up.size > 400
        assert np.array_equal(one.wrap_up, three.wrap_up)
        assert not np.array_equal(one.wait, three.wait)  # the waits did change
        within_4_se("wrap-up", one.wrap_up, 30.0)


def conference_center(conference: dict, wrap_up: dict | None = None, rate: str = "1/h",
                      back_staff: int = 1, speeds: tuple[float, float] = (1.0, 1.0)
                      ) -> sim.Scenario:
    """Sales transfers every call to support in a conference; one front agent."""
    sales: dict = {"arrivals": {"rate": rate}, "handle": {"dist": "exponential", "mean": 60},
                   "transfer": {"probability": 1.0, "to": "support", "mode": "conference",
                                "conference": conference}}
    if wrap_up is not None:
        sales["wrap_up"] = wrap_up
    return sim.scenario_from_dict({
        "name": "conference", "interval": "1h",
        "contact_types": {
            "sales": sales,
            "support": {"arrivals": {"rate": 0}, "handle": {"dist": DET, "value": 100}}},
        "agents": {"front": {"skills": ["sales"], "staff": 3, "speed": speeds[0]},
                   "back": {"skills": ["support"], "staff": back_staff, "speed": speeds[1]}}})


class TestConference:
    def test_both_agents_busy_for_the_conference(self):
        """Talk 60 s, a 45 s three-way talk, then 100 s with support; front wraps up 10 s."""
        scenario = conference_center({"dist": DET, "value": 45}, {"dist": DET, "value": 10})
        records = both_paths(scenario, given([0.0], [60.0]))
        legs = records.legs
        assert legs["answered"].tolist() == [0.0, 60.0]
        assert legs["ended"].tolist() == [105.0, 205.0]  # front leaves after the conference
        assert legs["wrap_up"].tolist() == [10.0, 0.0]
        assert records.talk.tolist() == [205.0]  # 60 + 45 + 100: the conference counted once
        assert records.end.tolist() == [205.0]

    @pytest.mark.parametrize(("speeds", "ended"), [((2.0, 1.0), [52.5, 152.5]),
                                                   ((1.0, 2.0), [105.0, 155.0])])
    def test_conference_at_the_transferring_agents_speed(self, speeds, ended):
        """The first agent leads the three-way talk: its speed divides it, as its own talk.

        Front at speed 2: talk 30 s, three-way 22.5 s, then support's 100 s. Support at
        speed 2: front talks 60 s and 45 s three-way, then support's 100 / 2 s.
        """
        scenario = conference_center({"dist": DET, "value": 45}, speeds=speeds)
        records = both_paths(scenario, given([0.0], [60.0]))
        assert records.legs["ended"].tolist() == ended
        assert records.talk.tolist() == [ended[1]]  # the conference counted once

    def test_conference_waits_for_the_second_agent(self):
        """The front agent holds the line until support answers, then talks 45 s with both."""
        scenario = conference_center({"dist": DET, "value": 45})
        records = both_paths(scenario, given([0.0, 1.0], [60.0, 70.0]))
        table = legs_frame(records, 0).sort_values(["contact_id", "answered"])
        first, second = (table.groupby("contact_id").nth(k).set_index("contact_id")
                         for k in (0, 1))
        # the second caller reaches support at 71 s, while it talks to the first until 205 s
        assert second["answered"].tolist() == [60.0, 205.0]
        assert (first["ended"] - second["answered"]).tolist() == [45.0, 45.0]

    def test_conference_length_and_customer_talk(self):
        """Overlaps of the two agents' legs are the drawn conference times (mean 45 s).

        The customer talks to the first agent until transferred, then for the
        conference and the second agent's talk: handle = (second leg enqueued - first
        leg answered) + (second leg ended - second leg answered).
        """
        scenario = conference_center({"dist": "exponential", "mean": 45}, rate="20/h",
                                     back_staff=2)
        records = both_paths(scenario, seed=2)
        table = legs_frame(records, 0).sort_values(["contact_id", "answered"])
        table = table[table["contact_id"] >= 0]
        first = table.groupby("contact_id").nth(0).set_index("contact_id")
        second = table.groupby("contact_id").nth(1).set_index("contact_id")
        first = first.loc[second.index]
        overlap = (first["ended"] - second["answered"]).to_numpy()
        assert overlap.size > 300 and (overlap > 0).all()
        within_4_se("conference", overlap, 45.0)
        talk = records.talk[second.index.to_numpy()]
        expected = ((second["enqueued"] - first["answered"])
                    + (second["ended"] - second["answered"])).to_numpy()
        np.testing.assert_allclose(talk, expected, rtol=1e-12)

    def test_littles_law_with_wrap_up_and_conference(self):
        """Sampled busy agents = agent-seconds on legs and wrap-ups / span (L = lambda W).

        The busy count comes from the engine's floor (agents on duty and not idle), the
        right-hand side from the legs: both agents of a conference and an agent wrapping
        up are busy. Over a run from empty to empty the two agree up to sampling noise.
        """
        scenario = conference_center({"dist": "exponential", "mean": 45},
                                     {"dist": "exponential", "mean": 20}, rate="40/h",
                                     back_staff=2)
        result = sim.run(scenario, seed=5, replications=8, trace_every=5.0)
        diffs, wrapping = [], []
        for trace, (_, legs) in zip(result.traces, result.legs.groupby("replication")):
            span = trace["time"].iloc[-1] + 5.0
            busy = trace[[c for c in trace if c.startswith("busy.")]].sum(axis=1).mean()
            talked = legs[legs["answered"].notna()]
            on_legs = (talked["ended"] - talked["answered"]).sum()
            diffs.append(busy - (on_legs + talked["wrap_up"].sum()) / span)
            wrapping.append(talked["wrap_up"].sum() / span)
        # were agents free during wrap-ups, busy would fall short by the wrap-ups' share
        within_4_se("busy - lambda W", diffs, 0.0, wrong=(-float(np.mean(wrapping)),))


class TestValidation:
    @pytest.mark.parametrize(("transfer", "reason"), [
        ({"probability": 1, "to": "b", "mode": "conference"}, "needs 'conference'"),
        ({"probability": 1, "to": "b", "mode": "warm", "conference": {"dist": DET, "value": 3}},
         "got mode 'warm'"),
    ])
    def test_conference_time_with_conference_only(self, transfer, reason):
        """A conference needs its three-way talk time, and only a conference has one."""
        with pytest.raises(ValueError, match=reason):
            sim.scenario_from_dict({
                "name": "x", "contact_types": {
                    "a": {"arrivals": {"rate": 1}, "handle": {"dist": DET, "value": 1},
                          "transfer": transfer},
                    "b": {"arrivals": {"rate": 1}, "handle": {"dist": DET, "value": 1}}},
                "agents": {"p": {"skills": ["a", "b"], "staff": 1}}})


class TestPlanning:
    def test_erlang_start_counts_wrap_up_as_agent_time(self):
        """Erlang C staffing takes handle + wrap-up, as a 90 s handle time without wrap-up."""
        from sim.plots.service import erlang_requirement as figure_requirement
        from sim.staffing import Goal, erlang_requirement

        wrapped = one_agent({"dist": DET, "value": 30}, rate="200/h")
        longer = one_agent(None, rate="200/h", handle={"dist": "exponential", "mean": 90})
        talk_only = one_agent(None, rate="200/h")
        goal = Goal(0.8, 20.0)
        need = erlang_requirement(wrapped, goal)
        assert np.array_equal(need, erlang_requirement(longer, goal))
        assert (need > erlang_requirement(talk_only, goal)).all()
        assert np.array_equal(figure_requirement(wrapped), figure_requirement(longer))


class TestFigures:
    def test_animation_shows_after_call_work(self):
        """The film's seats show the one agent in after-call work for 30 s after each call."""
        from sim.animate import _wrap_ups

        result = sim.run(one_agent({"dist": DET, "value": 30}), seed=1, replications=1)
        answered = result.contacts[result.contacts["answered"]]
        wraps = _wrap_ups(result, 0)["agent"]
        assert (wraps.count(answered["end"].to_numpy() + 15.0) == 1).all()
        assert (wraps.count(answered["answer"].to_numpy() + 1e-6) == 0).all()  # talking
        assert _wrap_ups(sim.run(one_agent(None), seed=1, replications=1), 0) is None


class TestKeyedDraws:
    def test_each_leg_has_its_own_wrap_up(self):
        """Both agents of a warm or conference transfer draw their own wrap-up (leg keys).

        The first agent wraps up after the second has answered: it must still use its own
        leg's number, not the next leg's (the two would be the same draw).
        """
        for mode, extra in (("warm", {}), ("conference",
                                           {"conference": {"dist": DET, "value": 10}})):
            wrap = {"dist": "exponential", "mean": 30}
            scenario = sim.scenario_from_dict({
                "name": "two wrap-ups", "interval": "1h",
                "contact_types": {
                    "sales": {"arrivals": {"rate": "20/h"}, "handle": {"dist": DET, "value": 20},
                              "wrap_up": wrap, "transfer": {"probability": 1.0, "to": "support",
                                                            "mode": mode, **extra}},
                    "support": {"arrivals": {"rate": 0}, "handle": {"dist": DET, "value": 40},
                                "wrap_up": wrap}},
                "agents": {"front": {"skills": ["sales"], "staff": 2},
                           "back": {"skills": ["support"], "staff": 2}}})
            table = legs_frame(both_paths(scenario, seed=1), 0)
            table = table.sort_values(["contact_id", "answered"])
            first = table.groupby("contact_id").nth(0)["wrap_up"].to_numpy()
            second = table.groupby("contact_id").nth(1)["wrap_up"].to_numpy()
            assert first.size > 300
            assert not np.isin(first, second).any(), mode
