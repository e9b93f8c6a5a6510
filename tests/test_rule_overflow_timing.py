"""An overflow a rule opens answers only while the rule holds, and takes who already waits.

README (real-time rules): the group "may take contacts of ``types`` only while the rule
holds". An outside check found both ways wrong: a contact that joined while the rule
held kept its overflow timer after the rule cleared, and the group took it ``after``
seconds on, the rule off (``clear_at`` shorter than ``after``); and a contact already
waiting when the rule came on got no timer, so the group's idle agents left it waiting
unless one of them happened to come free.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import sim

DATA = Path(__file__).parent / "data" / "rules"


def _periods(rules) -> list[tuple[float, float]]:
    """The rule's on periods, in order."""
    out, start = [], None
    for t, s in zip(rules["time"], rules["state"], strict=True):
        if s == "on" and start is None:
            start = t
        elif s == "off" and start is not None:
            out.append((start, t))
            start = None
    return out


def test_the_overflow_group_answers_only_while_the_rule_holds():
    result = sim.run(sim.load_scenario(DATA / "ovf_repro.yaml"), seed=1, replications=2)
    c, rules = result.contacts, result.rules
    off = []
    for rep in range(2):
        mine = rules[rules["replication"] == rep]
        times, on = mine["time"].to_numpy(), (mine["state"] == "on").to_numpy()
        taken = c[(c["replication"] == rep) & (c["group"] == "gb") & (c["contact_type"] == "a")]
        for row in taken.itertuples():
            k = np.searchsorted(times, row.answer, side="right") - 1
            if not (k >= 0 and on[k]) and not np.isclose(times, row.answer, atol=1e-9).any():
                off.append((rep, row.contact_id, row.answer))
    assert not off, f"{len(off)} contacts of a answered by gb with the rule off: {off[:3]}"


def test_the_group_takes_contacts_waiting_when_the_rule_came_on():
    """No contact waits past its 60 s delay, the rule holding, while gb has an agent free.

    Before closing (12:00): then gb's agents go home, none free.
    """
    result = sim.run(sim.load_scenario(DATA / "ovf_open.yaml"), seed=1, replications=2)
    c, rules = result.contacts, result.rules
    left = []
    for rep in range(2):
        mine = c[c["replication"] == rep]
        gb = mine[(mine["group"] == "gb") & mine["answered"]]
        busy_from, busy_to = gb["answer"].to_numpy(), (gb["end"] + gb["wrap_up"]).to_numpy()
        for row in mine[mine["contact_type"] == "a"].itertuples():
            leaves = row.arrival + row.wait
            for t1, t2 in _periods(rules[rules["replication"] == rep]):
                due = max(row.arrival + 60.0, t1)
                if due < min(t2, leaves, 12 * 3600.0) - 1e-6:
                    probe = due + 1e-6
                    if int(((busy_from <= probe) & (busy_to > probe)).sum()) < 4:
                        left.append((rep, row.contact_id, round(due, 1), round(leaves, 1)))
                    break
    assert not left, f"{len(left)} waited past their delay with gb idle: {left[:3]}"
