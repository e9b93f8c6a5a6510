"""Which parts of the model a scenario has, and which KPI rows a table for people leaves out.

A plain scenario (no trunk lines, no callbacks, no complaints...) measures every KPI of the
registry all the same: busy signals, callbacks and complaints are then always 0. A planner
reading "complaints 0 ± 0" may think complaints were modelled and none happened, so the
tables for people (``ccsim run``, ``ccsim compare``, the report) leave such rows out and
say so in a line beneath: :func:`left_out` picks them, :func:`note` writes the line.

A KPI names the :class:`sim.kpis.Feature` it needs (``Kpi.needs``); :func:`features` tells
which a scenario has. A row is left out only where no scenario shown has its feature and
its value is what it is without the feature (0, NaN, or for the live queue's KPIs the same
as ``service_level`` and ``asa``) in every column: a number is never hidden. The files
(``summary.json``, the CSV and Parquet tables) and :func:`sim.run`'s results keep every KPI.

Pure Python, like :mod:`sim.kpis`: it reads a scenario's fields and imports nothing heavy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from sim.kpis import (
    BALKING,
    BY_NAME,
    CALLBACKS,
    COMPLAINTS,
    HANDOFFS,
    HOLDS,
    LINES,
    PATIENCE,
    REPEATS,
    RETRIALS,
    SELF_SERVICE,
    TRANSFERS,
    Feature,
)

if TYPE_CHECKING:
    from sim.scenario import Scenario


def features(scenario: Scenario) -> frozenset[Feature]:
    """The features of :data:`sim.kpis.FEATURES` that ``scenario`` has.

    A feature counts when some contact type or group has it at all: a probability of 0
    (``transfer: {probability: 0}``) still counts, so a what-if at 0 shows its zeros,
    except the IVR's ``self_service`` and ``misroute``, whose default is 0. A real-time
    rule may switch callbacks on during a run (``rules.*.then.callbacks``): they count.
    """
    types = list(scenario.contact_types.values())
    escalations = [g.escalate for g in scenario.agents.values() if g.escalate is not None]
    ivrs = [t.ivr for t in types if t.ivr is not None]
    has = {
        LINES: scenario.lines is not None,
        PATIENCE: any(t.patience is not None for t in types),
        CALLBACKS: (any(t.callback is not None for t in types)
                    or any(r.then.callbacks is not None for r in scenario.rules.values())),
        RETRIALS: any(t.retrial is not None for t in types),
        REPEATS: any(t.repeat is not None for t in types),
        COMPLAINTS: any(t.complaint is not None for t in types),
        BALKING: any(t.balking is not None for t in types),
        SELF_SERVICE: any(ivr.self_service > 0 for ivr in ivrs),
        TRANSFERS: (any(t.transfer is not None for t in types)
                    or any(ivr.misroute > 0 for ivr in ivrs)
                    or any(e.mode == "transfer" for e in escalations)),
        HOLDS: (any(t.consult is not None for t in types)
                or any(e.mode == "consult" for e in escalations)),
    }
    has[HANDOFFS] = has[TRANSFERS] or has[HOLDS]
    return frozenset(feature for feature, present in has.items() if present)


def modelled(kpi: str, scenarios: Iterable[Scenario]) -> bool:
    """Whether some of ``scenarios`` has the feature KPI ``kpi`` needs (or it needs none)."""
    entry = BY_NAME.get(kpi)
    if entry is None or entry.needs is None:
        return True
    return any(entry.needs in features(s) for s in scenarios)


def _same(a: float | None, b: float | None) -> bool:
    """Equal, or both NaN (or missing)."""
    nan_a, nan_b = a is None or a != a, b is None or b != b
    return (nan_a and nan_b) or (not nan_a and not nan_b and a == b)


def void(kpi: str, values: Mapping[str, float]) -> bool:
    """Whether ``values[kpi]`` is what it is without the KPI's feature: nothing to show.

    0 or NaN (or missing); for a KPI with ``otherwise``, equal to that KPI's value.
    """
    value = values.get(kpi)
    other = BY_NAME[kpi].otherwise if kpi in BY_NAME else None
    if other is not None:
        return other in values and _same(value, values[other])
    return _same(value, math.nan) or value == 0


def left_out(names: Iterable[str], scenarios: Iterable[Scenario],
             tables: Iterable[Mapping[str, float]]) -> tuple[str, ...]:
    """Of ``names``, the rows a table for people leaves out, in order.

    Args:
        names: The table's rows (KPI names).
        scenarios: Every scenario the table shows (a comparison's variants).
        tables: Every column's values by KPI name (a run's summary; each variant's; each
            contact type's).

    Returns:
        The KPIs no scenario has the feature of and whose every value is :func:`void`.
    """
    scenarios, tables = list(scenarios), list(tables)
    return tuple(k for k in names if not modelled(k, scenarios)
                 and all(void(k, values) for values in tables))


def note(left: Sequence[str], where: str = "this scenario") -> str:
    """The line under a table that left ``left`` out: what, grouped by what would show it.

    ``Not in this scenario (always 0 or –): blocked, block_rate (no `lines`); ...``; ''
    when nothing was left out. ``where``: "this scenario", or "any variant".
    """
    if not left:
        return ""
    order = list(BY_NAME)
    left = sorted(left, key=order.index)  # as the registry lists them, whatever the table
    groups: dict[Feature, list[str]] = {}
    for kpi in left:
        groups.setdefault(BY_NAME[kpi].needs, []).append(kpi)
    same = [f"{kpi} = {BY_NAME[kpi].otherwise}" for kpi in left if BY_NAME[kpi].otherwise]
    always = "always 0 or –" + ("; " + ", ".join(same) if same else "")
    parts = [f"{', '.join(kpis)} (no {feature.switch})" for feature, kpis in groups.items()]
    return f"Not in {where} ({always}): " + "; ".join(parts) + "."
