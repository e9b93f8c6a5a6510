"""A drawn contact's repeat made from numbers worked out up front (sim.drawn_repeats).

The shortcut must be taken where it applies, and give the very records of the general
path (``fast_paths=False``: ``Journeys._come_back`` and the menu's end as a step), legs
included: on the refund/relations scenario (lognormal talks, exponential delays: quantiles
taken at the repeat), with uniform talks and delays (quantiles worked out for every drawn
contact at once), with a repeat that switches type and with retrials (left to
``_come_back``), with trunk lines (no menu folded into the arrival), and with callers
solved in the menu (a repeat's exit decided as it leaves it). A repeat's own
second leg takes the second-leg shortcut too, now that it adopts its parent's numbers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import count_shortcut
from test_invariants import record_differences

import sim
import sim.contacts
import sim.engine
import sim.floor
import sim.legs
from sim import compiled
from sim.engine import run_replication
from sim.legs import REPEAT

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
UNIFORM = {"dist": "uniform", "low": 60, "high": 900}
CASES = {
    "as_bundled": {},
    "uniform_times": {"contact_types.refund.handle": UNIFORM,
                      "contact_types.refund.repeat.delay": {"dist": "uniform", "low": 3600,
                                                            "high": 90000}},
    "switching_repeats": {"contact_types.relations.repeat.switch_to": "refund",
                          "contact_types.relations.repeat.switch": 0.5},
    "retrials_too": {"contact_types.refund.retrial": {"probability": 0.5,
                                                      "delay": {"dist": "exponential",
                                                                "mean": 600}}},
    "trunk_lines": {"lines": 40},
    # some solved in the menu: a folded repeat's exit is decided as it leaves it (its
    # route number, taken over only then)
    "solved_in_the_menu": {"contact_types.refund.ivr.self_service": 0.3},
}


@pytest.fixture
def made(monkeypatch):
    """What became of each repeat offered to the shortcuts, by shortcut.

    ``"repeat"``: a drawn contact's (sim.drawn_repeats); ``"again"``: its repeat's
    (sim.repeats_again). True if it made the repeat itself, False if it left it to
    ``Journeys._come_back`` (which made one), None if none was made.
    """
    offered: dict[str, list[bool | None]] = {"repeat": [], "again": []}
    general = sim.legs.Journeys._come_back
    calls = []

    def come_back(self, *args):
        calls.append(1)
        general(self, *args)

    monkeypatch.setattr(sim.legs.Journeys, "_come_back", come_back)
    make = sim.engine.drawn_repeats

    def counting(journeys, book):
        made = make(journeys, book)
        if made is None:
            return None

        def spy(shortcut, name):
            def step(c, plan, origin, at):
                before, left = book.n, len(calls)
                shortcut(c, plan, origin, at)
                offered[name].append(None if book.n == before else len(calls) == left)
            return step
        return spy(made[0], "repeat"), spy(made[1], "again")

    monkeypatch.setattr(sim.engine, "drawn_repeats", counting)
    return offered


@pytest.mark.parametrize("case", sorted(CASES))
def test_drawn_repeats_change_nothing(case, made, monkeypatch):
    lean = count_shortcut(monkeypatch, sim.floor, "second_legs")
    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml",
                                 overrides={"days": 3, **CASES[case]})
    fast = run_replication(scenario, seed=7)
    assert made["repeat"].count(True) > 100, "the shortcut made (almost) no repeat: cannot tell"
    # and repeats of those repeats (sim.repeats_again), a fourth contact left to _come_back
    assert made["again"].count(True) > 20, "no repeat's repeat made up front: cannot tell"
    assert made["again"].count(False) > 0
    if case == "switching_repeats":  # relations' repeats are left to the general path
        assert made["repeat"].count(False) > 100
    repeats = fast.origin == REPEAT
    assert repeats.sum() > 100
    if case == "as_bundled":
        assert sum(lean) > 0
    assert record_differences(fast, run_replication(scenario, seed=7, fast_paths=False)) == []


def test_a_repeat_grows_the_book(monkeypatch):
    """A repeat made when no blank row is left grows the columns, as new_contact does."""
    init, grow = sim.contacts.ContactBook.__init__, sim.contacts.ContactBook._grow
    growers = []

    def no_blank_rows(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._trim()  # the first contact made during the run grows the book

    def growing(self):
        growers.append(sys._getframe(1).f_code.co_name)
        grow(self)

    monkeypatch.setattr(sim.contacts.ContactBook, "__init__", no_blank_rows)
    monkeypatch.setattr(sim.contacts.ContactBook, "_grow", growing)
    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml", overrides={"days": 2})
    fast = run_replication(scenario, seed=7)
    # the frame that called _grow: the repeat's own; compiled (sim.compiled), the repeat has
    # no frame, and the frame is the step that called it, Journeys._complete (a comeback the
    # engine makes otherwise grows the book from ContactBook.new_contact)
    made_by = "_complete" if "drawn_repeats" in compiled.in_use() else "repeat"
    assert made_by in growers, "no repeat of a drawn contact grew the book: cannot tell"
    assert record_differences(fast, run_replication(scenario, seed=7, fast_paths=False)) == []
