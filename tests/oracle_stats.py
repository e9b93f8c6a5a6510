"""Textbook statistics for the oracle tests of the numbers users read (no ccsim arithmetic).

The 95% half-width of a mean as the README states it, ``t(0.975, n - 1) * s / sqrt(n)``
(``s`` from :func:`statistics.stdev`, ``t`` checked against a printed t table), how a
printed ``± ...`` is read back, the small scenario the oracle tests run, and the servers
Erlang C needs (the Erlang B recursion and the waiting-time tail, written out here).
"""

from __future__ import annotations

import json
import math
import re
import statistics
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

# t(0.975, df) from a printed t table (3 decimals), to check the oracle's quantiles against
PRINTED_T = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 9: 2.262, 10: 2.228,
             12: 2.179, 19: 2.093, 29: 2.045}

SCENARIO = {
    "name": "oracle", "seed": 3, "days": 1, "open": "08:00", "close": "12:00",
    "interval": "1h", "service_level": {"threshold": "20s", "target": 0.8},
    "contact_types": {"calls": {"arrivals": {"rate": "120/h"},
                                "handle": {"dist": "exponential", "mean": "4m"},
                                "patience": {"dist": "exponential", "mean": "5m"}}},
    "agents": {"pool": {"skills": ["calls"], "staff": 9}},
    "variants": {"plus_one": {"agents.pool.staff": 10}},
}
R = 5  # replications: small, so that t(0.975, 4) = 2.776 is far from the normal 1.96


def t975(df: int) -> float:
    """t(0.975, df), agreeing with the printed table where it has the row."""
    t = float(stats.t.ppf(0.975, df))
    if df in PRINTED_T:
        assert round(t, 3) == PRINTED_T[df]
    return t


def oracle_half_width(values) -> float:
    """95% half-width of the mean of the finite values (NaN with fewer than two)."""
    finite = [float(v) for v in values if not math.isnan(float(v))]
    if len(finite) < 2:
        return math.nan
    return t975(len(finite) - 1) * statistics.stdev(finite) / math.sqrt(len(finite))


def oracle_half_widths(table: pd.DataFrame) -> dict[str, float]:
    """KPI -> half-width, from a table with one row per replication and a column per KPI."""
    return {k: oracle_half_width(table[k]) for k in table.columns
            if k not in ("replication", "point", "seed")}


def mean(values) -> float:
    """Mean of the finite values (NaN without any)."""
    finite = [float(v) for v in values if not math.isnan(float(v))]
    return statistics.fmean(finite) if finite else math.nan


def assert_close(got: float | None, want: float, what: str) -> None:
    got = math.nan if got is None else got  # (JSON's null)
    assert (math.isnan(got) and math.isnan(want)) or got == pytest.approx(
        want, rel=1e-9, abs=1e-12), f"{what}: {got} != {want}"


def assert_printed(text: str, want: float, what: str) -> None:
    """A printed ``± 1.23 pts``, ``± 4.5 s`` or ``± 6`` shows ``want`` (shares in points)."""
    match = re.search(r"± ([-+]?[\d,]*\.?\d+)( pts)?", text)
    assert match, f"{what}: no half-width in {text!r}"
    number = match.group(1).replace(",", "")
    decimals = len(number.split(".")[1]) if "." in number else 0
    scale = 100.0 if match.group(2) else 1.0
    assert abs(float(number) - scale * want) <= 0.5 * 10.0 ** -decimals + 1e-9, \
        f"{what}: printed {text!r}, the half-width is {scale * want}"


def write_scenario(folder: Path) -> Path:
    """The oracle scenario as a file in ``folder``."""
    path = folder / "oracle.yaml"
    path.write_text(json.dumps(SCENARIO))
    return path


def printed_rows(output: str, kpis) -> dict[str, str]:
    """KPI -> its line of a printed KPI table (the first line that starts with it)."""
    rows = {}
    for line in output.splitlines():
        words = line.split()
        if words and words[0] in kpis and words[0] not in rows:
            rows[words[0]] = line
    return rows


def erlang_c_level(servers: int, load: float, aht: float, threshold: float) -> float:
    """Erlang C: P(wait <= threshold) for ``servers`` servers and ``load`` Erlangs."""
    if servers <= load:
        return 0.0
    b = 1.0
    for k in range(1, servers + 1):  # Erlang B by its recursion
        b = load * b / (k + load * b)
    c = servers * b / (servers - load * (1 - b))
    return 1 - c * math.exp(-(servers - load) * threshold / aht)


def erlang_c_servers(rate: float, aht: float, target: float, threshold: float) -> int:
    """Fewest Erlang C servers whose P(wait <= threshold) reaches ``target``."""
    return next(n for n in range(1, 100_000)
                if erlang_c_level(n, rate * aht, aht, threshold) >= target)
