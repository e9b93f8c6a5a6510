"""Service per interval: offered, agents on duty against Erlang C, service level, ASA, abandons."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sim.erlang import required_agents
from sim.plots.style import (
    Results,
    as_runs,
    clock,
    line_style,
    line_width,
    new_figure,
    stairs,
    styled,
    text_width,
    variant_colours,
    vertical_lines,
)
from sim.replicate import RunResult
from sim.routing_table import routing_table
from sim.scenario import Scenario
from sim.staffing_start import agent_time, slots_and_pace
from sim.units import format_duration
from sim.weekdays import day_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MOST_AGENTS = 100_000  # the Erlang C need drawn: beyond this, none (a gap in the line)
MOST_TIME_LABELS = 14  # on the time axis of the per-interval figure (A4 wide)


# ---- per interval --------------------------------------------------------------------


def erlang_pools(scenario: Scenario) -> list[list[str]]:
    """Contact types that Erlang C should staff as one queue.

    Types are pooled when some agent group takes them first-come, first-served: all at
    the group's top priority and without an overflow delay. Types that share agents only
    through priorities or overflow (the generalists of a bank who take billing calls after
    60 s) stay separate queues.

    Returns:
        Lists of contact type names, in scenario order.
    """
    root = {t: t for t in scenario.contact_types}

    def find(t: str) -> str:
        while root[t] != t:
            t = root[t]
        return t

    table = routing_table(scenario)
    for g, group in enumerate(scenario.agents.values()):
        top = min(group.skills.values())
        first = [t for t, priority in group.skills.items() if priority == top and t in root
                 and g in table.immediate[table.type_index(t)]]
        for t in first[1:]:
            root[find(t)] = find(first[0])
    pools: dict[str, list[str]] = {}
    for t in scenario.contact_types:
        pools.setdefault(find(t), []).append(t)
    return list(pools.values())


def pool_slots(scenario: Scenario, pool: list[str]) -> tuple[int, float]:
    """Contacts an agent of ``pool`` takes at once, and how many times the drawn talk each takes.

    As ``ccsim staff`` starts a group (:func:`sim.staffing_start.slots_and_pace`), for
    the pool's first-line group that takes the fewest at once (a chat desk's agent holds
    several chats, each lengthened by ``concurrency_slowdown``), the slowest of those
    (talks 1 / ``speed`` of the drawn handle time).
    """
    table = routing_table(scenario)
    groups = [list(scenario.agents.values())[g] for t in pool
              for g in table.first_line[table.type_index(t)]]
    paced = [(group.concurrency, -pace, slots, pace)
             for group in groups for slots, pace in [slots_and_pace(group)]]
    _, _, slots, pace = min(paced)
    return slots, pace


def erlang_requirement(scenario: Scenario,
                       offered: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Erlang C agents needed per interval to meet the service-level target.

    Each pool of contact types (:func:`erlang_pools`) is one Erlang C queue, with the
    pooled arrival rate and the rate-weighted mean handle time; the pools' needs are
    summed. Patience is ignored, as in classic Erlang C planning. A pool's types share its
    queue, so it is planned for every type's own goal (its target and threshold where it
    has its own, else the scenario's): the most agents any of them needs, as ``ccsim
    staff`` plans a group (:func:`sim.staffing_start.group_goals`). A chat desk's agent
    is ``concurrency`` servers of that queue, each chat's handle time x its
    ``concurrency_slowdown``, and every talk 1 / the group's ``speed`` of the handle time
    drawn (:func:`pool_slots`, as the engine serves them): the servers Erlang C needs,
    over the chats an agent takes, rounded up.

    Args:
        scenario: The scenario (calendar, service level, handle times).
        offered: Contact type -> contacts offered in each interval of the run (for
            example a run's simulated means); default: the forecast, i.e. the expected
            arrivals of :func:`sim.arrivals.expected_counts` before forecast error.

    Returns:
        Agents needed on the phones in every interval of the run: NaN where no staffing
        up to :data:`MOST_AGENTS` meets the goal.
    """
    from sim.arrivals import expected_counts  # the arrivals model, only for the forecast

    n = scenario.days * scenario.intervals_per_day
    if offered is None:
        offered = {t: expected_counts(scenario, ct.arrivals, t)
                   for t, ct in scenario.contact_types.items()}
    total = np.zeros(n)
    cache: dict[tuple[float, float, float, float], int] = {}
    for pool in erlang_pools(scenario):
        counts = np.array([np.nan_to_num(np.asarray(offered[t], dtype=float)) for t in pool])
        per_agent, pace = pool_slots(scenario, pool)
        means = np.array([agent_time(scenario.contact_types[t], pace) for t in pool])
        rates = counts.sum(axis=0) / scenario.interval
        work = (counts * means[:, None]).sum(axis=0)
        goals = sorted({(scenario.target(t), scenario.threshold(t)) for t in pool})
        for i in range(n):
            if rates[i] > 0:
                load = (round(float(rates[i]), 9), round(float(work[i] / counts[:, i].sum()), 6))
                need = 0.0
                for goal in goals:  # (target, threshold)
                    key = load + goal
                    if key not in cache:
                        try:
                            cache[key] = required_agents(*key, max_agents=MOST_AGENTS)
                        except ValueError:  # the arguments hold: no staffing meets it
                            cache[key] = math.nan
                    need = (math.nan if math.isnan(cache[key]) or math.isnan(need)
                            else max(need, cache[key]))
                total[i] += math.ceil(need / per_agent) if need == need else need
    return total


def simulated_offered(result: RunResult) -> dict[str, np.ndarray]:
    """Contact type -> mean contacts offered per interval in the run, in time order."""
    return {t: _interval_frame(result, t)["offered"].to_numpy(float)
            for t in result.scenario.contact_types}


def _interval_frame(result: RunResult, contact_type: str = "all") -> pd.DataFrame:
    table = result.intervals
    table = table[table["contact_type"].astype(str) == contact_type]
    return table.sort_values("start").reset_index(drop=True)


def _interval_axis(ax: Axes, scenario: Scenario, starts: np.ndarray,
                   names: tuple[int, list[str]]) -> bool:
    """Ticks at clock times of each day's intervals, or at the openings of named days.

    Clock times as :func:`_clock_ticks` picks them; where a multi-day run has room for
    no more than each day's opening, the time would say only that: each shown day's
    opening is labelled with the day instead (``Day 6 (Mon)``, every so many days, as
    :func:`_day_heads` fits them, at most :data:`MOST_TIME_LABELS`).

    Args:
        ax: The bottom panel.
        scenario: The run's scenario.
        starts: Each interval's start (s from day 0), in time order.
        names: Every how many days a name fits, and each day's (:func:`_day_heads`).

    Returns:
        Whether the labels name the days (the day heads above would say it again).
    """
    ipd, n = scenario.intervals_per_day, len(starts)
    ax.set_xlim(0, n)
    minutes = f"{scenario.interval / 60:g}-minute intervals"
    ticks = _clock_ticks(n, ipd, scenario.interval, ax.figure.get_figwidth())
    if ticks is not None:
        ax.set_xticks(ticks, [clock(starts[i]) if i < n else clock(starts[-1] + scenario.interval)
                              for i in ticks])
        ax.set_xlabel(f"Interval start (time of day; {minutes})")
        return False
    days = math.ceil(n / ipd)
    every, heads = names
    shown = _shown_days(days, max(every, math.ceil(days / MOST_TIME_LABELS)))
    ax.set_xticks([d * ipd for d in shown], [heads[d] for d in shown], ha="left")
    ax.set_xlabel(f"Day (each from its opening at {clock(starts[0])}; {minutes})")
    return True


def _clock_ticks(n: int, ipd: int, interval: float, width: float) -> list[int] | None:
    """Intervals labelled with their start time (``n``: the run's closing), None: too few.

    Every whole number of hours a day (1, 2, 3, 4, 6 or 12), the first that gives at most
    :data:`MOST_TIME_LABELS` labels, each clear of the next on a figure ``width`` inches
    wide (:func:`_room`, :func:`_clear`). A label closer to the next day's opening
    than half the step is left out; the closing time ends the axis where it is that far
    from the last label. None where a multi-day run would be labelled only at each
    day's opening.
    """
    days = max(1, math.ceil(n / ipd))
    room, clear = _room(width, max(n, 1)), _clear("00:00")  # points per interval, per label
    for hours in (1, 2, 3, 4, 6, 12):
        step = max(1, round(hours * 3600 / interval))
        if days > 1 and step >= ipd:
            return None
        ticks = [i for i in range(n) if (i % ipd) % step == 0
                 and (i // ipd == days - 1 or ipd - i % ipd >= step / 2)]
        if n and n - ticks[-1] > step / 2:
            ticks.append(n)  # the last day's closing time ends the axis
        if len(ticks) <= MOST_TIME_LABELS and all(
                (b - a) * room >= clear for a, b in pairwise(ticks)):
            return ticks
    return None if days > 1 else [0, n]


def _day_labels(axes: Sequence[Axes], scenario: Scenario,
                names: tuple[int, list[str]] | None) -> None:
    """Day dividers on every panel and day names above the first (multi-day runs).

    ``Day 6 (Monday)`` where the run names its weekdays (:func:`sim.weekdays.day_label`);
    where the heads would overlap, ``Day 6 (Mon)``, then every second day's (or third...).
    ``names`` as :func:`_day_heads` fits them; None (the time axis names the days): only
    the dividers.
    """
    if scenario.days > 1:
        ipd = scenario.intervals_per_day
        for ax in axes:
            vertical_lines(ax, [day * ipd for day in range(1, scenario.days)], color="0.3", lw=0.8)
        every, heads = names or (1, [])
        for day in _shown_days(len(heads), every):  # over its day, or from it on when wider
            axes[0].text((day + (0.5 if every == 1 else 0.05)) * ipd, 1.02, heads[day],
                         transform=axes[0].get_xaxis_transform(),
                         ha="center" if every == 1 else "left", va="bottom",
                         fontsize=_HEAD_SIZE, color="0.3")


_HEAD_SIZE = 8  # points


def _shown_days(days: int, every: int) -> list[int]:
    """Every ``every``-th day from the first, each with the room of ``every`` days.

    A name is as wide as ``every`` days: on the last days it would run off the axis.
    """
    return [d for d in range(0, days, every) if d == 0 or days - d >= every]


def _day_heads(scenario: Scenario, width: float) -> tuple[int, list[str]]:
    """Every how many days a head is written, and each day's, to fit ``width`` (inches)."""
    room = _room(width, scenario.days)  # points per day
    days = range(scenario.days)
    heads = [day_label(scenario, d, capital=True) for d in days]
    widest = max(map(_clear, heads))
    if widest > room:
        heads = [day_label(scenario, d, capital=True, short=True) for d in days]
        widest = max(map(_clear, heads))
    return max(1, math.ceil(widest / room)), heads


def _room(width: float, units: int) -> float:
    """Points of the panels' width (about 85% of a figure ``width`` inches wide) per unit."""
    return 0.85 * width * 72 / units


def _clear(text: str) -> float:
    """Points a label takes: its width, and half its font size clear on either side."""
    return text_width(text, _HEAD_SIZE) + _HEAD_SIZE


def _target_label(scenario: Scenario) -> str:
    """The service-level target(s) of the figure's legend, each with its threshold.

    The panel pools every type at its own threshold: where types have their own, each
    target is named with its threshold and the types it is theirs (one line each).
    """
    sl = scenario.service_level
    if not any(ct.service_level for ct in scenario.contact_types.values()):
        return f"service-level target: {100 * sl.target:g}% in {format_duration(sl.threshold)}"
    types: dict[str, list[str]] = {}
    for name in scenario.contact_types:
        own = f"{100 * scenario.target(name):g}% in {format_duration(scenario.threshold(name))}"
        types.setdefault(own, []).append(name)
    return "service-level targets, each type at its own:\n" + "\n".join(
        f"{goal} ({', '.join(names)})" for goal, names in types.items())


@styled
def interval_figure(results: Results) -> Figure:
    """Per interval: offered contacts, staffed vs required agents, service level, ASA, abandons.

    All contact types together, from ``RunResult.intervals``: offered contacts and agents
    on duty are means per replication, service level, ASA and abandon rate are pooled
    over the replications (shares of all callers of the interval). The Erlang C
    requirement for the simulated offered load (see :func:`erlang_requirement`) is
    drawn for comparison with the agents the simulation had on duty.

    Args:
        results: One run or ``{variant: run}`` (same calendar).

    Returns:
        A five-panel figure sharing the time axis.
    """
    runs = as_runs(results)
    first = next(iter(runs.values()))
    scenario = first.scenario
    colours = variant_colours(list(runs))
    several = len(runs) > 1
    fig = new_figure(8.6)
    axes = fig.subplots(5, 1, sharex=True, height_ratios=[1, 1.3, 1, 1, 1])
    offered_ax, staff_ax, sl_ax, asa_ax, ab_ax = axes
    base = _interval_frame(first)
    edges = np.arange(len(base) + 1)
    line = {"baseline": None}
    for position, (name, result) in enumerate(runs.items()):
        frame = _interval_frame(result)
        if len(frame) != len(base):
            raise ValueError(f"variant {name!r} has another calendar than {next(iter(runs))!r}")
        width = line_width(position) if several else 1.4
        style = {"color": colours[name], "lw": width, "ls": line_style(position), **line}
        if position == 0 or not np.allclose(frame["offered"], base["offered"], equal_nan=True):
            stairs(offered_ax, frame["offered"], edges, **style)
        stairs(staff_ax, frame["staff"], edges, **style)
        stairs(sl_ax, 100 * frame["service_level"], edges, **style)
        stairs(asa_ax, frame["asa"], edges, **style)
        stairs(ab_ax, 100 * frame["abandon_rate"], edges, **style)
    need = erlang_requirement(scenario, simulated_offered(first))
    stairs(staff_ax, need, edges, color="k", ls="--", lw=1.1, **line)
    for name, result in list(runs.items())[1:]:  # a variant that changes the offered load
        own = erlang_requirement(result.scenario, simulated_offered(result))
        if not np.allclose(own, need):
            stairs(staff_ax, own, edges, color=colours[name], ls="--", lw=1.1, **line)
    for target in sorted({scenario.target(t) for t in scenario.contact_types}):
        sl_ax.axhline(100 * target, color="k", ls=":", lw=1)  # each the legend names
    names = _day_heads(scenario, fig.get_figwidth())  # fitted once: measuring text is slow
    named = _interval_axis(ab_ax, scenario, base["start"].to_numpy(), names)
    _day_labels(axes, scenario, None if named else names)
    offered_ax.set(ylabel="Offered\n(contacts)", ylim=(0, None))
    offered_ax.set_title("Per interval, all contact types (" + (
        f"{first.n_replications} replications pooled" if first.n_replications > 1
        else "1 replication") + ")", pad=None if named else 14)
    staff_ax.set(ylabel="Agents on\nduty", ylim=(0, None))
    sl_ax.set(ylabel="Service\nlevel (%)", ylim=(0, 105))
    asa_ax.set(ylabel="ASA (s)", ylim=(0, None))
    ab_ax.set(ylabel="Abandon\nrate (%)", ylim=(0, None))
    handles = [Line2D([], [], color=colours[n], ls=line_style(i), lw=line_width(i), label=n)
               for i, n in enumerate(runs)] if several else [
        Line2D([], [], color=colours[next(iter(runs))], label="simulated")]
    handles += [
        Line2D([], [], color="k", ls="--", lw=1.1,
               label="Erlang C need (simulated offered load)" + (
                   f";\nmissing where more than {MOST_AGENTS:,} agents" if np.isnan(need).any()
                   else "")),
        Line2D([], [], color="k", ls=":", lw=1, label=_target_label(scenario)),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3)
    return fig
