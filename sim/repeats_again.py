"""The repeat of a drawn contact's repeat: its first numbers worked out before the run.

A drawn contact's repeat (:mod:`sim.drawn_repeats`) is keyed ``again = child(key,
COMEBACK)``; if it is not resolved either, it may come back in turn
(:meth:`sim.legs.Journeys._come_back`), which draws its decision, delay and opening-time
numbers, the key of the contact coming back and that one's patience, handle and menu
numbers one keyed number at a time (a keyed number is dearer than a contact's whole
arrival; in ``refund_vs_relations`` a third of the keyed numbers of the run). They are a
function of ``again`` only, so they can be worked out with numpy before the run, the same
doubles (:func:`sim.keyed.uniforms`), but not for every drawn contact (few come back
twice: it would cost more than it saves). Only for those that may: whose type's repeat
keeps the type, whose repeat decision may say yes, and whose own resolution number and
their repeat's are at least the lowest chance of resolution their type can have (an agent
group's factor, the handle cap's, a misroute's, each at most 1). Any other contact's
repeat is ``_come_back``'s, as is any other comeback.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable

import numpy as np

from sim import keyed
from sim.contacts import typed
from sim.legs import CUSTOMER, INF, REPEAT


def lowest_resolution(plan, group_plans) -> float:
    """The lowest chance of resolution a contact of ``plan``'s type can have (legs._complete)."""
    low = plan.resolution * min(1.0, *(g.resolution_factor for g in group_plans))
    low *= min(1.0, plan.cap_factor)
    if plan.ivr is not None:
        low *= min(1.0, plan.ivr.misroute_resolution)
    return low


def comeback_bounds(plans, group_plans, resolve: list[bool]) -> list[tuple[float, float]]:
    """By contact type, ``(bound, low)``: who of its drawn contacts may come back at all.

    One whose comeback number is at least ``bound`` never does, nor one whose resolution
    number is below ``low`` (resolved for sure: it cannot repeat). A retrial may follow any
    contact (an abandonment, a busy signal, a balk); a repeat only an unresolved one, whose
    decision is below the repeat's chance (at most 1 by cause, else its probability), and
    only if its resolution is drawn (``resolve``: else it is always resolved).
    """
    bounds = []
    for plan, drawn in zip(plans, resolve):
        repeat = plan.repeat
        if plan.retrial is not None:
            bounds.append((1.0, 0.0))
        elif repeat is not None and drawn:
            bounds.append((1.0 if repeat.by_cause else repeat.probability,
                           lowest_resolution(plan, group_plans)))
        else:
            bounds.append((0.0, 1.0))
    return bounds


def repeats_again(journeys, book, eligible: list[bool], theirs: dict,
                  ) -> tuple[Callable[[int, object, int, float], None], dict[int, int], array]:
    """``(again, parents, rows)``: ``_come_back`` for a repeat of a drawn contact's repeat.

    ``rows``: by comeback row of a drawn contact (``ContactBook.comeback_row``), its row of
    numbers worked out here, or -1; ``parents``: by repeat of a drawn contact with a row,
    that row (filled by :mod:`sim.drawn_repeats` as it makes the repeats); ``eligible``: by
    type, whether its repeat keeps the type; ``theirs``: by ``id`` of a drawn contact's
    first-number array, the repeat's (``ContactBook.adoptions``, by comeback row).
    """
    n, plans, drawn = book.n_drawn, journeys.plans, book.comeback_rows

    def by_row(numbers: array, dtype=np.float64) -> np.ndarray:
        """A drawn contacts' column by comeback row (the drawn contacts that may come back)."""
        return np.frombuffer(numbers, dtype, n)[slice(None) if drawn is None else drawn]

    ctype, decide = by_row(book.ctype, np.int16), by_row(journeys.comebacks_drawn[0])
    resolution = book.first_numbers.get(keyed.RESOLUTION)
    m = ctype.size
    may = np.zeros(m, bool)
    for t, plan in enumerate(plans):
        if eligible[t] and journeys.resolve[t] is not None:
            repeat = plan.repeat
            may |= (ctype == t) & (decide < (1.0 if repeat.by_cause else repeat.probability))
    if resolution is not None:
        low = np.array([lowest_resolution(p, journeys.group_plans) for p in plans])[ctype]
        may &= by_row(resolution) >= low
        numbers = theirs.get(id(resolution))  # the repeat's (by comeback row)
        if numbers is not None:
            may &= np.frombuffer(numbers, np.float64, m) >= low
    who = np.flatnonzero(may)
    keys = np.frombuffer(journeys.comebacks_drawn[3], np.uint64, m)[who]  # the repeats'
    after = keyed.children(keys, keyed.COMEBACK)  # and the contacts coming back after them

    decide2, delay_u, opening_u, patience_u, handle_u, menu_u = (
        typed("d", keyed.uniforms(k, purpose)) for k, purpose in (
            (keys, keyed.COMEBACK), (keys, keyed.COMEBACK_DELAY), (keys, keyed.OPENING),
            (after, keyed.PATIENCE), (after, keyed.HANDLE), (after, keyed.IVR_TIME)))
    key_after = typed("Q", after)
    # by comeback row, its row in those (-1: none); kept small (a tenth of the drawn
    # contacts' rows), their rows stay in the caches
    rows = np.full(m, -1, np.int32)
    rows[who] = np.arange(who.size, dtype=np.int32)
    rows = typed("i", rows)
    parents: dict[int, int] = {}
    issues, state, counts, ctypes = book.issue, book.state, book.issue_contacts, book.ctype
    come_back, new_contact, when_open = journeys._come_back, book.new_contact, journeys._when_open
    at_time, fold = journeys._at_time, journeys.fold
    leave_ivr, arrive_now = journeys._leave_ivr, journeys._arrive_now

    def again(c: int, plan, origin: int, at: float) -> None:
        """``Journeys._come_back(c, plan, origin, at)``, its numbers read, not drawn."""
        p = parents.get(c, -1)  # its row of numbers
        if p < 0 or origin != REPEAT:  # not a repeat of a drawn contact that might come back
            come_back(c, plan, origin, at)
            return
        u = decide2[p]
        issue = issues[c]
        made = counts[issue]  # (the limit, then the decision: as drawn_repeats' repeat)
        if made >= plan.limit or u >= (plan.chance(state[c], made) if plan.by_cause
                                       else plan.probability):
            return
        when = when_open(at + plan.delay(delay_u[p]), opening_u[p])
        if when is None:
            return  # the customer would call again after the simulated days
        counts[issue] = made + 1
        own = ctypes[c]
        plan = plans[own]
        back = new_contact(own, issue, REPEAT, CUSTOMER, plan.handle(handle_u[p]),
                           INF if plan.patience is None else plan.patience(patience_u[p]),
                           when, key_after[p])
        if fold[own]:  # straight out of its menu, as the drawn contacts
            at_time(when + plan.ivr.time(menu_u[p]), leave_ivr, back)
        else:
            at_time(when, arrive_now, back)

    return again, parents, rows
