"""Work still queued when the run ends: what the records keep of it (engine._settle_unserved).

A customer nobody answered stays in the contacts table (``unanswered``); one answered and
queued again ends its last leg ``unfinished``. A post's second answer by an uncoordinated
team (``duplicate_answers``) is no contact: its leg is all there is of it. A consult
request nobody answers stops the run (its asker would hold for ever), unless the customer
can hang up on hold.
"""

import math

import numpy as np
import pytest
from helpers import replay

import sim
from sim.engine import DAY
from sim.errors import SimulationError
from sim.frames import contacts_frame, legs_frame, staff_frame
from sim.metrics import replication_summary
from sim.queue_legs import second_leg_sums
from sim.records import HUNG_UP, LEG_REASONS, OUTCOMES

DUPLICATE = LEG_REASONS.index("duplicate")


def posts(staff: list[int]) -> sim.Scenario:
    """Posts answered twice by a team on duty 08:00-09:00 only (95 s a post)."""
    return sim.scenario_from_dict({
        "name": "posts", "days": 1, "interval": "1h", "open": "08:00", "close": "10:00",
        "contact_types": {"posts": {"channel": "social", "arrivals": {"rate": "1/h"},
                                    "handle": {"dist": "deterministic", "value": 95},
                                    "duplicate_answers": 1.0}},
        "agents": {"team": {"skills": ["posts"], "staff": staff}}})


class TestDuplicates:
    def test_a_second_answer_left_waiting_ends_with_a_leg(self):
        """A post's second answer still queued at the end leaves a leg, unanswered.

        Posts at 08:00 (answered twice by 08:03:10) and 09:01, when nobody is on duty: the
        second post is ``unanswered`` in the contacts table; its duplicate work item, no
        contact, left no trace at all before (neither a contact row nor a leg). Its leg:
        reason ``duplicate``, ``contact_id`` -1, never answered, ended at the run's end.
        """
        rec = replay(posts([1, 0]), [(8 * 3600, 0, 95), (9 * 3600 + 60, 0, 95)])
        assert [OUTCOMES[s] for s in rec.state] == ["completed", "unanswered"]
        legs = rec.legs
        dupes = np.flatnonzero(legs["reason"] == DUPLICATE)
        assert legs["contact_row"][dupes].tolist() == [-1, -1]
        assert legs["enqueued"][dupes].tolist() == [8 * 3600, 9 * 3600 + 60]
        answered = legs["answered"][dupes]
        assert answered[0] == 8 * 3600 and math.isnan(answered[1])
        assert legs["ended"][dupes].tolist() == [8 * 3600 + 95, DAY]
        assert legs["group"][dupes].tolist() == [0, -1]
        assert legs["agent"][dupes].tolist() == [0, -1]

    def test_the_unanswered_second_answer_changes_no_kpi(self):
        """No agent worked on it, and it is no queue visit: every KPI is as without its leg.

        Agent time is counted from answered legs (occupancy), a plan's second legs leave
        duplicates out (:func:`sim.queue_legs.second_leg_sums`).
        """
        sc = posts([1, 0])
        rec = replay(sc, [(8 * 3600, 0, 95), (8 * 3600 + 60, 0, 95), (9 * 3600 + 60, 0, 95)])
        legs = legs_frame(rec, 0)
        left = legs["answered"].isna().to_numpy()
        assert left.sum() == 1  # (the 09:01 post's duplicate)
        contacts, staff = contacts_frame(rec, sc, 0), staff_frame(rec, 0)
        with_it = replication_summary(contacts, staff, sc, legs)
        without = replication_summary(contacts, staff, sc, legs[~left])
        for part in ("kpis", "by_type", "by_group"):
            assert str(with_it[part]) == str(without[part]), part  # (NaN == NaN as text)
        assert with_it["by_group"]["team"]["occupancy"] > 0
        assert np.array_equal(second_leg_sums(legs, sc), second_leg_sums(legs[~left], sc))


def consulting(hold_patience: dict | None) -> sim.Scenario:
    """Calls that always consult experts, on duty 00:00-01:00 only; maybe a hold patience.

    (Experts never on duty are refused by the loader: :func:`sim.loader.holds_never_answered`.)
    """
    consult = {"probability": 1.0, "to": "expert",
               "talk": {"dist": "deterministic", "value": 60}}
    if hold_patience is not None:
        consult["hold_patience"] = hold_patience
    return sim.scenario_from_dict({
        "name": "consults", "days": 1, "interval": "1h", "close": "02:00",
        "contact_types": {
            "calls": {"arrivals": {"rate": "1/h"},
                      "handle": {"dist": "deterministic", "value": 100}, "consult": consult},
            "expert": {"arrivals": {"rate": 0},
                       "handle": {"dist": "deterministic", "value": 60}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 1},
                   "experts": {"skills": ["expert"], "staff": [1, 0]}}})


class TestConsultRequests:
    def test_one_nobody_answers_stops_the_run(self):
        """Its asker would hold for ever: the run stops, naming the consult's field."""
        with pytest.raises(SimulationError, match="a consult with 'expert' was never answered"
                           ) as raised:
            replay(consulting(None), [(3600, 0, 100)])
        assert raised.value.path == "contact_types.calls.consult"

    def test_one_the_customer_gives_up_on_is_called_off(self):
        """With a hold patience the customer hangs up on hold, and the request leaves its queue.

        Answered at 01:00, on hold 50 s later (halfway), hung up 30 s after that: the
        request's leg ends ``abandoned`` then, unanswered, and the run ends normally.
        """
        rec = replay(consulting({"dist": "deterministic", "value": 30}), [(3600, 0, 100)])
        assert rec.state.tolist() == [HUNG_UP] and rec.end.tolist() == [3680.0]
        legs = rec.legs
        request = legs["contact_row"] == -1
        assert [LEG_REASONS[r] for r in legs["reason"][request]] == ["abandoned"]
        assert legs["enqueued"][request].tolist() == [3650.0]
        assert legs["ended"][request].tolist() == [3680.0]
        assert math.isnan(legs["answered"][request][0])
