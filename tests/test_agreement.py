"""Agreement: one quantity, reported in several places, is the same everywhere (tiers 5, 6).

On random small scenarios (:mod:`strategies`), the numbers of a run must agree across its
outputs: the summary KPIs with the contacts table counted by hand (pandas, not the
metrics code), with the sums over contact types and agent groups, and with the interval
table (its ``all`` rows and each type's, summed over the intervals; its ratios, pooled
over the day, with the KPIs of a single replication); and what ``ccsim report`` reads
back from a results folder with what the run had, whichever replications kept contacts.
``CCSIM_EXAMPLES=200`` hunts longer.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, example, given, note, reject, settings
from hypothesis import strategies as st
from strategies import scenarios

import sim
from sim.engine import SimulationError
from sim.results_folder import read_run, write_run
from sim.units import DAY

SETTINGS = settings(max_examples=int(os.environ.get("CCSIM_EXAMPLES", "15")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
SEEDS = st.integers(0, 10_000)
COUNTS = ("offered", "answered", "abandoned", "blocked", "balked", "hung_up", "unanswered",
          "retrials", "callbacks", "complaints")
# the outcomes of contacts an agent answered (README, contacts.parquet)
ANSWERED_OUTCOMES = ("completed", "hung_up", "unfinished")
# interval ratio: (numerator, denominator) columns of the per-replication interval table
POOLED = {"abandon_rate": ("abandoned", "offered"),
          "service_level": ("answered_in_time", "sl_denominator"),
          "asa": ("wait_s", "answered"), "hold_time": ("hold_s", "answered"),
          "transfer_rate": ("transfers", "answered"),
          "callback_rate": ("callbacks_taken", "offered"),
          "balk_rate": ("balked", "balk_denominator")}


def run(data: dict, seed: int, replications: int, **options) -> sim.RunResult:
    """Load and run ``data``; set aside a run stopped on purpose (a stuck warm transfer)."""
    note(f"seed={seed} replications={replications} {data}")
    scenario = sim.scenario_from_dict(data)
    try:
        return sim.run(scenario, seed=seed, replications=replications, **options)
    except SimulationError as exc:
        event(f"stopped: {exc.reason.split(':')[0]}")
        reject()


def same(a: float, b: float) -> bool:
    """Equal to rounding, or both NaN."""
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def measured(result: sim.RunResult) -> pd.DataFrame:
    """Contacts that arrived in the measured window, selected by hand."""
    c, sc = result.contacts, result.scenario
    return c[(c["arrival"] >= sc.warmup) & (c["arrival"] < sc.days * DAY)]


# found here: an email answered at 09:27, transferred to t0 and still waiting there at the
# end (nobody on duty after 09:30) was answered in the KPIs but `unanswered` in outcomes
STRANDED = {
    "name": "random", "seed": 1, "days": 1, "open": "06:00", "close": "10:00",
    "interval": "30m",
    "contact_types": {
        "t0": {"arrivals": {"rate": "1/h"}, "handle": {"dist": "exponential", "mean": 20}},
        "t1": {"arrivals": {"rate": "12/h"}, "handle": {"dist": "exponential", "mean": 63}},
        "t2": {"channel": "email", "arrivals": {"per_interval": [0, 0, 0, 0, 0, 2, 1, 0]},
               "handle": {"dist": "exponential", "mean": 20},
               "transfer": {"probability": 0.1, "to": "t0"}}},
    "agents": {"g0": {"skills": ["t0", "t1", "t2"], "staff": [0, 0, 0, 0, 0, 0, 2, 0]}}}


@SETTINGS
@given(scenarios(), SEEDS, st.integers(1, 2))
@example(STRANDED, 0, 1)
def test_counts_are_the_contacts_counted_by_hand(data, seed, replications):
    """Each count KPI is its contacts in the window, per replication; answered ones split.

    Counted by flags, and by outcome: each contact's outcome agrees with the counts.
    """
    result = run(data, seed, replications)
    c = measured(result)
    origin = c["origin"].astype(str)
    outcome = c["outcome"].astype(str)
    offered = ~(c["blocked"] | c["balked"] | c["self_served"])
    hand = {"offered": offered.sum(), "answered": c["answered"].sum(),
            "abandoned": c["abandoned"].sum(), "blocked": c["blocked"].sum(),
            "balked": c["balked"].sum(), "hung_up": (outcome == "hung_up").sum(),
            "unanswered": (offered & ~c["answered"] & ~c["abandoned"]).sum(),
            "retrials": (origin == "retrial").sum(), "complaints": (origin == "complaint").sum(),
            "callbacks": (c["callback"] & c["answered"]).sum()}
    s = result.summary
    for kpi, total in hand.items():
        assert same(s[kpi], total / replications), (kpi, s[kpi], total / replications)
    assert same(s["offered"], s["answered"] + s["abandoned"] + s["unanswered"])
    assert not (c["abandoned"] & c["answered"]).any()
    assert (c.loc[outcome == "hung_up", "answered"]).all()
    # and each contact's outcome says which of the counts it is in
    answered = outcome.isin(ANSWERED_OUTCOMES)
    assert (answered == c["answered"]).all(), c.loc[answered != c["answered"], "outcome"]
    by_outcome = {"answered": answered.sum(), **{
        kpi: (outcome == kpi).sum() for kpi in ("abandoned", "unanswered", "blocked", "balked")}}
    for kpi, total in by_outcome.items():
        assert same(s[kpi], total / replications), (kpi, s[kpi], total / replications)


@SETTINGS
@given(scenarios(), SEEDS)
def test_rates_are_the_contacts_counted_by_hand(data, seed):
    """Ratios of one replication, from the contacts table with pandas."""
    result = run(data, seed, 1)
    c, sc = measured(result), result.scenario
    offered = c[~(c["blocked"] | c["balked"] | c["self_served"])]
    answered = c[c["answered"]]
    first = c[c["origin"].astype(str) == "first"]

    def ratio(num: float, den: float) -> float:
        return num / den if den else math.nan

    threshold = np.array([sc.threshold(t) for t in c["contact_type"].astype(str)])
    within = (c["answered"] & (c["wait"] <= threshold)).sum()
    short = (c["abandoned"] & (c["wait"] <= threshold)).sum()
    denominator = {"offered": len(offered), "answered": len(answered),
                   "short_abandons_excluded": len(offered) - short
                   }[sc.service_level.definition.value]
    per_issue = result.contacts.groupby("issue_id").size()
    hand = {
        "abandon_rate": ratio(offered["abandoned"].sum(), len(offered)),
        "block_rate": ratio(c["blocked"].sum(), len(c)),
        "balk_rate": ratio(c["balked"].sum(), len(offered) + c["balked"].sum()),
        "repeat_rate": ratio((offered["origin"].astype(str) == "repeat").sum(), len(offered)),
        "callback_rate": ratio(offered["callback"].sum(), len(offered)),
        "service_level": ratio(within, denominator),
        "asa": answered["wait"].mean() if len(answered) else math.nan,
        "mean_wait": offered["wait"].mean() if len(offered) else math.nan,
        "aht": answered["handle"].mean() if len(answered) else math.nan,
        "hold_time": answered["hold"].mean() if len(answered) else math.nan,
        "transfer_rate": ratio(answered["transfers"].sum(), len(answered)),
        "fcr": first["resolved"].mean() if len(first) else math.nan,
        "self_service_rate": first["self_served"].mean() if len(first) else math.nan,
        "contacts_per_issue": (per_issue.reindex(first["issue_id"]).mean() if len(first)
                               else math.nan),
    }
    for kpi, value in hand.items():
        assert same(result.summary[kpi], value), (kpi, result.summary[kpi], value)


@SETTINGS
@given(scenarios(), SEEDS, st.integers(1, 2))
def test_types_groups_and_intervals_add_up_to_the_summary(data, seed, replications):
    """Counts over contact types, over groups and over intervals are the summary's."""
    result = run(data, seed, replications)
    s, intervals = result.summary, result.intervals
    for kpi in COUNTS:
        assert same(sum(t[kpi] for t in result.by_type.values()), s[kpi]), kpi
    assert same(sum(g["answered"] for g in result.by_group.values()), s["answered"])
    for name in [*result.scenario.contact_types, "all"]:
        kpis = s if name == "all" else result.by_type[name]
        rows = intervals[intervals["contact_type"] == name]
        for column in COUNTS:
            assert same(rows[column].sum(), kpis[column]), (name, column)
    # `repeats`: repeat contacts offered, so that with `offered` they make the repeat rate
    per_replication = result.replications
    rows = intervals[intervals["contact_type"] == "all"]
    assert same(rows["repeats"].sum(),
                np.nansum(per_replication["repeat_rate"] * per_replication["offered"])
                / replications)


@SETTINGS
@given(scenarios(), SEEDS)
def test_interval_ratios_pooled_over_the_day_are_the_kpis(data, seed):
    """One replication: each interval ratio's sums, added over the day, give the KPI."""
    result = run(data, seed, 1)
    table = result.intervals_by_replication
    for name in [*result.scenario.contact_types, "all"]:
        kpis = result.summary if name == "all" else result.by_type[name]
        rows = table[table["contact_type"] == name]
        for kpi, (num, den) in POOLED.items():
            total = rows[den].sum()
            pooled = rows[num].sum() / total if total else math.nan
            assert same(pooled, kpis[kpi]), (name, kpi, pooled, kpis[kpi])


@SETTINGS
@given(scenarios(), SEEDS, st.integers(1, 3), st.sampled_from([None, 1]))
def test_results_folder_reads_back_every_number(tmp_path, data, seed, replications, keep):
    """``ccsim report``'s reading of a folder has the run's KPIs, measures and intervals."""
    result = run(data, seed, replications, keep_contacts=keep, trace_every=600.0)
    out = tmp_path / f"run{seed}-{replications}-{keep}"
    write_run(result, out)
    back = read_run(out)
    for kpi, value in result.summary.items():
        assert same(back.summary[kpi], value), kpi
        assert same(back.ci[kpi], result.ci[kpi]), kpi
    for attr in ("by_type", "by_group"):
        mine, theirs = getattr(result, attr), getattr(back, attr)
        assert mine.keys() == theirs.keys()
        for name, measures in mine.items():
            for measure, value in measures.items():
                assert same(theirs[name][measure], value), (attr, name, measure)
    pd.testing.assert_frame_equal(back.intervals, result.intervals, check_dtype=False,
                                  check_exact=True)

