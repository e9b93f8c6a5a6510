"""Costs: what a replication costs and earns, in the money unit of the scenario's ``costs:``.

Wages against what bad service costs. The KPIs, all over the measured window
(DESIGN.md, "Measurement populations"), and their identities::

    staff_cost     = sum over groups of hourly x (scheduled hours
                                                  + overtime_factor x overtime hours)
                     (a shift with its own ``hourly``: its scheduled hours at that rate)
    abandon_cost   = per_abandon x (abandoned + hung_up)
    blocked_cost   = per_blocked x blocked
    wait_cost      = per_wait_minute x minutes in queues (all counted contacts)
    callback_cost  = per_callback x callbacks
    complaint_cost = per_complaint x complaints
    total_cost     = staff_cost + abandon_cost + blocked_cost + wait_cost
                     + callback_cost + complaint_cost
    revenue        = sum over resolved issues of revenue[type of the first contact]
    profit         = revenue - total_cost

Agents a real-time rule calls in (``then: {overtime: ...}``) are paid at the overtime
rate while called in (:func:`called_in_seconds`). Scheduled hours are the schedule's
agents (``staff`` or ``shifts``, before shrinkage and absences: agents are paid for their
scheduled time, breaks, meetings and days of absence included) within the measured
window; a shift is paid for all its scheduled time, also before opening or after closing
(:func:`paid_agents`). Overtime is agent time on duty after a day's closing (agents
finishing contacts still waiting, or called back for a transfer), as the staffing log
records it, beyond the agents whose shift still runs then. Minutes waited are
``queue_time``: time in queues, not the time a customer who accepted a callback spent
off the line. A caller answered who then hung up (``hung_up``: on hold, or queued again
after a transfer) is a customer lost without resolution, as one who abandoned is: both
cost ``per_abandon``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.agent_time import available_until
from sim.metrics import COST_KPIS, Columns, Window, columns, measured_window
from sim.scenario import Scenario
from sim.schedule import add_shift, closings, staff_changes, with_cooldown
from sim.units import DAY
from sim.weekdays import weekday_of

# the contact counts the money KPIs price (:func:`money_kpis`' ``counts``)
PRICED_COUNTS = ("abandoned", "hung_up", "blocked", "callbacks", "complaints")
# the parts of total_cost, in the order of its identity
COST_PARTS = ("staff_cost", "abandon_cost", "blocked_cost", "wait_cost", "callback_cost",
              "complaint_cost")


def paid_agents(scenario: Scenario, group: str,
                shift: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``group``'s paid agents over the run as a step function: ``(times, counts)``.

    ``counts[i]`` agents are paid from ``times[i]`` (seconds, sorted) until the next
    change: the schedule's agents before shrinkage and absences. A shift is paid for its
    whole scheduled time, also where it runs outside opening hours (its agents take
    contacts only while the center is open, :func:`sim.schedule.staff_changes`), less its
    unpaid breaks (``paid: false``); its other breaks are paid time, like shrinkage. A
    shift of the day before the run that runs past midnight counts too, as in the engine,
    and so do the shifts of the days a cooldown runs on into: their agents are scheduled
    then, so the last measured day's overtime is counted beyond them as every other day's
    is beyond the next day's (their time is outside the measured window, unpaid in it).
    ``staff`` (a count or a list per interval) is paid while the center is open.
    ``shift``: that one of the group's shifts only (its position).
    """
    spec = scenario.agents[group]
    if not spec.shifts:
        changes = staff_changes(scenario, spec.model_copy(update={"shrinkage": 0.0}))
        return (np.array([c.time for c in changes], dtype=float),
                np.array([c.count for c in changes], dtype=float))
    deltas: dict[float, float] = {}
    chosen = spec.shifts if shift is None else spec.shifts[shift:shift + 1]
    for day in range(-1, with_cooldown(scenario).days):
        for one in chosen:
            if not one.worked_on(day, weekday_of(scenario, day)):
                continue
            add_shift(deltas, day * DAY + one.start, one, one.count,
                      [b for b in one.breaks if not b.paid])  # paid breaks are paid time
    times = np.array(sorted(deltas), dtype=float)
    return times, np.cumsum([deltas[t] for t in times]) if times.size else np.zeros(0)


def scheduled_seconds(scenario: Scenario, group: str, window: Window,
                      shift: int | None = None) -> float:
    """Agent-seconds ``group`` (or its ``shift``) is paid for in ``window``.

    As :func:`paid_agents` counts them.
    """
    times, counts = paid_agents(scenario, group, shift)
    before = available_until(times, counts, np.array([window.start, window.end]))
    return float(before[1] - before[0])


def scheduled_wages(scenario: Scenario, group: str, window: Window, hourly: float) -> float:
    """What ``group``'s schedule is paid in ``window``: its hours at ``hourly``.

    Each shift with its own ``hourly`` at that rate instead.
    """
    shifts = scenario.agents[group].shifts or ()
    if all(shift.hourly is None for shift in shifts):
        return hourly * scheduled_seconds(scenario, group, window) / 3600.0
    return sum((hourly if shift.hourly is None else shift.hourly)
               * scheduled_seconds(scenario, group, window, k) / 3600.0
               for k, shift in enumerate(shifts))


def overtime_seconds(staff: pd.DataFrame, scenario: Scenario, group: str,
                     window: Window) -> float:
    """Agent-seconds ``group`` was on duty after closing beyond its paid schedule.

    After each measured day's closing until the next opening (for the last day, until
    agent time stops counting: :attr:`sim.metrics.Window.agents_until`), the agents on
    duty (the staffing log) in excess of those paid for their schedule then
    (:func:`paid_agents`: a shift running past closing is paid for its own time already).
    """
    groups = staff["group"]
    if isinstance(groups.dtype, pd.CategoricalDtype):  # by code: no string per row
        names = [str(name) for name in groups.cat.categories]
        mine = groups.cat.codes.to_numpy() == (names.index(group) if group in names else -2)
    else:
        mine = groups.astype(str).to_numpy() == group
    if not mine.any():
        return 0.0
    times = staff["time"].to_numpy(dtype=float)[mine]
    agents = staff["agents"].to_numpy(dtype=float)[mine]
    paid_times, paid = paid_agents(scenario, group)
    total = 0.0
    for day in range(scenario.days):
        begin = day * DAY + scenario.close
        end = (day + 1) * DAY + scenario.open if day < scenario.days - 1 else window.agents_until
        begin, end = max(begin, window.start), min(end, window.agents_until)
        if end > begin:
            if not np.isfinite(end):
                end = max(float(times.max()), begin)
            total += _excess(times, agents, paid_times, paid, begin, end)
    return total


def _excess(times: np.ndarray, counts: np.ndarray, base_times: np.ndarray, base: np.ndarray,
            begin: float, end: float) -> float:
    """Integral over ``[begin, end]`` of ``max(0, counts - base)``, two step functions."""
    edges = np.concatenate([[begin, end], times, base_times])
    edges = np.unique(edges[(edges >= begin) & (edges <= end)])

    def level(t: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
        k = np.searchsorted(t, at, side="right") - 1  # the last change at or before
        return np.where(k >= 0, values[np.maximum(k, 0)], 0.0) if t.size else np.zeros(at.size)

    over = np.maximum(0.0, level(times, counts, edges[:-1]) - level(base_times, base, edges[:-1]))
    return float(over @ np.diff(edges))


def called_in_seconds(rules: pd.DataFrame | None, scenario: Scenario, group: str,
                      window: Window) -> float:
    """Agent-seconds of ``group`` called in on overtime by real-time rules (:mod:`sim.rules`).

    Each call-in counts its agents from the call until its ``length`` ends or the center
    next closes for the night (:func:`sim.schedule.closings`: open round the clock, a
    call-in runs on past midnight; time on duty after closing is overtime in the staffing
    log already), within the measured window.
    """
    if rules is None or not len(rules):
        return 0.0
    nights = closings(with_cooldown(scenario))
    total = 0.0
    for name, rule in scenario.rules.items():
        spec = rule.then.overtime
        if spec is None or spec.group != group:
            continue
        mine = rules[(rules["rule"].astype(str) == name) & (rules["state"] == "on")]
        for t, agents in zip(mine["time"].to_numpy(float), mine["agents"].to_numpy(float)):
            closing = nights[min(np.searchsorted(nights, t), nights.size - 1)]
            end = min(t + spec.length, closing, window.end)
            total += agents * max(0.0, end - max(t, window.start))
    return total


def cost_kpis(contacts: pd.DataFrame, legs: pd.DataFrame | None, staff: pd.DataFrame,
              scenario: Scenario, counts: dict[str, float],
              rules: pd.DataFrame | None = None) -> dict[str, float]:
    """The cost KPIs (:data:`COST_KPIS`) of one replication (none without ``costs:``).

    Args:
        contacts: The replication's contacts.
        legs: Its legs.
        staff: Its staffing log.
        scenario: The scenario.
        counts: Its contact KPIs (``abandoned``, ``hung_up``, ``blocked``, ``callbacks``,
            ``complaints``).
        rules: Its real-time rules' changes (agents they call in are paid as overtime).
    """
    if scenario.costs is None:
        return {}
    return money_kpis(columns(contacts, legs, scenario), staff, scenario, counts, rules)


def money_kpis(cols: Columns, staff: pd.DataFrame, scenario: Scenario, counts: dict[str, float],
               rules: pd.DataFrame | None = None) -> dict[str, float]:
    """:func:`cost_kpis` of a replication's :func:`sim.metrics.columns` (made once)."""
    costs = scenario.costs
    window = measured_window(scenario)
    counted = window.contacts(cols.arrival)
    staff_cost = 0.0
    for group, pay in costs.agents.items():
        overtime = (overtime_seconds(staff, scenario, group, window)
                    + called_in_seconds(rules, scenario, group, window)) / 3600.0
        staff_cost += (scheduled_wages(scenario, group, window, pay.hourly)
                       + pay.hourly * pay.overtime_factor * overtime)
    waited = float(np.nansum(cols.queue_time[counted])) / 60.0
    out = {
        "staff_cost": staff_cost,
        "abandon_cost": costs.per_abandon * (counts["abandoned"] + counts["hung_up"]),
        "blocked_cost": costs.per_blocked * counts["blocked"],
        "wait_cost": costs.per_wait_minute * waited,
        "callback_cost": costs.per_callback * counts["callbacks"],
        "complaint_cost": costs.per_complaint * counts["complaints"],
        "revenue": _revenue(cols, counted, costs.revenue),
    }
    out["total_cost"] = sum(out[part] for part in COST_PARTS)
    out["profit"] = out["revenue"] - out["total_cost"]
    return {k: float(out[k]) for k in COST_KPIS}


def _revenue(cols: Columns, counted: np.ndarray, revenue: dict[str, float]) -> float:
    """Revenue of the resolved issues whose first contact counts, by that contact's type."""
    if not revenue:
        return 0.0
    n = cols.issue_id.size
    resolved = np.bincount(cols.issue_id, weights=cols.resolved.astype(float), minlength=n) > 0
    first = counted & (cols.origin == 0) & resolved
    earned = np.array([revenue.get(name, 0.0) for name in cols.type_names])
    return float(earned[cols.contact_type[first]].sum())
