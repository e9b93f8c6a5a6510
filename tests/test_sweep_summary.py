"""The sweep summary (sim.sweep.summarize) against its definition, on random tables.

The definition (README, ``sweep_summary.csv``): one row per point, in point order: the
point, its grid values, ``replications`` (its rows), and for each KPI the table has, in
the registry's order, the mean over the replications that have it (NaN if none) and
``<kpi>_ci``, the 95% Student-t half-width of that mean (NaN for fewer than two).
"""

import math
from functools import cache

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from sim.metrics import COST_KPIS, KPIS
from sim.sweep_summary import summarize


@cache
def t_quantile(df: int) -> float:
    return float(stats.t.ppf(0.975, df))


def reference(table: pd.DataFrame, paths: list[str]) -> pd.DataFrame:
    """The summary as defined, one point at a time in plain Python (the parity reference)."""
    records = table.to_dict("records")
    kpis = [k for k in KPIS + COST_KPIS if k in table.columns]
    rows = []
    for point in sorted({r["point"] for r in records}):
        group = [r for r in records if r["point"] == point]  # its rows, in the table's order
        row = {"point": point, **{p: group[0][p] for p in paths}, "replications": len(group)}
        for kpi in kpis:
            have = [r[kpi] for r in group if not math.isnan(r[kpi])]
            n = len(have)
            mean = math.fsum(have) / n if n else math.nan
            row[kpi] = mean
            row[f"{kpi}_ci"] = (t_quantile(n - 1) * math.sqrt(
                math.fsum((v - mean) ** 2 for v in have) / (n - 1)) / math.sqrt(n)
                if n >= 2 else math.nan)
        rows.append(row)
    return pd.DataFrame(rows)


GRID_VALUES = {  # what a grid column holds (sim.sweep.sweep_table): numbers, or all text
    "int": st.integers(-5, 200),
    "float": st.floats(0, 1e4, allow_nan=False).map(lambda v: round(v, 3)),
    "int_or_float": st.one_of(st.integers(0, 50), st.sampled_from([0.5, 2.25, 1e3])),
    "text": st.sampled_from(["3m", "1m", "10m", "90s", "1h", "longest_idle", "x"]),
}
KPI_KINDS = ("count", "share", "money", "missing", "some_missing")


def kpi_column(rng: np.random.Generator, kind: str, size: int) -> np.ndarray:
    """A KPI's values: counts, shares, money (either sign), none, or some missing."""
    if kind == "count":
        return rng.integers(0, 20_000, size).astype(float)
    if kind == "share":
        return rng.random(size)
    if kind == "money":
        return rng.normal(0, 1e6, size) * 10.0 ** rng.integers(-6, 1, size)
    if kind == "missing":  # e.g. the ASA of a point where no contact was answered
        return np.full(size, np.nan)
    return np.where(rng.random(size) < 0.4, np.nan, rng.normal(30, 20, size))


@st.composite
def sweep_tables(draw):
    """A per-replication table: 1-3 grid columns, 1-12 points of 1-5 rows, NaNs in KPIs."""
    kinds = draw(st.lists(st.sampled_from(sorted(GRID_VALUES)), min_size=1, max_size=3))
    paths = [f"param{i}.{kind}" for i, kind in enumerate(kinds)]
    points = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=12, unique=True))
    sizes = draw(st.lists(st.integers(1, 5), min_size=len(points), max_size=len(points)))
    kpis = draw(st.one_of(  # a scenario's (no money KPIs without costs), or a few
        st.sampled_from([KPIS, KPIS + COST_KPIS]),
        st.lists(st.sampled_from(KPIS + COST_KPIS), min_size=1, max_size=8, unique=True)))
    values = {p: [draw(GRID_VALUES[kind]) for _ in points] for p, kind in zip(paths, kinds)}
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = sum(sizes)
    table = pd.DataFrame({  # KPIs drawn by numpy: a few thousand values per table
        "point": np.repeat(points, sizes),
        **{p: [v for v, n in zip(vals, sizes) for _ in range(n)] for p, vals in values.items()},
        "replication": [r for n in sizes for r in range(n)], "seed": 7,
        **{kpi: kpi_column(rng, draw(st.sampled_from(KPI_KINDS)), size) for kpi in kpis}})
    if draw(st.booleans()):  # as the sweep builds it; otherwise in any row order
        table = table.sort_values(["point", "replication"], ignore_index=True)
    else:
        table = table.iloc[draw(st.permutations(range(len(table))))].reset_index(drop=True)
    return table, paths


@settings(max_examples=100, deadline=None)
@given(sweep_tables())
def test_summary_equals_its_definition(drawn):
    """Same columns, order, dtypes, grid values and counts; means and half-widths to 1e-12."""
    table, paths = drawn
    got, wanted = summarize(table, paths), reference(table, paths)
    assert list(got.columns) == list(wanted.columns)
    assert dict(got.dtypes) == dict(wanted.dtypes)
    exact = ["point", *paths, "replications"]
    pd.testing.assert_frame_equal(got[exact], wanted[exact], check_exact=True)
    kpis = list(got.columns[len(exact):])
    scale = 1.0 + table[[k.removesuffix("_ci") for k in kpis]].abs().max().fillna(0.0).to_numpy()
    got, wanted = got[kpis].to_numpy(), wanted[kpis].to_numpy()
    near = np.isclose(got, wanted, rtol=1e-12, atol=0) | (np.abs(got - wanted) <= 1e-12 * scale)
    same = near | (np.isnan(got) & np.isnan(wanted))
    assert same.all(), [kpis[c] for c in np.flatnonzero(~same.all(axis=0))]

def test_one_replication_and_missing_values_give_nan():
    """One replication: no half-width; a KPI no replication has: no mean either."""
    table = pd.DataFrame({"point": [0, 1, 1], "staff": [40, 41, 41], "replication": [0, 0, 1],
                          "seed": 1, "asa": [12.0, math.nan, 9.0],
                          "service_level": [math.nan, math.nan, math.nan]})
    got = summarize(table, ["staff"])
    assert list(got.columns) == ["point", "staff", "replications", "asa", "asa_ci",
                                 "service_level", "service_level_ci"]  # the registry's order
    assert got["replications"].tolist() == [1, 2]
    assert got["asa"].tolist() == [12.0, 9.0]
    assert got[["service_level", "service_level_ci", "asa_ci"]].isna().all().all()


def test_empty_table_gives_an_empty_summary():
    """No rows, no points: an empty frame (as the sweep always gave)."""
    table = pd.DataFrame(columns=["point", "staff", "replication", "seed", *KPIS])
    assert summarize(table, ["staff"]).empty
