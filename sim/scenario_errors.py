"""Scenario errors: every problem of a scenario file as one line a person can act on.

A :class:`ScenarioError` carries all the problems of a file, each a :class:`Problem`
(a dotted field path and a reason), and prints one ``file: path: reason`` line per
problem: ``scenarios/bank.yaml: agents.tier1.staff[3]: must be >= 0, got -2``. Pydantic's
validation errors are turned into such problems here (:func:`_relevant`): the union
branches it tried are dropped from the path, each reason names the rule and the value
received, and a misspelt field gets a "did you mean" from the fields allowed there.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from sim.distributions import Distribution
from sim.errors import FieldError
from sim.scenario import Scenario
from sim.units import quoted


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


def _relevant(errors: list[Any], root: Any = None) -> list[Problem]:
    """One problem per field path, from the union branch that fits the input best.

    ``root``: the model validated (default :class:`~sim.scenario.Scenario`), whose fields
    a misspelt field's "did you mean" comes from.

    For ``staff: -1`` pydantic reports both "must be >= 0" (the number branch) and "should
    be a list" (the list branch); the user meant a number. A type mismatch is dropped when
    another branch has a real complaint at the same field or inside it.
    """
    problems = [(_problem(e, root), e["type"]) for e in errors]
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


def _problem(error: Mapping[str, Any], root: Any = None) -> Problem:
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
        return Problem(path, f"must be {rules[kind]} {bound}, got {quoted(got)}{hint}")
    if kind == "extra_forbidden":
        raw = tuple(error["loc"])
        if len(raw) >= 2 and str(raw[-2]) in _DIST_TAGS:  # a field of another distribution?
            return Problem(path, f"unknown field {loc[-1]!r}{_dist_hint(str(raw[-2]), loc[-1])}")
        return Problem(path, f"unknown field {loc[-1]!r}{_suggestion(loc, root)}")
    if kind == "missing":
        return Problem(path, "required field is missing")
    if kind == "union_tag_invalid":
        return Problem(path, f"unknown distribution {quoted(ctx.get('tag'))}, expected one of "
                             f"{', '.join(sorted(_DIST_TAGS))}")
    if kind == "union_tag_not_found":
        return Problem(path, "needs a 'dist' field naming the distribution "
                             f"({', '.join(sorted(_DIST_TAGS))})")
    if kind == "enum":
        return Problem(path, f"must be one of {ctx.get('expected')}, got {quoted(got)}")
    if kind in ("too_short", "too_long"):
        return Problem(path, f"{error['msg'].lower()}, got {quoted(got)}")
    if kind == "int_from_float":  # a fractional count: staff 2.5 in a sweep's grid
        return Problem(path, f"must be a whole number, got {quoted(got)}")
    if kind == "finite_number":
        return Problem(path, f"must be a finite number, got {quoted(got)}")
    if kind == "value_error":
        refusal = ctx.get("error", error["msg"])
        if isinstance(refusal, FieldError):  # one field of the section the validator checks
            path = f"{path}.{refusal.field}" if path else refusal.field
        return Problem(path, str(refusal))
    if kind in ("model_type", "model_attributes_type", "dict_type"):  # (not a class's name)
        return Problem(path, f"expected a section of fields (a mapping), got {quoted(got)}")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return Problem(path, f"{error['msg'].lower()}, got {quoted(got)}")
    # pydantic's sentence, after the path as ours are: in lower case, then the value
    return Problem(path, f"{error['msg'][:1].lower()}{error['msg'][1:]}, got {quoted(got)}")


def _suggestion(loc: tuple[Any, ...], root: Any = None) -> str:
    """'did you mean ...' for a misspelt field, from the fields ``root`` allows at ``loc``."""
    annotations: list[Any] = [Scenario if root is None else root]
    for part in loc[:-1]:
        annotations = [a for ann in annotations for a in _step(ann, part)]
    fields = [f for ann in annotations for m in _members(ann) if _is_model(m)
              for f in m.model_fields]
    close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
    return f" (did you mean {close[0]!r}?)" if close and close[0] != loc[-1] else ""


def _dist_hint(tag: str, name: Any) -> str:
    """' (did you mean ...?)' among the fields of distribution ``tag``, else the fields it takes.

    (Among every distribution's fields, ``mean`` on a deterministic one suggested itself.)
    """
    fields = [f for m in _members(Distribution) if _is_model(m)
              and m.model_fields.get("dist") and m.model_fields["dist"].default == tag
              for f in m.model_fields]
    close = difflib.get_close_matches(str(name), fields, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (a {tag} distribution takes: {', '.join(fields)})"


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
