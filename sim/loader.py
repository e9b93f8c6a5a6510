"""Loading scenarios: YAML text -> overrides -> validated :class:`~sim.scenario.Scenario`.

This is the only module that sees YAML or raw dicts. It applies dotted-path overrides
(``agents.pool.staff=44``, the form used by ``--set``, sweeps and variants:
:mod:`sim.overrides`), validates everything, and turns every problem into one line that
names the file, the dotted field path and the reason: ``scenarios/bank.yaml:
agents.tier1.staff[3]: must be >= 0, got -2`` (:mod:`sim.scenario_errors`). All problems
of a file are collected before giving up.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim import limits, safe_yaml
from sim.overrides import apply_override, parse_override, parse_value  # noqa: F401 (and from here)
from sim.scenario import Scenario
from sim.scenario_errors import Problem, ScenarioError, _relevant
from sim.schedule import holds_never_answered


def _yaml(text: str) -> Any:
    return safe_yaml.load(text)


def load_scenario(
    path: str | Path, overrides: Mapping[str, Any] | None = None
) -> Scenario:
    """Read, override and validate a scenario file.

    Args:
        path: A YAML scenario file.
        overrides: Dotted path -> value, applied before validation. String values are
            read as YAML scalars, so ``"44"`` is a number and ``"5m"`` a duration.

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: If the file cannot be read or anything in it is invalid.
    """
    return scenario_from_yaml(_read(path), source=str(path), overrides=overrides,
                              base_dir=Path(path).resolve().parent)


def scenario_document(
    path: str | Path, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A scenario file's fields as :func:`load_scenario` reads them, before validation.

    Units stay as written (``4m``, ``08:00``), so a tool can write the scenario back
    changed (``ccsim staff --out``) in the user's own terms. Clock times are read as the
    loader reads them: ``close: 20:00`` is the string ``"20:00"``, not YAML 1.1's
    base-60 number 1200.

    Args:
        path: A YAML scenario file.
        overrides: Dotted path -> value, applied as in :func:`load_scenario`.

    Raises:
        ScenarioError: If the file cannot be read, is not a mapping, or an override does
            not apply.
    """
    source = str(path)
    data = _mapping(_read(path), source)
    _apply_overrides(data, overrides, source)
    return data


def _apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any] | None,
                     source: str, option: str = "--set") -> None:
    """Apply dotted-path overrides to ``data`` in place; every one that fails is reported.

    ``option``: the option they came from, for a hint (:func:`apply_override`).
    """
    problems = []
    for dotted, value in (overrides or {}).items():
        try:
            apply_override(data, dotted, value, option)
        except ValueError as exc:
            problems.append(Problem(dotted, f"cannot override: {exc}"))
    if problems:
        raise ScenarioError(source, problems)


def _read(path: str | Path) -> str:
    """The text of a scenario file; an unreadable, huge or non-UTF-8 one is a ScenarioError."""
    try:
        return safe_yaml.read_text(path)
    except OSError as exc:
        raise ScenarioError(str(path), [Problem("", f"cannot read file: {exc.strerror}")]
                            ) from None
    except safe_yaml.YamlError as exc:
        raise ScenarioError(str(path), [Problem("", str(exc))]) from None


def scenario_from_yaml(
    text: str,
    source: str = "<string>",
    overrides: Mapping[str, Any] | None = None,
    base_dir: Path | None = None,
) -> Scenario:
    """Validate a scenario given as YAML text (see :func:`load_scenario`)."""
    return scenario_from_dict(_mapping(text, source), source=source, overrides=overrides,
                              base_dir=base_dir)


def _mapping(text: str, source: str) -> dict[str, Any]:
    """The top-level mapping of a scenario's YAML text; anything else is a ScenarioError."""
    try:
        data = _yaml(text)
    except safe_yaml.YamlError as exc:
        raise ScenarioError(source, [Problem("", str(exc))]) from None
    if data is None:
        raise ScenarioError(source, [Problem("", "the file is empty")])
    if not isinstance(data, dict):
        reason = f"must be a mapping of fields (name: ..., agents: ...), got {type(data).__name__}"
        raise ScenarioError(source, [Problem("", reason)])
    return data


def scenario_from_dict(
    data: Mapping[str, Any],
    source: str = "<dict>",
    overrides: Mapping[str, Any] | None = None,
    base_dir: Path | None = None,
) -> Scenario:
    """Validate a scenario given as a dict (see :func:`load_scenario`); ``data`` is not changed."""
    data = copy.deepcopy(dict(data))
    _apply_overrides(data, overrides, source)
    context = {"base_dir": base_dir or Path.cwd()}
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        raise ScenarioError(source, _relevant(exc.errors())) from None
    found = [Problem(p, r) for p, r in scenario.problems()]
    if not found:  # sizes are only worked out on a consistent scenario
        found = [Problem(p, r) for p, r in limits.scenario_problems(scenario)]
    if not found:  # and staffing over time: a hold nobody answers would never end
        found = [Problem(p, r) for p, r in holds_never_answered(scenario)]
    base = set(found)  # a variant inherits the base's problems: named once, at the base
    for name, changes in scenario.variants.items():
        found += [p for p in _variant_problems(data, name, changes, context)
                  if Problem(p.path.removeprefix(f"variants.{name}."), p.reason) not in base]
    if found:
        raise ScenarioError(source, found)
    scenario._base_dir = context["base_dir"]  # (a private attribute: not a field, not frozen)
    return scenario


def _variant_problems(data: dict[str, Any], name: str, changes: Mapping[str, Any],
                      context: dict[str, Any]) -> list[Problem]:
    """Problems of one variant, with paths under ``variants.<name>``."""
    varied = copy.deepcopy(data)
    varied.pop("variants", None)
    where = f"variants.{name}"
    # every entry that cannot apply, on its own path, and the rest applied and judged:
    # one line per problem, not the first entry's alone
    found = []
    for dotted, value in changes.items():
        try:
            apply_override(varied, dotted, value, option=None)
        except ValueError as exc:
            found.append(Problem(f"{where}.{dotted}", f"cannot override: {exc}"))
    try:
        scenario = Scenario.model_validate(varied, context=context)
    except ValidationError as exc:
        return found + [Problem(f"{where}.{p.path}", p.reason) for p in _relevant(exc.errors())]
    if found:  # (the checks of a whole scenario judge the variant as given: not this one)
        return found
    # the checks of any scenario, in order (sizes and holds only on a consistent one)
    found = (scenario.problems() or limits.scenario_problems(scenario)
             or holds_never_answered(scenario))
    return [Problem(f"{where}.{p}", r) for p, r in found]


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any],
                   source: str | None = None, option: str = "--set") -> Scenario:
    """A new scenario: ``scenario`` with dotted-path overrides applied and re-validated.

    Args:
        scenario: A validated scenario.
        overrides: Dotted path -> value (as for ``load_scenario``).
        source: Name used in error messages (default: the scenario's name).
        option: The option the overrides came from (``--grid``), named in the hint for
            a section the scenario lacks.

    Raises:
        ScenarioError: If the result is invalid.
    """
    data = scenario.model_dump(mode="json")  # plain lists and strings, as from YAML
    # files it names (a replayed log, an empirical `file`) are relative to the scenario's
    # file, not to the working folder
    base_dir = scenario._base_dir or next((  # (a scenario made elsewhere: its log's folder)
        ct.arrivals.base_dir for ct in scenario.contact_types.values()
        if ct.arrivals.base_dir is not None), None)
    _apply_overrides(data, overrides, source or scenario.name, option)
    return scenario_from_dict(data, source=source or scenario.name, base_dir=base_dir)


def variant(scenario: Scenario, name: str) -> Scenario:
    """The scenario's variant ``name`` (its ``variants`` entry applied), without variants.

    Raises:
        KeyError: If there is no such variant.
    """
    if name not in scenario.variants:
        known = ", ".join(sorted(scenario.variants)) or "none"
        raise KeyError(f"no variant {name!r} in scenario {scenario.name!r} (known: {known})")
    base = scenario.model_copy(update={"variants": {}})
    return with_overrides(base, scenario.variants[name], source=f"{scenario.name} [{name}]")
