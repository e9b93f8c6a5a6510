"""A stated precision for a comparison: on what ``ccsim compare`` reports.

A planner comparing variants asks "how much better is B than A?". ``compare`` answers
with the baseline's mean and, for each variant, its difference to the baseline, paired
over replications under common random numbers (:mod:`sim.compare`). With
``--precision`` the batches (:class:`sim.precision.StoppingRule`) therefore go on until,
for every targeted KPI:

- the baseline's mean has a 95% half-width within the target (its row of the table);
- each variant's paired difference ``d_r = variant_r - baseline_r`` has a 95% half-width
  (Student t with ``n - 1`` degrees of freedom over the pairs where both are defined)
  within the target. A share-of-the-mean target (``asa=5%``) is, for a difference, a
  share of the larger of its two means: a KPI that is 0 in the baseline (nobody
  abandons) still sets a target for a variant where it is not.

Pairing usually makes ``d`` far less variable than either mean, so the run stops sooner
than if every variant's own mean had to be precise; where pairing is weak (a variant
whose customers draw from other streams) ``d`` is more variable, and the run goes on.
A KPI the baseline does not measure (a callback wait a variant adds) has no difference:
such a variant is held to its own mean, the one number its row shows.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping

import numpy as np

from sim.features import modelled
from sim.precision import Sample, Stopping, StoppingRule, Target, finite_mean, zero_notes
from sim.units import format_list


class PairedRule(StoppingRule):
    """The stopping rule of a variant: its paired difference to the baseline per KPI.

    Args:
        targets: KPI -> target; every one must be met.
        max_replications: Never more replications than this.
        first: Wanted size of the first batch (see :class:`StoppingRule`).
        baseline: The baseline's replications so far, in the same order as the variant's.
        against: The baseline's name (for the stopping line).
        paired: The KPIs held by their difference (the others by the variant's mean);
            every target when None.
    """

    def __init__(self, targets: Mapping[str, Target], max_replications: int, first: int = 0,
                 *, baseline: Sample, against: str, paired: Iterable[str] | None = None):
        super().__init__(targets, max_replications, first)
        self.baseline, self.against = baseline, against
        self.paired = set(self.targets if paired is None else paired) & set(self.targets)

    def _values(self, sample: Sample, kpi: str) -> np.ndarray:
        own = sample.values(kpi)
        return own - self.baseline.values(kpi) if kpi in self.paired else own

    def _level(self, sample: Sample, kpi: str) -> float:
        own = finite_mean(sample.values(kpi))
        if kpi not in self.paired:
            return own
        means = [abs(m) for m in (own, finite_mean(self.baseline.values(kpi)))
                 if not math.isnan(m)]
        return max(means) if means else math.nan

    def stopping(self, sample: Sample) -> Stopping:
        """How the run ended; ``against`` names the baseline of each paired KPI."""
        end = super().stopping(sample)
        texts = {kpi: paired_text(self.targets[kpi]) if kpi in self.paired else text
                 for kpi, text in end.targets.items()}
        return dataclasses.replace(end, targets=texts,
                                   against=dict.fromkeys(sorted(self.paired), self.against))


def paired_text(target: Target) -> str:
    """A target as people read it when it holds a difference (a share: of which mean)."""
    if target.relative:
        return (f"{target.kpi} ± {100 * target.value:g}% of its mean (for a difference, "
                "the larger of its two means)")
    return str(target)


def comparison_rules(scenarios: Mapping, baseline: Sample, targets: Mapping[str, Target],
                     max_replications: int, first: int) -> dict[str, StoppingRule]:
    """Name -> the stopping rule of each variant of a comparison, the baseline first.

    Each is held to the targets it measures: the baseline to its mean, a variant to its
    paired difference to the baseline (its mean where the baseline does not measure it).

    Args:
        scenarios: Name -> scenario, the baseline first.
        baseline: The baseline's replications as they arrive (its collector).
        targets: KPI -> target.
        max_replications: Never more replications than this.
        first: Wanted size of the first batch.
    """
    names = list(scenarios)
    base = scenarios[names[0]]
    rules: dict[str, StoppingRule] = {}
    for name, scenario in scenarios.items():
        own = {kpi: t for kpi, t in targets.items() if modelled(kpi, [scenario])}
        if name == names[0]:
            rules[name] = StoppingRule(own, max_replications, first)
        else:
            rules[name] = PairedRule(own, max_replications, first, baseline=baseline,
                                     against=names[0],
                                     paired=[kpi for kpi in own if modelled(kpi, [base])])
    return rules


def comparison_stopping(ends: Mapping[str, Stopping], baseline: str) -> str | None:
    """One line on how a comparison's run ended and which quantities the targets held.

    Args:
        ends: Variant name -> how its rule ended, the baseline first.
        baseline: The baseline's name.

    Returns:
        None without precision targets.
    """
    if not ends:
        return None
    if not all(end.precise for end in ends.values()):
        return "warning: " + "; ".join(
            f"{name}: {end.describe().removeprefix('warning: ')}"
            for name, end in ends.items() if not end.precise)
    notes = zero_notes(ends)
    kpis = list(dict.fromkeys(kpi for end in ends.values() for kpi in end.targets))
    texts = {}
    for kpi in kpis:  # a difference's text where there is one: it says of which mean
        holders = sorted((kpi not in end.against, name != baseline, name)
                         for name, end in ends.items() if kpi in end.targets)
        text = ends[holders[0][2]].targets[kpi]
        texts[kpi] = text + (f": {notes[kpi]}" if kpi in notes else "")
    held = {kpi: _held(kpi, ends, baseline) for kpi in kpis}
    n = next(iter(ends.values())).replications
    if len(set(held.values())) == 1:
        said = f"({'; '.join(texts.values())}) on {next(iter(held.values()))}"
    else:
        said = "(" + "; ".join(f"{texts[kpi]} on {held[kpi]}" for kpi in kpis) + ")"
    return f"stopped after {n} replications: every precision target met {said}"


def _held(kpi: str, ends: Mapping[str, Stopping], baseline: str) -> str:
    """What held a KPI's target: the baseline's mean, differences, variants' own means."""
    others = [name for name in ends if name != baseline]
    paired = [name for name in others if kpi in ends[name].against]
    own = [name for name in others
           if kpi in ends[name].targets and kpi not in ends[name].against]
    on_base = baseline in ends and kpi in ends[baseline].targets
    if on_base and others and own == others:  # (a folder written before paired targets)
        return "every variant's mean"
    parts = ["the baseline's mean"] if on_base else []
    if paired:
        parts.append("each variant's paired difference to it" if paired == others
                     else f"the paired difference of {format_list(paired)} to it")
    if own:
        parts.append(f"the mean{'s' if len(own) > 1 else ''} of {format_list(own)}")
    return format_list(parts) if parts else "no variant"
