"""What a schedule writes: its shifts as a table (``shifts.csv``) and as a scenario.

:func:`shifts_table` lists each group's shifts (start, end, breaks, count, paid hours and
cost); :func:`scheduled_document` is the scenario file with those shifts
(``scenario.yaml``), priced as the schedule priced them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.shift_loop import ScheduleResult, group_pay
from sim.shifts_plan import shift_rows
from sim.units import format_clock_exact, format_clock_until, format_duration


def shifts_table(result: ScheduleResult) -> pd.DataFrame:
    """One row per group and shift: start, end, breaks, count, paid hours and cost each.

    ``day`` is ``all`` in a one-day plan, else the day of the week: its name (``monday``)
    when the run's days are weekdays (named day factors), else a number from 1 (the run's
    first day, as ``ccsim staff`` numbers it; plan day ``n`` is the run's days ``n``,
    ``n + 7``, ...).
    """
    rows = []
    for name, plan in result.plans.items():
        templates = result.settings.templates
        for column, count, w in zip(plan.columns, plan.counts, plan.days):
            template = templates[column.template]
            breaks = "; ".join(
                f"{format_clock_exact(column.start + o)}+{format_duration(r.length)}"
                for o, r in zip(column.breaks, template.breaks))
            rows.append({"group": name, "day": plan.shown_day(w) if plan.week else "all",
                         "template": column.template,
                         "start": format_clock_exact(column.start),
                         "end": format_clock_until(column.start + template.length),
                         "breaks": breaks, "count": count,
                         "paid_hours": column.paid_hours, "cost": column.cost})
    return pd.DataFrame(rows, columns=["group", "day", "template", "start", "end", "breaks",
                                       "count", "paid_hours", "cost"])


def scheduled_document(data: dict[str, Any], result: ScheduleResult) -> dict[str, Any]:
    """A scenario's fields (as the loader reads them) with the schedule's shifts."""
    document = dict(data)
    document["agents"] = {
        name: {**{k: v for k, v in group.items() if k not in ("staff", "shifts")},
               "shifts": shift_rows(result.plans[name], result.settings.templates,
                                    group_pay(result.scenario, name))}
        for name, group in data["agents"].items()}
    goal = result.settings.goal
    document["service_level"] = {**(data.get("service_level") or {}),
                                 "threshold": format_duration(goal.threshold),
                                 "target": goal.target}
    document.pop("variants", None)
    return document
