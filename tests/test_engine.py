"""Engine: exact traces on tiny hand-made scenarios (who was served when, by whom)."""

import gc
import math
import weakref
from pathlib import Path

import numpy as np
import pytest
from helpers import replay, tiny
from test_invariants import trace_queue_problems

import sim
from sim import engine
from sim.floor import Floor
from sim.records import ABANDONED, ANSWERED, BLOCKED, OUTCOMES

NAN = math.nan
EXP_1M = {"dist": "exponential", "mean": "1m"}


def answers(records):
    return [None if math.isnan(a) else a for a in records.answer.tolist()]


class TestQueueing:
    def test_single_agent_fcfs(self):
        """One agent serves contacts in arrival order, back to back."""
        rec = replay(tiny({"a": {"skills": ["calls"], "staff": 1}}),
                     [(0, 0, 30), (10, 0, 30), (20, 0, 30)])
        assert answers(rec) == [0, 30, 60]
        assert rec.end.tolist() == [30, 60, 90]
        assert set(rec.agent.tolist()) == {0}
        assert rec.state.tolist() == [ANSWERED] * 3

    def test_lazy_abandonment_is_exact(self):
        """A caller whose patience runs out abandons at that moment; the next one is served."""
        rec = replay(tiny({"a": {"skills": ["calls"], "staff": 1}}),
                     [(0, 0, 100), (10, 0, 30, 50), (20, 0, 30, 200)])
        assert rec.state.tolist() == [ANSWERED, ABANDONED, ANSWERED]
        assert rec.end[1] == 60.0  # 10 + patience 50, not when the agent got to it
        assert answers(rec) == [0, None, 100]

    def test_patience_equal_to_wait_abandons(self):
        """A caller whose patience ends exactly when an agent frees up has gone."""
        rec = replay(tiny({"a": {"skills": ["calls"], "staff": 1}}),
                     [(0, 0, 100), (10, 0, 30, 90)])
        assert rec.state[1] == ABANDONED

    def test_longest_idle_agent_answers(self):
        """An arriving contact goes to the agent idle the longest."""
        rec = replay(tiny({"a": {"skills": ["calls"], "staff": 2}}),
                     [(0, 0, 50), (1, 0, 10), (60, 0, 5)])
        assert rec.agent[0] != rec.agent[1]
        assert rec.agent[2] == rec.agent[1]  # idle since 11, the other since 50

    def test_longest_idle_across_groups(self):
        """Between two groups that may both answer, the longest-idle agent wins."""
        sc = tiny({"x": {"skills": ["calls"], "staff": 1}, "y": {"skills": ["calls"], "staff": 1}})
        rec = replay(sc, [(0, 0, 50), (1, 0, 10), (60, 0, 5)])
        assert rec.group[2] == rec.group[1]


def priority_transfers(policy: dict | None, y_staff: int) -> sim.Scenario:
    """Group x answers ``a``, y after 30 s; z's ``b`` are all transferred to ``a`` first in line."""
    det = {"dist": "deterministic", "value": 60}
    data = {"name": "priority", "days": 1, "interval": "1h",
            "contact_types": {
                "a": {"arrivals": {"rate": "1/h"}, "handle": det},
                "b": {"arrivals": {"rate": "1/h"}, "handle": det,
                      "transfer": {"probability": 1.0, "to": "a", "priority": True}}},
            "agents": {"x": {"skills": ["a"], "staff": 1}, "y": {"skills": ["a"], "staff": y_staff},
                       "z": {"skills": ["b"], "staff": 2}},
            "routing": {"a": ["x", {"group": "y", "after": "30s"}]}}
    if policy:
        data["routing_policy"] = policy
    return sim.scenario_from_dict(data)


class TestSkills:
    def test_priority_beats_waiting_time(self):
        """A freed agent takes its priority-1 skill first, even if priority 2 waited longer."""
        sc = tiny({"g": {"skills": {"cards": 1, "billing": 2}, "staff": 1}},
                  types=("billing", "cards"))
        rec = replay(sc, [(0, 1, 100), (10, 0, 20), (20, 1, 20)])
        assert answers(rec) == [0, 120, 100]

    def test_same_priority_longest_waiting(self):
        """Among skills of equal priority, the contact that waited longest goes first."""
        sc = tiny({"g": {"skills": ["billing", "cards"], "staff": 1}}, types=("billing", "cards"))
        rec = replay(sc, [(0, 1, 100), (10, 0, 20), (20, 1, 20)])
        assert answers(rec) == [0, 100, 120]

    def test_overflow_after_delay(self):
        """An overflow group takes a contact only once it has waited `after` seconds."""
        sc = tiny({"team": {"skills": ["calls"], "staff": 1},
                   "gen": {"skills": ["calls"], "staff": 1}},
                  routing={"calls": ["team", {"group": "gen", "after": "60s"}]})
        rec = replay(sc, [(0, 0, 1000), (10, 0, 30)])
        assert rec.group.tolist() == [0, 1]
        assert rec.answer[1] == 70.0

    def test_overflow_group_busy_then_pulls(self):
        """A busy overflow group pulls the waiting contact when it frees up."""
        sc = tiny({"team": {"skills": ["calls"], "staff": 1},
                   "gen": {"skills": ["calls", "other"], "staff": 1}},
                  types=("calls", "other"),
                  routing={"calls": ["team", {"group": "gen", "after": "60s"}]})
        rec = replay(sc, [(0, 0, 1000), (1, 1, 150), (10, 0, 30)])
        assert answers(rec) == [0, 1, 151]
        assert rec.group[2] == 1

    def test_overflow_not_before_delay_when_freed(self):
        """An overflow agent freed before the delay waits for it, then answers."""
        sc = tiny({"team": {"skills": ["calls"], "staff": 1},
                   "gen": {"skills": ["calls", "other"], "staff": 1}},
                  types=("calls", "other"),
                  routing={"calls": ["team", {"group": "gen", "after": "60s"}]})
        rec = replay(sc, [(0, 0, 1000), (1, 1, 20), (10, 0, 30)])
        assert rec.answer[2] == 70.0

    @pytest.mark.parametrize("policy", [None, {"agent": "fastest_first"}])
    def test_overflow_behind_a_priority_transfer(self, policy):
        """Transfers put at the head of the queue do not keep the overflow group idle.

        x answers a0 (0-40); a1 waits from 1; two b (5-25) are transferred to a with
        priority, both ahead of a1 (at the same moment). y may take a from 30 s: a1 at 31
        (the b only at 55). x takes the b at 40 and 100; a3 and a4 find y busy with a1.
        Before, y answered nobody all day: a1's overflow found a b at the head and, once
        the b were gone, no other contact's overflow found itself at the head.
        """
        rec = replay(priority_transfers(policy, y_staff=1),
                     [(0, 0, 40), (1, 0, 1000), (5, 1, 20), (5, 1, 20), (50, 0, 10), (60, 0, 10)])
        assert answers(rec) == [0, 31, 5, 5, 160, 170]
        assert [rec.group_names[g] for g in rec.group] == ["x", "y", "x", "x", "x", "x"]

    @pytest.mark.parametrize("policy", [None, {"agent": "fastest_first"}])
    def test_transfers_jumping_together_overflow_together(self, policy):
        """Two transfers put at the head at one moment both go to y's two idle agents.

        x is busy all along; two b (5-25) are transferred to a with priority; at 55 both
        are due for y. Before, the first one's overflow gave y the other (at the head),
        whose own overflow then found it answered: the first waited on beside y's second
        agent, idle, until y's first was free again at 115.
        """
        rec = replay(priority_transfers(policy, y_staff=2), [(0, 0, 1000), (5, 1, 20), (5, 1, 20)])
        second = rec.legs["queue"] == 0
        assert sorted(rec.legs["answered"][second].tolist()) == [0, 55, 55]
        assert [rec.group_names[g] for g in rec.group] == ["x", "y", "y"]


class TestStaffing:
    def test_new_agents_arrive_at_interval(self):
        """A second agent joining at the next interval answers the waiting contact then."""
        sc = tiny({"a": {"skills": ["calls"], "staff": [1, 2]}}, close="02:00")
        rec = replay(sc, [(0, 0, 4000), (10, 0, 100)])
        assert rec.answer[1] == 3600.0

    def test_leaving_agents_finish_their_calls(self):
        """Staff cuts never cut calls; the leaver goes after its call, the queue waits."""
        sc = tiny({"a": {"skills": ["calls"], "staff": [2, 1]}}, close="02:00")
        rec = replay(sc, [(0, 0, 5000), (1, 0, 5000), (3700, 0, 10)])
        assert rec.end[:2].tolist() == [5000.0, 5001.0]
        assert rec.answer[2] == 5001.0  # not 5000: that agent went home

    def test_call_ending_with_the_shift_is_the_last(self):
        """A call that ends the very instant staff drops is the agent's last one."""
        sc = tiny({"a": {"skills": ["calls"], "staff": [0, 1, 0]}}, close="03:00")
        rec = replay(sc, [(3600, 0, 3600), (3700, 0, 600)])
        assert rec.end[0] == 7200.0
        assert rec.state[1] != ANSWERED  # nobody was on duty after 02:00
        assert rec.staff_time[-1] == 7200.0 and rec.staff_count[-1] == 0

    def test_arrival_at_opening_finds_the_agents(self):
        """A caller arriving the instant agents come on duty is answered at once."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}}, open="08:00", close="09:00")
        rec = replay(sc, [(8 * 3600, 0, 60, 0.0)])  # patience 0: would abandon if kept waiting
        assert rec.state.tolist() == [ANSWERED]
        assert rec.answer[0] == 8 * 3600

    def test_queue_at_close_is_served(self):
        """Contacts waiting at closing time are still answered."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}}, close="01:00")
        rec = replay(sc, [(0, 0, 4000), (3500, 0, 60)])
        assert answers(rec) == [0, 4000]
        # the agent left when the queue was empty
        assert rec.staff_count.tolist()[-1] == 0 and rec.staff_time[-1] == 4060.0

    @pytest.mark.parametrize("policy", [None, {"agent": "random"}])
    def test_overflow_due_after_closing_is_served(self, policy):
        """A contact waiting at closing, due for its only group 20 s later, is answered then.

        ``a``'s one routing step has ``after: 30s``; it arrives at 08:59:50, g's agent
        idle. Before, g's agent went home at 09:00 (nothing it might take *yet*) and the
        contact waited for ever (``unanswered``); now it comes back for it, as agents
        come back for work that reaches a closed center's queues.
        """
        data = {"name": "closing", "days": 1, "open": "08:00", "close": "09:00",
                "interval": "1h",
                "contact_types": {"a": {"arrivals": {"rate": "1/h"}, "handle": EXP_1M}},
                "agents": {"g": {"skills": ["a"], "staff": 1}},
                "routing": {"a": [{"group": "g", "after": "30s"}]}}
        if policy:
            data["routing_policy"] = policy
        rec = replay(sim.scenario_from_dict(data), [(9 * 3600 - 10, 0, 100)])
        assert answers(rec) == [9 * 3600 + 20]
        assert rec.state.tolist() == [ANSWERED]

    def test_no_staff_means_abandon(self):
        """With nobody on duty, a patient caller waits and an impatient one abandons."""
        sc = tiny({"a": {"skills": ["calls"], "staff": [0, 1]}}, close="02:00")
        rec = replay(sc, [(10, 0, 5, 100), (20, 0, 5)])
        assert rec.state.tolist() == [ABANDONED, ANSWERED]
        assert rec.answer[1] == 3600.0

    def test_staff_log_integrates_to_agent_hours(self):
        """The staff log records every agent on and off duty."""
        sc = tiny({"a": {"skills": ["calls"], "staff": [3, 1]}}, close="02:00")
        rec = replay(sc, [(0, 0, 10)])
        times, counts = rec.staff_time, rec.staff_count
        area = float(np.sum(np.diff(times) * counts[:-1]))
        assert area == pytest.approx(3 * 3600 + 1 * 3600)


class TestLines:
    def test_busy_signal_when_all_lines_taken(self):
        """With 2 lines, a third simultaneous caller gets a busy signal."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}}, lines=2)
        rec = replay(sc, [(0, 0, 100), (1, 0, 10), (2, 0, 10), (150, 0, 10)])
        assert rec.state.tolist() == [ANSWERED, ANSWERED, BLOCKED, ANSWERED]

    def test_abandoned_caller_frees_line(self):
        """A caller who hung up no longer holds a line, even before anyone looks at the queue."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}}, lines=2)
        rec = replay(sc, [(0, 0, 100), (1, 0, 10, 5), (10, 0, 10)])
        assert rec.state.tolist() == [ANSWERED, ABANDONED, ANSWERED]

    def test_an_abandonment_without_lines_releases_none(self, monkeypatch):
        """Without trunk lines an abandoning caller holds no line: nothing is released.

        ``Floor._abandon`` called ``_release_line`` for every abandonment, a call for
        nothing where the scenario has no lines. Nobody on duty here: both callers abandon,
        and nothing else (no answer, no IVR) would release a line.
        """
        released = []
        monkeypatch.setattr(Floor, "_release_line", lambda self, c: released.append(c))
        rec = replay(tiny({"a": {"skills": ["calls"], "staff": 0}}),
                     [(0, 0, 10, 5), (1, 0, 10, 5)])
        assert rec.state.tolist() == [ABANDONED, ABANDONED]
        assert released == []


class TestTrace:
    def test_queue_and_busy_samples(self):
        """The tracer sees the queue and busy agents as they were at each sample time."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}})
        rec = replay(sc, [(0, 0, 100), (10, 0, 30), (20, 0, 30, 15)], trace_every=25)
        t = rec.trace["time"].tolist()
        q = dict(zip(t, rec.trace["queue.calls"].tolist()))
        busy = dict(zip(t, rec.trace["busy.a"].tolist()))
        assert q[25] == 2  # callers 2 and 3 wait
        assert q[50] == 1  # caller 3 hung up at 35 (lazily removed, but not counted)
        assert q[125] == 0 and busy[125] == 1  # caller 2 talks from 100 to 130
        assert busy[150] == 0

    def test_a_post_answered_twice_waits_once(self):
        """A post an uncoordinated team answers twice is one contact waiting, not two.

        Its second answer is a work item in the same queue (a leg of its own, reason
        ``duplicate``), not a contact: posts at 0, 10 and 20 (95 s each, one agent) wait
        from arrival to their own answer at 95, 285 and 475; each one's second answer is
        taken first (0, 190, 380) and is not counted.
        """
        sc = sim.scenario_from_dict({
            "name": "posts", "days": 1, "interval": "1h",
            "contact_types": {"posts": {"channel": "social", "arrivals": {"rate": "1/h"},
                                        "handle": {"dist": "deterministic", "value": 95},
                                        "duplicate_answers": 1.0}},
            "agents": {"team": {"skills": ["posts"], "staff": 1}}})
        rec = replay(sc, [(0, 0, 95), (10, 0, 95), (20, 0, 95)], trace_every=50)
        q = dict(zip(rec.trace["time"].tolist(), rec.trace["queue.posts"].tolist()))
        assert [q[t] for t in range(50, 550, 50)] == [3, 2, 2, 2, 2, 1, 1, 1, 1, 0]

    def test_queue_lengths_are_the_legs_waiting(self):
        """At every sample, each queue holds the queue visits the legs say were waiting.

        social_backlash: posts answered twice, consults called off when customers hang up
        on hold, complaints (how the legs are counted: ``trace_queue_problems``).
        """
        sc = sim.load_scenario(Path(__file__).parents[1] / "scenarios" / "social_backlash.yaml",
                               overrides={"days": 1})
        rec = engine.run_replication(sc, seed=5, trace_every=60.0)
        outcome = np.array(OUTCOMES)[rec.state]
        assert not np.isin(outcome, ["unanswered", "unfinished"]).any()  # every visit has a leg
        for name in rec.type_names:  # (not a trace of empty queues)
            assert rec.trace[f"queue.{name}"].max() > 0, name
        assert trace_queue_problems(rec) == []

    def test_sampling_stops_a_day_after_the_run(self):
        """Talks that outlast the run by years are not sampled every minute until they end.

        The report traces every run (every 60 s): a handle time of 1e8 s (3 years) made
        1.7 million samples, each counting a queue that nobody empties (a handle of 1e9 s
        never finished). Sampling stops a day after the run's end; the records are the
        untraced run's.
        """
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}})
        calls = [(0, 0, 1e8), (10, 0, 30, 600), (20, 0, 30)]
        rec = replay(sc, calls, trace_every=60)
        assert rec.trace["time"][-1] <= engine.DAY + engine.DAY
        assert len(rec.trace["time"]) <= 2 * engine.DAY / 60 + 2
        assert rec.trace["busy.a"][-1] == 1  # still talking when sampling stopped
        assert rec.end.tolist() == replay(sc, calls).end.tolist()


class TestMemory:
    @pytest.mark.parametrize("name", ["erlang_a", "fraud_consult", "storm_surge"])
    def test_replication_freed_without_the_cycle_collector(self, monkeypatch, name):
        """A finished replication leaves no reference cycle: its columns go with its records.

        Otherwise each replication of a long run would stay in memory until Python's
        cycle collector happens to pass (it ran rarely enough to double the peak).
        """
        seen = []
        run = engine._Replication.run

        def watched_run(self):
            seen.append(weakref.ref(self))
            return run(self)

        monkeypatch.setattr(engine._Replication, "run", watched_run)
        scenario = sim.load_scenario(Path(__file__).parents[1] / "scenarios" / f"{name}.yaml",
                                     overrides={"days": 1})
        gc.collect()
        gc.disable()
        try:
            records = engine.run_replication(scenario, seed=1, trace_every=600.0)
            assert records.n > 0
            assert seen[0]() is None
        finally:
            gc.enable()


def test_a_replication_is_freed_when_its_records_are_dropped():
    """The engine's parts refer to each other; once the run is over nothing must keep them.

    With the garbage collector off, the parts (and their columns: hundreds of bytes per
    contact) must go as soon as the records do, not at the next collection: several
    replications in a row would otherwise hold several runs' columns at once (the peak
    memory of bench_engine rose from 167 to 402 bytes per contact when they did).
    """
    import gc
    import weakref

    from sim.contacts import draw_contacts

    root = Path(__file__).resolve().parents[1] / "scenarios"
    with_rule = sim.scenario_from_dict({
        "name": "rule", "days": 1, "interval": "1h",
        "contact_types": {"calls": {"arrivals": {"rate": "60/h"},
                                    "handle": {"dist": "exponential", "mean": 60},
                                    "balking": {"announce": "les", "per_minute": 0.1}}},
        "agents": {"a": {"skills": ["calls"], "staff": 4}, "b": {"skills": ["calls"], "staff": 1}},
        "rules": {"shift": {"when": {"idle_agents": "a", "at_least": 3, "clear_at": 0},
                            "then": {"move": {"agents": 2, "from": "a", "to": "b"}}}}})
    # every bundled scenario and variant (compiled steps keep their scope in a cycle unless
    # released: sim.compiled; every scenario builds them), and one with a rule
    cases = {"rule": with_rule}
    for path in sorted(root.glob("*.yaml")):
        base = sim.load_scenario(path, overrides={"days": 1})
        cases.update({path.stem: base} | {f"{path.stem} [{v}]": sim.variant(base, v)
                                          for v in base.variants})
    for name, scenario in cases.items():
        gc.collect()
        gc.disable()
        try:
            replication = engine._Replication(scenario, draw_contacts(scenario, 1, 0), 1, 0,
                                              None)
            parts = [weakref.ref(p) for p in (replication.floor, replication.journeys,
                                              replication.shifts, replication.book)]
            records = replication.run()
            del replication, records
            assert [p() for p in parts] == [None] * 4, name
        finally:
            gc.enable()


def test_a_view_of_a_column_left_alive_does_not_stop_the_records():
    """A column still viewed at the end of a run is copied, not cut in place: same records.

    CI once stopped a replication with "BufferError: cannot resize an array that is
    exporting buffers" in ``ContactBook._trim`` (a Dask worker, a user's policy): a view
    the collector had not reached yet. The records need only the column's values.
    """
    from golden import records_digest

    from sim.contacts import draw_contacts

    scenario = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                                 / "small_bank.yaml", overrides={"days": 1})
    expected = records_digest(engine.run_replication(scenario, seed=1))
    replication = engine._Replication(scenario, draw_contacts(scenario, 1, 0), 1, 0, None)
    views = [memoryview(replication.book.state), memoryview(replication.book.ctype)]
    assert records_digest(replication.run()) == expected
    assert all(view.nbytes for view in views)
