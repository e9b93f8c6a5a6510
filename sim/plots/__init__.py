"""Plots: the figures a planner reads, one function per figure.

Each function takes results — one :class:`~sim.replicate.RunResult`, or a mapping
``name -> RunResult`` of variants run under common random numbers, baseline first — and
returns a :class:`matplotlib.figure.Figure` sized for an A4 page (7.5 in wide, read at
100%). Figures are built without ``pyplot``: nothing global changes, no window opens,
and importing this module has no side effects. Save one with ``fig.savefig(path)``
(rendered by Agg).

Colours carry meaning across every figure of a report: a variant has the same colour
everywhere (by its position, baseline first), so does an agent group and a contact type
(by their order in the scenario). Times are in seconds on every axis, shares in percent.

The figures live in one module per subject (:mod:`~sim.plots.waits`,
:mod:`~sim.plots.service`, :mod:`~sim.plots.floor`, :mod:`~sim.plots.journey`,
:mod:`~sim.plots.compare`) over the shared :mod:`~sim.plots.style`; this package exports them all.
"""

from sim.kpis import kpi_scale
from sim.plots.compare import difference_figure, kpi_bars
from sim.plots.floor import agents_on_duty, day_figure, group_occupancy, occupancy_figure
from sim.plots.journey import (
    contacts_per_issue,
    fcr_by,
    fcr_figure,
    has_journey_detail,
    journey_figure,
    journey_stages,
)
from sim.plots.service import (
    erlang_pools,
    erlang_requirement,
    interval_figure,
    simulated_offered,
)
from sim.plots.style import (
    A4_WIDTH,
    COMPARE_KPIS,
    DPI,
    KPI_LABELS,
    PNG_METADATA,
    STYLE,
    Results,
    as_runs,
    group_colours,
    new_figure,
    type_colours,
    variant_colours,
)
from sim.plots.waits import wait_cdf

__all__ = [
    "A4_WIDTH", "COMPARE_KPIS", "DPI", "KPI_LABELS", "PNG_METADATA", "STYLE", "Results",
    "agents_on_duty", "as_runs", "contacts_per_issue", "day_figure", "difference_figure",
    "erlang_pools", "erlang_requirement", "fcr_by", "fcr_figure", "group_colours",
    "group_occupancy", "has_journey_detail", "interval_figure", "journey_figure",
    "journey_stages", "kpi_bars", "kpi_scale", "new_figure", "occupancy_figure",
    "simulated_offered", "type_colours", "variant_colours", "wait_cdf",
]
