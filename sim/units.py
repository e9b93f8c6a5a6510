"""Units: durations, rates and clock times as people write them in scenario files.

Inside ccsim every time is a float number of seconds and every rate is per second.
Scenario files may write a bare number (seconds, or per second for rates) or a string
with a unit: durations ``"30s"``, ``"4m"``, ``"1.5h"``, ``"2d"``; rates ``"600/h"``,
``"10/m"``, ``"14400/d"`` (units may also be spelt ``sec``, ``min``, ``mins``, ``hr``,
``hrs``, ``hours``, ``days``...: ``"4min"``, ``"600/hr"``); clock times ``"08:00"`` or
``"08:30:15"`` (``"24:00"`` is the end of the day). The annotated types at the bottom plug
these parsers into pydantic, with plain numbers (:data:`Number`, :data:`Count`) that refuse
booleans and infinities.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

SECONDS_PER_UNIT = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
DAY = 86400.0

# The spellings people type for each unit (any case): "30sec", "4 mins", "2hrs", "600/hour".
_SPELLINGS = {
    "s": ("s", "sec", "secs", "second", "seconds"),
    "m": ("m", "min", "mins", "minute", "minutes"),
    "h": ("h", "hr", "hrs", "hour", "hours"),
    "d": ("d", "day", "days"),
}
_UNIT_OF = {spelling: unit for unit, names in _SPELLINGS.items() for spelling in names}
_UNIT = "|".join(sorted(_UNIT_OF, key=len, reverse=True))

# one way to read each number (not \d+\.?\d*, which tries every split of a run of
# digits: quadratic, minutes for a long one)
_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"  # (ASCII digits: not ４)
# matched against the stripped text: \s* on both sides of an optional unit is quadratic too
_DURATION_RE = re.compile(rf"({_NUMBER})\s*({_UNIT})?", re.IGNORECASE)
_RATE_RE = re.compile(rf"({_NUMBER})\s*/\s*({_UNIT})", re.IGNORECASE)
_CLOCK_RE = re.compile(r"^\s*([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\s*$")
_NUMBER_RE = re.compile(_NUMBER, re.ASCII)


_DURATION_HELP = "expected a duration like 30s, 4m, 1.5h or 2d"
_RATE_HELP = "expected a rate like 600/h, 10/m or 14400/d"


def quoted(value: Any) -> str:
    """A value as a message quotes it: its repr, cut at 60 characters (a pasted block)."""
    text = repr(value)
    if len(text) <= 60:
        return text
    size = f" ({len(value):,} characters)" if isinstance(value, str) else ""
    return text[:57] + "..." + size


def _seconds_per(spelling: str) -> float:
    return SECONDS_PER_UNIT[_UNIT_OF[spelling.lower()]]


def _finite(value: float, help_text: str, raw: object) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{help_text}, got {quoted(raw)}")
    return value


def parse_duration(value: object) -> float:
    """Parse a duration into seconds.

    Args:
        value: A number of seconds or a string such as ``"45s"``, ``"4m"``, ``"1.5h"``, ``"2d"``.

    Returns:
        The duration in seconds.

    Raises:
        ValueError: If the value is not a duration.
    """
    if isinstance(value, bool):
        raise ValueError(f"{_DURATION_HELP}, got {quoted(value)}")
    if isinstance(value, (int, float)):
        return _finite(float(value), _DURATION_HELP, value)
    if isinstance(value, str):
        match = _DURATION_RE.fullmatch(value.strip())
        if match:
            number, unit = match.groups()
            seconds = float(number) * _seconds_per(unit or "s")
            return _finite(seconds, _DURATION_HELP, value)
    raise ValueError(f"{_DURATION_HELP}, got {quoted(value)}")


def parse_rate(value: object) -> float:
    """Parse a rate into events per second.

    Args:
        value: A number per second or a string such as ``"600/h"``, ``"10/m"``, ``"14400/d"``.

    Returns:
        The rate per second.

    Raises:
        ValueError: If the value is not a rate.
    """
    if isinstance(value, bool):
        raise ValueError(f"{_RATE_HELP}, got {quoted(value)}")
    if isinstance(value, (int, float)):
        return _finite(float(value), _RATE_HELP, value)
    if isinstance(value, str):
        match = _RATE_RE.fullmatch(value.strip())
        if match:
            number, unit = match.groups()
            return _finite(float(number) / _seconds_per(unit), _RATE_HELP, value)
    raise ValueError(f"{_RATE_HELP}, got {quoted(value)}")


def parse_number(text: str) -> float:
    """A number typed as people write one: ``2``, ``-0.5``, ``.5``, ``1e-3``.

    ``float`` also takes ``1_0`` (10), full-width digits, ``infinity`` and ``nan``, none of
    which a person writes for a number: they are refused here.

    Raises:
        ValueError: If the text is not such a number (the caller words the message).
    """
    if not _NUMBER_RE.fullmatch(text.strip()):
        raise ValueError(f"not a number: {quoted(text)}")
    return float(text)


def parse_clock(value: object) -> float:
    """Parse a clock time of day into seconds after midnight.

    Args:
        value: ``"HH:MM"`` or ``"HH:MM:SS"`` (``"24:00"`` allowed), or seconds after midnight.

    Returns:
        Seconds after midnight, in ``[0, 86400]``.

    Raises:
        ValueError: If the value is not a clock time of one day.
    """
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        match = _CLOCK_RE.match(value)
        if match:
            hours, minutes, secs = (int(g) if g else 0 for g in match.groups())
            if minutes < 60 and secs < 60:
                seconds = hours * 3600.0 + minutes * 60.0 + secs
    if seconds is None or not 0.0 <= seconds <= DAY:
        raise ValueError("expected a clock time from 00:00 to 24:00 like '08:30', got "
                         f"{quoted(value)}")
    return seconds


def _number(value: object) -> object:
    """Refuse what pydantic would quietly take as a number: booleans, infinities, NaN."""
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {quoted(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"must be a finite number, got {quoted(value)}")
    return value


def format_duration(seconds: float) -> str:
    """Format seconds the way people read them: ``"45s"``, ``"4m"``, ``"1.5h"``."""
    for unit, size in (("d", DAY), ("h", 3600.0), ("m", 60.0)):
        value = seconds / size
        if abs(value) >= 1.0 and round(value, 2) == value:
            return f"{value:g}{unit}"
    return f"{seconds:g}s"


def format_clock(seconds: float) -> str:
    """Format seconds after midnight of some day as ``"HH:MM"``."""
    minutes = round(seconds / 60.0) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def format_clock_exact(seconds: float) -> str:
    """Like :func:`format_clock`, with the seconds where the time is not a whole minute.

    ``"08:07:30"`` for 29,250 s: a shift written for a scenario to read back must start
    where it was planned (an interval of 450 s starts at 08:07:30, not 08:08).
    """
    whole = round(seconds) % round(DAY)
    if whole % 60:
        return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    return format_clock(whole)


def format_clock_until(seconds: float) -> str:
    """The end of a span within one day: :func:`format_clock_exact`, but ``24:00`` at its end.

    A shift or interval that ends as the day does ends at 24:00, as ``close: "24:00"``
    says, not at 00:00 (which reads as crossing midnight).
    """
    return "24:00" if seconds >= DAY else format_clock_exact(seconds)


def opening_hours(open_s: float, close_s: float) -> str:
    """``"08:00-20:00"``: opening hours as a scenario gives them, to the second (24:00 at DAY)."""
    return f"{format_clock_exact(open_s)}-{format_clock_until(close_s)}"


def format_list(items: list[str]) -> str:
    """Items as a sentence lists them: ``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def counted(count: int, noun: str) -> str:
    """``1 agent``, ``15 agents``: the count and its noun, plural unless the count is 1."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A duration in seconds, written as a number or with a unit."""

Rate = Annotated[float, BeforeValidator(parse_rate)]
"""A rate per second, written as a number or like ``600/h``."""

Clock = Annotated[float, BeforeValidator(parse_clock)]
"""A clock time as seconds after midnight, written like ``"08:00"``."""

Number = Annotated[float, BeforeValidator(_number)]
"""A finite number; ``true`` is not 1.0."""

Count = Annotated[int, BeforeValidator(_number)]
"""A whole number; ``true`` is not 1."""
