"""Real-time rules against the schedule: who is on duty, and who is paid, after a rule acts.

Exact traces on hand-made contacts (:func:`helpers.replay`): agents called in on overtime
are paid for as long as the call-in keeps them on duty (past midnight where the center is
open round the clock; never past a closing, and never back the next morning), and agents
moved between groups never leave a group with more agents than its schedule and the
rules' agents allow.
"""

from __future__ import annotations

import pytest
from helpers import replay

import sim
from sim.frames import contacts_frame, legs_frame, rules_frame, staff_frame
from sim.measure import measure
from sim.units import DAY

H = 3600.0


def money(scenario, records) -> dict[str, float]:
    """The KPIs of one replayed replication, with its rules' changes (call-ins paid)."""
    return measure(scenario, 0, contacts_frame(records, scenario, 0), legs_frame(records, 0),
                   staff_frame(records, 0), rules=rules_frame(records, scenario, 0)).kpis


def agents_of(records, group: int) -> list[tuple[float, int]]:
    """``(time, agents on duty)`` of ``group``'s staffing log, in order."""
    return [(float(t), int(n)) for t, g, n in zip(records.staff_time, records.staff_group,
                                                 records.staff_count) if g == group]


# one agent round the clock; a second call waiting calls two more in for 2 h
ROUND_THE_CLOCK = {
    "name": "round the clock", "days": 2, "interval": "1h",
    "contact_types": {"calls": {"arrivals": {"rate": "1/h"},
                                "handle": {"dist": "deterministic", "value": "30m"}}},
    "agents": {"desk": {"skills": ["calls"], "staff": 1}},
    "rules": {"busy": {"when": {"queue_length": "calls", "at_least": 1},
                       "then": {"overtime": {"group": "desk", "agents": 2, "length": "2h"}}}},
    "costs": {"agents": {"desk": {"hourly": 10, "overtime_factor": 2}}},
}


class TestCallInPastMidnight:
    def test_a_call_in_at_23h_is_paid_for_its_two_hours(self):
        """Open round the clock, two agents called in at 23:00 for 2 h work until 01:00.

        Wages: 10 x (1 agent x 48 h scheduled + 2 x 2 agents x 2 h called in) = 560; the
        call-in was paid only until midnight (520).
        """
        scenario = sim.scenario_from_dict(ROUND_THE_CLOCK)
        assert scenario.open == 0 and scenario.close == DAY  # round the clock
        records = replay(scenario, [(23 * H, 0, 1800.0), (23 * H, 0, 1800.0)])
        assert list(records.rule_log["on"]) == [True, False]  # one call-in, at 23:00
        assert agents_of(records, 0)[1:4] == [(23 * H, 2), (23 * H, 3), (25 * H, 2)]
        assert money(scenario, records)["staff_cost"] == pytest.approx(10 * (48 + 2 * 4))


# open 08:00-12:00; a second call waiting at 11:00 calls two agents in for 22 h
LATE_CALL_IN = {**ROUND_THE_CLOCK, "name": "late call-in", "open": "08:00", "close": "12:00",
                "rules": {"busy": {"when": {"queue_length": "calls", "at_least": 1},
                                   "then": {"overtime": {"group": "desk", "agents": 2,
                                                         "length": "22h"}}}}}


class TestCallInEndsAtClosing:
    def test_called_in_agents_do_not_come_back_the_next_morning(self):
        """A call-in at 11:00 for 22 h ends at 12:00: day 1 has its one scheduled agent.

        Wages: 10 x (1 agent x 4 h x 2 days + 2 x 2 agents x 1 h called in) = 120. Before,
        the two came back at 08:00 on day 1 until 09:00, unpaid.
        """
        scenario = sim.scenario_from_dict(LATE_CALL_IN)
        records = replay(scenario, [(11 * H, 0, 1800.0), (11 * H, 0, 1800.0)])
        assert list(records.rule_log["on"]) == [True, False]  # one call-in, at 11:00
        log = agents_of(records, 0)
        assert (11 * H, 3) in log  # called in
        assert [n for t, n in log if t >= 12 * H] == [2, 1, 0, 1, 0]  # home; day 1: one
        assert money(scenario, records)["staff_cost"] == pytest.approx(10 * (8 + 2 * 2))
