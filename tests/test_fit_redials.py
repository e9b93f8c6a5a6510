"""`ccsim fit`'s repeat share counts repeat contacts, not redials nor busy signals.

A repeat contact is a new contact about the same issue after an earlier one was answered
(and left it unresolved); a redial follows an abandoned or blocked attempt (a retrial). A
log tells them apart by the outcome of the customer's previous contact. Checked on logs
ccsim writes itself, whose ``origin`` column says which each contact was.
"""

from __future__ import annotations

import pytest

import sim
from sim.calllog import read_call_log
from sim.fit import fit_log
from sim.loader import scenario_from_dict


def _scenario(repeat: float) -> dict:
    """Few lines, short patience and redials; unresolved calls repeat with ``repeat``."""
    calls = {"arrivals": {"rate": "90/h"}, "handle": {"dist": "exponential", "mean": "4m"},
             "patience": {"dist": "exponential", "mean": "2m"},
             "retrial": {"probability": 0.8, "delay": {"dist": "exponential", "mean": "3m"},
                         "max_attempts": 3}}
    if repeat:
        calls |= {"resolution": 0.5,
                  "repeat": {"probability": repeat,
                             "delay": {"dist": "exponential", "mean": "1h"}}}
    return {"name": "redials", "days": 2, "open": "08:00", "close": "16:00", "interval": "1h",
            "lines": 7, "contact_types": {"calls": calls},
            "agents": {"pool": {"skills": ["calls"], "staff": 5}}}


def _fit(tmp_path, repeat: float):
    contacts = sim.run(scenario_from_dict(_scenario(repeat)), seed=3).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    return contacts, fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0)


def test_redials_and_busy_signals_are_no_repeats(tmp_path):
    """Retrials and blocked calls, no repeats: the share is 0 (it was the redials' share)."""
    contacts, fit = _fit(tmp_path, repeat=0.0)
    origin = contacts["origin"].astype(str)
    assert (origin == "retrial").sum() > 100 and (contacts["outcome"] == "blocked").sum() > 50
    assert (origin == "repeat").sum() == 0
    assert fit.types["calls"].repeat_share == 0.0


def test_share_is_the_repeat_contacts_offered(tmp_path):
    """With repeats too: repeat contacts offered / contacts offered, as repeat_rate counts.

    The log's rows are ccsim's contacts (nobody hangs up after an answer here, so an
    answered row is a served contact): its repeat share is exactly the run's origin
    `repeat` among the offered (blocked calls are not offered).
    """
    contacts, fit = _fit(tmp_path, repeat=0.6)
    offered = contacts[contacts["outcome"].astype(str) != "blocked"]
    share = float((offered["origin"].astype(str) == "repeat").mean())
    assert share > 0.05 and (contacts["origin"].astype(str) == "retrial").sum() > 100
    assert fit.types["calls"].repeat_share == pytest.approx(share, rel=1e-12)
