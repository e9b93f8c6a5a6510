"""Overrides: change one field of a scenario by its dotted path, as ``--set`` does.

``agents.pool.staff=44`` is the form used by ``--set``, sweeps and a scenario's
``variants``; a list item may be written as errors print it (``x.staff[3]``). Values are
read as YAML scalars, so ``44`` is a number and ``5m`` a duration. Overrides change the
scenario's raw fields before validation (:mod:`sim.loader` validates the result).
"""

from __future__ import annotations

import copy
import difflib
import re
from typing import Any

from sim import safe_yaml


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
        return safe_yaml.load(raw) if raw else raw
    except safe_yaml.YamlError:
        return raw


def path_keys(dotted: str) -> list[str]:
    """The keys of a dotted path, a list item written ``x.staff[3]`` as ``x.staff.3``."""
    return re.sub(r"\[(-?\d+)\]", r".\1", dotted).split(".")


def apply_override(data: dict[str, Any], dotted: str, value: Any,
                   option: str | None = "--set") -> None:
    """Set ``value`` at a dotted path (``agents.pool.staff``, ``x.staff.3``) in place.

    A list item may also be written as errors print it (``x.staff[3]``), so a path from
    an error message can be pasted into ``--set`` as it is.

    Intermediate mappings must exist, except that a missing last-but-one mapping is
    created (``contact_types.calls.patience.mean`` on a type without patience), but
    never a contact type, agent group or rule, nor a list (:func:`_missing`). Unknown
    leaf names are left for validation to report, with a suggestion. A section the
    scenario lacks is to be given whole: the error says how, by ``option``, the option
    the override came from (``--grid``), or None for a scenario file's ``variants`` entry.

    Raises:
        ValueError: If the path runs through something that is not a mapping or list.
    """
    keys = path_keys(dotted)
    if not all(keys) or any(c in key for key in keys for c in "[]"):
        raise ValueError(f"{dotted!r} is not a path: give names joined by dots, a list item "
                         "by its index (agents.pool.staff=44, agents.pool.staff[3]=10)")
    node: Any = data
    for depth, key in enumerate(keys[:-1]):
        if isinstance(node, list):
            node = node[_index(node, key, keys[: depth + 1])]
        elif isinstance(node, dict):
            if key not in node or node[key] is None:
                node[key] = _missing(data, node, keys, depth, option)
            node = node[key]
        else:
            raise ValueError(f"{'.'.join(keys[:depth])!r} is a value, not a section")
    last = keys[-1]
    # a copy: a later path inside this one (a grid's agents.pool, then agents.pool.staff)
    # would otherwise write into the caller's value, shared by every point of a sweep
    value = copy.deepcopy(parse_value(value))
    if isinstance(node, list):
        node[_index(node, last, keys)] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise ValueError(f"{'.'.join(keys[:-1])!r} is a value, not a section")


# sections keyed by the user's names: path -> what a name there names, and the section
# that holds those names. A path through a name the scenario lacks is a slip, reported
# with the names there are; a new group is given whole (agents.extra={...}), as its
# required fields cannot be set one by one
_NAMED = {"contact_types": ("contact type", "contact_types"),
          "agents": ("agent group", "agents"), "rules": ("rule", "rules"),
          "costs.agents": ("agent group", "agents"), "routing": ("contact type", "contact_types")}


def _missing(data: dict[str, Any], node: dict[Any, Any], keys: list[str], depth: int,
             option: str | None) -> dict[str, Any]:
    """The mapping to make for ``keys[depth]``, missing from ``node``; else why it is not made.

    Only a last-but-one mapping is made (``contact_types.calls.patience`` for its
    ``mean``), never a name (:data:`_NAMED`) nor a list (``routing.calls.0``).

    Raises:
        ValueError: The path names something the scenario lacks, to be given whole.
    """
    key, section = keys[depth], ".".join(keys[: depth + 1])
    named = _NAMED.get(".".join(keys[:depth]))
    if named:
        noun, holder = named
        names = data.get(holder) if isinstance(data.get(holder), dict) else node
        if key not in names:
            raise ValueError(_no_such_name(names, noun, keys[: depth + 1], option))
    following = keys[depth + 1]
    listed = following.isascii() and following.isdigit()  # an item of a list: not a mapping
    if depth < len(keys) - 2 or listed:
        close = [] if key in node or named else difflib.get_close_matches(  # (in: None)
            key, [str(k) for k in node], n=1)
        given = "[...]" if listed else "{...}"
        whole = (f"{option} '{section}={given}'" if option else
                 f"{section}: {given} in the variant")
        mean = (f" (did you mean {close[0]!r}?)" if close else
                f": set the section whole, as {whole}")
        raise ValueError(f"{section!r} is not in the scenario{mean}")
    return {}


def _no_such_name(names: dict[Any, Any], noun: str, keys: list[str], option: str | None) -> str:
    """``no agent group 'typo' (known: a, b; ...)``: what a path names that is not there."""
    known = [str(k) for k in names]
    close = difflib.get_close_matches(keys[-1], known, n=1)
    if close:
        return f"no {noun} {keys[-1]!r} (did you mean {close[0]!r}?)"
    section = ".".join(keys)
    whole = f"{option} '{section}={{...}}'" if option else f"{section}: {{...}} in the variant"
    return f"no {noun} {keys[-1]!r} (known: {', '.join(known) or 'none'}; a new one is given " \
           f"whole, as {whole})"


def _index(node: list[Any], key: str, keys: list[str]) -> int:
    if not (key.isascii() and key.isdigit()) or not int(key) < len(node):
        raise ValueError(f"{'.'.join(keys)!r}: no item {key} in a list of {len(node)} "
                         "(items count from 0)")
    return int(key)
