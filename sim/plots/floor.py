"""The floor: queue and busy agents through one day, and occupancy per agent group."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.animation_timelines import callback_waits
from sim.features import features
from sim.kpis import CALLBACKS
from sim.plots.style import (
    Results,
    as_runs,
    group_colours,
    new_figure,
    styled,
    type_colours,
    variant_colours,
)
from sim.replicate import RunResult, half_width
from sim.units import DAY
from sim.weekdays import day_label

# ---- a day at a glance ---------------------------------------------------------------


def agents_on_duty(staff: pd.DataFrame, group: str, times: np.ndarray,
                   concurrency: int = 1) -> np.ndarray:
    """Agents of ``group`` on duty at each of ``times`` from the staffing log.

    With ``concurrency`` (the group's), the contacts they can handle at once instead:
    a chat desk's capacity in chats, the unit its busy count (chats in progress) is in.
    """
    log = staff[staff["group"].astype(str) == group].sort_values("time", kind="stable")
    if log.empty:
        return np.zeros(times.size)
    k = np.searchsorted(log["time"].to_numpy(), times, side="right") - 1
    counts = log["agents"].to_numpy() * concurrency
    return np.where(k >= 0, counts[np.clip(k, 0, None)], 0)


@styled
def day_figure(result: RunResult, replication: int = 0, day: int = 0,
               title: str | None = None) -> Figure:
    """Queue length and busy agents through one day of one replication.

    Needs traces (``sim.run(..., trace_every=60)``).

    Args:
        result: A run with traces.
        replication: Which replication to show.
        day: Which day (0 = the first).
        title: Figure title (default: scenario, day and replication).

    Returns:
        Contacts waiting per contact type on top (with callbacks, those of them awaiting
        a callback shaded); below, busy agents and agents on duty:
        one panel per agent group when there are several, else one panel. A chat desk
        (concurrency > 1) is drawn in chats: chats in progress against the agents on
        duty times the chats each takes, its axis says so.

    Raises:
        ValueError: If the run has no trace of that replication.
    """
    traces = [t for t in result.traces if int(t["replication"].iloc[0]) == replication]
    if not traces:
        raise ValueError(f"no trace of replication {replication}: run with trace_every=60")
    sc = result.scenario
    trace = traces[0]
    start, stop = day * DAY + sc.open - 1800, day * DAY + sc.close + 3600
    trace = trace[(trace["time"] >= start) & (trace["time"] <= stop)]
    hours = (trace["time"].to_numpy() - day * DAY) / 3600
    groups = group_colours(sc)
    staff = result.staff[result.staff["replication"] == replication]
    times = trace["time"].to_numpy()
    several = len(groups) > 1
    # real-time rules: one lane each, below, shaded while the rule is on
    spans = rule_spans(getattr(result, "rules", None), replication, day, hours.max())
    lanes = 0.25 + 0.22 * len(spans) if spans else 0.0
    # one panel per group when there are several: a sum over groups makes a busy queue
    # next to idle agents of another group look like a contradiction
    fig = new_figure((4.6 if not several else 2.4 + 1.3 * len(groups)) + 1.3 * lanes)
    ratios = [1.2] + [1.0] * len(groups) if several else [1.0, 1.4]
    if spans:
        ratios.append(lanes)
    axes = fig.subplots(len(ratios), 1, sharex=True, height_ratios=ratios)
    q_ax, b_axes = axes[0], list(axes[1:-1] if spans else axes[1:])
    for name, colour in type_colours(sc).items():
        q_ax.plot(hours, trace[f"queue.{name}"], color=colour, label=name, lw=1.1)
    if CALLBACKS in features(sc):  # of those waiting, the callers who hung up to be called
        q_ax.fill_between(hours, callback_waits(result, replication).count(times), lw=0,
                          color="0.55", alpha=0.35, label="awaiting a callback\n(off the phone)")
    # the trace counts a chat desk's busy in chats (concurrency > 1): its on-duty line
    # is then its capacity in chats too (agents x concurrency), said on its axis
    per_agent = {g: sc.agents[g].concurrency for g in groups}
    if several:
        for ax, (g, colour) in zip(b_axes, groups.items()):
            c = per_agent[g]
            ax.fill_between(hours, trace[f"busy.{g}"].to_numpy(), color=colour, alpha=0.85,
                            lw=0, label="busy")
            ax.step(hours, agents_on_duty(staff, g, times, c), where="post", color="k",
                    lw=1.1, label="on duty")
            ax.set(ylabel=f"{g}\n(agents)" if c == 1 else
                   f"{g}\n(chats: {c} per\nagent on duty)", ylim=(0, None))
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        b_axes[0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Agents")
    else:
        b_ax = b_axes[0]
        (g, colour), = groups.items()
        c = per_agent[g]
        b_ax.stackplot(hours, [trace[f"busy.{g}"].to_numpy()], colors=[colour],
                       labels=[f"busy: {g}"], alpha=0.85, lw=0)
        b_ax.step(hours, agents_on_duty(staff, g, times, c), where="post", color="k",
                  lw=1.1, label="on duty")
        b_ax.set(ylabel="Agents" if c == 1 else f"Chats ({c} per agent on duty)",
                 ylim=(0, None))
        b_ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Agents")
    if spans:
        _rule_lanes(axes, axes[-1], spans, hours.min(), hours.max())
    q_ax.set(ylabel="Contacts waiting", ylim=(0, None),
             title=title or f"{sc.name}: {day_label(sc, day)}, replication {replication + 1}")
    q_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    q_ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Queue")
    axes[-1].set(xlabel="Time of day (h)", xlim=(hours.min(), hours.max()))
    ticks = np.arange(math.ceil(hours.min()), math.floor(hours.max()) + 1,
                      2 if hours.max() - hours.min() > 8 else 1)
    axes[-1].set_xticks(ticks, [f"{int(h):02d}:00" for h in ticks])
    return fig


def rule_spans(rules: pd.DataFrame, replication: int, day: int, end: float
               ) -> dict[str, list[tuple[float, float]]]:
    """When each real-time rule was on during ``day``: ``{rule: [(from h, to h), ...]}``.

    Hours from that day's midnight; a rule still on at ``end`` (hours) is cut there.
    """
    spans: dict[str, list[tuple[float, float]]] = {}
    if rules is None or not len(rules):
        return spans
    mine = rules[rules["replication"].to_numpy() == replication].sort_values(
        "time", kind="stable")
    for name, rows in mine.groupby("rule", sort=False):
        began = None
        out = spans.setdefault(str(name), [])
        for t, state in zip(rows["time"].to_numpy(float), rows["state"]):
            h = (t - day * DAY) / 3600
            if state == "on" and began is None:
                began = h
            elif state == "off" and began is not None:
                out.append((began, h))
                began = None
        if began is not None:
            out.append((began, max(end, began)))
    return spans


def _rule_lanes(axes, lane_ax, spans: dict[str, list[tuple[float, float]]], start: float,
                end: float) -> None:
    """One lane per rule, filled while it is on; a faint band on the panels above too."""
    colours = ("#b07aa1", "#e15759", "#9c755f", "#59a14f", "#edc948", "#76b7b2")
    names = list(spans)
    for k, name in enumerate(names):
        colour = colours[k % len(colours)]
        pieces = [(max(a, start), min(b, end)) for a, b in spans[name]]
        pieces = [(a, b - a) for a, b in pieces if b > a]
        lane_ax.broken_barh(pieces, (k - 0.35, 0.7), color=colour, lw=0)
        if len(names) == 1:  # one rule: its spans shaded across the panels as well
            for ax in axes[:-1]:
                for a, width in pieces:
                    ax.axvspan(a, a + width, color=colour, alpha=0.12, lw=0, zorder=0)
    lane_ax.set_yticks(range(len(names)), names)
    lane_ax.set(ylim=(len(names) - 0.5, -0.5), ylabel="Rule on")
    lane_ax.grid(False, axis="y")


# ---- occupancy -----------------------------------------------------------------------


def group_occupancy(result: RunResult) -> pd.DataFrame:
    """Occupancy per agent group and replication, as the run measured it.

    Returns:
        Columns ``replication, group, occupancy``; group ``all agents`` for the total
        (the ``occupancy`` KPI).
    """
    groups = result.by_group_replications[["replication", "group", "occupancy"]]
    total = result.replications[["replication", "occupancy"]].assign(group="all agents")
    return pd.concat([groups, total[["replication", "group", "occupancy"]]],
                     ignore_index=True)


@styled
def occupancy_figure(results: Results) -> Figure:
    """Occupancy per agent group (and all agents), mean with 95% CI over replications.

    Args:
        results: One run (bars in group colours) or ``{variant: run}`` (grouped bars
            in variant colours).

    Returns:
        A bar chart.
    """
    runs = as_runs(results)
    first = next(iter(runs.values()))
    groups = [*first.scenario.agents, "all agents"]
    fig = new_figure(3.0)
    ax = fig.subplots()
    width = 0.8 / len(runs)
    colours = variant_colours(list(runs))
    g_colours = {**group_colours(first.scenario), "all agents": "0.35"}
    for i, (name, result) in enumerate(runs.items()):
        table = group_occupancy(result)
        means = [100 * table.loc[table.group == g, "occupancy"].mean() for g in groups]
        cis = [100 * half_width(table.loc[table.group == g, "occupancy"]) for g in groups]
        x = np.arange(len(groups)) - 0.4 + width * (i + 0.5)
        colour = [colours[name]] * len(groups) if len(runs) > 1 else [g_colours[g] for g in groups]
        bars = ax.bar(x, means, width * 0.92, yerr=np.nan_to_num(cis), capsize=2.5,
                      color=colour, label=name, error_kw={"lw": 0.9})
        ax.bar_label(bars, [f"{m:.0f}%" for m in means], label_type="center", fontsize=7.5,
                     color="white", fontweight="bold")
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.grid(axis="x", visible=False)
    ax.set(ylabel="Occupancy (% of time on duty busy)", ylim=(0, 110),
           title="Occupancy per agent group")
    if len(runs) > 1:
        ax.legend(loc="upper left", ncol=min(5, len(runs)))
    return fig
