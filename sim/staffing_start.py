"""The staffing search's starting point: each group's share of the load, and Erlang C or A.

A contact type's offered load in an interval (its expected contacts, day factors
included, less those its IVR solves, times its mean handle time and wrap-up, over the
interval) is shared equally by its *first-line* groups (the compiled routing's
``first_line``: those that take it without waiting). Its queue is also offered second
legs (:func:`queue_entries`): the contacts other types transfer or escalate to it and
the consults they ask of it, so a group reached only by transfers (a specialist desk)
carries their load, not none; and the calls the IVR misroutes to it, for their short
talk (:attr:`QueueEntries.misrouted`). Each group's share is one Erlang C (or A) queue,
served as the engine serves it (:func:`slots_and_pace`: a chat desk's agent is several
servers, each talk paced as the engine paces it: chat slowdown, agent speed). Also the
blocks the search staffs as one: runs of intervals with the same load (see
:mod:`sim.staffing`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from sim import erlang
from sim.arrivals import expected_counts
from sim.distribution_base import midpoint_quantiles
from sim.distributions import Distribution
from sim.plan_evaluation import Goal, measured_intervals
from sim.routing_table import routing_table
from sim.scenario import Scenario
from sim.scenario_agents import AgentGroup
from sim.scenario_contacts import ContactType, misroute_targets
from sim.scenario_journeys import TransferMode
from sim.start_consults import consult_seconds, patience_points, still_holding
from sim.start_repeats import repeat_calls


def slots_and_pace(group: AgentGroup) -> tuple[int, float]:
    """Contacts an agent of ``group`` takes at once, and how many times the drawn talk each takes.

    As the engine serves them (:mod:`sim.floor_routing`): a chat desk's agent
    (``concurrency`` c > 1) is c servers of its queue, each chat ``concurrency_slowdown``
    times longer; every talk takes 1 / ``speed`` of the drawn handle time. With
    ``speed_cv`` the agents' speeds are ``speed`` x factors of mean 1, so their
    capacities still average ``speed``: the pace 1 / ``speed`` is exact while every agent
    stays busy; idle spells shared evenly would lengthen the mean talk by (1 + cv^2), so
    at low occupancy the need is somewhat low.
    """
    slowdown = group.concurrency_slowdown if group.concurrency > 1 else 1.0
    return group.concurrency, float(slowdown) / float(group.speed)


def agent_time(contact_type: ContactType, pace: float, points: int = 1000) -> float:
    """Mean seconds of one server per contact: the talk x ``pace``, then the wrap-up.

    The pace lengthens the talk, not the after-call work, as the engine does. A
    ``handle_cap`` cuts the talk (at the pace) at its ``max``: E[min(pace x talk, max)] =
    pace x mean - E[(pace x talk - max)+], the excess from the talk's quantiles at
    ``points`` midpoints (so a cap no talk reaches leaves the mean exact).
    """
    talk = contact_type.handle.mean * pace
    cap = contact_type.handle_cap
    if cap is not None:
        talks = pace * midpoint_quantiles(contact_type.handle, points)
        talk -= float(np.maximum(talks - cap.max, 0.0).mean())
    return contact_type.agent_seconds + talk - contact_type.handle.mean


def load_shares(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Contact type -> first-line group -> its share of the type's load (shares sum to 1)."""
    table = routing_table(scenario)
    return {name: {table.group_names[g]: 1.0 / len(first) for g in dict.fromkeys(first)}
            for name, first in zip(table.type_names, table.first_line)}


@dataclass(frozen=True)
class QueueEntries:
    """Expected entries per second into each contact type's queue (type -> per interval).

    Attributes:
        first: First contacts (:func:`sim.arrivals.expected_counts`) and repeat contacts
            (:attr:`repeats`), less those the IVR solves (``ivr.self_service``): they
            never reach a queue.
        cold: Customers a cold transfer or an escalation ``as: transfer`` sends in: they
            wait alone, with the type's patience.
        held: Customers a warm or conference transfer sends in: an agent holds them.
        consults: Consult requests (a consult, an escalation ``as: consult``).
        extra: Erlangs besides the handle time and wrap-up of the customers: the
            conferences' three-way talk, in the queue that sends and the one that takes
            (both agents talk, at the pace of the one who sends).
        talk: The consults asked of this queue: (requests per second, their talk, the
            customer's hold patience left when asked, as points, or None:
            :mod:`sim.start_consults`), each talk then taken at the pace of the group
            that answers (:func:`sim.start_consults.consult_seconds`).
        misrouted: Calls the IVR sends into this queue by mistake (``ivr.misroute``): a
            short talk here, then their own queue, where they count among its first.
        misroute_talk: Their short talk (``misroute_talk``), seconds per second as drawn.
        misroute_hangups: Their abandonment, per second: rate x 1 / their own type's
            mean patience.
        repeats: Repeat contacts of unresolved issues, before the menu, per second
            (:func:`sim.start_repeats.repeat_calls`): included in :attr:`first` (less
            those the menu solves) and among the calls the menu misroutes.
    """

    first: dict[str, np.ndarray]
    cold: dict[str, np.ndarray]
    held: dict[str, np.ndarray]
    consults: dict[str, np.ndarray]
    extra: dict[str, np.ndarray]
    talk: dict[str, list[tuple[np.ndarray, Distribution, Distribution | None]]] = field(
        default_factory=dict)
    misrouted: dict[str, np.ndarray] = field(default_factory=dict)
    misroute_talk: dict[str, np.ndarray] = field(default_factory=dict)
    misroute_hangups: dict[str, np.ndarray] = field(default_factory=dict)
    repeats: dict[str, np.ndarray] = field(default_factory=dict)


def queue_entries(scenario: Scenario) -> QueueEntries:
    """First contacts and second legs offered to each contact type's queue, by interval.

    A leg of type S hands on ``probability`` x the legs offered to S (first contacts and
    those sent in; for a consult, the consults asked of S too: an agent answering one may
    consult in turn, if the customer still holds, :mod:`sim.start_consults`), in the
    interval they arrived (abandons before an answer not subtracted: an estimate from
    above), to a depth of the longest ``max_transfers``; an agent group's escalations come
    from the legs it takes (its share, :func:`load_shares`): as a consult, where the
    queue's own consult is not asked (from the consults it answers too); as a transfer,
    where the queue's own transfer is not made, as the engine decides them.
    A type's IVR solves ``self_service`` x its calls and sends ``misroute`` x them to its
    wrong queues, an equal share to each (:func:`sim.scenario_contacts.misroute_targets`), as the
    engine picks them.
    """
    types = scenario.contact_types
    calls = {name: expected_counts(scenario, ct.arrivals, name) / scenario.interval
             for name, ct in types.items()}
    shares = load_shares(scenario)
    paces = {name: slots_and_pace(group)[1] for name, group in scenario.agents.items()}
    repeats = repeat_calls(scenario, calls, shares, paces)
    calls = {name: calls[name] + repeats[name] for name in types}
    first = {name: calls[name] * (1.0 - ct.ivr.self_service) if ct.ivr is not None
             else calls[name] for name, ct in types.items()}
    zero = {name: np.zeros_like(rate) for name, rate in first.items()}
    legs = QueueEntries(first, *(dict(zero) for _ in range(4)), {name: [] for name in types})
    # a type's pace: its first-line groups', by their shares (a conference, a consult's hold)
    pace = {name: sum(share * paces[g] for g, share in shares[name].items()) for name in types}
    for _ in range(max(ct.max_transfers for ct in types.values())):
        offered = {name: first[name] + legs.cold[name] + legs.held[name] for name in types}
        asked = legs.talk  # the consults each queue answered, one level up
        legs = QueueEntries(first, *(dict(zero) for _ in range(4)),
                            {name: [] for name in types})
        for name, ct in types.items():
            if ct.transfer is not None:
                flow = ct.transfer.probability * offered[name]
                kind = legs.cold if ct.transfer.mode is TransferMode.COLD else legs.held
                kind[ct.transfer.to] = kind[ct.transfer.to] + flow
                if ct.transfer.conference is not None:  # both agents, at the first one's pace
                    three_way = flow * ct.transfer.conference.mean * pace[name]
                    for to in (ct.transfer.to, name):
                        legs.extra[to] = legs.extra[to] + three_way
            consult = ct.consult.probability if ct.consult is not None else 0.0
            if ct.consult is not None:
                _consult(legs, ct.consult.to, consult * offered[name], ct.consult.talk,
                         patience_points(ct.consult.hold_patience))
                for flow, talk, left in asked[name]:  # asked in turn: no patience of its own
                    held, left = still_holding(left, talk, pace[name])
                    _consult(legs, ct.consult.to, consult * held * flow, ct.consult.talk, left)
            for group, share in shares[name].items():
                escalate = scenario.agents[group].escalate
                if escalate is None:
                    continue
                flow = escalate.probability * share * offered[name]
                if escalate.mode == "consult":  # where the queue's own consult is not asked
                    _consult(legs, escalate.to, (1.0 - consult) * flow, escalate.talk, None)
                    for request, talk, left in asked[name]:
                        held, left = still_holding(left, talk, paces[group])
                        _consult(legs, escalate.to, (1.0 - consult) * escalate.probability
                                 * share * held * request, escalate.talk, left)
                else:  # where the queue's own transfer is not made
                    transfer = ct.transfer.probability if ct.transfer is not None else 0.0
                    legs.cold[escalate.to] = legs.cold[escalate.to] + (1.0 - transfer) * flow
    misrouted, talk, hangups = dict(zero), dict(zero), dict(zero)
    for name, ct in types.items():
        if ct.ivr is None or not ct.ivr.misroute:
            continue
        wrong = misroute_targets(types, name)
        theta = 1.0 / ct.patience.mean if ct.patience is not None else 0.0
        for to in wrong:
            flow = ct.ivr.misroute / len(wrong) * calls[name]  # (of all its calls)
            misrouted[to] = misrouted[to] + flow
            talk[to] = talk[to] + flow * ct.ivr.misroute_talk.mean
            hangups[to] = hangups[to] + flow * theta
    return replace(legs, misrouted=misrouted, misroute_talk=talk, misroute_hangups=hangups,
                   repeats=repeats)


def _consult(legs: QueueEntries, to: str, flow: np.ndarray, talk: Distribution,
             left: np.ndarray | None) -> None:
    legs.consults[to] = legs.consults[to] + flow
    legs.talk[to].append((flow, talk, left))


def group_loads(scenario: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each group's expected arrivals per second, Erlangs and abandonment rate (1 / s).

    Groups (rows, scenario order) x intervals. A group carries its share of its contact
    types' loads (see the module docstring), in the time its servers take
    (:func:`agent_time` at the group's pace): first contacts and the customers sent in at
    the type's handle time and wrap-up, consults at their talk (at the group's pace) and
    conferences at theirs, and the calls misrouted to it at their short talk (at the
    group's pace) and the type's wrap-up (:func:`queue_entries`); its abandonment rate is
    the arrival-weighted mean of theirs, 1 / mean patience (0 for contacts without
    patience, and for the held and consults). A consult's talk is cut short where the
    customer on hold hangs up (:func:`consult_seconds`). An agent who asks a consult is
    busy on hold until it ends; that hold is left out: it waits for the consulted agent
    too, and an Erlang C start counts no abandons, so with it the start sat further
    above the need (``fraud_consult``: 864 agent-intervals, not 720, for 742 found, in 20
    plans, not 14).
    """
    groups = list(scenario.agents)
    paces = [slots_and_pace(group)[1] for group in scenario.agents.values()]
    rate = np.zeros((len(groups), scenario.days * scenario.intervals_per_day))
    work = np.zeros_like(rate)  # Erlangs
    hangups = np.zeros_like(rate)  # arrivals per second x abandonment rate
    legs = queue_entries(scenario)
    for name, shares in load_shares(scenario).items():
        ct = scenario.contact_types[name]
        arrivals = legs.first[name]
        theta = 1.0 / ct.patience.mean if ct.patience is not None else 0.0
        sent = legs.cold[name] + legs.held[name]
        wrap = ct.agent_seconds - ct.handle.mean
        for group, share in shares.items():
            rate[groups.index(group)] += share * arrivals
            g = groups.index(group)
            work[g] += share * arrivals * agent_time(ct, paces[g])
            hangups[groups.index(group)] += share * arrivals * theta
            if sent.any() or legs.consults[name].any() or legs.extra[name].any():
                rate[g] += share * (sent + legs.consults[name])
                work[g] += share * (sent * agent_time(ct, paces[g]) + legs.extra[name])
                for flow, talk, patience in legs.talk[name]:
                    work[g] += share * flow * consult_seconds(talk, patience, paces[g])
                hangups[g] += share * legs.cold[name] * theta
            if legs.misrouted[name].any():  # the wrong queue: a short talk, its wrap-up
                rate[g] += share * legs.misrouted[name]
                work[g] += share * (legs.misroute_talk[name] * paces[g]
                                    + legs.misrouted[name] * wrap)
                hangups[g] += share * legs.misroute_hangups[name]
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = np.where(rate > 0.0, hangups / rate, 0.0)
    return rate, work, theta


def erlang_requirement(scenario: Scenario, goal: Goal, abandonment: bool = False) -> np.ndarray:
    """Erlang C agents on the phones per group (rows, scenario order) and interval (columns).

    Each group's load is its share of its contact types' loads (see the module docstring);
    its handle time is the load-weighted mean of theirs. With ``abandonment``, Erlang A
    instead (M/M/n+M, :func:`sim.erlang.erlang_a_metrics`; the goal's abandon cap too),
    with the group's mean abandonment rate (:func:`group_loads`): exact for exponential
    patience, an approximation by the mean for other patience distributions; groups whose
    contacts never abandon get Erlang C. Each group is staffed for every goal of its
    types (:func:`group_goals`): the most agents any of them needs. A chat desk's need is
    the servers (chat slots) the queue needs, over the chats an agent takes, rounded up.
    """
    rate, work, theta = group_loads(scenario)
    goals = group_goals(scenario, goal)
    slots = [slots_and_pace(group)[0] for group in scenario.agents.values()]
    need = np.zeros(rate.shape, dtype=int)
    for (g, i), lam in np.ndenumerate(rate):
        if lam > 0.0:
            patience = 1.0 / theta[g, i] if abandonment and theta[g, i] > 0.0 else None
            servers = max(erlang.required_agents(
                lam, work[g, i] / lam, target, threshold, patience=patience,
                max_abandon=goal.max_abandon if patience else None)
                for target, threshold in goals[g])
            need[g, i] = -(-servers // slots[g])
    return need


def group_goals(scenario: Scenario, goal: Goal) -> list[list[tuple[float, float]]]:
    """Each group's (target, threshold seconds) pairs: those of the types it carries.

    Each type as the simulation judges it (:meth:`Goal.target_of`,
    :meth:`Goal.threshold_of`: a type with its own ``service_level`` keeps its own). A
    group's types wait in one queue, so in the Erlang model they share one waiting-time
    distribution: the group meets every type's goal if and only if it has the agents the
    most demanding one needs. (The strictest threshold of one type with the highest
    target of another would ask for a goal no type has: 95% in 20 s for calls at 80% in
    20 s and e-mails at 95% in 4 h.) A pair that another one implies (a higher or equal
    target within a shorter or equal threshold) is left out.
    """
    groups: dict[str, set[tuple[float, float]]] = {name: set() for name in scenario.agents}
    for name, shares in load_shares(scenario).items():
        own = (goal.target_of(scenario, name), goal.threshold_of(scenario, name))
        for group in shares:
            groups[group].add(own)
    return [sorted(p for p in pairs if not any(q != p and q[0] >= p[0] and q[1] <= p[1]
                                               for q in pairs))
            for pairs in groups.values()]


def load_blocks(scenario: Scenario) -> np.ndarray:
    """Block number per interval: runs of intervals whose load is the same.

    A block is a run of consecutive intervals of one day, all measured or all in the
    warm-up, in which every contact type expects the same number of contacts: a flat
    stretch of load. The search staffs a block as one (one count per group, judged on the
    block's pooled intervals), so sampling noise cannot make a flat peak jitter. The first
    interval of a stretch (and of the day) is a block of its own: it inherits its queue
    from another load (or starts empty), so it may need more or fewer agents than the rest.

    Where contacts come back (repeats, retrials, complaint posts), those due while the
    center was closed all come in the day's first interval (the opening burst:
    :meth:`sim.legs.Journeys._when_open`), so the second interval inherits that burst's
    queue and is a block of its own too. (Pooled with the rest of the day, in
    ``refund_vs_relations`` its misses made the search staff the whole day for it: 30
    refund agents from 08:30 where 20 met the goal after 09:00, and the plan still
    missed there after five hold-out rounds.)
    """
    counts = np.stack([expected_counts(scenario, ct.arrivals, name)  # a trace: its rows
                       for name, ct in scenario.contact_types.items()])
    measured = measured_intervals(scenario)
    ipd = scenario.intervals_per_day
    burst = any(ct.repeat is not None or ct.retrial is not None or ct.complaint is not None
                for ct in scenario.contact_types.values())
    blocks = np.zeros(counts.shape[1], dtype=int)
    first = True  # interval i - 1 opened a stretch
    for i in range(1, counts.shape[1]):
        same = (i % ipd != 0 and measured[i] == measured[i - 1]
                and np.allclose(counts[:, i], counts[:, i - 1], rtol=1e-9, atol=0.0))
        after_burst = burst and i % ipd == 1
        blocks[i] = blocks[i - 1] + (not same or first or after_burst)
        first = not same or after_burst
    return blocks
