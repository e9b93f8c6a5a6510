"""A contact's IVR menu folded into its arrival (RESULTS_VERSION 6; comebacks: 8).

Nothing happens at the arrival of a contact whose type has an IVR but neither trunk
lines nor second answers: it only schedules the end of the menu. The arrival stream
hands such a contact to the menu's end at arrival + menu time, one event fewer per call.
Apart from the order of events on exactly the same instant, the records must be those
of a run that schedules the menu's end as an event of its own.
"""

from __future__ import annotations

import heapq
from pathlib import Path

import numpy as np
import pytest
from simpy.events import NORMAL

import sim
from sim import engine
from sim.engine import run_replication
from sim.legs import COMPLAINT, REPEAT, Journeys

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _records(scenario, seed, fold):
    rep = engine._Replication(scenario, engine.draw_contacts(scenario, seed, 0), seed, 0,
                              None, fold_ivr=fold)
    records = rep.run()
    return records, next(rep.env._eid)  # events scheduled in all


def _same(a, b) -> None:
    for name in ("arrival", "answer", "end", "wait", "queue_time", "talk", "hold", "state",
                 "resolved", "misrouted", "group", "agent", "issue", "origin", "transfers"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name, column in a.legs.items():
        np.testing.assert_array_equal(column, b.legs[name], err_msg=f"legs.{name}")


@pytest.mark.parametrize(("name", "days"),
                         [("refund_vs_relations", 2), ("self_service_shift", 1)])
def test_folded_menus_give_the_records_of_menus_as_events(name, days):
    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml", overrides={"days": days})
    folded, events = _records(scenario, 3, True)
    apart, events_apart = _records(scenario, 3, False)
    _same(folded, apart)
    # one event fewer per contact entering through a menu: drawn, repeats and retrials
    # (RESULTS_VERSION 8: a comeback made when decided, entering out of its menu)
    menu = np.array([ct.ivr is not None for ct in scenario.contact_types.values()])
    through_menu = menu[folded.contact_type] & (folded.origin != COMPLAINT)
    assert events == events_apart - int(through_menu.sum())
    if name == "refund_vs_relations":
        assert (folded.origin[through_menu] == REPEAT).sum() > 100


def test_menus_of_callers_on_trunk_lines_stay_events():
    """A caller takes a line on arrival (or is blocked): that step is not skipped."""
    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml",
                                 overrides={"days": 1, "lines": 12})
    folded, events = _records(scenario, 5, True)
    apart, events_apart = _records(scenario, 5, False)
    _same(folded, apart)
    assert events == events_apart and (folded.state == 3).any()  # some were blocked


def test_the_default_run_folds():
    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml", overrides={"days": 1})
    _same(run_replication(scenario, 4), _records(scenario, 4, True)[0])


def test_comebacks_wait_aside_in_the_order_of_one_heap(monkeypatch):
    """Repeats due a day ahead wait in a heap of their own, the earliest on the env's.

    (Journeys.later.) The records are bit for bit those of one heap, which stays small.
    """
    scenario = sim.load_scenario(SCENARIOS / "refund_vs_relations.yaml", overrides={"days": 3})
    rep = engine._Replication(scenario, engine.draw_contacts(scenario, 8, 0), 8, 0, None)
    env, journeys, seen = rep.env, rep.journeys, []

    def look():  # every simulated half hour: what waits where
        while env._queue or journeys.later:
            aside = [entry for entry in env._queue if entry[3] is journeys.due]
            seen.append((len(journeys.later), len(env._queue), aside))
            yield env.timeout(1800)

    env.process(look())
    aside = rep.run()
    assert max(n for n, _, _ in seen) > 100  # hundreds of comebacks waited at once
    assert all(len(on_heap) <= 1 for _, _, on_heap in seen)  # the earliest of them only
    # (comebacks due before the earliest aside go on the env's heap: the morning's burst)
    assert sum(n for _, n, _ in seen) / len(seen) < 60

    def one_heap(self, t, step, c):
        from sim.ticks import Tick
        tick = Tick((step,), c)
        heapq.heappush(self.env._queue, (t, NORMAL, next(self.env._eid), tick))

    monkeypatch.setattr(Journeys, "_at_time", one_heap)
    _same(aside, engine._Replication(scenario, engine.draw_contacts(scenario, 8, 0), 8, 0,
                                     None).run())
