"""Grids: the parameter values of a sweep, and the scenario of every point.

A grid names scenario fields by dotted path and lists values for each, as a list or in
the ``--grid`` syntax (``36:48:1`` a range with its step, ``1m,3m,10m`` a list; units as
in scenario files; on a clock field, :func:`clock_field`, ``08:00:30`` is one clock
time). Every combination of values is a *point*, a scenario of its own
(:func:`sim.loader.with_overrides`), validated like any scenario file, once:
:func:`point_scenarios` gives them as :class:`GridPoints`, which a sweep runs as they are.
"""

from __future__ import annotations

import itertools
import math
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from sim.limits import GRID_POINTS, format_count
from sim.loader import ScenarioError, parse_value, with_overrides
from sim.overrides import path_keys
from sim.scenario import Scenario
from sim.units import parse_clock, parse_duration

GridSpec = Mapping[str, "Sequence[Any] | str"]
"""Dotted path -> values (a list, or a string in the ``--grid`` syntax: ``a:b:step``, ``v1,v2``)."""


def parse_grid_option(text: str) -> tuple[str, list[Any]]:
    """Split one ``--grid`` option, ``path=a:b:step`` or ``path=v1,v2,...``.

    Raises:
        ValueError: If there is no ``path=`` or the values cannot be read.
    """
    path, sep, spec = text.partition("=")
    if not sep or not path.strip():
        raise ValueError(f"--grid: expected PATH=VALUES (e.g. agents.pool.staff=36:48:1), "
                         f"got {text!r}")
    return path.strip(), grid_values(path.strip(), spec)


def grid_values(path: str, spec: str | Sequence[Any]) -> list[Any]:
    """The values of one grid parameter.

    Args:
        path: The dotted path (for error messages).
        spec: A list of values, or a string: ``a:b:step`` is an inclusive range (integers
            stay integers; durations like ``1m:5m:1m`` become seconds), ``v1,v2,v3`` a
            list read like YAML (``44`` is a number, ``1m`` stays a duration string).

    Raises:
        ValueError: If the range is malformed, there are no values or one is given twice
            (its point would repeat another's numbers), or the path is the
            seed (every point runs with the sweep's one seed: common random numbers) or
            in ``variants`` (no point runs a variant: :func:`point_scenarios`).
    """
    if path == "seed":  # the table's `seed` column is the one the points share
        raise ValueError("seed: every point of a sweep runs with the same seed (common random "
                         "numbers); choose it with --seed, not --grid")
    if path.split(".")[0] == "variants":  # (a point would change what it never runs)
        raise ValueError(f"{path}: a sweep runs no variant, so every point would give the "
                         "same numbers; sweep the field a variant changes (--grid "
                         "agents.pool.staff=40,44), or run the variants with ccsim compare")
    if isinstance(spec, str):
        items, parts = _split_top_level(spec), spec.split(":")
        # a range is one item: 08:00,09:00 is two clock times, not 08 to 09 by 00; nor is
        # one mapping or list ({monday: 1, friday: 2}), nor 08:00:30 on a clock field
        one_value = spec.strip()[:1] in ("[", "{") or (_is_clock(spec) and clock_field(path))
        values = _range(path, *parts) if len(parts) == 3 and len(items) == 1 and not one_value \
            else [parse_value(item.strip()) for item in items]
    else:  # (numpy's numbers and booleans, np.arange's, as Python's: written as JSON)
        values = [v.item() if type(v).__module__ == "numpy" else v for v in spec]
    if not values or any(v == "" for v in values):
        raise ValueError(f"{path}: --grid needs at least one value, got {spec!r}")
    seen: set[Any] = set()
    for value in values:  # a point twice is the same numbers twice (the same streams)
        key = _point_key(value)
        if key in seen:
            few = ", ".join(map(str, values[:6])) + (", ..." if len(values) > 6 else "")
            raise ValueError(f"{path}: {value} is given twice ({few})")
        seen.add(key)
    return values


def _point_key(value: Any) -> Any:
    """What a grid value runs as, hashable: :func:`run_value`, a mapping or list by its repr."""
    value = run_value(value)
    return value if _is_number(value) else repr(value)


def run_value(value: Any) -> Any:
    """What a grid value runs as: numbers and durations in seconds, whole ones as ``int``.

    ``1m`` is ``60``, ``4.0`` is ``4``; anything else is as it is.
    """
    if _is_number(value):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = parse_duration(value)
        except ValueError:
            return value
    else:
        return value
    return int(number) if number.is_integer() else number


def clock_field(path: str) -> bool:
    """Whether the dotted ``path`` names a clock time of a scenario.

    A field read by :func:`sim.units.parse_clock` (``open``, ``close``, a shift's
    ``start``), found by walking the scenario's model along the path.
    """
    node: Any = Scenario
    *keys, last = path_keys(path)
    for key in keys:
        node = _inner(node, key)
    model = next((t for t in _choices(node) if isinstance(t, type)
                  and issubclass(t, BaseModel) and last in t.model_fields), None)
    if model is None:
        return False
    field = model.model_fields[last]
    return any(getattr(m, "func", None) is parse_clock for m in field.metadata)


def _choices(node: Any) -> list[Any]:
    """The types ``node`` may be: the members of a union, ``Annotated`` unwrapped."""
    if get_origin(node) is Annotated:
        return _choices(get_args(node)[0])
    if get_origin(node) in (Union, types.UnionType):
        return [t for arg in get_args(node) for t in _choices(arg)]
    return [node]


def _inner(node: Any, key: str) -> Any:
    """The type at ``key`` inside ``node``: a model's field, a dict's value, a list's item."""
    for choice in _choices(node):
        if isinstance(choice, type) and issubclass(choice, BaseModel):
            if key in choice.model_fields:
                return choice.model_fields[key].annotation
        elif get_origin(choice) in (dict, Mapping):
            return get_args(choice)[1]
        elif get_origin(choice) in (list, tuple) and key.lstrip("-").isdigit():
            return get_args(choice)[0]
    return None


def _is_clock(text: str) -> bool:
    try:
        parse_clock(text.strip())
    except ValueError:
        return False
    return True


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets, so ``[1, 2],[3, 4]`` gives two lists."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{"
        depth -= char in "]}"
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    return [*items, current]


def _range(path: str, start: str, stop: str, step: str) -> list[Any]:
    """Inclusive range ``start..stop`` by ``step``; numbers or durations (seconds)."""
    raw = [parse_value(x.strip()) for x in (start, stop, step)]
    numbers = [x if _is_number(x) else None for x in raw]
    if None in numbers:
        try:
            numbers = [parse_duration(x) for x in raw]
        except ValueError:
            raise ValueError(f"{path}: a range a:b:step needs numbers or durations, got "
                             f"{start}:{stop}:{step}") from None
    if not all(math.isfinite(x) for x in numbers):
        raise ValueError(f"{path}: a range a:b:step needs finite numbers, got "
                         f"{start}:{stop}:{step}")
    a, b, s = numbers
    if s <= 0 or b < a:
        raise ValueError(f"{path}: a range a:b:step needs step > 0 and b >= a, got "
                         f"{start}:{stop}:{step}")
    steps = (b - a) / s + 1e-9
    count = math.floor(steps) + 1 if math.isfinite(steps) else math.inf
    reason = GRID_POINTS.problem(count)
    if reason is not None:  # before a single value is made: 1:1000000000:1 takes gigabytes
        raise ValueError(f"{path}: {start}:{stop}:{step} gives {format_count(count)} values: "
                         f"{reason}")
    if all(isinstance(x, int) for x in (a, b, s)):
        return [a + k * s for k in range(count)]
    return [_tidy(a + k * s) for k in range(count)]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _tidy(value: float) -> float | int:
    """Round off float noise (0.30000000000000004 -> 0.3); whole seconds become ints."""
    value = round(value, 10)
    return int(value) if value == int(value) else value


def size_problem(sizes: Sequence[int]) -> str | None:
    """Why a grid with parameters of these sizes has too many points, or None."""
    points = math.prod(sizes)
    reason = GRID_POINTS.problem(points)
    if reason is None:
        return None
    return f"{' x '.join(f'{n:,}' for n in sizes)} = {points:,} points: {reason}"


@dataclass(frozen=True)
class Grid:
    """The parameters of a sweep, in order; points are their Cartesian product.

    The first parameter varies slowest: point 0 has every first value, the last point
    every last value.
    """

    parameters: tuple[tuple[str, tuple[Any, ...]], ...]

    @classmethod
    def from_spec(cls, spec: GridSpec | Grid) -> Grid:
        """Build from ``{path: values}`` (values as a list or in the ``--grid`` syntax)."""
        if isinstance(spec, Grid):
            return spec
        if not spec:
            raise ValueError("a sweep needs at least one grid parameter")
        grid = cls(tuple((path, tuple(grid_values(path, values)))
                         for path, values in spec.items()))
        reason = size_problem([len(values) for _, values in grid.parameters])
        if reason is not None:
            raise ValueError(reason)
        return grid

    @property
    def paths(self) -> list[str]:
        """The dotted paths, in order."""
        return [path for path, _ in self.parameters]

    def points(self) -> list[dict[str, Any]]:
        """Every combination of values, as ``{path: value}``, first parameter slowest."""
        values = [vals for _, vals in self.parameters]
        return [dict(zip(self.paths, combo)) for combo in itertools.product(*values)]

    def labels(self, path: str) -> dict[Any, Any]:
        """Value -> how it appears in the table: numbers as they are, anything else as text."""
        values = dict(self.parameters)[path]
        if all(_is_number(v) for v in values):
            return {repr(v): v for v in values}
        return {repr(v): str(v) for v in values}


@dataclass(frozen=True, eq=False)
class GridPoints:
    """The validated scenario of every point of a grid, and what they were made from.

    Made by :func:`point_scenarios` (which keeps the grid's order), and given to
    :func:`sim.sweep.run_sweep` by a caller that needed the points before the sweep
    (``ccsim sweep`` checks each one's size): the sweep then runs them as they are, and
    refuses them for another grid or scenario.

    Attributes:
        base: The scenario the points were made from.
        grid: The grid, in the order of its points.
        scenarios: The scenario of each point, in the grid's order.
    """

    base: Scenario
    grid: Grid
    scenarios: tuple[Scenario, ...]

    def __post_init__(self) -> None:
        points = math.prod(len(values) for _, values in self.grid.parameters)
        if len(self.scenarios) != points:
            raise ValueError(f"{points:,} points need {points:,} scenarios, got "
                             f"{len(self.scenarios):,}")


def point_scenarios(base: Scenario, grid: Grid, source: str | None = None) -> GridPoints:
    """Validate every point of the grid before any work starts.

    A point is ``base`` without its ``variants`` (no sweep runs them), the grid's values
    applied.

    Raises:
        ScenarioError: With one line per distinct problem (path and reason), if any point
            is invalid.
    """
    scenarios, problems = [], []
    # a point runs no variant (ccsim compare does): nor is it refused for one it undoes
    plain = base.model_copy(update={"variants": {}}) if base.variants else base
    for point in grid.points():
        try:
            scenarios.append(with_overrides(plain, point, source=source, option="--grid"))
        except ScenarioError as exc:
            problems += [p for p in exc.problems if p not in problems]
    if problems:
        raise ScenarioError(source or base.name, problems)
    return GridPoints(base, grid, tuple(scenarios))
