"""Hard limits: the largest run ccsim starts without being asked to.

Like the load plate in a lift: a run far beyond what anyone simulates is almost always a
typo (``days: 36500``, ``-r 1000000000``, a rate in the wrong unit), and finding out after
hours of work or an exhausted machine is too late. So every limit is checked before any
work starts, and a refusal names the limit and how to raise it: each has a default and an
environment variable ``CCSIM_MAX_<NAME>`` (e.g. ``CCSIM_MAX_DAYS=7320``). The README's
"Limits" table lists them all.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario
from sim.units import DAY, parse_number
from sim.weekdays import day_factors


@dataclass(frozen=True)
class Limit:
    """One limit: its default, the environment variable that raises it, what it counts."""

    env: str
    default: int
    what: str

    def value(self) -> int:
        """The limit in force: the environment variable's value, else the default.

        Raises:
            ValueError: If the variable is set to something other than a positive number.
        """
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:  # (not float(): it takes '1_0' as 10, and full-width digits)
            number = parse_number(raw)
        except ValueError:
            number = math.nan
        if not (math.isfinite(number) and number >= 1):
            raise ValueError(f"{self.env} must be a positive number, got {raw!r}")
        return int(number)

    def problem(self, got: float) -> str | None:
        """Why ``got`` is over the limit (naming the limit and how to raise it), or None."""
        limit = self.value()
        if got <= limit:
            return None
        return (f"must be <= {limit:,} ({self.what}), got {format_count(got)}; set {self.env} "
                "to raise the limit")


DAYS = Limit("CCSIM_MAX_DAYS", 3660, "the limit on days in a run")
AGENTS = Limit("CCSIM_MAX_AGENTS", 100_000,
               "the limit on agents in a group, and in all groups at once")
CONTACT_TYPES = Limit("CCSIM_MAX_CONTACT_TYPES", 500, "the limit on contact types")
AGENT_GROUPS = Limit("CCSIM_MAX_AGENT_GROUPS", 500, "the limit on agent groups")
REPLICATIONS = Limit("CCSIM_MAX_REPLICATIONS", 100_000, "the limit on replications")
GRID_POINTS = Limit("CCSIM_MAX_GRID_POINTS", 100_000, "the limit on points in a sweep grid")
CONTACTS = Limit("CCSIM_MAX_CONTACTS", 2_000_000_000,
                 "the limit on expected contacts, all replications and runs together")
WORKERS = Limit("CCSIM_MAX_WORKERS", 256, "the limit on local worker processes")

ALL = (DAYS, AGENTS, CONTACT_TYPES, AGENT_GROUPS, REPLICATIONS, GRID_POINTS, CONTACTS,
       WORKERS)


def format_count(value: float) -> str:
    """A count as people read it: ``1,000,000``, or ``1.2e+301`` when huge."""
    return f"{value:,.0f}" if value < 1e15 else f"{value:.3g}"


def scenario_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """A scenario's sizes over the limits, as ``(dotted path, reason)`` pairs.

    Days, contact types, agent groups and agents are checked first; the expected contacts
    of one replication only when those are within their limits.
    """
    try:
        found = _size_problems(scenario)
        if not found:
            contacts = expected_contacts(scenario)
            total = sum(contacts.values())
            reason = CONTACTS.problem(total)
            if reason is not None:
                busiest = max(contacts, key=contacts.get)
                found.append((f"contact_types.{busiest}.arrivals",
                              f"about {format_count(total)} contacts expected in one replication "
                              f"(this type: {format_count(contacts[busiest])}): {reason}"))
    except ValueError as exc:  # a CCSIM_MAX_... variable that is not a number
        found = [("", str(exc))]
    return found


def _size_problems(scenario: Scenario) -> list[tuple[str, str]]:
    found = []
    checks = [("days", DAYS, scenario.days),
              ("contact_types", CONTACT_TYPES, len(scenario.contact_types)),
              ("agents", AGENT_GROUPS, len(scenario.agents))]
    peaks = {}
    for name, group in scenario.agents.items():
        path = f"agents.{name}"
        if isinstance(group.staff, int):
            peaks[name] = group.staff
            checks.append((f"{path}.staff", AGENTS, group.staff))
        elif isinstance(group.staff, list):
            peak = max(range(len(group.staff)), key=group.staff.__getitem__, default=0)
            peaks[name] = group.staff[peak] if group.staff else 0
            checks.append((f"{path}.staff[{peak}]", AGENTS, peaks[name]))
        else:  # shifts may all overlap
            peaks[name] = sum(shift.count for shift in group.shifts or ())
            checks.append((f"{path}.shifts", AGENTS, peaks[name]))
    for name, rule in scenario.rules.items():  # overtime calls agents in on top
        overtime = rule.then.overtime
        if overtime is not None and overtime.group in peaks:
            peaks[overtime.group] += overtime.agents
            checks.append((f"rules.{name}.then.overtime.agents", AGENTS, peaks[overtime.group]))
    for path, limit, got in checks:
        reason = limit.problem(got)
        if reason is not None:
            found.append((path, reason))
    if not found:
        reason = AGENTS.problem(sum(peaks.values()))
        if reason is not None:
            found.append(("agents", f"all groups at their peaks: {reason}"))
    return found


def expected_contacts(scenario: Scenario) -> dict[str, float]:
    """Expected first contacts of one replication per contact type, cooldown included.

    Repeat contacts, retrials and transfers come on top; this is the floor of the work.
    """
    days = scenario.days + math.ceil(scenario.cooldown / DAY)
    ipd = scenario.intervals_per_day
    out = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for name, ct in scenario.contact_types.items():
            arrivals = ct.arrivals
            if arrivals.trace is not None:
                out[name] = float(len(arrivals.trace_rows(name)[0]))
                continue
            if arrivals.rate is not None:
                per_day = np.full(days, arrivals.rate * scenario.open_seconds)
            elif len(arrivals.per_interval or ()) == ipd:
                per_day = np.full(days, float(np.sum(arrivals.per_interval)))
            else:  # one value per interval of every day; the cooldown cycles the days
                table = np.asarray(arrivals.per_interval, dtype=float)
                per_day = np.resize(table.reshape(-1, ipd).sum(axis=1), days)
            factors = day_factors(scenario, arrivals, days)
            out[name] = float(per_day @ factors) if factors is not None else float(per_day.sum())
    return out


def run_problems(contacts_per_replication: float, replications: int, runs: int = 1,
                 option: str = "--replications", per: str = "per replication"
                 ) -> list[tuple[str, str]]:
    """Replications and total expected contacts over the limits, as ``(option, reason)``.

    Args:
        contacts_per_replication: Expected contacts of one replication of every run
            together (e.g. summed over a comparison's variants).
        replications: Replications of each run.
        runs: How many times that is done (grid points of a sweep).
        option: The option that sets ``replications``, to name in the reason.
        per: What ``contacts_per_replication`` counts, as the reason says it.
    """
    try:
        reason = REPLICATIONS.problem(replications)
        if reason is not None:
            return [(option, reason)]
        total = contacts_per_replication * replications * runs
        reason = CONTACTS.problem(total)
    except ValueError as exc:
        return [("", str(exc))]
    if reason is None:
        return []
    return [(option, f"about {format_count(total)} contacts expected "
             f"({format_count(contacts_per_replication)} {per} x {replications:,} "
             f"replication{'s' if replications > 1 else ''}"
             + (f" x {runs:,} points" if runs > 1 else "") + f"): {reason}")]
