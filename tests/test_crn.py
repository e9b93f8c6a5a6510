"""Common random numbers under a staffing change, on random scenarios (Hypothesis).

The brief's promise: "a staffing or routing change alters waits, never who the customers
are or what their calls turn into". ``test_routing`` checks it for a routing policy; this
checks it for the change planners make most, more agents in every group (every constant
or per-interval staff + 1, every shift's count + 1), on the scenarios of
:mod:`strategies` (every feature mixed). Between the two runs, with the same seed:

- the same issues arrive at the same moments as the same contact types;
- what a caller who gets a line does before any agent is involved is the same:
  self-served in the IVR, or routed to the wrong queue (misrouted), the same callers (a
  busy signal and balking are not: they depend on the callers on the line and the
  queue found, which staffing changes);
- a first contact answered in both runs by the same group, talked to once (no transfer,
  no hold, no consult) and neither capped by a concurrent agent's slowdown nor by an
  agent's own speed, talks exactly as long and is resolved alike.
"""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import event, example, given, reject
from strategies import scenarios
from test_invariants import SEEDS, SETTINGS, simulate

from sim.records import ANSWERED, BLOCKED, LEG_REASONS, SELF_SERVED, Records


def more_agents(data: dict) -> dict:
    """The scenario with one agent more in every group, at every moment it has staff."""
    out = copy.deepcopy(data)
    for group in out["agents"].values():
        if "shifts" in group:
            for shift in group["shifts"]:
                shift["count"] += 1
        elif isinstance(group["staff"], list):
            group["staff"] = [n + 1 for n in group["staff"]]
        else:
            group["staff"] += 1
    return out


def first_contacts(r: Records) -> list[tuple]:
    first = r.origin == 0
    return sorted(zip(r.issue[first].tolist(), r.arrival[first].tolist(),
                      r.contact_type[first].tolist()))


def by_issue(r: Records, mask: np.ndarray, *columns: np.ndarray) -> dict:
    """Issue -> the columns' values, for the first contacts where ``mask``."""
    m = (r.origin == 0) & mask
    return {int(i): tuple(float(col[k]) for col in columns)
            for i, k in zip(r.issue[m], np.flatnonzero(m))}


KEPT = [LEG_REASONS.index(r) for r in ("completed", "transfer", "escalation", "misroute")]


def first_legs(r: Records) -> dict:
    """Issue -> ((group, queue), reason) of each first contact's first answered leg.

    Only legs ended by the agent (completed, transferred, escalated, a misroute noticed):
    a hang-up on hold depends on how long the consult took, which staffing changes.
    """
    legs = r.legs
    if not legs or not len(legs["contact_row"]):
        return {}
    row = legs["contact_row"]
    answered = (row >= 0) & ~np.isnan(legs["answered"])
    order = np.lexsort((legs["answered"][answered], row[answered]))
    rows = row[answered][order]
    first = np.r_[True, rows[1:] != rows[:-1]] if rows.size else rows.astype(bool)
    out = {}
    for k in np.flatnonzero(answered)[order][first]:
        c = row[k]
        if r.origin[c] == 0 and legs["reason"][k] in KEPT:
            out[int(r.issue[c])] = ((int(legs["group"][k]), int(legs["queue"][k])),
                                    int(legs["reason"][k]))
    return out


# a chat caller waits for a call back in an email type's queue, whose agents transfer
# every contact: answered at once in one run, from the callback queue in the other
CALLBACK_IN_ANOTHER_QUEUE = {
    "name": "random", "seed": 1, "days": 1, "open": "06:00", "close": "08:00",
    "interval": "30m",
    "contact_types": {
        "t0": {"channel": "chat", "arrivals": {"rate": "3/h"},
               "handle": {"dist": "exponential", "mean": 75},
               "callback": {"threshold": 0, "accept": 0.5, "queue": "t1"}},
        "t1": {"channel": "email", "arrivals": {"rate": "1/h"},
               "handle": {"dist": "exponential", "mean": 20},
               "transfer": {"probability": 1.0, "to": "t0", "mode": "cold"}}},
    "agents": {"g0": {"skills": ["t0", "t1"], "staff": 1}}}


@SETTINGS
@given(scenarios(), SEEDS)
@example(CALLBACK_IN_ANOTHER_QUEUE, 0)
def test_more_agents_change_waits_not_customers(data, seed):
    scenario, base = simulate(data, seed, 0)
    if not scenario.agents:
        reject()
    _, more = simulate(more_agents(data), seed, 0)
    assert first_contacts(base) == first_contacts(more)
    # the IVR's self-service and wrong queue, for callers who got a line in both runs
    # (a busy signal and balking are not the customer's alone: they depend on the
    # callers still on the line, or the queue found, which staffing changes)
    through = (by_issue(base, base.state != BLOCKED).keys()
               & by_issue(more, more.state != BLOCKED).keys())

    def ivr(r: Records) -> dict:
        out = by_issue(r, (r.state == SELF_SERVED) | (r.misrouted == 1), r.state == SELF_SERVED)
        return {i: v for i, v in out.items() if i in through}

    assert ivr(base) == ivr(more)
    steady = [name for name, g in scenario.agents.items()
              if g.speed == 1 and g.speed_cv == 0 and g.concurrency == 1]
    groups = [list(scenario.agents).index(name) for name in steady]

    def talked_once(r: Records) -> dict:
        once = ((r.state == ANSWERED) & (r.transfers == 0) & (r.hold == 0)
                & np.isin(r.group, groups))
        return by_issue(r, once, r.group, r.talk, r.resolved)

    a, b = talked_once(base), talked_once(more)
    same_group = [i for i in a.keys() & b.keys() if a[i][0] == b[i][0]]
    # how the first answered leg ends (talked to the end, handed on, misroute noticed),
    # where the same group answered it from the same queue in both runs (a callback may
    # wait in another type's queue) and the customer stayed on the line
    legs, more_legs = first_legs(base), first_legs(more)
    same = sorted(i for i in legs.keys() & more_legs.keys() if legs[i][0] == more_legs[i][0])
    assert [(i, legs[i], more_legs[i]) for i in same if legs[i] != more_legs[i]] == []
    event(f"first contacts talked to once by the same group in both runs: "
          f"{'some' if same_group else 'none'}")
    assert [i for i in sorted(same_group) if a[i] != b[i]] == []
