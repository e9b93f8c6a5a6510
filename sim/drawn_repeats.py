"""A drawn contact's repeat, its numbers worked out before the run.

An unresolved contact may come back (:meth:`sim.legs.Journeys._come_back`): a decision,
a delay, an opening-time number, the key of the contact coming back, its patience and
handle time, and its menu time and exit. For a drawn contact each is a number of its
own keyed stream, known before the run (:class:`sim.contacts.ContactBook`'s
``comebacks_drawn``, ``comeback_numbers`` and ``adoptions``); only *when* it comes
depends on the run (the end of the contact it repeats, and the opening hours). Worked out
one at a time, a distribution's call each, making the repeats took 13% of
``refund_vs_relations``' run. Here the quantiles are taken for every drawn contact at
once with numpy (the same doubles: :func:`sim.distribution_base.quantiles`), and what is
left for the run is what ``_come_back`` does with them, in the same order, with the same
events: decide, time it, fill its row, schedule its entry, straight out of its menu to
the queue worked out up front (as the arrival stream does for drawn contacts,
:mod:`sim.ivr_exits`).

It applies to repeats (not retrials) of drawn contacts whose type's repeat keeps the type
(no ``switch``); any other comeback is ``_come_back``'s.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable

import numpy as np

from sim import keyed
from sim.contacts import typed
from sim.distribution_base import quantiles
from sim.ivr_exits import exits_of
from sim.legs import INF, REPEAT
from sim.repeats_again import repeats_again
from sim.units import DAY


def drawn_repeats(journeys, book) -> tuple[Callable[[int, object, int, float], None],
                                            Callable[[int, object, int, float], None]] | None:
    """``(repeat, again)``: ``_come_back`` for a drawn contact's repeat, and for its repeat's.

    Each ``(c, plan, origin, at)``; ``again``: :mod:`sim.repeats_again`'s. They fall back to
    ``journeys._come_back`` where they do not apply. None where no drawn contact's repeat
    can be made so (no repeats, or every repeat switches type). Call it after the engine
    has set ``journeys.fold`` (its arrival stream).
    """
    plans, numbers = journeys.plans, journeys.comebacks_drawn
    eligible = [p.repeat is not None and p.repeat.switch_to is None for p in plans]
    if numbers is None or journeys.comeback_numbers is None or not any(eligible):
        return None
    # a comeback's numbers are by comeback row (ContactBook.comeback_row: one per drawn
    # contact that may come back), its decision by drawn contact
    decide, delay_numbers, opening, again = numbers
    theirs = {id(mine): them for mine, them in book.adoptions}  # the comeback's first numbers

    def adopted(purpose) -> array | None:
        mine = book.first_numbers.get(purpose)
        return None if mine is None else theirs.get(id(mine))

    ctype, rows = np.frombuffer(book.ctype, np.int16, book.n_drawn), book.comeback_rows
    kinds = ctype if rows is None else ctype[rows]  # by comeback row, its type
    m = kinds.size
    patience_u, handle_u = journeys.comeback_numbers
    menu_u = adopted(keyed.IVR_TIME)
    # by type, each time as a quantile to take at the repeat (an inverse CDF numpy cannot
    # give bit for bit: taken for every drawn contact, most of them never repeated, it
    # cost more than it saved), or None where it is worked out here (by comeback row)
    timed = {name: [None] * len(plans) for name in ("delay", "handle", "patience", "menu")}
    values = {name: np.zeros(m) for name in timed}
    fold = journeys.fold
    for t, plan in enumerate(plans):
        if not eligible[t]:
            continue
        # its comeback rows by place, not by a mask (types interleave: a mask's copies
        # go run by run, a call per run)
        mine = np.flatnonzero(kinds == t)
        for name, quantile, numbers in (
                ("delay", plan.repeat.delay, delay_numbers), ("handle", plan.handle, handle_u),
                ("patience", plan.patience, patience_u),
                ("menu", plan.ivr.time if fold[t] else None, menu_u)):
            if quantile is None:  # no patience (waits for ever), or no menu to time
                values[name][mine] = np.inf if name == "patience" else 0.0
            elif getattr(quantile, "of_array", None) is None:
                timed[name][t] = quantile
            else:
                values[name][mine] = quantiles(quantile, np.frombuffer(numbers, np.float64,
                                                                       m)[mine])
    routes = adopted(keyed.IVR_ROUTE)
    # what the repeat takes over (ContactBook.adopt): by type, the pairs of numbers it may
    # read (a folded menu's time is worked out here, and its exit: the route number only
    # where the menu decides, taken over then); by comeback row, its repeat's quiet flag
    # (ContactBook.adopt's rule, for all at once)
    route_mine = book.first_numbers.get(keyed.IVR_ROUTE)
    menu_numbers = {id(book.first_numbers.get(keyed.IVR_TIME)), id(route_mine)}
    pairs_of = [[(mine, them) for mine, them in book.adoptions
                 if not (fold[t] and id(mine) in menu_numbers)] for t in range(len(plans))]
    quiet_back = np.ones(m, bool)
    for step, purpose in enumerate((keyed.CONSULT, keyed.TRANSFER)):
        chance = np.array([chances[step] for chances in journeys.first_chances])[kinds]
        if (chance > 0.0).any():  # (by comeback row, its type's)
            numbers = adopted((purpose, 1))
            quiet_back &= (chance <= 0.0) | (
                False if numbers is None else np.frombuffer(numbers, np.float64, m) >= chance)
    quiet_back = bytearray(quiet_back.tobytes())
    # (a type folds its menu only if it has one: its route numbers are worked out then)
    exits = typed("q", exits_of(plans, kinds, np.frombuffer(routes, np.float64, m), fold)
                  ) if any(fold) else None
    delay, handle, patience, menu = (typed("d", values[name]) for name in timed)
    delay_of, handle_of, patience_of, menu_of = timed.values()
    # the run's columns and steps
    ctypes, issues, state, counts = book.ctype, book.issue, book.state, book.issue_contacts
    quiet, when_open, at_time = book.quiet, journeys._when_open, journeys._at_time
    come_back, arrive_now, env = journeys._come_back, journeys._arrive_now, journeys.env
    floor, after_ivr, misrouted = journeys.floor, journeys._after_ivr, book.misrouted
    types = len(plans)
    opens, close, interval, run_end = (journeys.open, journeys.close, journeys.interval,
                                       journeys.run_end)
    repeat_again, parents, rows = repeats_again(journeys, book, eligible, theirs)
    row_of = book.comeback_row
    keys, arrivals, handles, patiences = book.key, book.arrival, book.handle, book.patience
    qtypes, origins, numbered = book.qtype, book.origin, book.numbered
    second_back, second_row = book.second_back, book.second_row

    def repeat(c: int, plan, origin: int, at: float) -> None:
        own = ctypes[c]
        if not eligible[own] or origin != REPEAT:
            come_back(c, plan, origin, at)
            return
        issue = issues[c]
        made = counts[issue]
        if made >= plan.limit:
            return
        if decide[c] >= (plan.chance(state[c], made) if plan.by_cause else plan.probability):
            return
        r = row_of[c]  # (it may come back: it has a comeback row)
        quantile = delay_of[own]
        t = at + (delay[r] if quantile is None else quantile(delay_numbers[r]))
        # Journeys._when_open(t, opening[r]), inlined (a call and its loop: ~1,800
        # instructions a repeat): t itself if open, else in the first interval after opening
        day = math.floor(t / DAY)
        clock = t - day * DAY
        if clock >= close or clock < opens:
            day += clock >= close
            clock = opens + opening[r] * interval
        when = day * DAY + clock
        if when < env._now:  # (never: `at` is now) the general rule
            when = when_open(t, opening[r])
            if when is None:
                return
        if when >= run_end:
            return  # the customer would call again after the simulated days
        counts[issue] = made + 1
        quantile = handle_of[own]
        talk = handle[r] if quantile is None else quantile(handle_u[r])
        quantile = patience_of[own]
        # book.new_contact(own, issue, REPEAT, CUSTOMER, talk, waits, when, again[r]) and
        # book.take_over(back, r, pairs_of[own]), written out: two calls fewer a repeat,
        # 0.4% of refund_vs_relations' instructions (its records are the same as
        # _come_back's: tests/test_drawn_repeats.py compares them)
        back = book.n
        if back == book.capacity:
            book._grow()
        book.n = back + 1
        keys[back] = again[r]
        arrivals[back] = when
        handles[back] = talk
        waits = patience[r] if quantile is None else quantile(patience_u[r])
        if waits != INF:
            patiences[back] = waits
        ctypes[back] = qtypes[back] = own
        issues[back] = issue
        origins[back] = REPEAT  # (kind: CUSTOMER, the blank row's 0)
        for numbers, theirs in pairs_of[own]:  # what it reads of the numbers it takes over
            numbers[back] = theirs[r]
        numbered[back] = 1
        if second_back is not None:
            second_row[back] = second_back[r]
        row = rows[r]
        if row >= 0:  # its own repeat's numbers worked out (sim.repeats_again)
            parents[back] = row
        quiet[back] = quiet_back[r]
        if fold[own]:  # straight out of its menu, to where it goes (as the arrival stream)
            quantile = menu_of[own]
            when += menu[r] if quantile is None else quantile(menu_u[r])
            to = exits[r]
            if to < 0 and routes is not None:  # the menu decides (Journeys._after_ivr)
                route_mine[back] = routes[r]
            if to >= types:  # misrouted: marked now (nobody reads its row before it enters)
                misrouted[back] = 1
                to -= types
            at_time(when, enter, (back, to))
        else:
            at_time(when, arrive_now, back)

    def enter(tick) -> None:
        """The repeat leaves its menu (``Journeys._leave_ivr``, its exit read, not decided).

        For its queue, or -1: the menu decides (``_after_ivr``: solved there, maybe).
        """
        back, to = tick._value
        if to >= 0:
            floor._enqueue(back, to, env._now)
        else:
            after_ivr(back)

    def release() -> None:
        """After the run: let go of the steps (compiled, they keep their scope in a cycle)."""
        nonlocal enter, come_back, arrive_now, at_time, after_ivr, when_open
        enter = come_back = arrive_now = at_time = after_ivr = when_open = None

    journeys.releases.append(release)
    return repeat, repeat_again
