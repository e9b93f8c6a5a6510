"""Loading scenarios: YAML text -> overrides -> validated :class:`~sim.scenario.Scenario`.

This is the only module that sees YAML or raw dicts. It applies dotted-path overrides
(``agents.pool.staff=44``, the form used by ``--set``, sweeps and variants), validates
everything, and turns every problem into one line that names the file, the dotted
field path and the reason: ``scenarios/bank.yaml: agents.tier1.staff[3]: must be >= 0,
got -2``. All problems of a file are collected before giving up.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim import limits, safe_yaml
from sim.scenario import Scenario


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (dotted path) and why."""

    path: str
    reason: str


class ScenarioError(ValueError):
    """A scenario that cannot be simulated; ``str()`` gives one line per problem."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One ``file: path: reason`` line per problem."""
        return [
            f"{self.source}: {p.path}: {p.reason}" if p.path else f"{self.source}: {p.reason}"
            for p in self.problems
        ]


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
                     source: str) -> None:
    """Apply dotted-path overrides to ``data`` in place; every one that fails is reported."""
    problems = []
    for dotted, value in (overrides or {}).items():
        try:
            apply_override(data, dotted, value)
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
    for name, changes in scenario.variants.items():
        found += _variant_problems(data, name, changes, context)
    if found:
        raise ScenarioError(source, found)
    return scenario


def _variant_problems(data: dict[str, Any], name: str, changes: Mapping[str, Any],
                      context: dict[str, Any]) -> list[Problem]:
    """Problems of one variant, with paths under ``variants.<name>``."""
    varied = copy.deepcopy(data)
    varied.pop("variants", None)
    where = f"variants.{name}"
    try:
        for dotted, value in changes.items():
            apply_override(varied, dotted, value)
        scenario = Scenario.model_validate(varied, context=context)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        if isinstance(exc, ValidationError):
            return [Problem(f"{where}.{p.path}", p.reason) for p in _relevant(exc.errors())]
        return [Problem(where, f"cannot override: {exc}")]
    if scenario.problems():
        return []  # reported when the variant is built, as for any scenario
    return [Problem(f"{where}.{p}", r) for p, r in limits.scenario_problems(scenario)]


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any],
                   source: str | None = None) -> Scenario:
    """A new scenario: ``scenario`` with dotted-path overrides applied and re-validated.

    Args:
        scenario: A validated scenario.
        overrides: Dotted path -> value (as for ``load_scenario``).
        source: Name used in error messages (default: the scenario's name).

    Raises:
        ScenarioError: If the result is invalid.
    """
    data = scenario.model_dump(mode="json")  # plain lists and strings, as from YAML
    return scenario_from_dict(data, source=source or scenario.name, overrides=overrides)


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


def parse_override(text: str) -> tuple[str, Any]:
    """Split a ``path=value`` override; the value is read as a YAML scalar or list.

    Raises:
        ValueError: If there is no ``=`` or no path.
    """
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise ValueError(f"expected path=value, got {text!r}")
    return path.strip(), parse_value(raw.strip())


def parse_value(raw: Any) -> Any:
    """Read an override value the way YAML would (``44`` -> int, ``5m`` stays a string)."""
    if not isinstance(raw, str):
        return raw
    try:
        return _yaml(raw) if raw else raw
    except safe_yaml.YamlError:
        return raw


def apply_override(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``value`` at a dotted path (``agents.pool.staff``, ``x.staff.3``) in place.

    A list item may also be written as errors print it (``x.staff[3]``), so a path from
    an error message can be pasted into ``--set`` as it is.

    Intermediate mappings must exist, except that a missing last-but-one mapping is
    created (``contact_types.calls.patience.mean`` on a type without patience). Unknown
    leaf names are left for validation to report, with a suggestion.

    Raises:
        ValueError: If the path runs through something that is not a mapping or list.
    """
    keys = re.sub(r"\[(-?\d+)\]", r".\1", dotted).split(".")
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            node = node[_index(node, key, keys[: depth + 1])]
        elif isinstance(node, dict):
            if key not in node or node[key] is None:
                if depth < len(keys) - 2:
                    close = difflib.get_close_matches(key, [str(k) for k in node], n=1)
                    mean = f" (did you mean {close[0]!r}?)" if close else ""
                    raise ValueError(
                        f"{'.'.join(keys[: depth + 1])!r} is not in the scenario{mean}"
                    )
                node[key] = {}
            node = node[key]
        else:
            raise ValueError(f"{'.'.join(keys[:depth])!r} is a value, not a section")
    last = keys[-1]
    if isinstance(node, list):
        node[_index(node, last, keys)] = parse_value(value)
    elif isinstance(node, dict):
        node[last] = parse_value(value)
    else:
        raise ValueError(f"{'.'.join(keys[:-1])!r} is a value, not a section")


def _index(node: list[Any], key: str, keys: list[str]) -> int:
    if not (key.isascii() and key.isdigit()) or not int(key) < len(node):
        raise ValueError(f"{'.'.join(keys)!r}: no item {key} in a list of {len(node)} "
                         "(items count from 0)")
    return int(key)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_DIST_TAGS = {"exponential", "lognormal", "gamma", "erlang", "uniform", "triangular",
              "deterministic", "empirical"}
_NAMED_SECTIONS = {"contact_types", "agents", "routing"}  # dicts keyed by user-chosen names
_TYPE_TAGS = {"int", "float", "str", "bool", "none", "list", "dict", "tuple"}


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-branch and discriminator tags from an error location.

    Pydantic puts the union member it tried into the location (``'list[int]'``,
    ``'lognormal'``); users think in fields. A part right after a named section
    (a contact type or group name) is always kept, whatever it is called.
    """
    kept: list[Any] = []
    for part in loc:
        previous = kept[-1] if kept else None
        is_name = previous in _NAMED_SECTIONS and len(kept) == 1
        text = str(part)
        is_tag = (
            "[" in text or text.startswith("constrained-") or text in _TYPE_TAGS
            or text in _DIST_TAGS or text[:1].isupper()
        )
        if isinstance(part, int) or is_name or not is_tag:
            kept.append(part)
    return tuple(kept)


def _relevant(errors: list[Any]) -> list[Problem]:
    """One problem per field path, from the union branch that fits the input best.

    For ``staff: -1`` pydantic reports both "must be >= 0" (the number branch) and "should
    be a list" (the list branch); the user meant a number. A type mismatch is dropped when
    another branch has a real complaint at the same field or inside it.
    """
    problems = [(_problem(e), e["type"]) for e in errors]
    substantive = [p.path for p, kind in problems if not _is_type_error(kind)]
    kept: dict[str, Problem] = {}
    for problem, kind in problems:
        if _is_type_error(kind) and any(
            s == problem.path or s.startswith((problem.path + ".", problem.path + "["))
            for s in substantive
        ):
            continue
        kept.setdefault(problem.path, problem)
    return list(kept.values())


def _is_type_error(kind: str) -> bool:
    return kind.endswith(("_type", "_parsing")) or kind == "model_attributes_type"


def _received(value: Any) -> str:
    if isinstance(value, (dict, list)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return repr(value)


def _problem(error: Mapping[str, Any]) -> Problem:
    """Turn one pydantic error into a Problem whose reason names the rule and the value."""
    loc = _clean_loc(tuple(error["loc"]))
    kind, ctx, got = error["type"], error.get("ctx") or {}, error.get("input")
    path = _dotted(loc)
    rules = {
        "greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
        "less_than_equal": "<=",
    }
    if kind in rules:
        bound = next(iter(ctx.values()))
        bound = f"{bound:g}" if isinstance(bound, float) else bound
        hint = ""
        if kind == "less_than_equal" and str(bound) == "1" and isinstance(got, (int, float)) \
                and 1 < got < 100:  # a percentage where a fraction is meant
            hint = f" (a fraction: did you mean {got / 100:g}?)"
        return Problem(path, f"must be {rules[kind]} {bound}, got {_received(got)}{hint}")
    if kind == "extra_forbidden":
        return Problem(path, f"unknown field {loc[-1]!r}{_suggestion(loc)}")
    if kind == "missing":
        return Problem(path, "required field is missing")
    if kind == "union_tag_invalid":
        return Problem(path, f"unknown distribution {ctx.get('tag')!r}, expected one of "
                             f"{', '.join(sorted(_DIST_TAGS))}")
    if kind == "union_tag_not_found":
        return Problem(path, "needs a 'dist' field naming the distribution "
                             f"({', '.join(sorted(_DIST_TAGS))})")
    if kind == "enum":
        return Problem(path, f"must be one of {ctx.get('expected')}, got {_received(got)}")
    if kind in ("too_short", "too_long"):
        return Problem(path, f"{error['msg'].lower()}, got {_received(got)}")
    if kind == "finite_number":
        return Problem(path, f"must be a finite number, got {_received(got)}")
    if kind == "value_error":
        return Problem(path, str(ctx.get("error", error["msg"])))
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return Problem(path, f"{error['msg'].lower()}, got {_received(got)}")
    return Problem(path, f"{error['msg']}, got {_received(got)}")


def _suggestion(loc: tuple[Any, ...]) -> str:
    """'did you mean ...' for a misspelt field, from the fields allowed at ``loc``."""
    annotations: list[Any] = [Scenario]
    for part in loc[:-1]:
        annotations = [a for ann in annotations for a in _step(ann, part)]
    fields = [f for ann in annotations for m in _members(ann) if _is_model(m)
              for f in m.model_fields]
    close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _members(annotation: Any) -> list[Any]:
    """The alternatives of an annotation, through ``Annotated``, ``Optional`` and unions."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [annotation]


def _step(annotation: Any, part: Any) -> list[Any]:
    """The annotations one location part below ``annotation``."""
    out = []
    for member in _members(annotation):
        if _is_model(member) and str(part) in member.model_fields:
            out.append(member.model_fields[str(part)].annotation)
        elif get_origin(member) is dict:
            out.append(get_args(member)[1])
        elif get_origin(member) in (list, tuple):
            out.append(get_args(member)[0])
    return out
