"""Transfers to a back office from a call log: a type of its own, reached only by transfer.

A log row is a contact, not its legs: it tells that the contact was transferred
(``transfers``), the group that handled it last (``group``) and its talk on all its legs
together. Where the log names its groups with their agents (the fitted groups,
:func:`sim.fit_capacity.groups_seen`) and a group answers no contact untransferred (a back
office: specialists, a fraud desk), a type's contacts transferred there are fitted as a
transfer to a type of the group's own, named after it, with no arrivals:

- its probability: the share of the source type's answered contacts transferred that
  ended there, or, where the log marks misroutes (ccsim's own contacts do), with a group
  that is no back office (hung up waiting for it: the group that handled them last is the
  first agent's; without the mark a misroute put right cannot be told from them, so they
  are left out, and a note says so);
- its talk and after-call work: what those contacts took beyond the source type's
  untransferred ones (the first leg is taken as an untransferred contact's): the mean and
  the variance subtracted, a gamma of that mean and cv;
- the source type's handle time and after-call work are fitted on its other contacts
  (:func:`sim.fit.fit_log`), and the back office answers the new type only.

Fitted as before, the back office answered the source type from the start, pooled with
its own group, at the mean of both legs: ``wrap_up.yaml``'s own contacts (a help desk
transferring 15% to specialists; 20 days) backtested 12.7 points of service level off per
interval, 3.1 so. Not modelled, and said so in the notes: transfers to a group that
answers contacts of its own too (the second leg's talk cannot be told from the log there;
a misrouted contact put right ends with its own type's group, its talk on both legs: fitted
to such a target with those left in the handle time, ``refund_vs_relations``' own contacts
backtested 14.1 points off against 6.2 unmodelled), the part of the transferred contacts
that ended elsewhere, and a first leg that differs from an untransferred talk (a warm or
conference transfer's wait for the second agent is in the first agent's talk).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from sim.calllog import CallLog
from sim.fit_capacity import group_names


@dataclass(frozen=True)
class TransferFit:
    """A type's transfer as the fitted scenario has it.

    ``to``: the target type (scenario name); ``group``: the group its transferred contacts
    ended with; ``probability``: the share of the type's answered contacts transferred
    there (those that hung up on the way included where misroutes are marked); ``moved``:
    those that ended there (a mask over the log's rows); ``elsewhere``: the share of its
    transferred contacts not counted (another back office's, or unmarked: not modelled).
    """

    to: str
    group: str
    probability: float
    moved: np.ndarray
    elsewhere: float


@dataclass(frozen=True)
class SecondLeg:
    """A type reached only by transfer: the talk and after-call work of its leg (specs)."""

    group: str
    handle: dict
    wrap_up: dict | None
    sources: list[str]


def transfers_seen(log: CallLog, names: dict[str, str],
                   groups: dict[str, tuple[list[str], list[int]]] | None
                   ) -> tuple[dict[str, TransferFit], dict[str, SecondLeg], list[str]]:
    """``(transfers by source type, types reached only by transfer, notes)``.

    A source type's transfer goes to the back office most of its transferred contacts
    ended with.

    Args:
        log: The checked call log (``transfers`` and ``group`` columns needed; else none).
        names: The log's contact type -> its scenario name (:meth:`CallLog.type_names`).
        groups: The fitted groups by scenario name (None: one pool, no transfer fitted).
    """
    t = log.table
    if groups is None or "transfers" not in t or "group" not in t:
        return {}, {}, []
    answered = t["outcome"].to_numpy() == "answered"
    moved = t["transfers"].to_numpy(dtype=float) > 0
    told = "misrouted" in t  # (ccsim's own contacts tell a misroute from a handoff)
    misrouted = t["misrouted"].to_numpy(dtype=bool) if told else np.zeros(len(t), bool)
    if not (answered & moved & ~misrouted).any():
        return {}, {}, []
    kinds = t["contact_type"].astype(str).map(names).to_numpy()
    ended = group_names(t)  # ('' where none)
    on_call = log.on_call()
    wrap = t["wrap_up"].to_numpy(dtype=float) if "wrap_up" in t else None
    fits: dict[str, TransferFit] = {}
    notes: list[str] = []
    offices = [g for g in groups  # answering nothing untransferred
               if not (answered & ~moved & (ended == g)).any()]
    for kind in sorted(set(kinds[answered & moved & ~misrouted])):
        mine = answered & (kinds == kind)
        handed = mine & moved & ~misrouted
        ends = Counter(ended[handed & np.isin(ended, offices)]).most_common(1)
        if not ends:
            continue
        group = ends[0][0]
        there = handed & (ended == group)
        # ended with no back office: hung up waiting for it (the group that handled them
        # last, the first agent's); told apart from a misroute put right only where the
        # log marks misroutes: else left out, and said
        en_route = handed & ~np.isin(ended, offices) & (ended != "")
        counted = there | (en_route if told else False)
        fits[kind] = TransferFit(_new_name(group, set(names.values())), group,
                                 float(counted.sum() / mine.sum()), there,
                                 float(1 - counted.sum() / handed.sum()))
        if fits[kind].elsewhere > 0:
            notes.append(f"{kind}: {fits[kind].elsewhere:.0%} of its transferred contacts ended "
                         + (f"with a back office other than {group!r}: not modelled"
                            if told else
                            f"with a group other than {group!r} (hung up waiting for it, or "
                            "misrouted and put right: the log cannot tell): not counted, the "
                            "transfer chance may be low by up to their share")
                         + "; their talk stays in its handle time")
    legs = _second_legs(fits, offices, kinds, answered & ~moved, on_call, wrap, notes)
    fits = {kind: f for kind, f in fits.items() if f.to in legs and kind in legs[f.to].sources}
    return fits, legs, notes


def _new_name(group: str, types: set[str]) -> str:
    """The name of the type a back-office group answers (its own, unless a type has it)."""
    return group if group not in types and group != "all" else f"{group}_transfers"


def _second_legs(fits: dict[str, TransferFit], offices: list[str], kinds: np.ndarray,
                 plain: np.ndarray, on_call: np.ndarray, wrap: np.ndarray | None,
                 notes: list[str]) -> dict[str, SecondLeg]:
    """The types reached only by transfer, by name: what their legs took.

    Per transferred contact, its talk beyond the mean of its source type's untransferred
    ones; the variance of that, less the source's (the first leg's, independent of the
    second), is the second leg's.
    """
    legs = {}
    for group in offices:
        sources = _first_legs(sorted(kind for kind, f in fits.items() if f.group == group),
                              kinds, plain, on_call, notes)
        if not sources:
            continue
        name = fits[sources[0]].to
        handle = _beyond(sources, fits, kinds, plain, on_call)
        if handle is None:
            notes.append(f"{', '.join(sources)}: the contacts transferred to {group!r} took no "
                         "longer than the others: no transfer fitted")
            continue
        work = None if wrap is None else _beyond(sources, fits, kinds, plain, wrap)
        legs[name] = SecondLeg(group, handle, work, sources)
        notes.append(f"{name}: reached only by transfer (from {', '.join(sources)}): its talk "
                     "and after-call work are what the transferred contacts took beyond the "
                     "others of their type (the first leg taken as an untransferred contact's)")
    return legs


def _first_legs(sources: list[str], kinds: np.ndarray, plain: np.ndarray,
                on_call: np.ndarray, notes: list[str]) -> list[str]:
    """The sources whose untransferred contacts tell a first leg's talk (two or more)."""
    told = []
    for kind in sources:
        if np.count_nonzero(plain & (kinds == kind) & ~np.isnan(on_call)) >= 2:
            told.append(kind)
        else:
            notes.append(f"{kind}: (nearly) every answered contact transferred: a first leg's "
                         "talk cannot be told from the second's, no transfer fitted")
    return told


def _beyond(sources: list[str], fits: dict[str, TransferFit], kinds: np.ndarray,
            plain: np.ndarray, values: np.ndarray) -> dict | None:
    """A gamma of the mean and cv of what ``values`` of the moved contacts add (or None).

    ``sources``: those with a first leg to tell (:func:`_first_legs`).
    """
    extra, first_var = [], []
    for kind in sources:
        base = values[plain & (kinds == kind)]
        base = base[~np.isnan(base)]
        mine = values[fits[kind].moved]
        mine = mine[~np.isnan(mine)]
        extra.append(mine - base.mean())
        first_var += [base.var(ddof=1)] * mine.size
    added = np.concatenate(extra)
    if added.size < 2 or added.mean() <= 0:
        return None
    mean = float(added.mean())
    var = float(added.var(ddof=1) - np.mean(first_var))
    if var <= 0:
        return {"dist": "deterministic", "value": round(mean, 3)}
    return {"dist": "gamma", "mean": round(mean, 3), "cv": round(var ** 0.5 / mean, 4)}


def skills_after(groups: dict[str, tuple[list[str], list[int]]] | None,
                 fits: dict[str, TransferFit], legs: dict[str, SecondLeg]
                 ) -> dict[str, tuple[list[str], list[int]]] | None:
    """The fitted groups' skills with the transfers fitted.

    A back office answers the type its contacts are transferred as (named after it), not
    the types they came from.
    """
    if groups is None or not fits:
        return groups
    out = {}
    for name, (skills, staff) in groups.items():
        gone = {kind for kind, f in fits.items() if f.group == name}
        mine = (set(skills) - gone) | {kind for kind, leg in legs.items() if leg.group == name}
        out[name] = (sorted(mine or skills), staff)
    return out


def transfer_text(f: TransferFit) -> str:
    """A fitted transfer for people (the printed fit and the report say it alike)."""
    return f"{f.probability:.2%} of answered to {f.to} (those that ended with group {f.group})"


def reached_text(leg: SecondLeg) -> str:
    """Where a type reached only by transfer comes from, for people."""
    return (f"only by transfer, from {', '.join(leg.sources)} (group {leg.group}): talk and "
            "after-call work beyond the first leg's")
