"""Routing against oracles written apart from the engine: queueing theory and the records.

- Two contact types on one group, one at skill priority 1: a non-preemptive priority
  M/M/c with equal service rates, whose per-class mean wait is Cobham's formula (1954)
  and whose chance to wait is Erlang C for both classes, computed here.
- An overflow step ``after: 0`` is a second group (two one-agent groups: M/M/2); an
  ``after`` longer than any wait leaves the second group out (M/M/1); in between, waits
  lie between the two, with the same customers (common random numbers).
- On random scenarios (skills by priority, overflow steps, speeds, built-in policies,
  cold transfers that jump the queue), every answer and every wait is checked from the
  legs alone: nobody is answered by a group the routing does not allow, or before its
  overflow delay; no agent who may take a waiting contact stays idle while it waits
  (work conservation); a free agent takes its best skill priority first; a type's queue
  is first come, first served.

Tolerances: 3 half-widths of a 95% interval over the replications (``assert_agrees``),
with the value of a nearby wrong model shown to fall outside.
"""

from __future__ import annotations

import math
import os

import numpy as np
from helpers import assert_agrees
from hypothesis import given, note, settings
from hypothesis import strategies as st

import sim
from sim.engine import run_replication
from sim.records import ABANDONED, ANSWERED, HUNG_UP, Records

MIN = 60.0
EPS = 1e-7
EXP_1M = {"dist": "exponential", "mean": "1m"}


def erlang_c(c: int, a: float) -> float:
    """P(wait) in M/M/c with offered load ``a`` Erlangs (Erlang C)."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


def after_warmup(result, warmup: float):
    contacts = result.contacts
    return contacts[contacts["arrival"] >= warmup]


# ---- non-preemptive priority: Cobham's formula ---------------------------------------------

class TestPriorityClasses:
    def test_each_class_waits_as_cobham_says(self):
        """3 agents take ``hi`` (priority 1) before ``lo`` (2), 1.2 contacts/min each, 1 min.

        Cobham: W_k = C(c, a) / (c mu (1 - s_{k-1})(1 - s_k)), s_k the load of classes
        1..k over c mu; P(wait) = C(c, a) for both. FIFO (one queue) would give both
        C / (c mu - lambda): the wrong value each class's mean must be told apart from.
        """
        c, lam, warmup = 3, 1.2, 3600.0
        scenario = sim.scenario_from_dict({
            "name": "priority classes", "days": 1, "interval": "1h", "warmup": "1h",
            "contact_types": {t: {"arrivals": {"rate": f"{lam * 60:g}/h"}, "handle": EXP_1M}
                              for t in ("lo", "hi")},  # lo listed first: order is no priority
            "agents": {"pool": {"skills": {"hi": 1, "lo": 2}, "staff": c}}})
        wait = erlang_c(c, 2 * lam)
        s1, s2 = lam / c, 2 * lam / c
        theory = {"hi": wait / (c * (1 - s1)), "lo": wait / (c * (1 - s1) * (1 - s2))}
        fifo = wait / (c - 2 * lam)
        contacts = after_warmup(sim.run(scenario, seed=5, replications=10), warmup)
        for name in ("hi", "lo"):
            mine = contacts[contacts["contact_type"] == name].groupby("replication")["wait"]
            assert_agrees(f"{name} mean wait (min)", mine.mean() / MIN, theory[name], [fifo])
            assert_agrees(f"{name} P(wait)", mine.apply(lambda w: (w > 0).mean()), wait)


# ---- overflow after a delay: between one group and two --------------------------------------

def overflow_scenario(after: str) -> sim.Scenario:
    return sim.scenario_from_dict({
        "name": "overflow", "days": 1, "interval": "1h", "warmup": "1h",
        "contact_types": {"calls": {"arrivals": {"rate": "36/h"}, "handle": EXP_1M}},
        "agents": {"x": {"skills": ["calls"], "staff": 1}, "y": {"skills": ["calls"], "staff": 1}},
        "routing": {"calls": ["x", {"group": "y", "after": after}]}})


class TestOverflowDelay:
    def test_from_two_groups_to_one(self):
        """0.6 Erlang on x, then y after 0 (M/M/2), 30 s (in between) or 2 days (M/M/1)."""
        lam, warmup = 0.6, 3600.0
        mm2, mm1 = erlang_c(2, lam) / (2 - lam), lam / (1 - lam)
        waits, shares = {}, {}
        for after in ("0s", "30s", "2d"):
            contacts = after_warmup(sim.run(overflow_scenario(after), seed=9,
                                            replications=10), warmup)
            by = contacts.groupby("replication")
            waits[after] = by["wait"].mean().to_numpy() / MIN
            shares[after] = by["group"].apply(lambda g: (g == "y").mean()).to_numpy()
            if after == "30s":  # y answers only those who waited 30 s
                assert contacts.loc[contacts["group"] == "y", "wait"].min() >= 30.0 - 1e-9
        assert_agrees("after 0: M/M/2 wait (min)", waits["0s"], mm2, [mm1])
        assert_agrees("after 2 days: M/M/1 wait (min)", waits["2d"], mm1, [mm2])
        assert shares["2d"].max() == 0.0
        assert_agrees("after 0: y's share", shares["0s"], 0.5)  # two alike, longest idle
        # the same customers: every replication's wait grows with the delay
        assert (waits["0s"] < waits["30s"]).all() and (waits["30s"] < waits["2d"]).all()
        assert (shares["30s"] > 0).all() and (shares["30s"] < shares["0s"]).all()


# ---- invariants of routing, from the legs ------------------------------------------------------

OPEN, CLOSE = 8 * 3600.0, 11 * 3600.0
AGENT_RULES = ("longest_idle", "fastest_first", "least_skilled_first", "random", "group_order")


@st.composite
def routed_scenarios(draw) -> dict:
    """A scenario whose routing the records can be checked against.

    1-3 types on 1-3 groups of constant staff: skills by priority, overflow steps,
    speeds, a built-in policy, cold transfers (some jumping the queue), patience.
    """
    types = [f"t{i}" for i in range(draw(st.integers(1, 3)))]
    groups = [f"g{i}" for i in range(draw(st.integers(1, 3)))]
    kinds = st.sampled_from(("exponential", "deterministic"))
    cts = {}
    for t in types:
        mean = draw(st.integers(30, 400))
        kind = draw(kinds)
        ct = {"arrivals": {"rate": f"{draw(st.integers(5, 50))}/h"},
              "handle": {"dist": kind, "mean": mean} if kind == "exponential"
              else {"dist": kind, "value": mean}}
        if draw(st.booleans()):
            ct["patience"] = {"dist": "exponential", "mean": draw(st.integers(20, 600))}
        others = [o for o in types if o != t]
        if others and draw(st.integers(0, 2)) == 0:
            ct["transfer"] = {"probability": draw(st.sampled_from((0.3, 1.0))),
                              "to": draw(st.sampled_from(others)), "priority": draw(st.booleans())}
        cts[t] = ct
    agents = {}
    for g in groups:
        skills = draw(st.lists(st.sampled_from(types), min_size=1, unique=True))
        agents[g] = {"skills": {t: draw(st.integers(1, 3)) for t in skills},
                     "staff": draw(st.integers(1, 3)),
                     "speed": draw(st.sampled_from((0.5, 1.0, 1.0, 2.0)))}
    for t in types:  # every type has someone
        if not any(t in a["skills"] for a in agents.values()):
            agents[draw(st.sampled_from(groups))]["skills"][t] = 1
    routing = {}
    for t in types:
        able = [g for g in groups if t in agents[g]["skills"]]
        if draw(st.booleans()):
            order = draw(st.permutations(able))
            routing[t] = [{"group": g, "after": draw(st.sampled_from((0, 0, 10, 30, 120)))}
                          for g in order[:draw(st.integers(1, len(order)))]]
    data = {"name": "routed", "days": 1, "open": "08:00", "close": "11:00", "interval": "1h",
            "contact_types": cts, "agents": agents, "routing": routing}
    if draw(st.booleans()):
        data["routing_policy"] = {"agent": draw(st.sampled_from(AGENT_RULES)), "contact":
                                  draw(st.sampled_from(("priority_fifo", "longest_queue")))}
    return data


def waits_and_talks(records: Records):
    """Per leg: queue (type), entered, end of the wait, answered (NaN: not), group, busy.

    From the legs, or from the contacts in a scenario without them; the last two columns
    are when the leg's agent was busy with it (from, to).
    """
    if records.legs:
        legs = records.legs
        answered = legs["answered"]
        gone = np.isnan(answered)
        return (legs["queue"], legs["enqueued"], np.where(gone, legs["ended"], answered),
                answered, legs["group"], answered, legs["ended"])
    done = np.isin(records.state, (ANSWERED, HUNG_UP))
    left = records.state == ABANDONED
    end = np.where(done, records.answer, np.where(left, records.end, np.inf))
    return (records.contact_type, records.arrival, end, np.where(done, records.answer, np.nan),
            records.group, records.answer, records.answer + records.talk)


def routing_problems(scenario: sim.Scenario, records: Records) -> list[str]:
    """What the routing did that the README does not allow (see the module docstring)."""
    types, groups = records.type_names, records.group_names
    after = {(t, s.group): s.after for t in types for s in scenario.routes(t)}
    queue, entered, until, answered, group, start, stop = waits_and_talks(records)
    staff = {g: spec.staff for g, spec in scenario.agents.items()}
    problems = []
    for i in np.flatnonzero(~np.isnan(answered)):
        t, g = types[queue[i]], groups[group[i]]
        if (t, g) not in after:
            problems.append(f"leg {i} of {t} answered by {g}, not in its routing")
        elif answered[i] - entered[i] < after[(t, g)] - EPS:
            problems.append(f"leg {i} of {t} answered by {g} after {answered[i] - entered[i]:g}"
                            f" s, before its overflow delay {after[(t, g)]:g} s")

    def fewest_busy(g: int, lo: float, hi: float) -> tuple[int, float]:
        mine = group == g
        s, e = start[mine], stop[mine]
        cuts = np.unique(np.concatenate([[lo, hi], s[(s > lo) & (s < hi)], e[(e > lo) & (e < hi)]]))
        mids = (cuts[:-1] + cuts[1:]) / 2
        busy = ((s[None, :] <= mids[:, None]) & (e[None, :] > mids[:, None])).sum(axis=1)
        k = int(np.argmin(busy))
        return int(busy[k]), float(mids[k])

    for i in range(queue.size):  # work conservation, while the center is open
        t = types[queue[i]]
        for (tt, g), delay in after.items():
            lo, hi = entered[i] + delay, min(until[i], CLOSE)
            if tt != t or hi - lo < 1e-6:
                continue
            busy, at = fewest_busy(groups.index(g), lo, hi)
            if busy < staff[g]:
                problems.append(f"leg {i} of {t} waits at {at:g} s while {staff[g] - busy} "
                                f"agent(s) of {g} are free (delay {delay:g} s)")
    for j in np.flatnonzero(answered > entered + EPS):  # best skill priority first
        g, tj = groups[group[j]], types[queue[j]]
        skills = scenario.agents[g].skills
        due = np.array([(types[queue[i]], g) in after and skills[types[queue[i]]] < skills[tj]
                        and entered[i] + after[(types[queue[i]], g)] <= answered[j] - EPS
                        and until[i] > answered[j] + EPS for i in range(queue.size)], bool)
        if due.any() and answered[j] < CLOSE:
            problems.append(f"{g} took leg {j} of {tj} while leg {np.flatnonzero(due)[0]} of "
                            "a better priority waited")
    jumped = {ct.transfer.to for ct in scenario.contact_types.values()
              if ct.transfer is not None and ct.transfer.priority}
    for t_index, t in enumerate(types):  # first come, first served in a type's queue
        if t in jumped:
            continue
        mine = np.flatnonzero(queue == t_index)
        for i in mine:
            ahead = answered[mine] < min(until[i], CLOSE) - EPS
            later = mine[(entered[mine] > entered[i]) & ahead]
            if later.size:
                problems.append(f"leg {later[0]} of {t} answered before leg {i}, waiting longer")
    return problems


@settings(max_examples=int(os.environ.get("CCSIM_EXAMPLES", "25")), deadline=None)
@given(routed_scenarios(), st.integers(0, 10_000))
def test_routing_invariants_from_the_legs(data, seed):
    """Routing as the README promises it, from the legs of random scenarios.

    No leg answered against the routing, no agent idle beside a due contact, best
    priority first, FIFO within a type (``--hypothesis-seed`` and more examples to hunt).
    """
    scenario = sim.scenario_from_dict(data)
    note(f"seed {seed}: {data}")
    assert routing_problems(scenario, run_replication(scenario, seed)) == []
