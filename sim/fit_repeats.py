"""Repeat contacts in a call log: a customer's contact within days of an answered one.

A log with a ``customer`` column tells who called again: a contact is a repeat when the
same customer's previous contact, of any contact type, was answered within the week
before it (it came back about an issue left unresolved). A contact after an abandoned or
blocked one is a redial (a retrial), not a repeat. The share of repeats among each
contact type's offered contacts is what a scenario's ``repeat`` journeys produce, as the
``repeat_rate`` KPI counts it (ccsim counts a repeat in the type it comes back as). Its
delay is from the end of the contact it repeats, as a scenario's ``repeat.delay``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def repeat_gaps(table: pd.DataFrame, horizon: float = 7 * 86400.0) -> pd.Series | None:
    """Each repeat contact's delay (seconds) after its customer's previous contact; NaN: none.

    A repeat contact is one whose customer's previous contact, of any contact type, arrived
    and was answered within ``horizon`` before it: a call's repeat that comes back as a
    chat is a repeat chat (as ccsim counts a repeat in the type it comes as). A contact
    after an abandoned or blocked one is a redial, no repeat. Contacts without a customer
    id are nobody's repeat. None when the log has no ``customer`` column.

    The delay is from the end of the previous contact, as a scenario's ``repeat.delay``
    runs (from the end of the unresolved talk; from its arrival it also counted that
    contact's menu, wait and talk): its ``duration`` where the log has end times, else its
    menu, wait, talk and hold added up (a transfer's second wait left out, and a hold
    where the log does not tell it). A repeat begun before the previous
    contact ended has delay 0.
    """
    if "customer" not in table:
        return None
    ordered = table[table["customer"].notna()].sort_values(["customer", "arrival"],
                                                            kind="stable")
    same = ordered["customer"].to_numpy()[1:] == ordered["customer"].to_numpy()[:-1]
    after_answer = ordered["outcome"].to_numpy()[:-1] == "answered"
    gaps = ordered["arrival"].diff().dt.total_seconds().to_numpy()[1:]
    repeat = np.concatenate([[False], same & after_answer & (gaps <= horizon)])
    delays = np.maximum(gaps - _time_in_contact(ordered)[:-1], 0.0)
    found = pd.Series(np.where(repeat, np.concatenate([[np.nan], delays]), np.nan),
                      index=ordered.index)
    return found.reindex(table.index)


def _time_in_contact(rows: pd.DataFrame) -> np.ndarray:
    """Seconds from each contact's arrival to its end: ``duration``, else its parts.

    Menu, wait, talk and hold, where the log tells them.
    """
    parts = sum((np.nan_to_num(rows[column].to_numpy(dtype=float))
                 for column in ("menu", "wait", "handle", "hold") if column in rows),
                np.zeros(len(rows)))
    if "duration" not in rows:
        return parts
    given = rows["duration"].to_numpy(dtype=float)
    return np.where(np.isnan(given), parts, given)


def repeat_share(rows: pd.DataFrame, gaps: pd.Series | None) -> tuple[float, float] | None:
    """Share of ``rows`` offered (not blocked) that are repeat contacts, and their mean delay.

    Offered, as ``repeat_rate`` counts: a busy signal reached no queue. Gaps from
    :func:`repeat_gaps`.
    """
    if gaps is None:
        return None
    offered = rows[rows["outcome"] != "blocked"]
    mine = gaps.loc[offered.index].dropna()
    if mine.empty:
        return 0.0, float("nan")
    return float(mine.size / len(offered)), float(mine.mean())


def journeys_note(name: str, repeats: tuple[float, float] | None,
                  transfers: float | None) -> str | None:
    """A note where the log shows repeats or transfers, which the fitted scenario leaves out.

    The log does not say where a transfer went nor why a customer came back, so the
    fitted type has neither: its arrivals count the repeats among its contacts, its
    handle time is a contact's talk on all its legs, and a transfer's second wait is not
    simulated (``ccsim backtest`` then shows waits shorter than the log's). None: neither.
    """
    shown, effects = [], []
    if repeats and repeats[0]:
        shown.append(f"{100 * repeats[0]:.2g}% repeat contacts")  # (0.01%, not 0%)
        effects.append("its arrivals count the repeats as new callers (the same volume, "
                       "none of it from unresolved contacts)")
    if transfers:
        shown.append(f"{transfers:.2f} transfers per answered contact")
        effects.append("its handle time (and after-call work) is a contact's on all its "
                       "legs and a transfer's second wait is left out, so simulated waits run "
                       "short (ccsim backtest shows by how much)")
    if not shown:
        return None
    return (f"{name}: the log shows {' and '.join(shown)}, which the fitted scenario does "
            "not model (a log tells neither why customers came back nor where calls went): "
            + "; ".join(effects))
