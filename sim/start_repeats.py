"""The staffing start's repeat contacts: the unresolved issues that call again, by interval.

An agent who does not resolve an issue (:meth:`sim.legs.Journeys._complete`) may see it
again: with the type's ``repeat.probability`` the customer calls back after ``delay``
(:meth:`sim.legs.Journeys._come_back`), as a new contact of the same type (or of
``switch_to``, ``switch`` of the times), through the menu again, and that contact may in
turn be unresolved and come back, until the issue has made ``max_contacts`` contacts. A
repeat due when the center is closed comes in the first interval after the next
opening; one due after the run never comes.

Here the expected repeats per interval (:func:`repeat_calls`): each interval's calls
times the chance one comes back, spread over the later intervals by the delay
(:func:`comeback_kernel`, :func:`spread`), generation by generation. Abandons are not
subtracted: an estimate from above. Nor are retrials (``retrial``: a caller who abandons
redials) added: the start counts every call as answered at its first try, so a retrial
answered later is counted already, a few minutes early; adding them would count twice
what abandons (``storm_surge``: 288 agent-hours started, 282 measured with 10% abandoning).
"""

from __future__ import annotations

import numpy as np

from sim.distribution_base import midpoint_quantiles
from sim.scenario import Scenario
from sim.scenario_contacts import ContactType
from sim.units import DAY

# quantiles of the delay and moments of the interval at which a comeback is placed
DELAY_POINTS, OFFSETS = 200, 8


def unresolved_chance(scenario: Scenario, contact_type: ContactType,
                      shares: dict[str, float], paces: dict[str, float]) -> float:
    """The chance a contact of ``contact_type`` that reaches an agent ends unresolved.

    As :meth:`sim.legs.Journeys._complete` decides it: the type's ``resolution`` times
    the answering group's ``resolution_factor`` (its first-line groups, by their
    ``shares``), times the handle cap's ``resolution_factor`` where the talk (at the
    group's ``paces``) runs over the cap, times ``misroute_resolution`` for the share of
    its callers past the menu that it misroutes. A transferred contact is taken as
    resolved at its first-line group's rate.
    """
    ct = contact_type
    drawn = None if ct.handle_cap is None else midpoint_quantiles(ct.handle, DELAY_POINTS)
    chance = 0.0
    for group, share in shares.items():
        own = ct.resolution * scenario.agents[group].resolution_factor
        if drawn is not None:
            talks = paces[group] * drawn
            capped = float(np.mean(talks > ct.handle_cap.max))
            own *= 1.0 - capped * (1.0 - ct.handle_cap.resolution_factor)
        chance += share * own
    if ct.ivr is not None and ct.ivr.misroute and ct.ivr.self_service < 1.0:
        misrouted = ct.ivr.misroute / (1.0 - ct.ivr.self_service)
        chance *= 1.0 - misrouted * (1.0 - ct.ivr.misroute_resolution)
    return 1.0 - min(chance, 1.0)


def comeback_kernel(scenario: Scenario, delay, after: float) -> np.ndarray:
    """By interval of the day, the share of a contact's comebacks due in each later interval.

    Row s, column k: the share of the comebacks of a contact of a day's interval s due k
    intervals of opening hours after that day's first (days later x intervals a day +
    the interval of that day). A contact arrives at a uniform moment of its interval and
    ends ``after`` seconds later (its menu and talk); its comeback is due ``delay`` (a
    distribution) after that, in opening hours as :meth:`sim.legs.Journeys._when_open`
    places it: one due when closed comes in the first interval after the next opening.
    The same for every day (the calendar repeats), so it is kept once per interval of
    the day, not per interval of the run; columns past the run's last day are left off
    (:func:`spread` drops what falls there).
    """
    ipd, length = scenario.intervals_per_day, scenario.interval
    slots = np.arange(ipd)
    starts = scenario.open + slots * length
    delays = midpoint_quantiles(delay, DELAY_POINTS)
    offsets = (np.arange(OFFSETS) + 0.5) / OFFSETS * length + after
    due = (starts[:, None, None] + offsets[None, :, None] + delays[None, None, :]).reshape(ipd, -1)
    day = np.floor(due / DAY)
    clock = due - day * DAY
    closed = (clock >= scenario.close) | (clock < scenario.open)
    day += closed & (clock >= scenario.close)
    slot = np.where(closed, 0, np.floor((clock - scenario.open) / length)).astype(int)
    n = scenario.days * ipd
    target = np.minimum((day * ipd).astype(int) + np.minimum(slot, ipd - 1), n)
    kernel = np.zeros((ipd, n + 1))  # the last column: after the last day
    np.add.at(kernel, (np.repeat(slots, due.shape[1]), target.ravel()), 1.0 / due.shape[1])
    return kernel[:, :min(n, int(target.max()) + 1)]


def spread(rate: np.ndarray, kernel: np.ndarray, ipd: int) -> np.ndarray:
    """``rate`` (by interval of the run) moved by :func:`comeback_kernel`'s ``kernel``.

    Each interval's rate is spread from its day's first interval on; what falls past the
    run's last interval is dropped (it never comes, or comes in the cooldown).
    """
    n, width = rate.size, kernel.shape[1]
    out = np.zeros(n + width)
    for slot in range(ipd):
        days = np.arange(slot, n, ipd) // ipd
        where = (days[:, None] * ipd + np.arange(width)[None, :]).ravel()
        out += np.bincount(where, (rate[slot::ipd, None] * kernel[slot]).ravel(), n + width)
    return out[:n]


def repeat_calls(scenario: Scenario, calls: dict[str, np.ndarray],
                 shares: dict[str, dict[str, float]],
                 paces: dict[str, float]) -> dict[str, np.ndarray]:
    """Expected repeat contacts per second by contact type and interval.

    ``calls``: each type's first contacts per second by interval (before the menu);
    ``shares``: type -> first-line group -> share (:func:`sim.staffing_start.load_shares`);
    ``paces``: group -> pace (:func:`sim.staffing_start.slots_and_pace`). Generation k
    (k contacts of the issue made) of a type repeats where k < its ``max_contacts``: its
    calls past the menu (less ``self_service``) x :func:`unresolved_chance` x
    ``probability``, spread by the delay (:func:`spread`); ``switch`` of them as
    ``switch_to``'s contacts, which repeat by that type's rules.
    """
    types = scenario.contact_types
    repeats = {name: np.zeros_like(rate) for name, rate in calls.items()}
    if not any(ct.repeat is not None for ct in types.values()):
        return repeats
    chance, kernels = {}, {}
    for name, ct in types.items():
        if ct.repeat is None:
            continue
        served = 1.0 - (ct.ivr.self_service if ct.ivr is not None else 0.0)
        chance[name] = (served * ct.repeat.probability
                        * unresolved_chance(scenario, ct, shares[name], paces))
        after = ct.handle.mean + (ct.ivr.time.mean if ct.ivr is not None else 0.0)
        kernels[name] = comeback_kernel(scenario, ct.repeat.delay, after)
    generation = dict(calls)
    for made in range(1, max(ct.repeat.max_contacts for ct in types.values()
                             if ct.repeat is not None)):
        later = {name: np.zeros_like(rate) for name, rate in calls.items()}
        for name, rate in generation.items():
            ct = types[name]
            if ct.repeat is None or made >= ct.repeat.max_contacts or not rate.any():
                continue
            back = spread(rate * chance[name], kernels[name], scenario.intervals_per_day)
            switch = ct.repeat.switch if ct.repeat.switch_to is not None else 0.0
            later[name] += (1.0 - switch) * back
            if switch:
                later[ct.repeat.switch_to] += switch * back
        for name in repeats:
            repeats[name] += later[name]
        generation = later
    return repeats
