"""Keyed random numbers: a customer's decisions, whatever happens to the others.

Arrivals, first handle times and patience are drawn up front per contact type
(:mod:`sim.contacts`), so every policy sees the same customers. What happens to a
customer *after* that (the IVR, a transfer, a consult and its hold, an escalation, the
resolution, a callback, a complaint, a retrial, a repeat and their delays) must not
depend on the order in which the engine meets the customers either: with one stream per
contact type drawn in event order, three more agents reorder the events and hand every
later customer another customer's numbers.

So each such number is a pure function of *who* and *what*: a 64-bit key per contact,
derived from the replication's root key and the issue (and, for a contact created
during the run, the parent's key and what created it), mixed with the purpose and the
step (which leg, which queue) by SplitMix64 (Steele, Lea & Flood, "Fast splittable
pseudorandom number generators", OOPSLA 2014), a bijective finaliser with good
avalanche. Durations come from the distribution's inverse CDF at that number
(:meth:`sim.distribution_base._Dist.quantile_function`). The same functions exist for
numpy arrays, with the same results, to key every drawn contact at once.
"""

from __future__ import annotations

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
_M1, _M2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_UNIT = 2.0**-53
# the same as numpy scalars, for the array functions
_M1_U64, _M2_U64 = np.uint64(_M1), np.uint64(_M2)
_SHIFTS = {bits: np.uint64(bits) for bits in (11, 27, 30, 31)}

# what a number is for; the step (leg, queue entry) is mixed in separately
(IVR_ROUTE, IVR_TIME, MISROUTE_TALK, HANDLE, PATIENCE, CONSULT, CONSULT_TALK, HOLD_PATIENCE,
 TRANSFER, ESCALATE, ESCALATE_TALK, RESOLUTION, CALLBACK, COMPLAINT, COMPLAINT_DELAY,
 COMEBACK, COMEBACK_SWITCH, COMEBACK_DELAY, OPENING, DUPLICATE, DUPLICATE_HANDLE,
 CHILD, ABSENCE) = range(1, 24)
# agents' after-call work (per leg) and a conference transfer's three-way talk (per leg);
# numbered apart from the list above so that purposes added there keep their numbers
WRAP_UP, CONFERENCE_TALK = 0x70, 0x71
# a caller's balking decision (sim.balking), numbered apart likewise
BALK = 0x60


def mix(x: int) -> int:
    """SplitMix64's finaliser of ``x + golden ratio`` (a 64-bit integer to another)."""
    x = (x + GOLDEN) & MASK
    x = ((x ^ (x >> 30)) * _M1) & MASK
    x = ((x ^ (x >> 27)) * _M2) & MASK
    return x ^ (x >> 31)


def child(key: int, purpose: int, step: int = 0) -> int:
    """The key of what ``key``'s contact creates for ``purpose`` at ``step``."""
    return mix(mix(key ^ (purpose << 56) ^ step) ^ (CHILD << 56))


def uniform(key: int, purpose: int, step: int = 0, _golden: int = GOLDEN, _mask: int = MASK,
            _m1: int = _M1, _m2: int = _M2, _unit: float = _UNIT) -> float:
    """The number in (0, 1) of contact ``key`` for ``purpose`` at ``step``.

    53 random bits, centred in their cell, so that neither 0 nor 1 comes out (an inverse
    CDF is finite at every number). :func:`mix` written out, with its constants bound as
    locals: this runs for every decision of every journey.
    """
    x = ((key ^ (purpose << 56) ^ step) + _golden) & _mask
    x = ((x ^ (x >> 30)) * _m1) & _mask
    x = ((x ^ (x >> 27)) * _m2) & _mask
    return (((x ^ (x >> 31)) >> 11) + 0.5) * _unit


def root(seed: int, replication: int) -> int:
    """The root key of one replication of a run (from its :class:`~numpy.random.SeedSequence`)."""
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, 0x6B6579))
    return int(sequence.generate_state(1, np.uint64)[0])


def mix_array(x: np.ndarray) -> np.ndarray:
    """:func:`mix` of every item of a uint64 array (wrapping arithmetic, same results).

    A new array; ``x`` is left as it is. Each step in place, into the one new array and
    one scratch array (an expression per step allocated ten arrays a call, and each large
    temporary numpy reuses asks the C stack who called it: a tenth of the set-up's time).
    """
    x = np.add(x, np.uint64(GOLDEN), dtype=np.uint64)
    scratch = np.empty_like(x)
    for shift, factor in ((30, _M1_U64), (27, _M2_U64)):
        np.right_shift(x, _SHIFTS[shift], out=scratch)
        x ^= scratch
        x *= factor
    np.right_shift(x, _SHIFTS[31], out=scratch)
    x ^= scratch
    return x


def issue_keys(root_key: int, issues: np.ndarray) -> np.ndarray:
    """Keys of the first contacts of ``issues`` (uint64), as :func:`issue_key` gives them."""
    return mix_array(np.uint64(root_key) ^ issues.astype(np.uint64))


def issue_key(root_key: int, issue: int) -> int:
    """The key of an issue's first contact."""
    return mix(root_key ^ issue)


def children(keys: np.ndarray, purpose: int, step: int = 0) -> np.ndarray:
    """:func:`child` for an array of keys (uint64)."""
    salt = np.uint64((purpose << 56) ^ step)
    return mix_array(mix_array(keys ^ salt) ^ np.uint64(CHILD << 56))


def uniforms(keys: np.ndarray, purpose: int, step: int = 0) -> np.ndarray:
    """:func:`uniform` for an array of keys.

    The 53 bits converted as a signed integer (they fit): numpy converts an int64 to a
    double in a few instructions, a uint64 in about ten; the same double either way.
    """
    bits = mix_array(keys ^ np.uint64((purpose << 56) ^ step))
    bits >>= _SHIFTS[11]
    numbers = bits.view(np.int64).astype(np.float64)
    numbers += 0.5
    numbers *= _UNIT
    return numbers
