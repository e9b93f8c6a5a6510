"""Backtest: the simulated and the logged KPIs are counted over the same contacts, alike.

A backtest is only a test of the model if both sides are measured the same way: the
same days, the same intervals and the run's own definitions of its KPIs. The logs here
are ccsim's own contacts (one replication), whose interval table the run also writes, so
the backtest's actual side must equal that table exactly.
"""

from __future__ import annotations

import numpy as np

import sim
from sim.backtest import backtest
from sim.calllog import CallLog, ccsim_table


def _log(result) -> CallLog:
    """The first replication of a run as a call log."""
    contacts = result.contacts
    return CallLog("run", ccsim_table(contacts[contacts["replication"] == 0]))


class TestSameDays:
    """The simulated side covers the log's days, no more."""

    def test_cooldown_contacts_are_not_counted(self):
        """A scenario with a cooldown simulates the same offered contacts per day.

        Contacts of the cooldown come after the log's last day; they come from streams
        of their own, so the measured days' contacts are the same with or without one.
        """
        scenario = sim.load_scenario("scenarios/erlang_a.yaml",
                                     overrides={"warmup": 0, "days": 1})
        log = _log(sim.run(scenario, seed=3))
        plain = backtest(scenario, log, replications=2, seed=4)
        later = backtest(scenario.model_copy(update={"cooldown": 86400.0}), log,
                         replications=2, seed=4)
        np.testing.assert_array_equal(later.mean["offered"].to_numpy(),
                                      plain.mean["offered"].to_numpy())
