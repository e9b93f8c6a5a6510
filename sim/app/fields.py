"""How the page reads what was typed in a field: one rule for every control.

The page sends each field as typed (text) and scripts send JSON numbers; both are read
here, so every field refuses the same things with the same words (a decimal comma is
named as one: "12,5" is not 12.5 on the server, whatever the browser's language).
"""

from __future__ import annotations

import math
from typing import Any

from sim.units import parse_number

Problems = list[tuple[str, str]]


def shown(value: Any, most: int = 60) -> str:
    """A value as Python writes it, cut to ``most`` characters (a posted list may be long)."""
    text = repr(value)
    return text if len(text) <= most else text[:most - 3] + "..."


def read_number(name: str, value: Any, problems: Problems, whole: bool = False,
                optional: bool = False) -> Any:
    """``value`` as a finite number (an int if ``whole``), or None with the problem appended.

    Args:
        name: The field, as the message names it (``agents.pool``, ``self_service.simple``).
        value: As sent: a JSON number or the text typed.
        problems: Where the problem (name, reason) is appended.
        whole: Refuse a number with a fraction.
        optional: '' and None are None, not a problem (an empty "never" field).
    """
    if optional and (value is None or value == ""):
        return None
    try:  # typed text as a person writes a number (not '1_0', full-width digits, 'nan')
        got = parse_number(value) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        got = math.nan
    if not math.isfinite(got) or (whole and got != int(got)) or isinstance(value, bool):
        rule = "a whole number" if whole else "a number"
        if isinstance(value, str) and "," in value:  # a decimal comma, a thousands one
            rule += " with no comma (12.5, 1000)"
        problems.append((name, f"must be {rule}, got {shown(value)}"))
        return None
    return int(got) if whole else got
