"""Metrics: KPI definitions on hand-made tables."""

import math

import numpy as np
import pytest

from sim.metrics import available_until, busy_until, service_level
from sim.scenario import ServiceLevelDefinition as D


def table(rows):
    """rows: (wait, answered, abandoned, blocked) -> the four arrays."""
    wait, answered, abandoned, blocked = zip(*rows)
    return (np.array(wait, float), np.array(answered), np.array(abandoned), np.array(blocked))


CONTACTS = table([
    (5, True, False, False),     # answered in time
    (30, True, False, False),    # answered late
    (10, False, True, False),    # short abandon
    (50, False, True, False),    # long abandon
    (math.nan, False, False, True),  # busy signal: never offered
])


class TestServiceLevel:
    def test_offered(self):
        """Answered within the threshold over offered (blocked excluded)."""
        assert service_level(*CONTACTS, 20, D.OFFERED) == pytest.approx(1 / 4)

    def test_answered(self):
        """Answered within the threshold over answered."""
        assert service_level(*CONTACTS, 20, D.ANSWERED) == pytest.approx(1 / 2)

    def test_short_abandons_excluded(self):
        """Abandons within the threshold leave the denominator."""
        assert service_level(*CONTACTS, 20, D.SHORT_ABANDONS_EXCLUDED) == pytest.approx(1 / 3)

    def test_threshold_inclusive(self):
        """A wait of exactly the threshold counts as within it."""
        assert service_level(*CONTACTS, 30, D.OFFERED) == pytest.approx(2 / 4)


class TestAgentTime:
    def test_busy_until(self):
        """Busy seconds before each point, with calls cut at the point."""
        answer, end = np.array([0.0, 10.0]), np.array([20.0, 15.0])
        got = busy_until(answer, end, np.array([0.0, 5.0, 12.0, 100.0]))
        assert got.tolist() == [0.0, 5.0, 14.0, 25.0]

    def test_available_until(self):
        """Agent-seconds of a step function of agents on duty."""
        got = available_until(np.array([10.0, 20.0, 30.0]), np.array([2, 5, 0]),
                              np.array([0.0, 15.0, 25.0, 40.0]))
        assert got.tolist() == [0.0, 10.0, 45.0, 70.0]
