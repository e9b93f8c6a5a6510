"""Interval tables: service, volumes, staff and occupancy per interval and contact type.

The planner's view of a run, as an ACD (automatic call distributor) reports it: one row
per reporting interval of the opening hours and per contact type (and ``all``). A
replication's table holds counts, the sums every ratio is made of and the ratios; over
several replications (:func:`pool_intervals`) counts are means per replication and each
ratio is the ratio of the pooled sums. The service level of an interval is then the
share of all its callers answered in time, not a mean of per-replication shares, which
over-weights replications with few callers. Contacts belong to the interval they
arrived in; agent time to the interval it was spent in; both only within the measured
window (:func:`sim.metrics.measured_window`): an interval inside the warm-up has no
contacts and no measured agent time (its ratios and ``staff`` are NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.agent_time import AgentTime
from sim.metrics import Columns, columns, measured_window, serving_groups
from sim.scenario import Scenario
from sim.scenario_contacts import ServiceLevelDefinition
from sim.schedule import interval_starts
from sim.units import DAY

INTERVAL_KEYS = ["day", "clock", "start", "contact_type"]
"""The keys of an interval row. ``day`` is a data index from 0 (the run's first day), as
``start`` counts from day 0, 00:00; people are told the days from 1
(:func:`sim.weekdays.day_label`)."""
INTERVAL_COUNTS = ("offered", "answered", "abandoned", "hung_up", "blocked", "self_served",
                   "repeats", "retrials", "callbacks", "complaints", "unanswered", "balked")
INTERVAL_SUMS = ("answered_in_time", "sl_denominator", "wait_s", "hold_s", "transfers",
                 "agent_s", "measured_s", "busy_s", "available_s", "callbacks_taken",
                 "balk_denominator")
INTERVAL_RATIOS = {  # ratio: (numerator, denominator)
    "service_level": ("answered_in_time", "sl_denominator"),
    "asa": ("wait_s", "answered"),
    "abandon_rate": ("abandoned", "offered"),
    "hold_time": ("hold_s", "answered"),
    "transfer_rate": ("transfers", "answered"),
    "callback_rate": ("callbacks_taken", "offered"),
    "staff": ("agent_s", "measured_s"),
    "occupancy": ("busy_s", "available_s"),
    "balk_rate": ("balked", "balk_denominator"),  # balked / (offered + balked)
}
INTERVAL_COLUMNS = ("offered", "answered", "abandoned", "hung_up", "blocked", "service_level",
                    "asa", "abandon_rate", "hold_time", "transfer_rate", "self_served",
                    "repeats", "retrials", "callbacks", "callback_rate", "complaints",
                    "unanswered", "staff", "occupancy", "balked", "balk_rate")


def interval_table(contacts: pd.DataFrame, staff: pd.DataFrame, scenario: Scenario,
                   legs: pd.DataFrame | None) -> pd.DataFrame:
    """Per interval x contact type (and ``all``) of one replication.

    Volumes, service, staff and occupancy (:data:`INTERVAL_COLUMNS`), followed by the
    sums the ratios are made of (:data:`INTERVAL_SUMS`), which :func:`pool_intervals`
    adds up over replications. ``staff`` is the mean number of agents on duty in the
    groups able to take the type; ``occupancy`` is their busy / available time in the
    interval.
    """
    sums = interval_sums(contacts, staff, scenario, legs)
    return pd.concat([interval_rates(sums), sums[list(INTERVAL_SUMS)]], axis=1)


def pool_intervals(by_replication: pd.DataFrame) -> pd.DataFrame:
    """Interval tables of several replications (a ``replication`` column) as one table.

    Counts are means per replication; every ratio is the ratio of the sums over all
    replications (the service level: answered in time / offered, both summed).
    """
    replications = by_replication["replication"].nunique()
    sums = (by_replication.groupby(INTERVAL_KEYS, sort=False, observed=True)
            [list(INTERVAL_COUNTS + INTERVAL_SUMS)].sum().reset_index())
    return interval_rates(sums, replications)


def interval_rates(sums: pd.DataFrame, replications: int = 1) -> pd.DataFrame:
    """:data:`INTERVAL_COLUMNS` from counts and sums over ``replications`` replications."""
    out = sums[INTERVAL_KEYS].copy()
    for column in INTERVAL_COLUMNS:
        if column in INTERVAL_RATIOS:
            num, den = (sums[c].to_numpy(dtype=float) for c in INTERVAL_RATIOS[column])
            with np.errstate(invalid="ignore", divide="ignore"):
                out[column] = np.where(den > 0, num / den, np.nan)
        else:
            out[column] = sums[column] / replications
    return out


def interval_sums(contacts: pd.DataFrame, staff: pd.DataFrame, scenario: Scenario,
                  legs: pd.DataFrame | None) -> pd.DataFrame:
    """Per interval x contact type (and ``all``) of one replication: counts and sums."""
    cols = columns(contacts, legs, scenario)
    window = measured_window(scenario)
    counted = window.contacts(cols.arrival)
    starts = interval_starts(scenario)
    index = interval_index(cols.arrival, scenario)
    rows = []
    # each interval's own [start, end), less the warm-up: the night after a day's last
    # interval (agents finishing after closing) belongs to no interval
    ends = starts + scenario.interval
    edges = np.concatenate([np.clip(starts, window.start, ends), ends])
    agent_time = AgentTime(cols, staff, edges)
    names = [*scenario.contact_types, "all"]
    type_rows = cols.rows_by_type(counted)  # one sort, not a mask over all contacts per type
    nothing = np.zeros(0, dtype=np.int64)
    for name in names:
        mask = counted if name == "all" else type_rows.get(name, nothing)
        groups = list(scenario.agents) if name == "all" else serving_groups(scenario, name)
        frame = interval_counts(cols, mask, index[mask], starts.size, scenario)
        frame["agent_s"] = _per_interval(agent_time.total(groups, unit="agents")[1])
        frame["measured_s"] = _per_interval(edges)
        frame["busy_s"], frame["available_s"] = (
            _per_interval(a) for a in agent_time.total(groups))
        rows.append(frame)
    clock = [f"{int(s % DAY // 3600):02d}:{int(s % 3600 // 60):02d}" for s in starts]
    keys = {"day": (starts // DAY).astype(int), "clock": clock, "start": starts}
    return pd.DataFrame({
        **{key: np.tile(values, len(names)) for key, values in keys.items()},
        "contact_type": np.repeat(np.array(names, dtype=object), starts.size),
        **{column: np.concatenate([row[column] for row in rows]) for column in rows[0]},
    })


def interval_index(arrival: np.ndarray, scenario: Scenario) -> np.ndarray:
    """The interval of the run (0, 1, ...) each contact arrived in, by ``arrival`` (seconds).

    Arrivals outside opening hours count in the day's first or last interval (no contact
    arrives then, but a leg can enter a queue after closing: :mod:`sim.queue_legs`).
    """
    ipd = scenario.intervals_per_day
    day = np.floor(arrival / DAY)
    slot = np.clip(np.floor((arrival - day * DAY - scenario.open) / scenario.interval),
                   0, ipd - 1)  # that day's, not the next day's first interval
    return np.clip(day * ipd + slot, 0, ipd * scenario.days - 1).astype(np.int64)


def _per_interval(until: np.ndarray) -> np.ndarray:
    """Per interval from cumulative values at every interval's start, then every end."""
    n = until.size // 2
    return until[n:] - until[:n]


def interval_counts(cols: Columns, mask: np.ndarray, index: np.ndarray, n: int,
                    scenario: Scenario) -> dict[str, np.ndarray]:
    """Contact counts and sums per interval (contacts selected by ``mask``), as arrays.

    ``index``: the interval of each selected contact (:func:`interval_index`); ``n``: the
    intervals of the run.
    """
    threshold = cols.threshold[mask]
    answered, abandoned = cols.answered[mask], cols.abandoned[mask]
    blocked, wait = cols.blocked[mask], cols.wait[mask]
    not_offered = blocked | cols.self_served[mask] | cols.balked[mask]  # balked: never offered

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(index[mask], minlength=n).astype(float)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(index[answered], weights=values[answered], minlength=n)

    offered_mask = ~not_offered
    offered = count(offered_mask)
    balked = count(cols.balked[mask])
    answered_n = count(answered)
    short = count(abandoned & (wait <= threshold))
    origin = cols.origin[mask]
    denominator = {
        ServiceLevelDefinition.OFFERED: offered,
        ServiceLevelDefinition.ANSWERED: answered_n,
        ServiceLevelDefinition.SHORT_ABANDONS_EXCLUDED: offered - short,
    }[scenario.service_level.definition]
    return {
        "offered": offered,
        "answered": answered_n,
        "abandoned": count(abandoned),
        "hung_up": count(cols.hung_up[mask]),  # answered, then hung up (in `answered`)
        "blocked": count(blocked),
        "self_served": count(cols.self_served[mask]),
        # repeat contacts offered (as the summary's repeat_rate counts them), not those
        # that got a busy signal, balked or were served in the IVR
        "repeats": count(offered_mask & (origin == 2)),
        "retrials": count(origin == 1),
        "callbacks": count(cols.callback[mask] & answered),
        "callbacks_taken": count(cols.callback[mask] & ~not_offered),
        "complaints": count(origin == 3),
        "unanswered": count(offered_mask & ~answered & ~abandoned),
        "answered_in_time": count(answered & (wait <= threshold)),
        "sl_denominator": denominator,
        "wait_s": total(wait),
        "hold_s": total(cols.hold[mask]),
        "transfers": total(cols.transfers[mask].astype(float)),
        "balked": balked,
        "balk_denominator": offered + balked,
    }
