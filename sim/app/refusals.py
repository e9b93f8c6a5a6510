"""Which of the page's fields a refused line is about, so the page shows it beside that field.

A Run is refused in lines ``source: path: reason``, as the CLI words them: the settings'
own reading names the control (``agents.pool``, ``aht``, ``self_service.simple``), and
the loader, checking the overrides the controls stand for, names the scenario's field
(``agents.pool.staff``, ``contact_types.calls.handle.mean``). Both are mapped here to the
field the trainer typed in; a line about no field of the page (an unknown setting sent
by a script, the memory a run needs, a scenario file's own errors) maps to none, and the
page shows it above everything, as before.
"""

from __future__ import annotations

from typing import Any

from sim.app.settings import SettingsError
from sim.scenario import Scenario
from sim.scenario_errors import ScenarioError

# the page's fields with one input each (agents and self-service have one per group/type)
FIELDS = ("arrival_factor", "calls_per_hour", "aht", "patience", "handle_cap", "callbacks",
          "replications", "days")
# a contact type's part the controls set -> the control (arrivals: its own, below)
PARTS = {"handle": "aht", "patience": "patience", "handle_cap": "handle_cap",
         "callback": "callbacks", "ivr": "self_service"}


def by_line(error: Exception, scenario: Scenario | None, payload: Any = None
            ) -> dict[str, str]:
    """Each line of a refused Run (``error.lines()``) -> the page field it is about.

    Args:
        error: The refusal: the settings' (:class:`SettingsError`) or the loader's on the
            overrides (:class:`ScenarioError`); anything else names no field.
        scenario: The scenario open (its groups and types name fields).
        payload: The settings sent: arrivals typed as calls per hour are named so.

    Lines about no field of the page are left out.
    """
    if scenario is None or not isinstance(error, SettingsError | ScenarioError):
        return {}
    paths = [p[0] if isinstance(error, SettingsError) else p.path for p in error.problems]
    typed = isinstance(payload, dict) and "calls_per_hour" in payload
    out = {}
    for line, path in zip(error.lines(), paths, strict=True):
        field = (_control(path, scenario) if isinstance(error, SettingsError)
                 else _overridden(path, scenario, typed))
        if field is not None:
            out[line] = field
    return out


def _control(path: str, scenario: Scenario) -> str | None:
    """A settings path that is a page field, or None (``settings``, an unknown name)."""
    ivr = [t for t, ct in scenario.contact_types.items() if ct.ivr is not None]
    fields = {*FIELDS, *(f"agents.{g}" for g in scenario.agents),
              *(f"self_service.{t}" for t in ivr)}
    if not ivr:
        fields.add("self_service")  # (the one field, disabled: no IVR)
    return path if path in fields else None


def _overridden(path: str, scenario: Scenario, typed: bool) -> str | None:
    """The control that set a scenario field the loader refused, or None."""
    if path == "days" or path.startswith("days."):
        return "days"
    for group in scenario.agents:
        if path == f"agents.{group}" or path.startswith(f"agents.{group}."):
            return f"agents.{group}"
    for name in scenario.contact_types:
        where = f"contact_types.{name}."
        if not path.startswith(where):
            continue
        part = path.removeprefix(where).split(".")[0].split("[")[0]
        if part == "arrivals":
            return "calls_per_hour" if typed else "arrival_factor"
        control = PARTS.get(part)
        if control == "self_service":
            return f"self_service.{name}" if ".self_service" in path else None
        return control
    return None


def grouped(lines: list[str], fields: dict[str, str]) -> dict[str, list[str]]:
    """Page field -> its lines of ``lines``, in their order (lines of no field left out)."""
    out: dict[str, list[str]] = {}
    for line in lines:
        if line in fields:
            out.setdefault(fields[line], []).append(line)
    return out
