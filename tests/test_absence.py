"""Absenteeism: whole days missed per agent, binomial on average, common across policies.

Each scheduled agent misses a day with probability ``p``, independently: on a day with
``n`` scheduled agents the number on duty is Binomial(n, 1 - p). The tests check the mean
and the variance of what the engine put on duty against that law, with tolerances from
the replications, and that an agent's absences do not depend on how many others are
scheduled (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import sim
from sim import keyed
from sim.absence import group_absences
from sim.replicate import half_width
from sim.units import DAY

DAYS, STAFF, P = 3, 20, 0.1


def scenario(staff, absenteeism=P, shifts=None, shrinkage=0.0) -> sim.Scenario:
    """A quiet center (few calls: nobody stays after closing) with one agent group."""
    group = {"skills": ["calls"], "absenteeism": absenteeism, "shrinkage": shrinkage}
    group.update({"shifts": shifts} if shifts else {"staff": staff})
    return sim.scenario_from_dict({
        "name": "absence", "seed": 5, "days": DAYS, "open": "08:00", "close": "12:00",
        "interval": "1h",
        "contact_types": {"calls": {"arrivals": {"rate": "2/h"},
                                    "handle": {"dist": "deterministic", "value": "30s"}}},
        "agents": {"pool": group}})


def on_duty(result, clock: float) -> np.ndarray:
    """Agents on duty at ``clock`` (seconds after midnight) each day: replications x days."""
    out = np.zeros((result.n_replications, DAYS))
    for r in range(result.n_replications):
        log = result.staff[result.staff.replication == r]
        times, agents = log.time.to_numpy(), log.agents.to_numpy()
        for day in range(DAYS):
            before = np.flatnonzero(times <= day * DAY + clock)
            out[r, day] = agents[before[-1]] if before.size else 0.0
    return out


class TestBinomial:
    @pytest.mark.parametrize("form", ["staff", "shifts"])
    def test_mean_and_variance_on_duty(self, form):
        """On duty ~ Binomial(20, 0.9): mean within the CI of 40 replications, variance too."""
        shifts = [{"start": "08:00", "length": "4h", "count": 12},
                  {"start": "06:00", "length": "8h", "count": 8}] if form == "shifts" else None
        result = sim.run(scenario(STAFF, shifts=shifts), replications=40)
        counts = on_duty(result, 10 * 3600.0)
        per_rep = counts.mean(axis=1)  # replications are independent; days within one too
        # 99% Student-t interval over replications: the test fails on a real bias, not on
        # one unlucky seed in twenty
        assert abs(per_rep.mean() - STAFF * (1 - P)) <= half_width(per_rep, 0.99)
        # the variance of a day's count against n p (1 - p), by the chi-square law of the
        # sample variance (99%): absences are whole days, not shrinkage's fixed share
        values = counts.ravel()
        dof = values.size - 1
        ratio = values.var(ddof=1) / (STAFF * P * (1 - P))
        assert stats.chi2.ppf(0.005, dof) / dof <= ratio <= stats.chi2.ppf(0.995, dof) / dof

    def test_shrinkage_is_taken_off_those_who_came(self):
        """With shrinkage too: on the phones = round(present x (1 - shrinkage))."""
        result = sim.run(scenario(STAFF, shrinkage=0.25), replications=5)
        plain = sim.run(scenario(STAFF, shrinkage=0.0), replications=5)
        present = on_duty(plain, 10 * 3600.0)
        expected = np.floor(present * 0.75 + 0.5)
        assert np.array_equal(on_duty(result, 10 * 3600.0), expected)

    def test_no_absenteeism_is_the_schedule(self):
        """Absenteeism 0: exactly the scheduled agents every day."""
        result = sim.run(scenario(STAFF, absenteeism=0.0), replications=3)
        assert (on_duty(result, 10 * 3600.0) == STAFF).all()


class TestCommonRandomNumbers:
    def test_draws_of_the_first_agents_do_not_depend_on_the_count(self):
        """Agent k's absence on a day is the same whether 10 or 50 agents are drawn."""
        absences = group_absences(keyed.root(5, 3), "pool", 0.3)
        for day in range(5):
            assert np.array_equal(absences.absent(day, 10), absences.absent(day, 50)[:10])

    def test_adding_agents_keeps_who_is_absent(self):
        """Staff 20 -> 26 in the second hour: the first hour's agents on duty are unchanged."""
        base = sim.run(scenario([STAFF, STAFF, STAFF, STAFF]), replications=10)
        more = sim.run(scenario([STAFF, STAFF + 6, STAFF + 6, STAFF]), replications=10)
        first_hour = on_duty(base, 8.5 * 3600)
        assert np.array_equal(first_hour, on_duty(more, 8.5 * 3600))
        assert (on_duty(more, 9.5 * 3600) >= first_hour).all()
        assert first_hour.min() < STAFF  # someone was absent: the check is not vacuous

    def test_adding_a_shift_keeps_who_is_absent(self):
        """A second shift from 10:00: the first shift's agents on duty before it are unchanged."""
        one = [{"start": "08:00", "length": "4h", "count": 15}]
        two = [*one, {"start": "10:00", "length": "2h", "count": 7}]
        base = sim.run(scenario(None, shifts=one), replications=10)
        more = sim.run(scenario(None, shifts=two), replications=10)
        assert np.array_equal(on_duty(base, 9 * 3600), on_duty(more, 9 * 3600))

    def test_groups_draw_apart(self):
        """Two groups' absences are not the same numbers (keyed by the group's name)."""
        a = group_absences(keyed.root(5, 0), "pool", 0.5).absent(0, 64)
        b = group_absences(keyed.root(5, 0), "other", 0.5).absent(0, 64)
        assert not np.array_equal(a, b)


def test_absenteeism_must_be_below_one():
    """absenteeism: 1 is an error with its field path (nobody would ever come)."""
    with pytest.raises(sim.ScenarioError, match=r"agents\.pool\.absenteeism: must be < 1"):
        scenario(STAFF, absenteeism=1.0)
    assert math.isclose(scenario(STAFF, absenteeism=0.5).agents["pool"].absenteeism, 0.5)
