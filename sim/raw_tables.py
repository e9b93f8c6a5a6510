"""A run's raw tables (contacts, issues, legs, staff), stacked from its replications when read.

:class:`sim.replicate.RunResult` holds each as :class:`Parts` (one frame per kept
replication) and :class:`Stacked` concatenates them on first read; the issues are not even
made until then (:class:`FromContacts`): each replication's come from its own contacts.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.frames import issues_frame


class Parts(list):
    """One raw table's per-replication frames, not yet stacked (see :class:`Stacked`)."""


class Stacked:
    """A raw table of a run's result, stacked from its replications' frames when first read.

    A run hands each table over as :class:`Parts`; the concatenation (a copy of every row)
    happens only if something reads the table. The command line writes contacts and legs
    to disk while later replications still run (:class:`sim.table_stream.TableStream`) and,
    without a report, never reads them again: it never pays for the copy.

    Args:
        stack: Makes one frame of the parts (at least one).
        derive: Makes the table from the result's other tables, when it holds
            :class:`FromContacts` (the issues).
        before_set: Called with the result before the table is replaced (the contacts:
            the issues still to be made from them are made first).
    """

    def __init__(self, stack: Callable[[list[pd.DataFrame]], pd.DataFrame],
                 derive: Callable[[object], pd.DataFrame] | None = None,
                 before_set: Callable[[object], None] | None = None):
        self.stack, self.derive, self.before_set = stack, derive, before_set

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, result: object, owner: type | None = None) -> pd.DataFrame:
        if result is None:
            raise AttributeError(self.name)  # for @dataclass: a field without a default
        try:
            value = result.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None
        if isinstance(value, FromContacts):
            value = result.__dict__[self.name] = self.derive(result)
        elif isinstance(value, Parts):
            value = result.__dict__[self.name] = self.stack(value)
        return value

    def __set__(self, result: object, value: pd.DataFrame | Parts) -> None:
        if self.before_set is not None and self.name in result.__dict__:
            self.before_set(result)
        result.__dict__[self.name] = value

    def __delete__(self, result: object) -> None:
        try:
            del result.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None


class FromContacts(Parts):
    """A table not made yet: it is derived from the result's contacts when first read."""


def issues_of(result) -> pd.DataFrame:
    """The issues of a result's kept replications, each made from its own contacts.

    From the per-replication frames while the contacts are not stacked; once they are,
    from each replication's rows of the stacked table (contiguous, in replication order).
    """
    unstacked = vars(result).get("contacts")
    if isinstance(unstacked, Parts):
        frames = list(unstacked)
    else:
        contacts = result.contacts
        numbers = contacts["replication"].to_numpy()
        kept = np.asarray(result.kept_replications if result.kept_replications is not None
                          else pd.unique(numbers))
        starts = np.searchsorted(numbers, kept, "left")
        ends = np.searchsorted(numbers, kept, "right")
        # as stacked, row i of a replication's rows is its contact i: nothing else gives
        # the run's issues (their ids are those rows)
        lengths = ends - starts
        row = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        if (lengths.sum() != len(numbers) or np.any(np.diff(numbers) < 0)
                or not np.array_equal(contacts["contact_id"].to_numpy(), row)):
            raise ValueError("issues: the contacts were reordered or filtered in place; read "
                             "result.issues before changing them")
        frames = [contacts.iloc[a:b] for a, b in zip(starts, ends)]
    return concat([issues_frame(c) for c in frames])


def issues_first(result) -> None:
    """Make the result's issues from its contacts now, if they are still to be made."""
    if isinstance(vars(result).get("issues"), FromContacts):
        vars(result)["issues"] = issues_of(result)


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack per-replication tables (a single one is kept as it is, not copied)."""
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def concat_legs(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack per-replication legs (all empty: the first, with its columns)."""
    return (pd.concat(frames, ignore_index=True) if any(len(f) for f in frames)
            else frames[0])


def concat_all(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack per-replication tables, always renumbering the rows."""
    return pd.concat(frames, ignore_index=True)
