"""A fitted call log as a scenario: the YAML form ``ccsim fit`` writes and ``ccsim run`` reads.

One contact type per type of the log (arrivals by interval and weekday, handle time,
patience, the IVR menu before the queue, the agents' after-call work and a transfer where
the log tells them; a type per back office reached only by transfer: :mod:`sim.fit_transfers`),
its agent groups where it names them with their agents (else one group
answering every type), and trunk lines where busy signals tell them (:mod:`sim.fit`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.units import format_clock_exact, format_clock_until

if TYPE_CHECKING:
    from sim.fit import Fit


def scenario_dict(fit: Fit, name: str, staff: list[int] | None = None,
                  threshold: float = 20.0) -> dict:
    """The fitted scenario in its YAML form (a dict ``ccsim run`` accepts).

    Args:
        fit: The fitted log.
        name: The scenario's name.
        staff: Agents per interval of the day, one pool answering every type (default:
            each group the log names with its agents, else one pool of the agents it names
            working per interval, else of those seen busy at once: :mod:`sim.fit_capacity`).
        threshold: Service-level threshold, seconds.
    """
    cycle = max(len(t.arrivals.day_factors) for t in fit.types.values())
    types = {}
    for t in fit.types.values():
        arrivals = {"per_interval": t.arrivals.per_interval}
        if cycle > 1:  # by weekday: a backtest gives each date of a log its own
            arrivals["day_factors"] = {day.lower(): f for day, f in zip(
                t.arrivals.weekdays, t.arrivals.day_factors, strict=True)}
        if t.arrivals.forecast_error > 0:
            arrivals["forecast_error"] = t.arrivals.forecast_error
        spec = {"arrivals": arrivals,
                "handle": t.handle.spec if t.handle else {
                    "dist": "deterministic",
                    "value": round(float(np.mean(t.handle_values)), 3) if t.handle_values.size
                    else 1.0}}
        if t.patience is not None:
            spec["patience"] = t.patience.best.spec
        if t.menu is not None:  # on the line before the queue: it holds a trunk line too
            spec["ivr"] = {"time": t.menu}
        if t.wrap_up is not None:  # the agent's, after the talk: busy, the caller gone
            spec["wrap_up"] = t.wrap_up
        if t.transfer is not None:  # (sim.fit_transfers)
            spec["transfer"] = {"probability": round(t.transfer.probability, 4),
                                "to": t.transfer.to}
        types[t.name] = spec
    for name, leg in fit.second_legs.items():  # reached only by transfer: no arrivals
        spec = {"arrivals": {"rate": 0}, "handle": leg.handle}
        source = fit.types[leg.sources[0]]
        if source.patience is not None:  # the same callers, queued again
            spec["patience"] = dict(source.patience.best.spec)
        if leg.wrap_up is not None:
            spec["wrap_up"] = leg.wrap_up
        types[name] = spec
    agents = ({name: {"skills": skills, "staff": seen}
               for name, (skills, seen) in fit.groups.items()} if fit.groups and not staff
              else {"agents": {"skills": sorted(types),
                               "staff": staff or fit.agents_seen or fit.staff}})
    for kind, spec in types.items():  # answered only by agents taking several at once
        answering = [group for group, each in agents.items() if kind in each["skills"]]
        if answering and all(group in fit.concurrency for group in answering):
            spec["channel"] = "chat"
    # blocked calls arrived (they are in the arrivals): the lines that blocked them too
    lines = {} if fit.lines is None else {"lines": fit.lines}
    return {
        "name": name, "seed": 1, "days": cycle, "open": format_clock_exact(fit.open),
        "close": format_clock_until(fit.close),
        "interval": int(fit.interval), "service_level": {"threshold": threshold, "target": 0.8},
        **lines, "contact_types": types,
        "agents": {name: group | ({"concurrency": fit.concurrency[name]}
                                  if name in fit.concurrency else {})
                   for name, group in agents.items()},
    }
