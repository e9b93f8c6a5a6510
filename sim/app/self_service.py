"""The page's self-service control: the share solved in the IVR, per contact type with one.

A scenario's IVR serves each contact type with its own share (``ivr.self_service``), and
a lesson moves one kind of issue to the phone menu, not all: ``self_service_shift``
moves its simple issues (its variant sets ``contact_types.simple.ivr.self_service``) and
leaves the complex calls with the agents. So the control has a field per contact type
with an IVR, named for it, as the agents have one per group; a type left out keeps its
share. One number (what a script sent before) still sets every type with an IVR.
"""

from __future__ import annotations

from typing import Any

from sim.app.fields import Problems, read_number
from sim.scenario import Scenario


def defaults(scenario: Scenario) -> dict[str, float] | None:
    """Each type with an IVR -> its share solved in the menu (None: no type has an IVR)."""
    shares = {name: float(ct.ivr.self_service) for name, ct in scenario.contact_types.items()
              if ct.ivr is not None}
    return shares or None


def shares(value: Any, scenario: Scenario) -> dict[str, Any] | None:
    """``value`` per type with an IVR: one number stands for every such type."""
    base = defaults(scenario)
    if value is None or base is None or isinstance(value, dict):
        return value
    return dict.fromkeys(base, value)


def read(value: Any, scenario: Scenario, problems: Problems) -> dict[str, float] | None:
    """The shares typed (JSON: a number, or type -> number), the others the scenario's.

    Problems (appended, one per field, the field named ``self_service.<type>``): no IVR
    at all, a type with no IVR, not a number, outside 0..1.
    """
    base = defaults(scenario)
    if value is None or value == "" or value == base:
        return base
    if base is None:
        problems.append(("self_service", "no contact type has an IVR to serve callers in"))
        return None
    if not isinstance(value, dict):  # one number for every type with an IVR
        share = _share("self_service", value, problems)
        return base if share is None else dict.fromkeys(base, share)
    out = dict(base)
    for name, typed in value.items():
        if name not in base:
            problems.append((f"self_service.{name}"[:60], "no such contact type with an IVR "
                             f"(known: {', '.join(base)})"))
            continue
        share = _share(f"self_service.{name}", typed, problems)
        if share is not None:
            out[name] = share
    return out


def _share(field: str, value: Any, problems: Problems) -> float | None:
    """A share in 0..1, or None with the problem appended (read as every field is)."""
    share = read_number(field, value, problems)
    if share is not None and not 0 <= share <= 1:
        problems.append((field, f"must be in 0..1, got {share:g}"))
        return None
    return share


def overrides(scenario: Scenario, value: Any) -> dict[str, float]:
    """The ``ivr.self_service`` overrides of the types whose share ``value`` changes."""
    wanted, base = shares(value, scenario), defaults(scenario)
    if wanted is None or base is None:
        return {}
    return {f"contact_types.{name}.ivr.self_service": wanted[name] for name in base
            if name in wanted and wanted[name] != base[name]}
