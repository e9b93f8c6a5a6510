"""Answers to a stated precision: sequential sampling of replications.

A planner asks for "the service level to within one point" rather than for a number of
replications. The run then proceeds in batches: after each batch, every named KPI's 95%
confidence half-width over the replications so far (Student t with ``n - 1`` degrees of
freedom, :func:`half_width`) is compared with its target, an absolute half-width in the
KPI's unit (``service_level=0.01``) or a share of the mean (``asa=5%``). The run stops
when every target is met, or at ``max_replications``. A comparison holds the baseline's
mean and each variant's paired difference to it (:mod:`sim.paired_precision`).

The statistics, as documented in the README:

- the first batch has at least :data:`MIN_REPLICATIONS` replications, so the first
  variance estimate has 9 or more degrees of freedom before any test; a KPI undefined
  in some replications (NaN) is judged on that many values where it is defined;
- a half-width shrinks as ``1/sqrt(n)``, so a KPI with half-width ``h`` after ``n``
  replications needs about ``n (h / target)^2``; the next batch brings the run to the
  largest such estimate over the targets, but at least ``ceil(n / 4)`` more (few tests,
  full batches for the workers) and at most ``n`` more (doubling: an early estimate can
  be far off), and never beyond ``max_replications``;
- batch sizes depend only on the replications' values, never on the number of workers,
  so the stopping point and the result are the same for any number of workers, and the
  result equals a plain run with the same number of replications;
- stopping when the half-width first falls below the target makes it slightly
  optimistic: the variance estimate is more often low than high at that moment, so the
  true coverage of the final interval is a little under 95% (Law, *Simulation Modeling
  and Analysis*, 5th ed., 2015, section 9.4.1). The minimum first batch and the batch
  steps of a quarter keep the number of looks small, which keeps this bias small.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from sim.features import modelled
from sim.kpis import BY_NAME, COST_KPIS, RUN_KPIS
from sim.units import format_list, parse_number

if TYPE_CHECKING:
    from sim.scenario import Scenario

MIN_REPLICATIONS = 10
"""The first batch: no test is made on fewer replications."""

MAX_REPLICATIONS = 200
"""Default ceiling of a sequential run."""

CONFIDENCE = 0.95


def half_width(values: np.ndarray | Any, confidence: float = CONFIDENCE) -> float:
    """Confidence half-width of the mean of ``values`` (Student t); NaN for fewer than 2."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size < 2:
        return math.nan
    from scipy.special import stdtrit  # here: the command line starts without SciPy

    t = stdtrit(values.size - 1, 0.5 + confidence / 2.0)  # = scipy.stats.t.ppf, 4x lighter import
    return float(t * values.std(ddof=1) / math.sqrt(values.size))


def finite_mean(values: np.ndarray) -> float:
    """Mean of the values that are not NaN (NaN without any)."""
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else math.nan


@dataclass(frozen=True)
class Target:
    """A KPI's wanted 95% half-width: ``value`` in its unit, or a share of its mean."""

    kpi: str
    value: float
    relative: bool = False

    def __post_init__(self) -> None:
        if self.kpi not in RUN_KPIS + COST_KPIS:
            raise ValueError(f"--precision: unknown KPI {self.kpi!r} (known: "
                             f"{', '.join(RUN_KPIS)}; with costs: {', '.join(COST_KPIS)})")
        if not (math.isfinite(self.value) and self.value > 0):
            raise ValueError(f"--precision: {self.kpi}: the target must be a number > 0, "
                             f"got {self.value:g}")
        if self.relative and self.value >= 1:
            # ± the mean itself or more: an interval that may hold 0 says almost nothing
            raise ValueError(f"--precision: {self.kpi}={100 * self.value:g}%: ± "
                             f"{100 * self.value:g}% of the mean is met by almost any run; "
                             f"a share of the mean must be under 100% (e.g. {self.kpi}=5%)")
        if not self.relative and self.value >= 1 and BY_NAME[self.kpi].unit.name == "ratio":
            # any 10 replications of a share meet ± 100 points: a point was meant
            raise ValueError(f"--precision: {self.kpi} is a share: ± {self.value:g} is "
                             f"± {100 * self.value:g} points, met by any run; for ± 1 point "
                             f"write {self.kpi}=0.01")

    def limit(self, mean: float) -> float:
        """The half-width to reach given the mean so far."""
        return self.value * abs(mean) if self.relative else self.value

    def __str__(self) -> str:
        return (f"{self.kpi} ± {100 * self.value:g}% of its mean" if self.relative
                else f"{self.kpi} ± {self.value:g}")


def parse_target(text: str) -> Target:
    """``KPI=VALUE`` (absolute) or ``KPI=VALUE%`` (relative to the mean) as a Target.

    Raises:
        ValueError: One line naming what is wrong.
    """
    kpi, sep, value = text.partition("=")
    if not sep or not kpi.strip() or not value.strip():
        raise ValueError(f"--precision: expected KPI=HALF_WIDTH (e.g. service_level=0.01 or "
                         f"asa=5%), got {text!r}")
    return _target(kpi.strip(), value.strip())


def _target(kpi: str, value: Any) -> Target:
    if isinstance(value, Target):
        return value
    text = str(value).strip()
    relative = text.endswith("%")
    try:  # a number given in Python as it is; a text as a person writes a number
        number = (float(value) if isinstance(value, (int, float)) and not isinstance(value, bool)
                  else parse_number(text[:-1] if relative else text))
    except ValueError:
        raise ValueError(f"--precision: {kpi}: expected a number or a percentage, got "
                         f"{text!r}") from None
    return Target(kpi, number / 100 if relative else number, relative)


def parse_targets(precision: Mapping[str, Target | str | float]) -> dict[str, Target]:
    """KPI -> Target from a mapping of targets, strings (``"5%"``) or numbers."""
    return {kpi: _target(kpi, value) for kpi, value in precision.items()}


def check_measured(targets: Iterable[str], scenarios: Iterable[Scenario]) -> None:
    """Refuse a target on a KPI the scenarios never measure (it could never be met).

    A cost KPI needs ``costs:`` in every scenario run (a comparison's variants); a KPI
    of a feature no scenario has (a callback wait without ``callback``) is never defined.

    Raises:
        ValueError: One line naming the KPI and what it needs.
    """
    scenarios = list(scenarios)
    one = len(scenarios) == 1
    for kpi in targets:
        if kpi in COST_KPIS and any(s.costs is None for s in scenarios):
            lacks = "the scenario has no" if one else "a variant has no"
        elif not modelled(kpi, scenarios):
            lacks = "the scenario has no" if one else "no variant has"  # (not "has no")
        else:
            continue
        need = "`costs:`" if kpi in COST_KPIS else BY_NAME[kpi].needs.switch
        raise ValueError(f"--precision: {kpi} is never measured: {lacks} {need}")


@dataclass(frozen=True)
class Stopping:
    """How a sequential run ended.

    Attributes:
        reason: ``"precision"`` (every target met) or ``"max_replications"``.
        replications: Replications it took.
        targets: KPI -> the target, as people read it.
        half_widths: KPI -> its 95% half-width at the end.
        limits: KPI -> the half-width it had to reach (relative targets: at the end).
        met: KPI -> whether it did.
        defined: KPI -> replications where it had a value (not NaN); each needs
            MIN_REPLICATIONS of them to be met.
        against: KPI -> the baseline whose paired difference to this run the target
            held, in a comparison (:mod:`sim.paired_precision`); other KPIs: the mean.
    """

    reason: str
    replications: int
    targets: dict[str, str]
    half_widths: dict[str, float]
    limits: dict[str, float]
    met: dict[str, bool]
    defined: dict[str, int]
    against: dict[str, str] = field(default_factory=dict)

    @property
    def precise(self) -> bool:
        """Whether every target was met."""
        return self.reason == "precision"

    def zeros(self) -> list[str]:
        """KPIs whose target was met by being 0 in every replication where defined.

        A share of a mean of 0 is 0, and values all 0 have a half-width of 0: the rule
        counts that as met (an abandon rate where nobody abandons), and the line says so.
        """
        return [kpi for kpi, ok in self.met.items() if ok and self.limits[kpi] == 0]

    def describe(self, notes: Mapping[str, str] | None = None) -> str:
        """One line for people; ``notes``: KPI -> what to add to its target (default: zeros)."""
        if self.precise:
            if notes is None:
                notes = dict.fromkeys(self.zeros(), "0 in every replication")
            said = [text + (f": {notes[kpi]}" if kpi in notes else "")
                    for kpi, text in self.targets.items()]
            return (f"stopped after {self.replications} replications: every precision target "
                    f"met ({'; '.join(said)})")
        missed = [self._missed(k) for k, ok in self.met.items() if not ok]
        return (f"warning: stopped at --max-replications ({self.replications}) before the "
                f"precision was reached: {'; '.join(missed)}")

    def _missed(self, kpi: str) -> str:
        defined = self.defined[kpi]
        what = (f"{kpi} difference to {self.against[kpi]}" if kpi in self.against
                else kpi)
        if defined < MIN_REPLICATIONS:
            return (f"{what} defined in {defined} of {self.replications} replications "
                    f"({MIN_REPLICATIONS} needed)")
        return f"{what} ± {self.half_widths[kpi]:.4g} > {self.limits[kpi]:.4g}"

    def as_dict(self) -> dict[str, Any]:
        """For summary.json (``against`` only where a target held a paired difference)."""
        saved = {"reason": self.reason, "replications": self.replications,
                 "targets": self.targets, "half_widths": self.half_widths,
                 "limits": self.limits, "met": self.met, "defined": self.defined}
        return saved | ({"against": self.against} if self.against else {})

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> Stopping:
        """Read back :meth:`as_dict` (summary.json; an older one has no ``defined``)."""
        return cls(saved["reason"], int(saved["replications"]), saved["targets"],
                   saved["half_widths"], saved["limits"], saved["met"],
                   saved.get("defined") or dict.fromkeys(saved["met"],
                                                         int(saved["replications"])),
                   saved.get("against") or {})


def zero_notes(ends: Mapping[str, Stopping]) -> dict[str, str]:
    """KPI -> ``0 in every replication`` (``... of a and b`` if not in every variant with it)."""
    notes = {}
    for kpi in {kpi for end in ends.values() for kpi in end.targets}:
        names = [name for name, end in ends.items() if kpi in end.zeros()]
        if names:
            every = len(names) == sum(kpi in end.targets for end in ends.values())
            notes[kpi] = "0 in every replication" + ("" if every else f" of {format_list(names)}")
    return notes


class Sample(Protocol):
    """What the rule reads: replications so far and a KPI's values over them."""

    @property
    def n(self) -> int:
        """Replications so far."""

    def values(self, kpi: str) -> np.ndarray:
        """The KPI's value per replication, in replication order."""


class StoppingRule:
    """Batch sizes and the stopping test of a sequential run (see the module docstring).

    Args:
        targets: KPI -> target; every one must be met.
        max_replications: Never more replications than this.
        first: Wanted size of the first batch (raised to :data:`MIN_REPLICATIONS`),
            at most ``max_replications``.

    Raises:
        ValueError: ``max_replications`` under :data:`MIN_REPLICATIONS`, or ``first``
            above it.
    """

    def __init__(self, targets: Mapping[str, Target], max_replications: int, first: int = 0):
        if max_replications < MIN_REPLICATIONS:  # no target is tested on fewer
            raise ValueError(f"'max_replications': must be >= {MIN_REPLICATIONS} with "
                             "'precision' (no target is tested on fewer replications), "
                             f"got {max_replications}")
        if first > max_replications:  # as the command line: the ceiling is what was asked
            raise ValueError(f"'replications': the first batch of {first} is above "
                             f"'max_replications' {max_replications}: lower 'replications' "
                             "or raise 'max_replications'")
        self.targets = dict(targets)
        self.max = max_replications
        self.first = max(first, MIN_REPLICATIONS)

    def _status(self, sample: Sample) -> dict[str, tuple[float, float, int]]:
        """KPI -> (half-width, limit, replications where it is defined) over the sample."""
        out = {}
        for kpi, target in self.targets.items():
            values = self._values(sample, kpi)
            defined = int(np.count_nonzero(~np.isnan(values)))
            out[kpi] = (half_width(values), target.limit(self._level(sample, kpi)), defined)
        return out

    def _values(self, sample: Sample, kpi: str) -> np.ndarray:
        """The values whose mean the target is on: the KPI's own, one per replication."""
        return sample.values(kpi)

    def _level(self, sample: Sample, kpi: str) -> float:
        """The mean a share-of-the-mean target is a share of: the KPI's own (NaN: none)."""
        return finite_mean(sample.values(kpi))

    @staticmethod
    def _met(hw: float, limit: float, defined: int) -> bool:
        """Whether the half-width is within the limit, on enough defined values.

        A KPI undefined in some replications (an ASA where nobody was answered) is judged
        on at least MIN_REPLICATIONS values too: 9 degrees of freedom or more.
        """
        return (defined >= MIN_REPLICATIONS and not math.isnan(hw)
                and not math.isnan(limit) and hw <= limit)

    def next_batch(self, sample: Sample) -> int:
        """Replications to run next; 0 when the run should stop."""
        n = sample.n
        if n == 0:
            return self.first
        status = self._status(sample)
        if n >= self.max or all(self._met(*each) for each in status.values()):
            return 0
        wanted = n
        for hw, lim, defined in status.values():
            if self._met(hw, lim, defined):
                continue
            if defined < MIN_REPLICATIONS:  # as many more as the defined share needs
                wanted = max(wanted, math.ceil(n * MIN_REPLICATIONS / defined) if defined
                             else 2 * n)
            if math.isnan(hw) or math.isnan(lim) or lim <= 0:
                wanted = max(wanted, 2 * n)
            else:
                wanted = max(wanted, math.ceil(n * (hw / lim) ** 2))
        step = min(max(wanted - n, math.ceil(n / 4)), n)
        return min(step, self.max - n)

    def planned(self, total: int) -> int:
        """The total to show in progress while a batch runs (the plan so far)."""
        return min(total, self.max)

    def stopping(self, sample: Sample) -> Stopping:
        """How the run ended, once :meth:`next_batch` returned 0."""
        status = self._status(sample)
        met = {kpi: self._met(*each) for kpi, each in status.items()}
        return Stopping(
            reason="precision" if all(met.values()) else "max_replications",
            replications=sample.n, targets={k: str(t) for k, t in self.targets.items()},
            half_widths={k: hw for k, (hw, _, _) in status.items()},
            limits={k: lim for k, (_, lim, _) in status.items()}, met=met,
            defined={k: defined for k, (_, _, defined) in status.items()})
