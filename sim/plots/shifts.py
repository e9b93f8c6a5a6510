"""Figures of a shift schedule: coverage against the requirement, and a Gantt of the shifts."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from sim.plots.style import group_colours, new_figure, styled
from sim.shift_loop import ScheduleResult, planning_day
from sim.units import format_clock


def _clock_axis(ax, day) -> None:
    ax.set_xlim(day.open / 3600.0, day.close / 3600.0)
    ax.xaxis.set_major_locator(MultipleLocator(2 if day.close - day.open > 12 * 3600 else 1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: format_clock(h * 3600.0)))


@styled
def coverage_figure(result: ScheduleResult) -> Figure:
    """Per group: agents on duty required (grossed up, worst day) and scheduled, per interval."""
    scenario = result.scenario
    day = planning_day(scenario)
    names = list(result.plans)
    colours = group_colours(scenario)
    fig = new_figure(1.0 + 1.9 * len(names))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    edges = (day.open + day.interval * np.arange(day.intervals + 1)) / 3600.0
    for ax, name in zip(axes, names):
        plan = result.plans[name]
        ax.stairs(plan.coverage, edges, color=colours[name], fill=True, alpha=0.3,
                  label="scheduled on duty (mean over the interval)")
        ax.stairs(plan.need, edges, color="black", linewidth=1.6,
                  label="required on duty (worst day, after shrinkage and absenteeism)")
        over = plan.coverage.sum() - plan.need.sum()
        ax.set_title(f"{name}: {plan.paid_hours:,.1f} paid hours a day, "
                     f"{over * day.interval / 3600.0:,.1f} agent-hours above the requirement",
                     loc="left")
        ax.set_ylabel("agents")
        ax.set_ylim(0, max(1.0, plan.coverage.max(), plan.need.max()) * 1.12)
        _clock_axis(ax, day)
    axes[0].legend(loc="upper right", ncols=1)
    axes[-1].set_xlabel("time of day")
    fig.suptitle(f"{scenario.name.removesuffix(' [scheduled]')}: requirement vs scheduled "
                 "coverage", fontweight="bold", fontsize=10)
    return fig


@styled
def gantt_figure(result: ScheduleResult) -> Figure:
    """Every shift as a bar from start to end, breaks cut out, with its headcount."""
    scenario = result.scenario
    day = planning_day(scenario)
    colours = group_colours(scenario)
    templates = result.settings.templates
    rows = [(name, column, count) for name, plan in result.plans.items()
            for column, count in sorted(zip(plan.columns, plan.counts),
                                        key=lambda cc: (cc[0].start, -templates[
                                            cc[0].template].length))]
    fig = new_figure(1.2 + 0.16 * max(len(rows), 4))
    ax = fig.subplots()
    for y, (name, column, count) in enumerate(rows):
        template = templates[column.template]
        start = column.start / 3600.0
        ax.barh(y, template.length / 3600.0, left=start, height=0.72, color=colours[name])
        for offset, rule in zip(column.breaks, template.breaks):
            ax.barh(y, rule.length / 3600.0, left=start + offset / 3600.0, height=0.72,
                    color="white", edgecolor=colours[name], linewidth=0.6, hatch="////")
        ax.text(start + template.length / 3600.0 + 0.08, y, f"x{count}", va="center",
                fontsize=7)
    ax.set_yticks(range(len(rows)),
                  [f"{name} {column.template}" for name, column, _ in rows], fontsize=6.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    _clock_axis(ax, day)
    ax.set_xlim(day.open / 3600.0, day.close / 3600.0 + 0.6)
    ax.set_xlabel("time of day (hatched: breaks; xN: agents on that shift)")
    ax.set_title(f"{sum(sum(p.counts) for p in result.plans.values())} agents on "
                 f"{len(rows)} shifts, every day", loc="left")
    return fig
