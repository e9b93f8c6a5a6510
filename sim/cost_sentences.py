"""A comparison's costs in words: what each variant costs against the baseline.

``ccsim compare`` ends its table, and the comparison report its key figures, with one
sentence per variant (:func:`cost_sentences`), from the paired differences of
:mod:`sim.compare`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.compare import is_significant, shared_kpis, shown_shared_kpis
from sim.metrics import COST_KPIS
from sim.units import format_list

if TYPE_CHECKING:
    from sim.compare import Comparison


# the cost parts besides wages, as a sentence names them (sim.costs.COST_PARTS)
SENTENCE_PARTS = (("abandon_cost", "abandons"), ("blocked_cost", "busy signals"),
                  ("wait_cost", "waiting"), ("callback_cost", "callbacks"),
                  ("complaint_cost", "complaints"))


def cost_sentences(comparison: Comparison) -> list[str]:
    """What each variant costs against the baseline, in words (none without costs).

    For example "plus_two costs 640.00 more a day in wages and saves 180.00 in abandons
    and 95.00 in waiting: 365.00 more in total a day (± 40.00)". Amounts are paired mean differences
    (:func:`paired_difference`) per measured day (over the measured window when there
    is a warm-up); the CI is the total's. Every cost part that moves is named, so the
    amounts add up to the total; where some scenario earns revenue, the profit follows.
    """
    if COST_KPIS[0] not in shared_kpis(comparison.results):
        return []
    names = ["staff_cost", *(kpi for kpi, _ in SENTENCE_PARTS), "total_cost", "profit"]
    table = comparison.table(names)
    base = comparison.results[comparison.baseline].scenario
    earns = "profit" in shown_shared_kpis(comparison.results)  # some scenario earns revenue
    days = base.days if base.warmup == 0 else 1
    when = "a day" if base.warmup == 0 else "over the measured window"
    lines = []
    for name in comparison.names:
        if name == comparison.baseline:
            continue
        rows = table[table["variant"] == name].set_index("kpi")
        diff = {kpi: rows.loc[kpi, "diff"] / days for kpi in rows.index}
        wages = diff["staff_cost"]
        sentence = (f"{name} costs the same in wages" if wages == 0 else
                    f"{name} costs {_money(abs(wages))} {'more' if wages >= 0 else 'less'} "
                    f"{when} in wages")
        moved = [(-diff[kpi], what) for kpi, what in SENTENCE_PARTS if diff[kpi] != 0]
        if moved and all(saved >= 0 for saved, _ in moved):
            sentence += " and saves " + format_list([f"{_money(saved)} in {what}"
                                                 for saved, what in moved])
        elif moved:
            sentence += " and " + format_list([_saves(saved, what) for saved, what in moved])
        lines.append(sentence + ": " + _total(diff["total_cost"], rows.loc["total_cost",
                                                                           "diff_ci"] / days,
                                              "in total", when))
        if earns:
            lines[-1] += "; " + _total(diff["profit"], rows.loc["profit", "diff_ci"] / days,
                                       "profit", when)
    return lines




def _total(amount: float, ci: float, what: str, when: str) -> str:
    """``365.00 more in total a day (± 40.00)``, and whether the difference is significant."""
    return (f"{_money(abs(amount))} {'more' if amount >= 0 else 'less'} {what} {when} "
            f"(± {_money(ci)})"
            + ("" if is_significant(amount, ci) else ", not a significant difference"))


def _saves(amount: float, what: str) -> str:
    if amount >= 0:
        return f"saves {_money(amount)} in {what}"
    return f"spends {_money(-amount)} more on {what}"


def _money(value: float) -> str:
    """An amount for a sentence, with its two decimals as everywhere money is shown."""
    if not math.isfinite(value):
        return "?"
    return f"{value:,.2f}"
