"""Comparing staffing policies: a baseline and its variants under common random numbers.

A planner weighs options ("two more generalists", "callbacks on") against today's plan,
the *baseline*. Every option runs with the same seed and the same replication numbers,
so replication ``r`` of every variant sees the same customers arriving at the same
moments with the same handle times and patience (common random numbers, see
:mod:`sim.streams`). Differences between variants then come from the policy, not from
luck, and are measured *paired*: for each KPI and replication
``d_r = variant_r - baseline_r``, and the difference is ``mean(d) ± t_{0.975, n-1} ·
sd(d) / sqrt(n)``. Because the same customers make both numbers of a pair, ``sd(d)`` is
far smaller than either KPI's own spread, and a real effect shows with few replications.
A difference is *significant* when its confidence interval excludes zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.loader import Problem, ScenarioError, load_scenario, variant
from sim.metrics import COST_KPIS, KPIS, shown_kpis
from sim.observer import check_trace_every
from sim.paired_precision import comparison_rules, comparison_stopping
from sim.parallel import replication_pool
from sim.policy_source import policy_source
from sim.precision import MAX_REPLICATIONS, Target, check_measured, parse_targets
from sim.replicate import Collector, RunResult, check_policy, half_width, with_policy
from sim.routing import RoutingPolicy
from sim.scenario import Scenario

BASELINE = "baseline"
TABLE_COLUMNS = ("kpi", "variant", "mean", "ci", "diff", "diff_ci", "significant")


@dataclass
class Comparison:
    """A baseline and its variants, all run with the same seed and replications.

    Attributes:
        results: Variant name -> its run; the baseline first, in the order given.
        baseline: Name of the baseline (the first entry of ``results``).
        changes: Variant name -> what it changes, for people (``{"agents.pool.staff":
            44}`` or ``{"file": "scenarios/other.yaml"}``); empty for the baseline.
        confidence: Confidence level of every interval.
    """

    results: dict[str, RunResult]
    baseline: str = BASELINE
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    confidence: float = 0.95

    @property
    def names(self) -> list[str]:
        """Variant names, baseline first."""
        return list(self.results)

    @property
    def seed(self) -> int:
        """The seed every variant ran with."""
        return self.results[self.baseline].seed

    @property
    def replications(self) -> int:
        """Replications per variant."""
        return self.results[self.baseline].n_replications

    @property
    def stopping(self) -> str | None:
        """With precision targets: one line on how many replications it took and why."""
        ends = {name: r.stopping for name, r in self.results.items() if r.stopping}
        return comparison_stopping(ends, self.baseline)

    def table(self, kpis: Sequence[str] | None = None) -> pd.DataFrame:
        """Each KPI per variant with its CI and the paired difference to the baseline.

        See :func:`comparison_table`.
        """
        return comparison_table(self.results, self.baseline, kpis, self.confidence)


def paired_difference(
    variant_values: Sequence[float] | np.ndarray | pd.Series,
    baseline_values: Sequence[float] | np.ndarray | pd.Series,
    confidence: float = 0.95,
) -> tuple[float, float]:
    """Mean and confidence half-width of ``variant - baseline``, paired by position.

    Pairs in which either value is NaN (a KPI undefined in that replication, such as the
    ASA of a replication where nobody was answered) are left out.

    Args:
        variant_values: The variant's KPI, one value per replication.
        baseline_values: The baseline's KPI for the same replications, in the same order.
        confidence: Confidence level of the interval.

    Returns:
        ``(mean difference, half-width)``: the interval is ``mean ± half-width``. The
        half-width is NaN with fewer than two pairs, the mean NaN with none.

    Raises:
        ValueError: If the two sequences differ in length.
    """
    a = np.asarray(variant_values, dtype=float)
    b = np.asarray(baseline_values, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values must have the same length, got {a.size} and {b.size}")
    d = a - b
    d = d[~np.isnan(d)]
    mean = float(d.mean()) if d.size else math.nan
    return mean, half_width(d, confidence)


def is_significant(diff: float, diff_ci: float) -> bool:
    """Whether the interval ``diff ± diff_ci`` excludes zero (False if either is NaN)."""
    return bool(not math.isnan(diff) and not math.isnan(diff_ci) and abs(diff) > diff_ci)


def comparison_table(
    results: Mapping[str, RunResult],
    baseline: str | None = None,
    kpis: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per KPI and variant: mean, CI, paired difference to the baseline and its CI.

    Args:
        results: Variant name -> run, all with the same seed and replications.
        baseline: Name of the baseline; the first entry of ``results`` when None.
        kpis: KPIs to include (columns of ``RunResult.replications``); default every KPI,
            with the cost KPIs when every variant has ``costs:``.
        confidence: Confidence level.

    Returns:
        A DataFrame with columns ``kpi, variant, mean, ci, diff, diff_ci, significant``,
        KPIs in the given order and variants baseline first. The baseline's ``diff`` and
        ``diff_ci`` are NaN (it is the reference), its ``significant`` False.

    Raises:
        ValueError: If the runs used different seeds, replication numbers or days (their
            differences would not be paired) or ``baseline`` is not among them.
    """
    names = list(results)
    baseline = names[0] if baseline is None else baseline
    if baseline not in results:
        raise ValueError(f"baseline {baseline!r} is not among the results ({', '.join(names)})")
    base = results[baseline]
    _check_paired(results, baseline)
    order = [baseline] + [n for n in names if n != baseline]
    kpis = shared_kpis(results) if kpis is None else kpis
    base_reps = base.replications.set_index("replication")
    rows = []
    for kpi in kpis:
        for name in order:
            reps = results[name].replications.set_index("replication")
            values = reps[kpi]
            mean = float(np.nanmean(values)) if values.notna().any() else math.nan
            row = {"kpi": kpi, "variant": name, "mean": mean,
                   "ci": half_width(values, confidence)}
            if name == baseline:
                row.update(diff=math.nan, diff_ci=math.nan, significant=False)
            else:
                diff, diff_ci = paired_difference(values, base_reps[kpi].loc[values.index],
                                                  confidence)
                row.update(diff=diff, diff_ci=diff_ci,
                           significant=is_significant(diff, diff_ci))
            rows.append(row)
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def shared_kpis(results: Mapping[str, RunResult]) -> tuple[str, ...]:
    """The KPIs every run measured: with the cost KPIs only when every scenario has costs."""
    costed = all(r.scenario.costs is not None for r in results.values())
    return KPIS + COST_KPIS if costed else KPIS


def shown_shared_kpis(results: Mapping[str, RunResult]) -> tuple[str, ...]:
    """Of :func:`shared_kpis`, those a table for people shows (:func:`sim.metrics.shown_kpis`)."""
    return shown_kpis(shared_kpis(results), [r.scenario for r in results.values()])


def _check_paired(results: Mapping[str, RunResult], baseline: str) -> None:
    base = results[baseline]
    reps = sorted(base.replications["replication"])
    for name, result in results.items():
        if result.seed != base.seed:
            raise ValueError(f"variant {name!r} ran with seed {result.seed}, the baseline with "
                             f"{base.seed}: differences are only paired under the same seed")
        if sorted(result.replications["replication"]) != reps:
            raise ValueError(f"variant {name!r} ran other replications than the baseline")
    if (problem := unequal_days({n: r.scenario for n, r in results.items()})) is not None:
        raise ValueError(problem)  # (the page's pinned run and current one too)


def variant_scenarios(
    scenario: Scenario, names: Sequence[str] | None = None
) -> dict[str, Scenario]:
    """The baseline and the named variants declared in ``scenario.variants``.

    Args:
        scenario: A scenario with ``variants``.
        names: Variants to include, in this order; every declared one when None.

    Returns:
        ``{"baseline": scenario without variants, name: variant, ...}``.

    Raises:
        KeyError: If a name is not a declared variant (the message lists the known ones).
        ScenarioError: If a variant does not validate.
    """
    names = list(scenario.variants) if names is None else list(names)
    out = {BASELINE: scenario.model_copy(update={"variants": {}})}
    for name in names:
        if name == BASELINE:
            raise KeyError(f"{BASELINE!r} is the scenario itself, not a variant")
        out[name] = variant(scenario, name)
    return out


def scenarios_from_files(
    paths: Sequence[str | Path],
    overrides: Mapping[str, Any] | None = None,
    variants: Sequence[str] | None = None,
) -> tuple[dict[str, Scenario], dict[str, dict[str, Any]]]:
    """Scenarios to compare: the first file is the baseline, each other file a variant.

    Args:
        paths: Scenario files; a file after the first becomes a variant named after its
            file stem (``scenarios/more_staff.yaml`` -> ``more_staff``).
        overrides: Dotted-path overrides applied to every file (``--set``).
        variants: Variants declared in the first file to add (after the file variants);
            when None and there is only one file, every declared variant.

    Returns:
        ``(scenarios, changes)``: name -> scenario, baseline first; and name -> what the
        variant changes (its overrides, or ``{"file": path}``).

    Raises:
        ScenarioError: If a file is invalid, or names collide.
        KeyError: If a variant name is not declared in the first file.
    """
    if not paths:
        raise ValueError("give at least one scenario file")
    first = load_scenario(paths[0], overrides=overrides)
    if variants is None and len(paths) == 1:
        variants = list(first.variants)
    scenarios = variant_scenarios(first, variants or [])
    changes: dict[str, dict[str, Any]] = {BASELINE: {}}
    changes.update({name: dict(first.variants[name]) for name in scenarios if name != BASELINE})
    for path in paths[1:]:
        name = Path(path).stem
        if name in scenarios:
            raise ScenarioError(str(path), [Problem("", f"variant name {name!r} (the file "
                                                    "name) is already taken; rename the file")])
        scenarios[name] = load_scenario(path, overrides=overrides)
        changes[name] = {"file": str(path)}
    return scenarios, changes


def unequal_days(scenarios: Mapping[str, Scenario]) -> str | None:
    """Why variants of other lengths cannot be compared (None: all run the baseline's days).

    Replications pair day by day (the same customers); a variant of fewer days paired
    with the baseline's week compared a day's totals with a week's, and the cost sentence
    divided the difference by the baseline's days ('9,721.99 less a day' for 6 more).
    """
    names = list(scenarios)
    days = scenarios[names[0]].days
    for name in names[1:]:
        if scenarios[name].days != days:
            return (f"variants: {name!r} runs {scenarios[name].days} days, the baseline "
                    f"{days}: replications pair day by day; compare variants of the same days")
    return None


def compare(
    scenarios: Mapping[str, Scenario],
    seed: int | None = None,
    replications: int = 10,
    trace_every: float | None = None,
    changes: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    workers: int | None = 1,
    executor: Executor | None = None,
    keep_contacts: int | None = None,
    precision: Mapping[str, Target | str | float] | None = None,
    max_replications: int = MAX_REPLICATIONS,
    policy: RoutingPolicy | None = None,
) -> Comparison:
    """Run a baseline and its variants under common random numbers.

    All variants' replications share one pool of workers; each variant's result is the
    same as ``sim.run`` of it alone, for any number of workers. With ``precision``, every
    variant runs the same batches (the pairs stay paired) until the named KPIs meet their
    targets, or ``max_replications``: what the table reports, the baseline's mean and
    each variant's paired difference to it (see :mod:`sim.paired_precision`).

    Args:
        scenarios: Name -> scenario; the first is the baseline.
        seed: Seed of every run; the baseline scenario's ``seed`` when None (a variant
            file's own ``seed`` is ignored, or the runs would not be paired).
        replications: Replications per variant (2 or more for confidence intervals);
            with ``precision``, the first batch.
        trace_every: Sample queue lengths and busy agents every so many seconds.
        changes: Name -> what the variant changes (kept for the report).
        progress: Called as ``progress(variant, done, total)`` after each replication.
        workers: Local processes (1: in this process; None: one per usable core).
        executor: Any :class:`concurrent.futures.Executor` to run on instead.
        keep_contacts: Raw tables of at most this many replications per variant.
        precision: KPI -> target half-width of the baseline's mean and of each variant's
            paired difference to it (values as in :func:`sim.replicate.run`).
        max_replications: With ``precision``: the most replications per variant (>= 10
            and >= ``replications``, or a ValueError).
        policy: A routing policy every variant runs under, instead of its scenario's
            ``routing_policy`` (see :func:`sim.replicate.run`).

    Returns:
        The comparison; ``comparison.table()`` gives the KPI table.
    """
    if not scenarios:
        raise ValueError("nothing to compare: give at least a baseline")
    if (problem := unequal_days(scenarios)) is not None:
        raise ValueError(problem)
    names = list(scenarios)
    seed = scenarios[names[0]].seed if seed is None else seed
    for sc in scenarios.values():
        check_policy(policy, sc, local_workers=executor is None and workers != 1)
        if trace_every is not None:
            check_trace_every(trace_every, sc)
    with_it = () if policy is None else (policy,)
    source = policy_source(policy)  # its file as the run begins
    collectors = {name: Collector(sc, seed, keep_contacts) for name, sc in scenarios.items()}
    targets = parse_targets(precision) if precision else {}
    check_measured(targets, scenarios.values())
    # the baseline's mean and each variant's paired difference to it, as the table shows
    rules = comparison_rules(scenarios, collectors[names[0]], targets, max_replications,
                             replications) if targets else None
    total = max_replications if rules else replications
    with replication_pool(workers, executor, len(names) * total) as pool:
        batch = rules[names[0]].next_batch(collectors[names[0]]) if rules else replications
        while batch:
            done = collectors[names[0]].n
            planned = done + batch
            jobs = [(scenarios[name], seed, r, trace_every,
                     keep_contacts is None or r < keep_contacts, *with_it)
                    for name in names for r in range(done, planned)]
            for i, tables in enumerate(pool.run(jobs)):
                name = names[i // batch]
                collectors[name].add(tables)
                if progress is not None:
                    progress(name, collectors[name].n, planned)
            batch = max(rules[n].next_batch(collectors[n]) for n in names) if rules else 0
    results = {name: with_policy(c.result(), source) for name, c in collectors.items()}
    if rules:
        for name, result in results.items():
            result.stopping = rules[name].stopping(collectors[name])
    return Comparison(results=results, baseline=names[0],
                      changes={n: dict((changes or {}).get(n, {})) for n in names})


def __getattr__(name: str) -> Any:
    """``write_comparison``, which moved to :mod:`sim.results_folder`, under its old name."""
    if name == "write_comparison":
        from sim.results_folder import write_comparison

        return write_comparison
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
