"""Figures of a shift schedule: coverage against the requirement, and a Gantt of the shifts."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MultipleLocator

from sim.plots.style import group_colours, new_figure, styled
from sim.shift_loop import ScheduleResult, hours_span, planning_day
from sim.units import counted, format_clock, format_clock_exact


def _clock_axis(ax, day) -> None:
    ax.set_xlim(day.open / 3600.0, day.close / 3600.0)
    ax.xaxis.set_major_locator(MultipleLocator(2 if day.close - day.open > 12 * 3600 else 1))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda h, _: format_clock(h * 3600.0)))


def _day_names(plan) -> list[str]:
    if not plan.week:
        return ["every day"]
    return [str(plan.day_of(w)).capitalize() if plan.day_names else f"day {plan.shown_day(w)}"
            for w in range(plan.need.shape[0])]


@styled
def coverage_figure(result: ScheduleResult) -> Figure:
    """Per group: agents on duty required (grossed up, worst day) and scheduled, per interval.

    A week plan shows its days one after the other.
    """
    scenario = result.scenario
    day = planning_day(scenario)
    names = list(result.plans)
    colours = group_colours(scenario)
    fig = new_figure(1.0 + 1.9 * len(names))
    axes = fig.subplots(len(names), 1, sharex=True, squeeze=False)[:, 0]
    for ax, name in zip(axes, names):
        plan = result.plans[name]
        n_days = plan.need.shape[0]
        edges = np.arange(n_days * day.intervals + 1, dtype=float)
        ax.stairs(plan.coverage.ravel(), edges, color=colours[name], fill=True, alpha=0.3,
                  label="scheduled on duty (mean over the interval)")
        ax.stairs(plan.need.ravel(), edges, color="black", linewidth=1.6,
                  label="required on duty (worst day, after shrinkage and absenteeism)")
        over = (plan.coverage.sum() - plan.need.sum()) * day.interval / 3600.0
        per = hours_span(scenario, {name: plan})
        ax.set_title(f"{name}: {counted(plan.headcount, 'agent')}, "
                     f"{plan.paid_hours:,.1f} paid hours {per}, {over:,.1f} agent-hours over "
                     "the requirement", loc="left", fontsize=9)
        ax.set_ylabel("agents")
        ax.set_ylim(0, max(1.0, plan.coverage.max(), plan.need.max()) * 1.15)
        ax.set_xlim(0, edges[-1])
        step = (1 if n_days == 1 else 3 if n_days <= 2 else 6) * 3600.0 / day.interval
        ticks = [w * day.intervals + k for w in range(n_days)
                 for k in np.arange(0, day.intervals, step)]
        ax.set_xticks(ticks, [format_clock_exact(day.open + (t % day.intervals) * day.interval)
                              for t in ticks])
        for w in range(1, n_days):
            ax.axvline(w * day.intervals, color="grey", linewidth=0.8)
        if n_days > 1:
            for w, label in enumerate(_day_names(plan)):
                ax.text((w + 0.5) * day.intervals, ax.get_ylim()[1] * 0.98, label,
                        ha="center", va="top", fontsize=7, color="dimgrey")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
    first = result.plans[names[0]]
    axes[-1].set_xlabel("time of day" + ("" if not first.week else " (days of the week)"
                                         if first.day_names else
                                         " (days of the week, from the run's first)"))
    fig.suptitle(f"{scenario.name.removesuffix(' [scheduled]')}: requirement vs scheduled "
                 "coverage", fontweight="bold", fontsize=10)
    return fig


@styled
def gantt_figure(result: ScheduleResult) -> Figure:
    """Every shift as a bar from start to end, breaks cut out, with its headcount and days."""
    scenario = result.scenario
    day = planning_day(scenario)
    colours = group_colours(scenario)
    templates = result.settings.templates
    rows = []
    for name, plan in result.plans.items():
        merged: dict = {}
        for column, count, w in zip(plan.columns, plan.counts, plan.days):
            merged.setdefault((column.start, -column.template_length(templates),
                               column.template, column.breaks, count), (column, []))[1].append(w)
        for key in sorted(merged):
            column, days = merged[key]
            rows.append((name, column, key[-1],
                         [plan.shown_day(w) for w in days] if plan.week else None))
    fig = new_figure(1.2 + 0.16 * max(len(rows), 4))
    ax = fig.subplots()
    for y, (name, column, count, days) in enumerate(rows):
        template = templates[column.template]
        start = column.start / 3600.0
        ax.barh(y, template.length / 3600.0, left=start, height=0.72, color=colours[name])
        for offset, rule in zip(column.breaks, template.breaks):
            ax.barh(y, rule.length / 3600.0, left=start + offset / 3600.0, height=0.72,
                    color="white", edgecolor=colours[name], linewidth=0.6, hatch="////")
        label = f"x{count}" + ("" if days is None else
                               f" {'day' if len(days) == 1 else 'days'} " + ",".join(
                                   str(plan_day)[:3] for plan_day in days))
        ax.text(start + template.length / 3600.0 + 0.08, y, label, va="center", fontsize=7)
    ax.set_yticks(range(len(rows)),
                  [f"{name} {column.template}" for name, column, _, _ in rows], fontsize=6.5)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    _clock_axis(ax, day)
    week = any(days is not None for *_, days in rows)
    ax.set_xlim(day.open / 3600.0, day.close / 3600.0 + (2.2 if week else 0.6))
    ax.set_xlabel("time of day (hatched: breaks; xN: agents on that shift"
                  + ("; days: days of the week it is worked)" if week else ")"))
    heads = sum(p.headcount for p in result.plans.values())
    ax.set_title(f"{counted(heads, 'agent')} on {counted(len(rows), 'shift')}"
                 + ("" if week else ", every day"), loc="left")
    return fig
