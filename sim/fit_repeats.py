"""Repeat contacts in a call log: a customer's contact within days of their previous one.

A log with a ``customer`` column tells who called again: a contact is a repeat when its
customer had another contact, of any contact type, within the week before it. The share
of repeats per contact type is what a scenario's ``repeat`` journeys produce (ccsim
counts a repeat in the type it comes back as).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def repeat_gaps(table: pd.DataFrame, horizon: float = 7 * 86400.0) -> pd.Series | None:
    """Each repeat contact's gap (seconds) since its customer's previous contact; NaN: none.

    A repeat contact is one whose customer had another contact, of any contact type,
    within ``horizon`` before it: a call's repeat that comes back as a chat is a repeat
    chat (as ccsim counts a repeat in the type it comes as). Contacts without a customer
    id are nobody's repeat. None when the log has no ``customer`` column.
    """
    if "customer" not in table:
        return None
    ordered = table[table["customer"].notna()].sort_values(["customer", "arrival"],
                                                            kind="stable")
    same = ordered["customer"].to_numpy()[1:] == ordered["customer"].to_numpy()[:-1]
    gaps = ordered["arrival"].diff().dt.total_seconds().to_numpy()[1:]
    repeat = np.concatenate([[False], same & (gaps <= horizon)])
    found = pd.Series(np.where(repeat, np.concatenate([[np.nan], gaps]), np.nan),
                      index=ordered.index)
    return found.reindex(table.index)


def repeat_share(rows: pd.DataFrame, gaps: pd.Series | None) -> tuple[float, float] | None:
    """Share of ``rows`` that are repeat contacts, and their mean gap (:func:`repeat_gaps`)."""
    if gaps is None:
        return None
    mine = gaps.loc[rows.index].dropna()
    if mine.empty:
        return 0.0, float("nan")
    return float(mine.size / len(rows)), float(mine.mean())
