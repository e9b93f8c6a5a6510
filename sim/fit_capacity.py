"""What a call log shows of the center's capacity: agents busy at once, and trunk lines.

A log says who waited and who talked, not how many agents were on duty nor how many
lines the trunk had. Both are bounded by what it shows:

- agents: at a peak with a queue every agent on duty talks, so the most seen talking at
  once is a lower bound of the staff (:func:`observed_staff`), counted on the contacts
  never transferred where the log has transfers (a row is a contact, not its legs);
  where the log names each contact's agent, the agents seen working (:func:`agents_seen`),
  by group (:func:`groups_seen`), and how many contacts each takes at once
  (:func:`chats_at_once`);
- trunk lines: a busy signal (``blocked``) is given only when every line is taken, by a
  call waiting or talking, so the calls on the lines at each busy signal are the lines
  (:func:`observed_lines`). A log without busy signals tells no limit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calllog import CallLog, scenario_name
from sim.units import counted


def observed_staff(log: CallLog, open_s: float, interval: float, n_intervals: int,
                   untransferred: bool = False) -> list[int]:
    """Agents seen busy at once, per interval of the day: the median over days of the peak.

    An agent is busy from the answer: the arrival, any IVR menu before the queue where the
    log tells it (``menu``), the wait; for the contact's talk (``handle``), and its hold
    and after-call work where the log tells them (``hold``, ``wrap_up``). Without
    transfers, a lower bound of the staff on duty (at a peak with a queue, every agent
    talks); give the real staffing with ``--staff`` when known. A log row is a contact,
    not its legs: a transferred contact is counted busy for the talk of all its legs from
    its first answer, its second wait left out, so where the log has transfers the count
    can exceed the staff on duty. ``untransferred``: count only the contacts never
    transferred (each busy on one agent exactly as the log tells): a lower bound again.
    """
    t = log.table
    answered = t["outcome"].to_numpy() == "answered"
    if untransferred:
        answered &= t["transfers"].to_numpy(dtype=float) == 0
    start, end = _work(log, answered)
    # logs round times: an agent's next call may seem to start a moment before the last ends
    end = start + np.maximum(end - start - 1.0, 0.0)
    times = np.concatenate([start, end])
    steps = np.concatenate([np.ones(start.size), -np.ones(end.size)])
    order = np.lexsort((steps, times))  # an end before a start at the same moment
    times, busy = times[order], np.cumsum(steps[order])
    dates = log.days
    peaks = np.zeros((len(dates), n_intervals))
    slot_of = ((times % 86400.0) - open_s) // interval
    offsets = ((dates - dates[0]).total_seconds().to_numpy() // 86400.0).astype(int)
    day_of = np.searchsorted(offsets, (times // 86400.0).astype(int))
    inside = ((slot_of >= 0) & (slot_of < n_intervals) & (day_of < len(dates))
              & (offsets[np.minimum(day_of, len(dates) - 1)] == times // 86400.0))
    np.maximum.at(peaks, (day_of[inside], slot_of[inside].astype(int)), busy[inside])
    # and those busy as it begins: calls that span an interval start or end in no other
    starts = (offsets[:, None] * 86400.0 + open_s + interval * np.arange(n_intervals)).ravel()
    before = np.concatenate([[0.0], busy])  # busy after the last event before each start
    carried = before[np.searchsorted(times, starts, side="right")].reshape(peaks.shape)
    peaks = np.maximum(peaks, carried)
    return [max(1, int(v)) for v in np.median(peaks, axis=0)]


def _work(log: CallLog, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """When the agent of each of ``rows`` (answered) began and ended its work, seconds.

    From the answer (the arrival, any menu before the queue the log tells, the wait)
    through the talk, any hold and the after-call work after it, where the log tells them.
    """
    t = log.table
    start = log.seconds()[rows] + t["wait"].to_numpy()[rows]
    if "menu" in t:  # (the answer, not the menu's length too early)
        start = start + np.nan_to_num(t["menu"].to_numpy(dtype=float)[rows])
    busy = np.nan_to_num(log.on_call()[rows])
    if "wrap_up" in t:
        busy = busy + t["wrap_up"].to_numpy(dtype=float)[rows]
    return start, start + busy


def agents_seen(log: CallLog, open_s: float, interval: float, n_intervals: int,
                within: np.ndarray | None = None, handed: bool = False) -> list[int] | None:
    """Agents the log names working in each interval of the day: the median over days.

    Each agent of an answered contact never transferred (``agent``: the log's id, blank
    for none; within its ``group`` where the log names groups: ids numbered per group are
    two people) counts in the interval it answered it in and in every interval its work
    on it (talk, hold, after-call work: :func:`_work`) went on through, once however many
    contacts it had there; the median is over the days that name an agent (the higher
    middle one). So counted, an agent was on duty there: taking new work, or working
    through the whole interval; the tail of a call finished after the shift ended does
    not count. A lower bound where some sat idle a whole interval. A transferred
    contact names its last agent, whose leg's start the log does not tell: left out
    (the agent is seen on other contacts). ``within``: the rows to count (a group's),
    default all; ``handed``: the transferred contacts instead (:func:`seen_grid`). None:
    the log names no agent (there).
    """
    grid, named = seen_grid(log, open_s, interval, n_intervals, within, handed)
    if not named.any():
        return None
    ranked = np.sort(grid[named], axis=0)
    return [int(v) for v in ranked[int(named.sum()) // 2]]


def seen_grid(log: CallLog, open_s: float, interval: float, n_intervals: int,
              within: np.ndarray | None = None, handed: bool = False
              ) -> tuple[np.ndarray, np.ndarray]:
    """Agents seen working (:func:`agents_seen`) per day of the log x interval of the day.

    And which days name an agent (the others' rows are 0: nothing told). ``handed``:
    count the transferred contacts instead, each named agent in the interval of the
    contact's end only (where the log has end times): for a group seen on no other
    contact, whose agents the log shows nowhere else (they may have been finishing a
    call begun before their shift ended: no lower bound).
    """
    t = log.table
    rows = _named(t, within, handed)
    grid = np.zeros((len(log.days), n_intervals))
    if not np.any(rows):
        return grid, np.zeros(len(grid), bool)
    if handed:  # at its end, if the log tells it
        start = end = (log.seconds()[rows] + t["duration"].to_numpy(dtype=float)[rows]
                       if "duration" in t else np.full(int(rows.sum()), np.nan))
    else:
        start, end = _work(log, rows)
    who = pd.factorize(_agent_ids(t).to_numpy()[rows])[0]
    keep = ~np.isnan(start)
    start, end, who = start[keep], end[keep], who[keep]
    # logs round times (and a timestamp's nanoseconds an answer's): an answer within a
    # second before an interval's start is in it, and work must go on a second past an
    # interval's end to have gone through it
    day = np.floor((start + 1.0) / 86400.0)
    begin = (start + 1.0 - day * 86400.0 - open_s) / interval
    through = (end - 1.0 - day * 86400.0 - open_s) / interval
    # the interval of the answer, then those the work went through; past midnight, the
    # next day's too (up to a day)
    first = np.floor(begin).astype(int)
    last = np.maximum(np.floor(through).astype(int) - 1, first)
    next_last = np.floor(through - 86400.0 / interval).astype(int) - 1
    pieces = [(day, first, last, who)]
    late = next_last >= 0  # (its work went through the next day's first interval)
    if late.any():
        pieces.append((day[late] + 1, np.zeros(int(late.sum()), int), next_last[late],
                       who[late]))
    offsets = ((log.days - log.days[0]).total_seconds().to_numpy() // 86400.0).astype(int)
    cells = []
    for days, lo, hi, agent in pieces:
        lo, hi = np.maximum(lo, 0), np.minimum(hi, n_intervals - 1)
        ok = (lo <= hi) & np.isin(days.astype(int), offsets)
        days, lo, hi, agent = days[ok].astype(int), lo[ok], hi[ok], agent[ok]
        count = hi - lo + 1
        each = np.repeat(np.arange(count.size), count)
        slot = lo[each] + np.arange(each.size) - np.repeat(np.cumsum(count) - count, count)
        cells.append(np.stack([np.searchsorted(offsets, days[each]), slot, agent[each]]))
    cells = np.unique(np.concatenate(cells, axis=1), axis=1)
    np.add.at(grid, (cells[0], cells[1]), 1.0)
    named = np.zeros(len(grid), bool)
    named[cells[0]] = True  # the days that name an agent (here)
    return grid, named


def at_once(log: CallLog, within: np.ndarray | None = None) -> int:
    """How many contacts an agent the log names takes at once (chats): typical over agents.

    Per agent, over its contacts never transferred (talk and hold; after-call work left
    out; logs round times: a contact's end a second early), the most it was on at once
    for at least a quarter of its time on any (a few seconds' overlap, a log's glitch,
    is not a chat desk); the median over the agents (the higher middle one). 1 for a
    phone team; 1 where the log names no agent. ``within``: the rows to count (a
    group's), default all.
    """
    t = log.table
    rows = _named(t, within)
    if not np.any(rows):
        return 1
    start = _work(log, rows)[0]
    end = start + np.maximum(np.nan_to_num(log.on_call()[rows]) - 1.0, 0.0)
    who = pd.factorize(_agent_ids(t).to_numpy()[rows])[0]
    # each agent's starts and ends in time order (an end before a start at the same
    # moment): the running count of its contacts at once; every agent's steps sum to 0
    agents = np.concatenate([who, who])
    times = np.concatenate([start, end])
    steps = np.concatenate([np.ones(start.size), -np.ones(end.size)])
    order = np.lexsort((steps, times, agents))
    agents, times, running = agents[order], times[order], np.cumsum(steps[order])
    # how long each count lasted: until the agent's next start or end
    same = np.append(agents[1:] == agents[:-1], False)
    lasted = np.where(same, np.append(times[1:], 0.0) - times, 0.0)
    busy = pd.Series(np.where(running >= 1, lasted, 0.0)).groupby(agents).sum()
    most = pd.Series(1, index=busy.index)
    for k in range(2, int(running.max()) + 1):
        at_k = pd.Series(np.where(running >= k, lasted, 0.0)).groupby(agents).sum()
        most[(at_k >= 0.25 * busy) & (busy > 0)] = k
    return max(1, int(np.sort(most.to_numpy())[most.size // 2]))


def chats_at_once(log: CallLog, groups: dict | None) -> dict[str, int]:
    """:func:`at_once` by fitted group (``agents``: the one pool), where more than 1.

    A group answering a type that a group of one contact at a time answers too is left
    at 1 (a type is a chat, its groups' agents taking several, or a call: not both).
    """
    t = log.table
    if "agent" not in t:
        return {}
    if not groups:
        pool = at_once(log)
        return {"agents": pool} if pool > 1 else {}
    names = group_names(t)
    found = {name: at_once(log, names == name) for name in groups}
    while True:  # a desk left at 1 makes its types calls for every group: until none moves
        calls = {kind for name, (skills, _) in groups.items() if found[name] == 1
                 for kind in skills}
        moved = [name for name, k in found.items() if k > 1 and calls & set(groups[name][0])]
        if not moved:
            return {name: k for name, k in found.items() if k > 1}
        found.update(dict.fromkeys(moved, 1))


def group_names(t: pd.DataFrame) -> np.ndarray:
    """Each row's group as a scenario names it ('' where the log names none).

    Mapped over the distinct groups, not a Python call per row.
    """
    return t["group"].map({g: scenario_name(g) for g in t["group"].dropna().unique()}
                          ).fillna("").to_numpy()


def _named(t: pd.DataFrame, within: np.ndarray | None = None,
           handed: bool = False) -> np.ndarray:
    """Where an answered contact names its agent, among ``within`` (default: all).

    Those never transferred; ``handed``: only the transferred ones.
    """
    rows = (t["outcome"].to_numpy() == "answered") & (
        t["agent"].notna().to_numpy() if "agent" in t else False)
    if within is not None:
        rows &= within
    moved = (t["transfers"].to_numpy(dtype=float) > 0 if "transfers" in t
             else np.zeros(len(t), bool))
    return rows & (moved if handed else ~moved)


def _agent_ids(t: pd.DataFrame) -> pd.Series:
    """Each row's agent id, within its group where the log names groups (ids per group)."""
    ids = t["agent"].fillna("").astype(str)
    return t["group"].fillna("").astype(str) + "\x1f" + ids if "group" in t else ids


def groups_seen(log: CallLog, open_s: float, interval: float, n_intervals: int,
                types: dict[str, str]) -> dict[str, tuple[list[str], list[int]]] | None:
    """Each agent group the log names: ``{name: (skills, staff per interval)}``.

    A group's skills are the contact types it answered (``types``: the log's type ->
    its scenario name), its staff the agents seen working in it (:func:`agents_seen`; a
    group seen on transferred contacts only, at their ends: :func:`seen_grid`); a
    type nobody answered is in every group's skills. Names as a scenario takes them
    (:func:`sim.calllog.scenario_name`). None: fewer than two groups with agents named,
    or two names that would collide (one pool of agents then, as without groups).
    """
    t = log.table
    if "group" not in t or "agent" not in t:
        return None
    named = ((t["outcome"].to_numpy() == "answered") & t["agent"].notna().to_numpy()
             & t["group"].notna().to_numpy())
    raw = sorted(set(t["group"].to_numpy()[named]))
    names = [scenario_name(str(g)) for g in raw]
    if len(raw) < 2 or len(set(names)) < len(names):
        return None
    kinds = t["contact_type"].astype(str).map(types).to_numpy()
    nobody = set(types.values()) - set(kinds[named])
    out = {}
    for name, group in zip(names, raw, strict=True):
        mine = named & (t["group"].to_numpy() == group)
        staff = agents_seen(log, open_s, interval, n_intervals, within=mine)
        if staff is None:  # seen on transferred contacts only: at their ends
            staff = agents_seen(log, open_s, interval, n_intervals, mine, handed=True)
        if staff is not None:
            out[name] = (sorted(set(kinds[mine]) | nobody), staff)
    # a group with no agent counted (transferred contacts only, no end times) is left out:
    # the types only it answered go to every group left, as types nobody answered
    orphans = set(kinds[named]) - {kind for skills, _ in out.values() for kind in skills}
    out = {name: (sorted(set(skills) | orphans), staff) for name, (skills, staff) in out.items()}
    return out if len(out) >= 2 else None


def staff_seen(log: CallLog, open_s: float, interval: float,
               n_intervals: int) -> tuple[list[int], list[int] | None]:
    """``(staff, lower)``: agents seen busy at once, and a lower bound where they may not be.

    ``staff``: :func:`observed_staff` of every contact; ``lower``: of the contacts never
    transferred, where the log has transfers (None: it has none, ``staff`` is the bound).
    """
    staff = observed_staff(log, open_s, interval, n_intervals)
    t = log.table
    if "transfers" not in t or not (t["transfers"].to_numpy(dtype=float) > 0).any():
        return staff, None
    return staff, observed_staff(log, open_s, interval, n_intervals, untransferred=True)


def observed_lines(log: CallLog) -> int | None:
    """Trunk lines: calls on the lines when busy signals were given (None: no busy signal).

    A call holds a line from its arrival until it hangs up: after its wait if it
    abandoned, after its talk if answered, and any IVR menu before the queue where the
    log tells it (``menu``: by its ``queue_start``, or ccsim's own times); one that took a
    callback (ccsim's own ``callback``), on entering the queue, after its menu. At each busy
    signal every line was taken, so the calls on the lines then are the lines; their
    median over the busy signals (the higher of the two middle values) is taken, not the
    most ever seen at once: a log that rounds the arrival, the wait and the talk apart can
    show one call more or fewer than there were for a moment.
    """
    t = log.table
    outcome = t["outcome"].to_numpy()
    blocked = outcome == "blocked"
    if not blocked.any():
        return None
    seconds = log.seconds()
    held = np.where(outcome == "answered", np.nan_to_num(log.on_call()),  # (a hold: on a line)
                    0.0) + t["wait"].to_numpy(dtype=float)
    if "callback" in t:  # took a callback: hung up on entering the queue (the call back
        held = np.where(t["callback"].to_numpy(dtype=bool), 0.0, held)  # holds no line)
    if "menu" in t:  # told by the log: a menu before the queue holds the line too
        held = held + np.nan_to_num(t["menu"].to_numpy(dtype=float))
    start = np.sort(seconds[~blocked])
    end = np.sort(seconds[~blocked] + held[~blocked])
    at = seconds[blocked]
    # a call that arrived at the busy signal's moment was on a line; one that ended then was not
    on_lines = np.searchsorted(start, at, side="right") - np.searchsorted(end, at, side="right")
    return max(1, int(np.sort(on_lines)[on_lines.size // 2]))


def count_span(values: list[int], noun: str | None = None) -> str:
    """Counts per interval for people: ``3-5``, or ``4`` where every one is 4.

    With ``noun``, its count too: ``3-5 agents``, ``1 agent`` (:func:`sim.units.counted`).
    """
    low, high = min(values), max(values)
    if low == high:
        return f"{low}" if noun is None else counted(low, noun)
    return f"{low}-{high}" + ("" if noun is None else f" {noun}s")


SEEN_WORKING = ("each agent the log names, where it answered a contact or worked through the "
                "interval; median over days")  # how agents_seen counts, for people


def group_text(name: str, skills: list[str], seen: list[int], chats: int | None) -> str:
    """A fitted group for people: ``chat: 2 agents, answers chat, 3 contacts at once``."""
    return (f"{name}: {count_span(seen, 'agent')}, answers {', '.join(skills)}"
            + (f", {chats} contacts at once" if chats else ""))
