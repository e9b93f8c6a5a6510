"""A run's raw tables (contacts, issues, legs, staff), stacked from its replications when read.

:class:`sim.replicate.RunResult` holds each as :class:`Parts` (one frame per kept
replication) and :class:`Stacked` concatenates them on first read; the issues are not even
made until then (:class:`FromContacts`): each replication's come from its own contacts.
"""

from __future__ import annotations

from collections.abc import Callable

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
    """

    def __init__(self, stack: Callable[[list[pd.DataFrame]], pd.DataFrame]):
        self.stack = stack

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, result: object, owner: type | None = None) -> pd.DataFrame:
        if result is None:
            raise AttributeError(self.name)  # for @dataclass: a field without a default
        try:
            value = result.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None
        if isinstance(value, Parts):
            value = result.__dict__[self.name] = self.stack(value)
        return value

    def __set__(self, result: object, value: pd.DataFrame | Parts) -> None:
        result.__dict__[self.name] = value

    def __delete__(self, result: object) -> None:
        try:
            del result.__dict__[self.name]
        except KeyError:
            raise AttributeError(self.name) from None


class FromContacts(Parts):
    """The issues, not made yet: per kept replication, the contacts' columns they come from.

    Taken when the result is built (:func:`sim.frames.issue_inputs`): whatever is done to
    ``result.contacts`` later, the issues are the run's.
    """


def issues_of(parts: Parts) -> pd.DataFrame:
    """The issues of a result's kept replications, each made from its own contacts' columns.

    Parts that are issues already (a result pickled before they were made late) are
    stacked as they are.
    """
    if not isinstance(parts, FromContacts):
        return concat(parts)
    return concat([issues_frame(c) for c in parts])


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
