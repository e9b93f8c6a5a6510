"""Journeys: IVR, misroutes, transfers, consults, escalation, resolution, repeats, retrials.

Exact traces on hand-made contacts where the outcome is determined, and statistics
against theory where it exists (a cold transfer to an infinite-server group adds its
service time; with resolution r and every unresolved issue repeating, contacts per issue
is 1/r), with tolerances from replication confidence intervals.
"""

from pathlib import Path

import numpy as np
import pytest
from helpers import replay, tiny

import sim
from sim import kpis
from sim.contacts import draw_contacts
from sim.engine import _Replication
from sim.frames import contacts_frame, legs_frame, staff_frame
from sim.legs import CONSULT
from sim.metrics import KPIS, replication_summary
from sim.records import ABANDONED, ANSWERED, HUNG_UP, LEG_REASONS, SELF_SERVED
from sim.replicate import half_width

DET = {"dist": "deterministic"}


def det(value):
    return {**DET, "value": value}


def two_departments(**journey):
    """Refunds (type 0) and relations (type 1), one agent each, plus journey options."""
    types = {
        "refunds": {"arrivals": {"rate": "1/h"}, "handle": det(100)},
        "relations": {"arrivals": {"rate": "1/h"}, "handle": det(50)},
    }
    for key, value in journey.items():
        name, option = key.split("__")
        types[name][option] = value
    return sim.scenario_from_dict({
        "name": "two departments", "interval": "1h", "contact_types": types,
        "agents": {"refund_team": {"skills": ["refunds"], "staff": 1},
                   "relations_team": {"skills": ["relations"], "staff": 1}},
    })


class TestIvr:
    def test_self_service_never_reaches_agents(self):
        """A contact solved in the IVR is self-served, resolved, and never offered."""
        sc = two_departments(refunds__ivr={"time": det(30), "self_service": 1.0})
        rec = replay(sc, [(0, 0, 100)])
        assert rec.state[0] == SELF_SERVED and rec.resolved[0] == 1
        assert rec.end[0] == 30.0 and np.isnan(rec.answer[0])

    def test_ivr_time_delays_the_queue(self):
        """Without self-service the contact reaches an agent after the menu time."""
        sc = two_departments(refunds__ivr={"time": det(30)})
        rec = replay(sc, [(0, 0, 100)])
        assert rec.answer[0] == 30.0 and rec.end[0] == 130.0 and rec.wait[0] == 0.0

    def test_misroute_talk_then_transfer(self):
        """A misrouted caller is answered by the wrong team, talked to, then transferred."""
        sc = two_departments(refunds__ivr={"time": det(0), "misroute": 1.0,
                                           "misroute_talk": det(20)})
        rec = replay(sc, [(0, 0, 100), (1, 0, 100)])
        # caller 0: relations answers at 0, talks 20, refunds answers at 20, talks 100
        assert rec.answer[0] == 0.0 and rec.end[0] == 120.0
        assert rec.transfers[0] == 1 and rec.misrouted[0] == 1
        assert rec.group[0] == 0  # ended with the refund team
        # caller 1 waits for relations (busy until 20), then for refunds (busy until 120)
        assert rec.wait[1] == 19.0 and rec.end[1] == 220.0
        legs = legs_frame(rec, 0)
        assert list(legs[legs.contact_id == 0]["reason"]) == ["misroute", "completed"]


class TestTransfers:
    def test_cold_transfer_requeues(self):
        """A cold transfer frees the first agent at once; the customer queues again."""
        sc = two_departments(refunds__transfer={"probability": 1.0, "to": "relations"})
        rec = replay(sc, [(0, 0, 100), (10, 1, 50)])
        # relations takes caller 1 at 10 (until 60); caller 0 is transferred at 100
        assert rec.end[0] == 150.0 and rec.transfers[0] == 1 and rec.group[0] == 1
        assert rec.queue_time[0] == 0.0

    def test_warm_transfer_holds_first_agent(self):
        """A warm transfer keeps the first agent on the line until the second answers."""
        sc = two_departments(refunds__transfer={"probability": 1.0, "to": "relations",
                                                "mode": "warm"})
        # relations is busy with caller 1 from 90 to 140: caller 0 waits from 100 to 140
        rec = replay(sc, [(0, 0, 100), (90, 1, 50), (101, 0, 100)])
        assert rec.answer[1] == 90.0
        assert rec.queue_time[0] == 40.0
        assert rec.answer[2] == 140.0  # the refund agent was on the line until 140

    def test_hang_up_after_a_transfer_is_not_an_abandoned_call(self):
        """Transferred, then tired of waiting in the second queue: answered, then hung up.

        Its last leg is an abandoned one (the legs table); the contact was answered.
        """
        sc = two_departments(refunds__transfer={"probability": 1.0, "to": "relations"},
                             refunds__patience=det(20))
        # relations is busy from 10 to 510; caller 0 queues there from 100, patience 20
        rec = replay(sc, [(0, 0, 100, 20), (10, 1, 500)])
        assert rec.state[0] == HUNG_UP and rec.end[0] == 120.0 and rec.answer[0] == 0.0
        legs = legs_frame(rec, 0)
        assert list(legs[legs["contact_id"] == 0]["reason"]) == ["transfer", "abandoned"]
        frame = contacts_frame(rec, sc, 0)
        assert frame["answered"][0] and not frame["abandoned"][0]

    def test_answered_then_stranded_in_a_queue_nobody_staffs(self):
        """Answered, transferred to a queue with no staff, waiting at the end: unfinished.

        An agent answered it, so the KPIs count it as answered; its outcome is not
        ``unanswered`` (never answered, as the relations caller that waits beside it), and
        each outcome agrees with the answered, abandoned and unanswered counts.
        """
        sc = sim.with_overrides(
            two_departments(refunds__transfer={"probability": 1.0, "to": "relations"}),
            {"agents.relations_team.staff": 0})
        # caller 0: refunds answers at 0, transfers at 100 into relations (nobody there);
        # caller 1 calls relations at 10; neither ever hangs up
        rec = replay(sc, [(0, 0, 100), (10, 1, 50)])
        frame = contacts_frame(rec, sc, 0)
        assert list(frame["outcome"]) == ["unfinished", "unanswered"]
        assert list(frame["answered"]) == [True, False]
        assert list(frame["queue_time"]) == [sc.days * 86400.0 - 100, sc.days * 86400.0 - 10]
        kpis = replication_summary(frame, staff_frame(rec, 0), sc, legs_frame(rec, 0))["kpis"]
        outcome = frame["outcome"].astype(str)
        assert kpis["answered"] == outcome.isin(["completed", "hung_up", "unfinished"]).sum() == 1
        assert kpis["unanswered"] == (outcome == "unanswered").sum() == 1
        assert kpis["abandoned"] == (outcome == "abandoned").sum() == 0
        # journey.png's outcome bar shows it as such, not as an answered call not resolved
        from sim.plots import journey_stages
        stages = dict(journey_stages(frame))
        assert stages["Outcome"] == {"resolved": 0, "not resolved": 0, "hung up": 0,
                                     "queued at close": 1}

    def test_max_transfers(self):
        """Transfers stop at max_transfers; then the contact completes where it is."""
        sc = two_departments(refunds__transfer={"probability": 1.0, "to": "refunds"},
                             refunds__max_transfers=2)
        rec = replay(sc, [(0, 0, 100)])
        assert rec.transfers[0] == 2 and rec.state[0] == ANSWERED

    def test_cold_transfer_to_infinite_servers_adds_service_time(self):
        """Theory: a transfer to a group that never queues adds exactly its service time."""
        base = {
            "name": "transfer", "days": 1, "interval": "1h",
            "contact_types": {
                "calls": {"arrivals": {"rate": "60/h"},
                          "handle": {"dist": "exponential", "mean": "2m"}},
                "experts": {"arrivals": {"rate": 0}, "handle": det(90)},
            },
            "agents": {"front": {"skills": ["calls"], "staff": 3},
                       "back": {"skills": ["experts"], "staff": 500}},
        }
        plain = sim.run(sim.scenario_from_dict(base), seed=3)
        base["contact_types"]["calls"]["transfer"] = {"probability": 1.0, "to": "experts"}
        moved = sim.run(sim.scenario_from_dict(base), seed=3)
        a, b = plain.contacts, moved.contacts
        assert np.array_equal(a["arrival"], b["arrival"])  # common random numbers
        answered = a["answered"].to_numpy()
        # the front line works exactly as before; each call ends 90 s later
        assert np.allclose(b["end"].to_numpy()[answered], a["end"].to_numpy()[answered] + 90)
        assert np.allclose(b["handle"][answered], a["handle"][answered] + 90)
        assert moved.summary["transfer_rate"] == 1.0


class TestConsult:
    def consult_scenario(self, **consult):
        return two_departments(refunds__consult={"probability": 1.0, "to": "relations",
                                                 "talk": det(30), **consult})

    def test_hold_while_specialist_consulted(self):
        """Halfway through, the customer holds while both agents talk; hold time is measured."""
        rec = replay(self.consult_scenario(), [(0, 0, 100)])
        assert rec.hold[0] == 30.0 and rec.end[0] == 130.0 and rec.talk[0] == 100.0

    def test_agent_waits_in_specialist_queue(self):
        """A busy specialist makes the agent and the customer wait: hold grows by the wait."""
        rec = replay(self.consult_scenario(), [(0, 1, 70), (0, 0, 100)])
        # relations busy with its own caller until 70; the consult runs 70..100
        assert rec.hold[1] == 50.0 and rec.end[1] == 150.0

    def test_customer_hangs_up_on_hold(self):
        """With hold patience shorter than the hold, the customer hangs up; the agent is freed."""
        sc = self.consult_scenario(hold_patience=det(20))
        rec = replay(sc, [(0, 1, 70), (0, 0, 100), (80, 0, 10)])
        assert rec.state[1] == HUNG_UP and rec.end[1] == 70.0 and rec.hold[1] == 20.0
        assert rec.answer[2] == 80.0  # the refund agent was free again at 70

    def test_hang_up_on_hold_is_answered_not_abandoned(self):
        """An answered caller who hangs up on hold counts once: answered and hung up.

        Not also abandoned: the abandon rate is of callers no agent answered, and
        answered + abandoned never exceeds offered.
        """
        sc = self.consult_scenario(hold_patience=det(20))
        rec = replay(sc, [(0, 1, 70), (0, 0, 100), (80, 0, 10)])
        frame = contacts_frame(rec, sc, 0)
        row = frame.iloc[1]
        assert row["answered"] and not row["abandoned"] and row["outcome"] == "hung_up"
        kpis = replication_summary(frame, staff_frame(rec, 0), sc, legs_frame(rec, 0))["kpis"]
        # callers 1 and 2: each consult (30 s) outlasts the hold patience (20 s)
        assert list(frame["outcome"]) == ["completed", "hung_up", "hung_up"]
        assert kpis["hung_up"] == 2 and kpis["abandoned"] == 0 and kpis["abandon_rate"] == 0
        assert kpis["answered"] + kpis["abandoned"] <= kpis["offered"]

    def test_consult_called_off_leaves_its_leg(self):
        """A customer hangs up on hold while the consult waits: the request's leg is recorded.

        Relations is busy with its own caller until 200; the refund caller goes on hold at
        50 and hangs up at 70 (hold patience 20), so the request waiting since 50 is called
        off then: an abandoned leg, unanswered, from 50 to 70, as any queue visit leaves.
        """
        sc = self.consult_scenario(hold_patience=det(20))
        legs = legs_frame(replay(sc, [(0, 1, 200), (0, 0, 100)]), 0)
        assert legs["contact_id"].tolist() == [1, -1, 0]  # -1: the consult request
        assert legs["queue"].astype(str).tolist() == ["refunds", "relations", "relations"]
        assert legs["reason"].astype(str).tolist() == ["hung_up", "abandoned", "completed"]
        assert legs["enqueued"].tolist() == [0.0, 50.0, 0.0]
        assert legs["answered"].fillna(-1.0).tolist() == [0.0, -1.0, 0.0]  # -1: unanswered
        assert legs["ended"].tolist() == [70.0, 70.0, 200.0]

    def test_every_consult_request_leaves_one_leg(self):
        """fraud_consult with impatient customers on hold: one leg per request's queue visit.

        One fraud agent and a minute of hold patience: many customers hang up while their
        request still waits. Every request (kind CONSULT) joins one queue once; the legs
        hold exactly one row of it, from that queue and time; a request called off ended
        when its customer hung up on hold.
        """
        sc = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                               / "fraud_consult.yaml", overrides={
            "agents.fraud_desk.staff": 1,
            "contact_types.billing.consult.hold_patience.mean": "1m"})
        rep = _Replication(sc, draw_contacts(sc, 1, 0), 1, 0, None)
        floor, entries = rep.floor, []
        enqueue, kind = floor._enqueue, floor.kind

        def logged(c, q, now, patience=None, priority=False):
            if kind[c] == CONSULT:
                entries.append((c, q, now))
            enqueue(c, q, now, patience, priority)

        floor._enqueue = logged
        legs = rep.run().legs
        contact, reason = legs["contact"], legs["reason"]
        called_off = []
        for c, q, entered in entries:
            (mine,) = np.flatnonzero(contact == c)  # exactly one leg
            assert (legs["queue"][mine], legs["enqueued"][mine]) == (q, entered)
            if reason[mine] == LEG_REASONS.index("abandoned"):
                called_off.append(legs["ended"][mine])
        assert len(entries) == np.count_nonzero(legs["contact_row"] < 0)
        hung_up = legs["ended"][(reason == LEG_REASONS.index("hung_up"))
                                & (legs["contact_row"] >= 0)]
        assert called_off and np.isin(called_off, hung_up).all()

    def test_consults_raise_hold_and_occupancy(self):
        """Statistics: hold time is p x consult length when the specialists never queue.

        The specialists' busy time and the front line's occupancy rise accordingly.
        """
        data = {
            "name": "consults", "days": 1, "interval": "1h",
            "contact_types": {
                "billing": {"arrivals": {"rate": "120/h"},
                            "handle": {"dist": "exponential", "mean": "3m"},
                            "consult": {"probability": 0.3, "to": "fraud", "talk": det(120)}},
                "fraud": {"arrivals": {"rate": 0}, "handle": det(60)},
            },
            "agents": {"front": {"skills": ["billing"], "staff": 12},
                       "fraud_desk": {"skills": ["fraud"], "staff": 200}},
        }
        sc = sim.scenario_from_dict(data)
        result = sim.run(sc, seed=4, replications=10)
        hold = result.replications["hold_time"].to_numpy()
        assert abs(hold.mean() - 0.3 * 120) <= 3 * half_width(hold)
        # the fraud desk is busy 120 s per consult: its occupancy is that over its agent time
        consults = result.legs[result.legs["reason"] == "consult"]
        desk_busy = (consults["ended"] - consults["answered"]).groupby(
            consults["replication"]).sum().to_numpy()
        assert np.allclose(desk_busy, 120 * consults.groupby("replication").size().to_numpy())
        expected = desk_busy.mean() / (200 * 86400)
        assert result.by_group["fraud_desk"]["occupancy"] == pytest.approx(expected, rel=0.01)
        # and the front line is busy for talk + hold: occupancy rises with the consults
        plain = sim.run(sim.with_overrides(sc, {"contact_types.billing.consult.probability": 0}),
                        seed=4, replications=10)
        assert (result.by_group["front"]["occupancy"]
                > plain.by_group["front"]["occupancy"] + 0.02)


class TestEscalation:
    def test_group_escalates_to_tier2(self):
        """An agent group with escalation passes contacts on to the tier-2 queue."""
        sc = sim.scenario_from_dict({
            "name": "tiers", "interval": "1h",
            "contact_types": {"calls": {"arrivals": {"rate": "1/h"}, "handle": det(100)},
                              "tier2": {"arrivals": {"rate": 0}, "handle": det(40)}},
            "agents": {"tier1": {"skills": ["calls"], "staff": 1,
                                 "escalate": {"probability": 1.0, "to": "tier2"}},
                       "experts": {"skills": ["tier2"], "staff": 1}},
        })
        rec = replay(sc, [(0, 0, 100)])
        assert rec.end[0] == 140.0 and rec.transfers[0] == 1 and rec.group[0] == 1
        assert list(legs_frame(rec, 0)["reason"]) == ["escalation", "completed"]


class TestResolutionAndRepeats:
    def repeat_scenario(self, resolution, **extra):
        data = {
            "name": "repeats", "days": 3, "interval": "1h",
            "contact_types": {"calls": {
                "arrivals": {"rate": "30/h"}, "handle": {"dist": "exponential", "mean": "4m"},
                "resolution": resolution,
                "repeat": {"delay": {"dist": "exponential", "mean": "2h"}, "max_contacts": 50},
                **extra}},
            "agents": {"pool": {"skills": ["calls"], "staff": 8}},
        }
        return sim.scenario_from_dict(data)

    def test_contacts_per_issue_is_one_over_r(self):
        """Theory: resolution r, every unresolved issue repeats -> 1/r contacts per issue.

        Issues from the first day are counted (later ones may still be open at the end).
        """
        sc = self.repeat_scenario(0.6)
        result = sim.run(sc, seed=5, replications=8)
        per_rep = []
        for _, issues in result.issues.groupby("replication"):
            first_day = issues[issues["first_arrival"] < 86400]
            per_rep.append(first_day["contacts"].mean())
        assert abs(np.mean(per_rep) - 1 / 0.6) <= 3 * half_width(per_rep)
        assert result.summary["repeat_rate"] > 0.3

    def test_handle_cap_lowers_fcr_and_adds_repeats(self):
        """A 3-minute cap on 4-minute calls: shorter talk, lower FCR, more repeat contacts."""
        free = sim.run(self.repeat_scenario(0.9), seed=6, replications=4)
        capped = sim.run(self.repeat_scenario(0.9, handle_cap={"max": "3m",
                                                               "resolution_factor": 0.5}),
                         seed=6, replications=4)
        assert capped.summary["aht"] < free.summary["aht"]
        assert capped.summary["fcr"] < free.summary["fcr"] - 0.1
        assert capped.summary["repeat_rate"] > free.summary["repeat_rate"] + 0.05
        assert capped.summary["contacts_per_issue"] > free.summary["contacts_per_issue"]

    def test_group_resolution_factor(self):
        """An agent group that resolves less leaves more unresolved issues."""
        good = sim.run(self.repeat_scenario(0.9), seed=7)
        poor_sc = sim.with_overrides(self.repeat_scenario(0.9),
                                     {"agents.pool.resolution_factor": 0.5})
        poor = sim.run(poor_sc, seed=7)
        assert poor.summary["fcr"] < good.summary["fcr"] - 0.2

    def test_repeat_can_switch_channel_type(self):
        """Repeat contacts may come back as another contact type."""
        sc = sim.scenario_from_dict({
            "name": "switch", "days": 2, "interval": "1h",
            "contact_types": {
                "calls": {"arrivals": {"rate": "20/h"}, "handle": det(60), "resolution": 0.5,
                          "repeat": {"delay": det(600), "switch_to": "chat", "switch": 1.0}},
                "chat": {"arrivals": {"rate": 0}, "handle": det(60)},
            },
            "agents": {"pool": {"skills": ["calls", "chat"], "staff": 4}},
        })
        contacts = sim.run(sc, seed=1).contacts
        repeats = contacts[contacts["origin"] == "repeat"]
        assert len(repeats) > 0 and set(repeats["contact_type"]) == {"chat"}


class TestRetrials:
    def test_retrials_conserve_issues(self):
        """Redials are new contacts of the same issue: issues = first contacts.

        Every retrial follows an abandoned or blocked contact of its issue.
        """
        data = {
            "name": "redial", "days": 1, "interval": "1h", "lines": 12,
            "contact_types": {"calls": {
                "arrivals": {"rate": "200/h"}, "handle": {"dist": "exponential", "mean": "4m"},
                "patience": {"dist": "exponential", "mean": "1m"},
                "retrial": {"probability": 0.7, "delay": {"dist": "exponential", "mean": "5m"}}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 10}},
        }
        result = sim.run(sim.scenario_from_dict(data), seed=8)
        c, issues = result.contacts, result.issues
        assert result.summary["retrials"] > 100
        assert len(issues) == int((c["origin"] == "first").sum())
        assert issues["contacts"].sum() == len(c)
        failed = c[c["abandoned"] | c["blocked"]].groupby("issue_id").size()
        redials = c[c["origin"] == "retrial"].groupby("issue_id").size()
        assert (redials <= failed.reindex(redials.index)).all()
        assert redials.max() <= 3  # max_attempts

    def test_retrial_after_exact_abandonment(self):
        """A redial comes exactly `delay` after the moment the caller hung up."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}})
        sc = sim.with_overrides(sc, {"contact_types.calls.retrial": {
            "probability": 1.0, "delay": det(30), "max_attempts": 1}})
        rec = replay(sc, [(0, 0, 100), (10, 0, 10, 20)])
        assert rec.state[1] == ABANDONED and rec.end[1] == 30.0
        assert rec.origin[2] == 1 and rec.arrival[2] == 60.0 and rec.issue[2] == 1


class TestRecords:
    def test_contacts_and_issues_tables(self):
        """The contacts table has the journey columns; issues sum up contacts."""
        sc = two_departments(refunds__ivr={"time": det(5), "misroute": 0.5})
        rec = replay(sc, [(0, 0, 100), (200, 0, 100), (400, 0, 100), (600, 0, 100)])
        frame = contacts_frame(rec, sc, 0)
        for column in ("hold", "transfers", "misrouted", "self_served", "origin", "queue_time"):
            assert column in frame
        assert frame["transfers"].sum() == frame["misrouted"].sum()


class TestLegsAccounting:
    def test_busy_time_from_legs_equals_contacts_without_handoffs(self):
        """With an IVR but no handoffs, each contact is one leg: legs add up to the talk.

        (An IVR makes the engine record legs, and busy time then comes from them.)
        """
        sc = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                               / "self_service_shift.yaml")
        result = sim.run(sc, seed=2)
        c, legs = result.contacts, result.legs
        answered = c[c["answered"]]
        done = legs[legs["reason"] == "completed"]
        assert len(done) == len(answered)
        assert np.isclose((done["ended"] - done["answered"]).sum(), answered["handle"].sum())
        assert 0.5 < result.summary["occupancy"] < 1.0


class TestLegsTable:
    def test_leg_wait_talk_hold(self):
        """Each leg carries its own queue wait, talk and hold."""
        sc = two_departments(refunds__consult={"probability": 1.0, "to": "relations",
                                               "talk": det(30)},
                             refunds__transfer={"probability": 1.0, "to": "relations"},
                             refunds__max_transfers=1)
        rec = replay(sc, [(0, 0, 100), (5, 1, 50)])
        legs = legs_frame(rec, 0)
        first = legs[(legs.contact_id == 0)].iloc[0]
        assert first["reason"] == "transfer" and first["hold"] == 35.0  # consult waited 5
        assert first["talk"] == 100.0 and first["wait"] == 0.0
        second = legs[(legs.contact_id == 0)].iloc[1]
        assert second["reason"] == "completed" and second["queue"] == "relations"
        consult = legs[legs.contact_id == -1].iloc[0]
        assert consult["reason"] == "consult" and consult["wait"] == 5.0

    def test_hold_of_overlapping_journeys(self):
        """Two customers on consult hold at once: each leg keeps its own hold, none is lost."""
        sc = sim.scenario_from_dict({
            "name": "overlapping consults", "interval": "1h",
            "contact_types": {
                "a": {"arrivals": {"rate": "1/h"}, "handle": det(200),
                      "consult": {"probability": 1.0, "to": "x", "talk": det(60)},
                      "transfer": {"probability": 1.0, "to": "b"}, "max_transfers": 1},
                "b": {"arrivals": {"rate": "1/h"}, "handle": det(300)},
                "x": {"arrivals": {"rate": "1/h"}, "handle": det(60)}},
            "agents": {"ga": {"skills": ["a"], "staff": 2}, "gb": {"skills": ["b"], "staff": 1},
                       "gx": {"skills": ["x"], "staff": 2}},
        })
        rec = replay(sc, [(10, 0, 200), (110, 0, 200)])  # the second consult starts mid-leg
        legs = legs_frame(rec, 0)
        customers = legs[legs.contact_id >= 0]
        per_contact = customers.groupby("contact_id")["hold"].sum()
        assert per_contact.tolist() == rec.hold.tolist() == [60.0, 60.0]
        assert (legs["hold"] >= 0).all()
        first = customers[customers.reason == "transfer"]
        assert first["hold"].tolist() == [60.0, 60.0]


class TestCallbacks:
    def test_callback_keeps_place_and_never_abandons(self):
        """Above the threshold a caller accepts a callback and keeps their place.

        They never hang up, and the wait for the call back is not time on the phone.
        """
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}})
        sc = sim.with_overrides(sc, {"contact_types.calls.handle.mean": 100,
                                     "contact_types.calls.callback": {"threshold": 30,
                                                                      "accept": 1.0}})
        rec = replay(sc, [(0, 0, 100), (10, 0, 50, 20), (20, 0, 50, 500)])
        assert rec.callback.tolist() == [0, 1, 1]  # expected waits 100 s and 200 s
        assert rec.state[1] == ANSWERED and rec.answer[1] == 100.0  # patience 20 no matter
        assert rec.answer[2] == 150.0
        assert rec.queue_time[1] == 0.0 and rec.wait[1] == 90.0

    def test_below_threshold_no_offer(self):
        """An expected wait under the threshold offers nothing: the caller may abandon."""
        sc = tiny({"a": {"skills": ["calls"], "staff": 1}})
        sc = sim.with_overrides(sc, {"contact_types.calls.handle.mean": 100,
                                     "contact_types.calls.callback": {"threshold": 300,
                                                                      "accept": 1.0}})
        rec = replay(sc, [(0, 0, 100), (10, 0, 50, 20)])
        assert rec.callback[1] == 0 and rec.state[1] == ABANDONED

    def test_callbacks_lower_abandonment(self):
        """After a surge, callbacks served in the lull lower abandonment and busy signals.

        Paired over replications (common random numbers): the 95% confidence interval of
        the difference must lie below zero (a significant drop, as `ccsim compare` marks
        it). (On a stationary line they barely help: customers who accept keep their
        place, so those behind them wait as long.)
        """
        sc = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                               / "storm_surge.yaml")
        plain = sim.run(sc, seed=9, replications=8)
        offered = sim.run(sim.variant(sc, "callbacks_on"), seed=9, replications=8)
        assert offered.summary["callbacks"] > 500
        for kpi in ("abandon_rate", "block_rate"):
            diff = (offered.replications[kpi] - plain.replications[kpi]).to_numpy()
            assert diff.mean() + half_width(diff) < 0, kpi


class TestChannels:
    def chat_center(self, **group):
        return sim.scenario_from_dict({
            "name": "chat", "interval": "1h",
            "contact_types": {
                "chat": {"channel": "chat", "arrivals": {"rate": "1/h"}, "handle": det(100)},
                "email": {"channel": "email", "arrivals": {"rate": "1/h"}, "handle": det(100),
                          "service_level": {"threshold": "4h", "target": 0.9}},
            },
            "agents": {"chatters": {"skills": ["chat"], "staff": 1, **group},
                       "back_office": {"skills": ["email"], "staff": 1}},
        })

    def test_concurrent_chats_slower_each(self):
        """An agent takes up to `concurrency` chats at once, each slower by the slowdown."""
        sc = self.chat_center(concurrency=3, concurrency_slowdown=1.5)
        rec = replay(sc, [(0, 0, 100), (0, 0, 100), (0, 0, 100), (1, 0, 100)])
        assert rec.answer.tolist() == [0.0, 0.0, 0.0, 150.0]
        assert rec.end.tolist() == [150.0, 150.0, 150.0, 300.0]

    def test_staff_counts_agents_occupancy_counts_slots(self):
        """Staff is in agents; occupancy is busy chat slots over available slots."""
        sc = self.chat_center(concurrency=3)
        result = sim.run(sc, seed=1)
        staff = result.staff[result.staff["group"] == "chatters"]
        assert staff["agents"].max() == 1 and staff["slots"].max() == 3
        rows = result.intervals[result.intervals["contact_type"] == "chat"]
        assert np.allclose(rows["staff"], 1.0)
        assert 0 < result.by_group["chatters"]["occupancy"] <= 1 / 3

    def test_phone_groups_take_one_at_a_time(self):
        """Concurrency above 1 is for chat, email and social groups only."""
        data = {"name": "x", "contact_types": {"calls": {"arrivals": {"rate": 1},
                                                         "handle": det(1)}},
                "agents": {"g": {"skills": ["calls"], "staff": 1, "concurrency": 2}}}
        with pytest.raises(sim.ScenarioError, match=r"agents\.g\.concurrency: must be 1"):
            sim.scenario_from_dict(data)

    def test_type_service_level_threshold(self):
        """An email answered after an hour meets its 4-hour target; a chat would not."""
        sc = self.chat_center()
        rec = replay(sc, [(0, 1, 3600), (0, 1, 60)])
        summary = replication_summary(contacts_frame(rec, sc, 0), staff_frame(rec, 0), sc,
                                      legs_frame(rec, 0))
        assert rec.wait.tolist() == [0.0, 3600.0]
        assert summary["by_type"]["email"]["service_level"] == 1.0
        assert sc.threshold("email") == 4 * 3600 and sc.threshold("chat") == 20


class TestComplaints:
    def backlash(self, duplicate=0.0):
        return sim.scenario_from_dict({
            "name": "backlash", "days": 1, "interval": "1h",
            "contact_types": {
                "calls": {"arrivals": {"rate": "130/h"},
                          "handle": {"dist": "exponential", "mean": "4m"},
                          "patience": {"dist": "exponential", "mean": "5m"},
                          "complaint": {"probability": 0.3, "to": "posts",
                                        "wait_over": "3m", "abandoned": True,
                                        "delay": det(600)}},
                "posts": {"channel": "social", "arrivals": {"rate": 0},
                          "handle": det(300), "duplicate_answers": duplicate},
            },
            "agents": {"phones": {"skills": ["calls"], "staff": 9},
                       "social_team": {"skills": ["posts"], "staff": 3}},
        })

    def test_posts_follow_bad_experiences(self):
        """Posts come from customers who waited over 3 minutes or hung up, ~30% of them.

        They arrive 10 minutes after the experience ended and belong to the same issue.
        """
        result = sim.run(self.backlash(), seed=3, replications=3)
        c = result.contacts
        calls = c[c["contact_type"] == "calls"]
        bad = calls[(calls["queue_time"] > 180) | calls["abandoned"]]
        posts = c[c["origin"] == "complaint"]
        assert result.summary["complaints"] == len(posts) / 3 > 20
        assert set(posts["issue_id"] + 0) <= set(bad["issue_id"] + 0)
        share = len(posts) / len(bad)
        assert abs(share - 0.3) < 3 * np.sqrt(0.3 * 0.7 / len(bad))  # binomial, 3 se
        ends = calls.set_index(["replication", "issue_id"])["end"]
        sent = posts.set_index(["replication", "issue_id"])["arrival"]
        assert np.allclose(sent - ends.reindex(sent.index), 600)

    def test_uncoordinated_team_answers_twice(self):
        """With duplicate answers, the social team does extra work for the same posts."""
        once = sim.run(self.backlash(0.0), seed=3)
        twice = sim.run(self.backlash(0.5), seed=3)
        dupes = twice.legs[twice.legs["reason"] == "duplicate"]
        posts = twice.contacts[twice.contacts["origin"] == "complaint"]
        assert len(dupes) > 0.3 * len(posts)
        assert (twice.by_group["social_team"]["occupancy"]
                > once.by_group["social_team"]["occupancy"])


class TestBlending:
    def blended(self, reserve, staff=2):
        return sim.scenario_from_dict({
            "name": "blend", "interval": "1h",
            "contact_types": {
                "calls": {"arrivals": {"rate": "1/h"}, "handle": det(100)},
                "email": {"channel": "email", "arrivals": {"rate": "1/h"}, "handle": det(100)},
            },
            "agents": {"team": {"skills": ["calls", "email"], "staff": staff,
                                "blending": {"backlog": ["email"], "reserve": reserve}}},
        })

    def test_backlog_worked_while_reserve_stays_idle(self):
        """With 2 agents and a reserve of 1, one agent answers the email.

        A call still finds the other agent free at once.
        """
        rec = replay(self.blended(reserve=1), [(0, 1, 100), (10, 0, 100)])
        assert rec.answer.tolist() == [0.0, 10.0]

    def test_reserve_blocks_backlog(self):
        """With a reserve of 2 and 2 agents, emails wait; calls are answered."""
        rec = replay(self.blended(reserve=2), [(0, 1, 100), (10, 0, 100)])
        assert np.isnan(rec.answer[0]) and rec.answer[1] == 10.0

    def test_inbound_first_then_backlog(self):
        """A freed agent takes a waiting call before the email backlog, then the email."""
        rec = replay(self.blended(reserve=0, staff=1),
                     [(0, 0, 100), (5, 1, 50), (10, 0, 100)])
        assert rec.answer.tolist() == [0.0, 200.0, 100.0]

    def test_backlog_must_be_a_skill(self):
        """The backlog names skills of the group."""
        data = self.blended(reserve=0).model_dump(mode="json")
        data["agents"]["team"]["blending"]["backlog"] = ["fax"]
        with pytest.raises(sim.ScenarioError, match=r"blending\.backlog\[0\]: must be one of"):
            sim.scenario_from_dict(data)


class TestJourneyKpisEverywhere:
    def test_per_group_and_per_interval(self):
        """Journey KPIs are reported per agent group and per interval, consistently."""
        sc = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                               / "refund_vs_relations.yaml", overrides={"days": 1})
        result = sim.run(sc, seed=2)
        rows = result.intervals[result.intervals["contact_type"] != "all"]
        assert rows["repeats"].sum() == round(result.summary["repeat_rate"]
                                              * result.summary["offered"])
        for group in ("refunds", "relations_team"):
            assert 0 < result.by_group[group]["transfer_rate"] < 1
            assert 0 < result.by_group[group]["resolution_rate"] < 1
        allrows = result.intervals[result.intervals["contact_type"] == "all"]
        weights = allrows["answered"]
        mean_transfers = (allrows["transfer_rate"] * weights).sum() / weights.sum()
        assert mean_transfers == pytest.approx(result.summary["transfer_rate"])


def hang_ups_busy_signals_and_repeats():
    """fraud_consult with holds few wait out, too few lines and repeat contacts.

    Answered callers hang up on hold (``hung_up``), callers and repeat contacts get busy
    signals, and unresolved billing issues call again within the day.
    """
    return sim.load_scenario(
        Path(__file__).resolve().parents[1] / "scenarios" / "fraud_consult.yaml",
        overrides={"contact_types.billing.consult.hold_patience.mean": "30s", "lines": 26,
                   "contact_types.billing.resolution": 0.5,
                   "contact_types.billing.repeat": {
                       "probability": 0.9, "delay": {"dist": "exponential", "mean": "20m"}}})


@pytest.fixture(scope="module")
def counted():
    """A run with hang-ups and repeats that were never offered (TestIntervalCounts)."""
    result = sim.run(hang_ups_busy_signals_and_repeats(), seed=1, replications=2)
    c = result.contacts
    # the premises: hang-ups, and repeat contacts that were never offered
    assert result.summary["hung_up"] > 0
    assert (c["blocked"] & (c["origin"] == "repeat")).any()
    return result


class TestIntervalCounts:
    @pytest.fixture
    def result(self, counted):
        return counted

    def test_counts_add_up_to_the_summary(self, result):
        """Every count KPI is an interval column; over the intervals it sums to the KPI."""
        counts = [k for k in KPIS if kpis.unit_of(k) is kpis.COUNT]
        assert "hung_up" in counts
        for name in [*result.scenario.contact_types, "all"]:
            measured = result.summary if name == "all" else result.by_type[name]
            rows = result.intervals[result.intervals["contact_type"] == name]
            for kpi in counts:
                assert kpi in rows, kpi
                assert rows[kpi].sum() == pytest.approx(measured[kpi], rel=1e-12, abs=1e-9), (
                    name, kpi)

    def test_repeats_are_the_repeat_rate_of_offered(self, result):
        """``repeats`` counts repeat contacts offered: repeats / offered is the repeat rate."""
        per_replication = result.replications
        expected = (per_replication["repeat_rate"] * per_replication["offered"]).mean()
        rows = result.intervals[result.intervals["contact_type"] == "all"]
        assert rows["repeats"].sum() == pytest.approx(expected, rel=1e-12)
        for r, table in result.intervals_by_replication.groupby("replication"):
            for name, measured in result.replication_measures[r]["by_type"].items():
                mine = table[table["contact_type"] == name]
                pooled = (mine["repeats"].sum() / mine["offered"].sum()
                          if mine["offered"].sum() else float("nan"))
                assert pooled == pytest.approx(measured["repeat_rate"], rel=1e-12,
                                               nan_ok=True), (r, name)


class TestCallbackQueue:
    def center(self, queue):
        callback = {"threshold": 30, "accept": 1.0, **({"queue": queue} if queue else {})}
        return sim.scenario_from_dict({
            "name": "cbq", "interval": "1h",
            "contact_types": {
                "calls": {"arrivals": {"rate": "1/h"}, "handle": det(100),
                          "callback": callback},
                "sales": {"arrivals": {"rate": "1/h"}, "handle": det(100)},
                "call_backs": {"arrivals": {"rate": 0}, "handle": det(100)},
            },
            "agents": {"team": {"skills": ["calls", "sales", "call_backs"], "staff": 1,
                                "blending": {"backlog": ["call_backs"]}}},
        })

    def test_callback_queue_served_after_live_callers(self):
        """A callback accepted at 10 waits in the callback queue, worked as a backlog.

        The live sales caller from 20 is served first.
        """
        rec = replay(self.center("call_backs"), [(0, 1, 100), (10, 0, 50), (20, 1, 60)])
        assert rec.callback.tolist() == [0, 1, 0]
        assert rec.answer.tolist() == [0.0, 160.0, 100.0]

    def test_keep_place_served_in_arrival_order(self):
        """Without a callback queue the callback keeps its place: served before the 20 s one."""
        rec = replay(self.center(None), [(0, 1, 100), (10, 0, 50), (20, 1, 60)])
        assert rec.callback.tolist() == [0, 1, 0]
        assert rec.answer.tolist() == [0.0, 100.0, 150.0]


class TestComebacksInOpeningHours:
    def office(self, **extra):
        return sim.scenario_from_dict({
            "name": "office", "days": 2, "open": "08:00", "close": "18:00", "interval": "1h",
            "contact_types": {"calls": {
                "arrivals": {"rate": "1/h"}, "handle": det(100), "resolution": 0.0,
                "repeat": {"delay": det(3 * 3600), "max_contacts": 5}, **extra}},
            "agents": {"a": {"skills": ["calls"], "staff": 1}},
        })

    def test_repeat_due_after_close_comes_at_next_opening(self):
        """A repeat due after closing comes at the next opening; none after the last day."""
        sc = self.office()
        rec = replay(sc, [(16 * 3600, 0, 100)])
        # 16:00 call ends 16:01:40 -> due 19:01:40 -> day 2 in the first hour after 08:00
        second = rec.arrival[1]
        assert 86400 + 8 * 3600 <= second < 86400 + 9 * 3600
        # then every 3 h + 100 s until one would be due after 18:00 on the last day
        repeats = rec.arrival[1:]
        assert np.allclose(np.diff(repeats), 3 * 3600 + 100)
        assert repeats[-1] + 3 * 3600 + 200 >= 86400 + 18 * 3600
        assert set(rec.state.tolist()) == {ANSWERED}

    def test_no_contacts_arrive_while_closed(self):
        """Repeats and redials arrive only while the center is open."""
        sc = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                               / "speed_vs_resolution.yaml", overrides={"days": 3})
        c = sim.run(sc, seed=5).contacts
        clock = c["arrival"] % 86400
        assert ((clock >= 8 * 3600) & (clock < 20 * 3600)).all()
        assert (c["origin"] == "repeat").sum() > 100  # there are repeats to check


class TestMisrouteOnce:
    def test_misrouted_then_transferred_on_purpose(self):
        """A customer misrouted once is not sent back again after a planned transfer."""
        sc = two_departments(refunds__ivr={"time": det(0), "misroute": 1.0,
                                           "misroute_talk": det(20)},
                             refunds__transfer={"probability": 1.0, "to": "relations"},
                             refunds__max_transfers=2)
        rec = replay(sc, [(0, 0, 100)])
        legs = legs_frame(rec, 0)
        assert list(legs["reason"]) == ["misroute", "transfer", "completed"]
        assert rec.transfers[0] == 2 and rec.group[0] == 1  # ends with relations
