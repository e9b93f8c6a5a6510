"""Contacts of a replication: drawn before the run, kept in typed columns during it.

Every contact of a replication is drawn up front, each contact type from its own streams
(:class:`ContactDraws`), so policies compare under common random numbers. During the run
the engine keeps one typed array per attribute (8 bytes a number, fast scalar access; no
pandas): the drawn contacts first, then repeat contacts, retrials and consult requests
appended as they are created (:class:`ContactBook`, which every part of the engine binds).
After the run the columns become :class:`Records` (numpy views, not copies, where possible).
"""

from __future__ import annotations

import math
import zlib
from array import array
from dataclasses import dataclass

import numpy as np

from sim import keyed
from sim.arrivals import arrival_times
from sim.logged_patience import replayed_patience
from sim.records import WAITING
from sim.scenario import Scenario
from sim.schedule import in_opening_hours, with_cooldown
from sim.second_numbers import SECOND, second_rows
from sim.streams import stream
from sim.units import DAY

INF = math.inf


# numpy's type for each typecode of the columns (sim's arrays: 'i' is a C int, 32 bits)
NUMPY_TYPES = {"d": np.float64, "h": np.int16, "i": np.int32, "q": np.int64, "Q": np.uint64}


def typed(typecode: str, values: np.ndarray) -> array:
    """``values`` as a Python array of ``typecode`` (numpy's array, converted if need be).

    Copied once: ``array(typecode, values.tobytes())`` copies twice (through a bytes
    object), and the columns and numbers worked out before a run are tens of arrays
    of a contact each (a tenth of the set-up's instructions were those copies).
    """
    out = array(typecode)
    out.frombytes(np.ascontiguousarray(values, NUMPY_TYPES[typecode]).view(np.uint8))
    return out


@dataclass(frozen=True)
class ContactDraws:
    """Every contact of a replication before it happens, in arrival order.

    Drawn once per replication from the contact types' own streams (so policies
    compare under common random numbers), or given by hand to replay a trace.

    Attributes:
        arrival: Arrival times, seconds from the start of day 0, sorted.
        contact_type: Index into the scenario's contact types.
        handle: Handle time each contact needs if answered, seconds.
        patience: Seconds the customer waits before abandoning (``inf``: never).
        who: Who each customer is, for its keyed numbers (:mod:`sim.keyed`): its place
            among its own contact type's arrivals (the measured days' or the cooldown's),
            with the type (:func:`identities`). ``None``: its place among all contacts.
    """

    arrival: np.ndarray
    contact_type: np.ndarray
    handle: np.ndarray
    patience: np.ndarray
    who: np.ndarray | None = None


def identities(name: str, cooldown: bool, n: int) -> np.ndarray:
    """Who the ``n`` contacts of one stream are: type ``name``'s k-th arrival, k = 0, 1, ...

    Keyed by its own type's arrivals, a customer's decisions do not change when another
    type's volume does (a variant moving calls between types compares the same people);
    the cooldown's arrivals, drawn from streams of their own, are numbered apart. The type
    is known by its name, as its streams are (:func:`sim.streams.stream`), not by its
    place in the file: the same types listed in another order, or another type added
    ahead of them, are the same customers.
    """
    if n >= 1 << 31:
        raise ValueError(f"{name}: {n:,} arrivals in one replication: at most 2**31 - 1")
    code = zlib.crc32(name.encode("utf-8"))
    return (np.uint64(code) << np.uint64(32)) | (np.uint64(cooldown) << np.uint64(31)) | (
        np.arange(n, dtype=np.uint64))


def draw_contacts(scenario: Scenario, seed: int, replication: int) -> ContactDraws:
    """Draw all contacts of one replication, each contact type from its own streams.

    Contacts of the ``cooldown`` come from streams of their own, so that the measured
    days' contacts are the same with any cooldown.
    """
    times, types, handles, patiences, who = [], [], [], [], []
    later = with_cooldown(scenario)
    measured_end = scenario.days * DAY
    for code, (name, ct) in enumerate(scenario.contact_types.items()):
        for part, calendar in (("", scenario), (".cooldown", later)):
            if part and calendar is scenario:
                continue
            logged = None
            if ct.arrivals.trace is not None:  # replayed: the same times in every replication
                t, logged = ct.arrivals.trace_rows(name)
                # as drawn ones, only in the opening hours (a warning counts the others:
                # sim.schedule.trace_outside_hours)
                keep = in_opening_hours(calendar, t) & ((t >= measured_end) == bool(part))
                t, logged = t[keep], logged[keep]
            else:
                t = arrival_times(calendar, calendar.contact_types[name].arrivals,
                                  stream(seed, replication, "arrivals" + part, name))
            if part:  # the cooldown: after the measured days, for as long as it lasts
                within = (t >= measured_end) & (t < measured_end + scenario.cooldown)
                t = t[within]
                logged = None if logged is None else logged[within]
            times.append(t)
            types.append(np.full(t.size, code, dtype=np.int16))
            who.append(identities(name, bool(part), t.size))
            handle = ct.handle.sample(stream(seed, replication, "handle" + part, name), t.size)
            if ct.arrivals.trace_handle:  # the logged talk where there is one
                handle = np.where(np.isnan(logged[:, 0]), handle, logged[:, 0])
            handles.append(handle)
            patiences.append(replayed_patience(  # (trace_patience: as logged, where it can)
                ct.patience, stream(seed, replication, "patience" + part, name), t.size,
                logged, ct.arrivals.trace_patience))
    arrival = np.concatenate(times)
    order = np.argsort(arrival, kind="stable")
    return ContactDraws(
        arrival=arrival[order],
        contact_type=np.concatenate(types)[order],
        handle=np.concatenate(handles)[order],
        patience=np.concatenate(patiences)[order],
        who=np.concatenate(who)[order],
    )


# the columns the engine's parts read and write during a run (each binds the same arrays)
COLUMNS = ("arrival", "handle", "patience", "ctype", "qtype", "deadline", "enq", "answer",
           "end", "wait", "queue_time", "talk", "hold", "group", "agent", "issue", "key",
           "state", "kind", "origin", "transfers", "resolved", "misrouted", "callback",
           "on_line", "served_legs", "queued", "numbered", "quiet", "issue_contacts",
           "issue_retrials")
# the numbers a drawn contact's comeback (a repeat or a retrial) takes over when it comes
# (ContactBook.adopt): those most comebacks need (a second leg's: sim.second_numbers)
ADOPTED = (keyed.IVR_TIME, keyed.IVR_ROUTE, keyed.RESOLUTION, (keyed.TRANSFER, 1),
           (keyed.CONSULT, 1))
# a comeback's first numbers read only once it is decided: for those that may come back
# (ContactBook.after_decision, by comeback row)
AFTER_DECISION = (keyed.COMEBACK_DELAY, keyed.OPENING)
# the columns with a row per contact (the others: per issue), and what a new contact's
# row holds before it is filled (0 where not listed; new_contact gives the first nine)
GROWN = COLUMNS[:-2]
COLUMN_TYPES = {"group": "h", "agent": "i"}  # (of the columns with blank rows, not doubles)
BLANK = {"patience": INF, "deadline": INF, "enq": math.nan, "answer": math.nan,
         "end": math.nan, "wait": math.nan, "group": -1, "agent": -1, "state": WAITING}


def may_come_back(ctype: np.ndarray, firsts: dict[int | tuple[int, int], np.ndarray],
                   bounds: list[tuple[float, float]] | None) -> np.ndarray | None:
    """The drawn contacts that may come back (``ContactBook``'s ``comeback_bounds``), or None.

    None: every one. ``firsts``: the drawn contacts' first numbers by purpose. A comeback's
    numbers are worked out for them only: in refund_vs_relations, a third of the drawn
    contacts (the others are resolved for sure, or decided not to).
    """
    decide = firsts.get(keyed.COMEBACK)
    if bounds is None or decide is None:
        return None
    bound, low = (np.array(column, np.float64)[ctype] for column in zip(*bounds))
    may = decide < bound
    if keyed.RESOLUTION in firsts:
        may &= firsts[keyed.RESOLUTION] >= low
    return np.flatnonzero(may)


def steps(purpose: int | tuple[int, int]) -> tuple[int, ...]:
    """A purpose's ``(purpose, step)`` arguments for :func:`sim.keyed.uniforms`."""
    return purpose if isinstance(purpose, tuple) else (purpose,)


class ContactBook:
    """The record columns of one replication: typed arrays, one item per contact.

    Fast scalar access, 8 bytes a number. The first ``n_drawn`` contacts are the drawn
    ones; repeat contacts, retrials and consult requests created during the run fill
    blank rows after them, grown a block at a time (:meth:`new_contact`) and cut to the
    contacts there are for the records. The engine's parts bind the arrays they use
    (:meth:`columns`): the same arrays, grown in place, never replaced.

    Args:
        draws: The replication's contacts before the run.
        root_key: The replication's key (:mod:`sim.keyed`).
        first_purposes: Purposes for which (almost) every drawn contact needs a first-step
            number, worked out at once (the same numbers ``keyed.uniform`` gives one at a time);
            a ``(purpose, step)`` pair for a number at another step (a first leg's decision).
        comebacks: Whether issues may come back (repeats, retrials, complaints): counts per issue.
        first_children: ``(purpose, step)`` pairs for which every drawn contact needs the
            key of what it creates (:func:`sim.keyed.child`), worked out at once likewise.
        child_numbers: ``(child, purpose)`` pairs of ``first_children`` items and purposes:
            the number of what a drawn contact creates first for ``child``, for ``purpose``.
        comeback_bounds: By contact type, ``(bound, low)``: a drawn contact may come back only
            if its comeback number is below ``bound`` and its resolution number at least
            ``low`` (:func:`sim.repeats_again.comeback_bounds`); None: any may. ``second_bands``:
            who may need a second leg's numbers (:func:`sim.second_numbers.second_bands`).
    """

    def __init__(self, draws: ContactDraws, root_key: int,
                 first_purposes: list[int | tuple[int, int]], comebacks: bool,
                 first_children: tuple[tuple[int, int], ...] = (),
                 child_numbers: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (),
                 comeback_bounds: list[tuple[float, float]] | None = None,
                 second_bands: list[tuple[float, float, float]] | None = None):
        n = self.n = self.n_drawn = int(draws.arrival.size)
        # who each contact is, for its keyed random numbers (sim.keyed): an issue's first
        # contact is keyed by who it is (ContactDraws.who), a contact created during the
        # run by its parent
        keys = keyed.issue_keys(root_key, np.arange(n) if draws.who is None else draws.who)
        # a drawn contact's number for a purpose: first_numbers[purpose][c]; a contact made
        # during the run draws keyed.uniform(key[c], purpose) when needed: the same number
        firsts = {purpose: keyed.uniforms(keys, *steps(purpose)) for purpose in first_purposes
                  if purpose not in AFTER_DECISION and purpose not in SECOND}
        # a comeback's numbers (its delay and opening-time number, the key of the contact coming
        # back, and that one's numbers), for the drawn contacts that may come back only
        # (comeback_rows, or None: all), each by its comeback row: comeback_row[c], -1 for any
        # other (compact: a third of the drawn contacts in refund_vs_relations; by drawn contact, a
        # dozen arrays mostly of zeros were filled at set-up and outgrew the caches in a long run)
        self.comeback_rows = rows = may_come_back(draws.contact_type, firsts, comeback_bounds)
        # the columns' length: blank rows after the drawn contacts' for those created during the
        # run (new_contact), as many as may come back (then a block at a time: _grow)
        self.capacity = capacity = n + (0 if rows is None else rows.size)

        def column(typecode: str, blank: float = 0, values: np.ndarray | None = None) -> array:
            """A column of ``capacity`` rows: ``values`` (the drawn contacts'), then blank ones."""
            if values is not None and capacity == n:
                return typed(typecode, values)  # (copied once, not filled first)
            out = array(typecode, [blank]) * capacity
            if values is not None:
                np.frombuffer(out, NUMPY_TYPES[typecode])[:n] = values
            return out

        self.arrival = column("d", 0.0, draws.arrival)
        self.handle = column("d", 0.0, draws.handle)
        self.patience = column("d", INF, draws.patience)
        self.ctype = column("h", 0, draws.contact_type)
        self.qtype = array("h", self.ctype)
        self.issue = column("i", 0, np.arange(n))
        self.key = column("Q", 0, keys)
        for name in GROWN[GROWN.index("deadline"):GROWN.index("issue")]:  # blank rows
            setattr(self, name, column(COLUMN_TYPES.get(name, "d"), BLANK.get(name, 0.0)))
        self.first_numbers = {purpose: column("d", 0.0, numbers) if purpose in ADOPTED
                              else typed("d", numbers) for purpose, numbers in firsts.items()}
        # a first leg's consult and transfer decisions (or None), read for `quiet`
        self.first_decisions = tuple(self.first_numbers.get((purpose, 1))
                                     for purpose in (keyed.CONSULT, keyed.TRANSFER))
        # and the key of what it creates first for a purpose (a consult request, the
        # contact coming back): first_children[(purpose, step)][c], keyed.child's
        comeback = (keyed.COMEBACK, 0)
        kids = {purpose: keyed.children(keys, *purpose) for purpose in first_children
                if purpose != comeback}
        self.first_children = {purpose: typed("Q", values) for purpose, values in kids.items()}
        # and numbers of those (a consult request's own consult decision): by drawn contact
        self.child_numbers = {(kid, purpose): typed("d", keyed.uniforms(kids[kid], *purpose))
                              for kid, purpose in child_numbers}
        self.comeback_row = array("i", [-1]) * n if comeback in first_children else None
        if self.comeback_row is not None:
            np.frombuffer(self.comeback_row, np.int32)[slice(None) if rows is None else rows] = (
                np.arange(n if rows is None else rows.size))
        mine = keys if rows is None else keys[rows]
        self.after_decision = {purpose: typed("d", keyed.uniforms(mine, purpose))
                               for purpose in first_purposes if purpose in AFTER_DECISION}
        # the contact coming back for a drawn one (keyed.child(key, COMEBACK)) takes over
        # its first-step numbers when it comes (adopt), worked out likewise: by comeback
        # row, (number for the contact's row, number of the one coming back) pairs, and
        # its patience and handle numbers
        back = keyed.children(mine, *comeback) if comeback in first_children else None
        if back is not None:
            self.first_children[comeback] = typed("Q", back)  # (by comeback row)
        theirs = {} if back is None else {purpose: keyed.uniforms(back, *steps(purpose))
                                          for purpose in ADOPTED if purpose in firsts}
        self.adoptions = [(self.first_numbers[p], typed("d", them)) for p, them in theirs.items()]
        second_rows(self, keys, back, theirs, first_purposes, second_bands)  # (by second row)
        self.comeback_numbers = None if back is None else tuple(
            typed("d", keyed.uniforms(back, purpose)) for purpose in (keyed.PATIENCE, keyed.HANDLE))
        for name in GROWN[GROWN.index("state"):]:  # the bytes (BLANK's WAITING: 0)
            setattr(self, name, bytearray(capacity))
        # 1 where the contact's first-step numbers are in first_numbers: drawn contacts,
        # and the comebacks of drawn contacts for the ADOPTED purposes
        self.numbered[:n] = b"\x01" * n
        # (quiet: 1 where the contact's first leg neither consults nor is transferred, set
        # by the engine where the routing table asks, sim.journey.PLAIN_IF_QUIET)
        self.issue_contacts = array("i", [1]) * n if comebacks else None
        self.issue_retrials = array("i", [0]) * n if comebacks else None

    def quiet_first_legs(self, consult: list[float], transfer: list[float]) -> bytearray:
        """By drawn contact, 1 where its first leg neither consults nor is transferred.

        Read off the first legs' drawn numbers (``first_numbers``), as the leg's steps
        decide (:mod:`sim.leg_steps`): a consult where the number is below the chance of
        its type's consult (``consult[t]``), a transfer likewise (``transfer[t]``).
        """
        n = self.n_drawn
        quiet = np.ones(n, bool)
        ctype = np.frombuffer(self.ctype, np.int16, n)
        for purpose, numbers, chance in zip((keyed.CONSULT, keyed.TRANSFER),
                                            self.first_decisions, (consult, transfer)):
            if numbers is not None:
                quiet &= np.frombuffer(numbers, np.float64, n) >= np.asarray(chance)[ctype]
            elif any(chance):
                raise ValueError(f"no first-leg numbers for purpose {purpose}")
        return bytearray(quiet.tobytes())

    def adopt(self, c: int, parent: int, consult: float, transfer: float) -> None:
        """Contact ``c``, coming back for drawn contact ``parent``, takes over its numbers.

        The numbers ``keyed.uniform`` would give ``c`` one at a time (its key is
        ``keyed.child(key[parent], COMEBACK)``), worked out up front. ``consult`` and
        ``transfer``: the chances of its type's first-leg consult and transfer, for
        :attr:`quiet` (as :meth:`quiet_first_legs`).
        """
        self.take_over(c, self.comeback_row[parent], self.adoptions)
        consults, transfers = self.first_decisions
        self.quiet[c] = ((consult <= 0.0 or (consults is not None and consults[c] >= consult))
                         and (transfer <= 0.0 or (transfers is not None
                                                  and transfers[c] >= transfer)))

    def take_over(self, c: int, row: int, adoptions: list[tuple[array, array]]) -> None:
        """:meth:`adopt`'s numbers without its quiet flag: those of ``adoptions`` only.

        ``row``: the parent's comeback row (:attr:`comeback_row`); ``adoptions``: pairs of
        :attr:`adoptions` (all, or those the caller knows are read).
        """
        for numbers, theirs in adoptions:
            numbers[c] = theirs[row]
        self.numbered[c] = 1
        if self.second_back is not None:
            self.second_row[c] = self.second_back[row]

    def columns(self) -> dict:
        """The run's columns by name (:data:`COLUMNS`), for a part to bind as attributes."""
        return {name: getattr(self, name) for name in COLUMNS}

    def new_contact(self, contact_type: int, issue: int, origin: int, kind: int,
                    handle: float, patience: float, now: float, key: int) -> int:
        """Append a contact created during the run (``key``: see :mod:`sim.keyed`); its id.

        A blank row's patience (``inf``) and origin (FIRST) are not written again: a consult
        request (:mod:`sim.consult_hold`, one per consult hold) has both.
        """
        c = self.n
        if c == self.capacity:
            self._grow()
        self.n = c + 1
        self.key[c] = key
        self.arrival[c] = now
        self.handle[c] = handle
        if patience != INF:
            self.patience[c] = patience
        self.ctype[c] = self.qtype[c] = contact_type
        self.issue[c] = issue
        self.kind[c] = kind
        if origin:
            self.origin[c] = origin
        return c

    def _grow(self) -> None:
        """Blank rows for the contacts created next (a block at a time, not one by one).

        Each block copies every column (the allocator moves it to grow it): half the rows
        there are at a time, so that a run creating a third as many contacts as were drawn
        (fraud_consult's consult requests) grows once, not three times (4.4 MB copied in 5
        days, not 1.3); blank rows left over go at the end (_trim).
        """
        block = max(1024, self.capacity // 2)
        for name in GROWN:
            column, value = getattr(self, name), BLANK.get(name, 0)
            if isinstance(column, bytearray):
                column.extend(bytes([value]) * block)
            else:
                column.extend(array(column.typecode, [value]) * block)
        for numbers, _ in self.adoptions:  # rows for the comebacks that take them over
            numbers.extend(array("d", [0.0]) * block)
        if self.second_row is not None:
            self.second_row.extend(array("i", [-1]) * block)
        self.capacity += block

    def _trim(self) -> None:
        """The columns cut to the contacts there are (the blank rows left go).

        A column still viewed (a view not yet collected) cannot be cut in place
        (``BufferError``): its first ``n`` values are copied instead, all the records read.
        """
        for name in GROWN:
            try:
                del getattr(self, name)[self.n:]
            except BufferError:
                setattr(self, name, getattr(self, name)[:self.n])
        self.capacity = self.n
