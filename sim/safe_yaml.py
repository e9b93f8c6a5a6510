"""Safe YAML: scenario text read with hard bounds and without YAML 1.1's surprises.

A scenario file is untrusted input, like a parcel at a mail room: it is weighed (at most
:data:`MAX_BYTES`), checked to be text (UTF-8), and X-rayed before it is opened (the
parser's event stream is scanned for nesting deeper than :data:`MAX_DEPTH` and for
aliases that would expand to more than :data:`MAX_ALIAS_VALUES` values, a "billion
laughs"), all before a single Python object is built. Then it is read with a strict
schema, close to YAML 1.2's core schema:

- ``true``/``false`` are booleans; ``yes``, ``no``, ``on``, ``off`` are plain words;
- numbers are decimal (``010`` is ten, not octal eight; ``0x1F`` hex is kept), floats
  may have exponents (``1e3``); ``1:2:3:4`` or ``20:00`` are text, never YAML 1.1's
  base-60 numbers (so clock times like ``close: 20:00`` arrive as ``"20:00"``);
- no dates (``2026-01-01`` is text);
- a key given twice in one mapping is an error naming both lines;
- an integer of more than :data:`MAX_INT_DIGITS` digits is an error.

Only :mod:`sim.loader` uses this module; every problem is a :class:`YamlError` whose
text is one line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    ScalarEvent,
)
from yaml.nodes import MappingNode, ScalarNode
from yaml.resolver import Resolver

MAX_BYTES = 10 * 1024 * 1024
"""Largest scenario file read (10 MiB; the bundled ones are under 10 kB)."""
MAX_DEPTH = 50
"""Deepest nesting of lists and mappings (a scenario needs about 6)."""
MAX_ALIAS_VALUES = 1_000_000
"""Most values that aliases (``*name``) may add to a document by repeating anchors."""
MAX_INT_DIGITS = 100
"""Longest integer literal, in digits."""


class YamlError(ValueError):
    """Why a YAML text was refused, in one line (with the line number where known)."""


class _RefusedError(ConstructorError):
    """A value this module refuses; its ``problem`` already says where."""


class _CoreResolver(Resolver):
    """YAML 1.2 core-schema scalars: no yes/no booleans, base-60 numbers, octal or dates."""

    yaml_implicit_resolvers: dict[str, list[Any]] = {}  # noqa: RUF012 (PyYAML's own shape)


_RESOLVERS = [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$",
     "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
]
for _tag, _pattern, _first in _RESOLVERS:
    _CoreResolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class _StrictConstructor(SafeConstructor):
    """SafeConstructor that refuses duplicate keys and integers too long to be meant."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                continue  # merged keys (<<) may be overridden; other keys PyYAML checks
            key, line = self.construct_object(key_node), key_node.start_mark.line + 1
            if key in seen:
                raise _RefusedError(None, None, f"duplicate key {key!r} on lines {seen[key]} and "
                               f"{line}", key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        digits = sum(c.isalnum() for c in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise _RefusedError(None, None, f"an integer of {digits} digits at line "
                           f"{node.start_mark.line + 1} is too long (at most {MAX_INT_DIGITS})",
                           node.start_mark)
        return int(str(node.value).replace("_", ""), 0 if "x" in str(node.value) else 10)


_StrictConstructor.add_constructor("tag:yaml.org,2002:int", _StrictConstructor.construct_yaml_int)

if yaml.__with_libyaml__:  # the C parser: about ten times faster on big files
    from yaml.cyaml import CParser as _Parser

    class _Loader(_Parser, _StrictConstructor, _CoreResolver):
        def __init__(self, stream: str):
            _Parser.__init__(self, stream)
            _StrictConstructor.__init__(self)
            _CoreResolver.__init__(self)
else:  # pragma: no cover - PyYAML built without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Loader(Reader, Scanner, Parser, Composer, _StrictConstructor, _CoreResolver):
        def __init__(self, stream: str):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            _StrictConstructor.__init__(self)
            _CoreResolver.__init__(self)


def read_text(path: str | Path) -> str:
    """The text of a file of at most :data:`MAX_BYTES` bytes, decoded as UTF-8.

    Raises:
        OSError: If the file cannot be read.
        YamlError: If it is too big or not UTF-8 text.
    """
    with open(path, "rb") as file:  # read at most one byte too many: /dev/zero is a file too
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise YamlError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB; a "
                          "scenario is a few kB (long per-interval tables: a few MB)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise YamlError(f"not UTF-8 text: byte 0x{data[exc.start]:02x} at offset "
                          f"{exc.start} (line {line}) cannot be decoded; save the file as "
                          "UTF-8") from None


def load(text: str) -> Any:
    """The value of one YAML document, read safely (see the module docstring).

    Raises:
        YamlError: If the text is not YAML, too deep, an alias bomb, has a duplicate key
            or an absurdly long integer; the message is one line.
    """
    try:
        _check_shape(text)
        return yaml.load(text, Loader=_Loader)  # _Loader builds plain data only
    except _RefusedError as exc:
        raise YamlError(exc.problem) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = exc.problem or exc.context or "invalid YAML"
        if exc.context and not exc.context.startswith("while"):  # "expected a single document"
            reason = f"{exc.context}, {reason}"
        elif exc.context and exc.context_mark and mark and exc.context_mark.line != mark.line:
            reason += f" ({exc.context} from line {exc.context_mark.line + 1})"
        raise YamlError(f"YAML syntax error{where}: {reason}") from None
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise YamlError(f"YAML syntax error: character #x{code:02x} at position "
                          f"{exc.position} is not allowed in YAML text") from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML syntax error: {str(exc).splitlines()[0]}") from None


def _check_shape(text: str) -> None:
    """Refuse deep nesting and alias bombs from the event stream, before building anything.

    Every collection's size (values in it, aliases expanded) and height are counted as
    its events go by; an alias adds the size of the value it repeats.
    """
    open_: list[list[Any]] = []  # per open collection: [anchor, size, height of children]
    done: dict[str, tuple[int, int]] = {}  # anchor -> (size, height)
    aliased = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 if event.start_mark else "?"
        if isinstance(event, CollectionStartEvent):
            if len(open_) >= MAX_DEPTH:
                raise YamlError(f"nested more than {MAX_DEPTH} levels deep at line {line}")
            open_.append([event.anchor, 1, 0])
            continue
        if isinstance(event, CollectionEndEvent):
            anchor, size, height = open_.pop()
            height += 1
        elif isinstance(event, ScalarEvent):
            anchor, size, height = event.anchor, 1, 0
        elif isinstance(event, AliasEvent):
            if any(event.anchor == o[0] for o in open_):
                raise YamlError(f"alias *{event.anchor} at line {line} is inside the value "
                                  "it repeats (a value cannot contain itself)")
            if event.anchor not in done:
                raise YamlError(f"alias *{event.anchor} at line {line}: no anchor "
                                  f"&{event.anchor} before it")
            size, height = done[event.anchor]
            aliased += size
            if aliased > MAX_ALIAS_VALUES:
                raise YamlError(f"aliases expand to more than {MAX_ALIAS_VALUES:,} values "
                                  f"(at line {line}); write the values out, or use fewer "
                                  "aliases")
            if len(open_) + height > MAX_DEPTH:
                raise YamlError(f"alias *{event.anchor} at line {line} nests values more "
                                  f"than {MAX_DEPTH} levels deep")
            anchor = None
        else:
            continue
        if anchor is not None:
            done[anchor] = (size, height)
        if open_:
            open_[-1][1] += size
            open_[-1][2] = max(open_[-1][2], height)
