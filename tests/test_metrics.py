"""Metrics: KPI definitions on hand-made tables."""

import contextlib
import math
import threading

import numpy as np
import pandas as pd
import pytest
from helpers import replay, tiny

import sim
from sim import metrics
from sim.agent_time import available_until, busy_until
from sim.frames import contacts_frame, staff_frame
from sim.intervals import interval_table
from sim.measure import measure
from sim.metrics import replication_summary, service_level
from sim.scenario import ServiceLevelDefinition as D
from sim.units import DAY


def table(rows):
    """rows: (wait, answered, abandoned, blocked) -> the four arrays."""
    wait, answered, abandoned, blocked = zip(*rows)
    return (np.array(wait, float), np.array(answered), np.array(abandoned), np.array(blocked))


CONTACTS = table([
    (5, True, False, False),     # answered in time
    (30, True, False, False),    # answered late
    (10, False, True, False),    # short abandon
    (50, False, True, False),    # long abandon
    (math.nan, False, False, True),  # busy signal: never offered
])


class TestServiceLevel:
    def test_offered(self):
        """Answered within the threshold over offered (blocked excluded)."""
        assert service_level(*CONTACTS, 20, D.OFFERED) == pytest.approx(1 / 4)

    def test_answered(self):
        """Answered within the threshold over answered."""
        assert service_level(*CONTACTS, 20, D.ANSWERED) == pytest.approx(1 / 2)

    def test_short_abandons_excluded(self):
        """Abandons within the threshold leave the denominator."""
        assert service_level(*CONTACTS, 20, D.SHORT_ABANDONS_EXCLUDED) == pytest.approx(1 / 3)

    def test_threshold_inclusive(self):
        """A wait of exactly the threshold counts as within it."""
        assert service_level(*CONTACTS, 30, D.OFFERED) == pytest.approx(2 / 4)


class TestAgentTime:
    def test_busy_until(self):
        """Busy seconds before each point, with calls cut at the point."""
        answer, end = np.array([0.0, 10.0]), np.array([20.0, 15.0])
        got = busy_until(answer, end, np.array([0.0, 5.0, 12.0, 100.0]))
        assert got.tolist() == [0.0, 5.0, 14.0, 25.0]

    def test_available_until(self):
        """Agent-seconds of a step function of agents on duty."""
        got = available_until(np.array([10.0, 20.0, 30.0]), np.array([2, 5, 0]),
                              np.array([0.0, 15.0, 25.0, 40.0]))
        assert got.tolist() == [0.0, 10.0, 45.0, 70.0]


class TestMeasuredWindow:
    """DESIGN.md, "Measurement populations": who counts for which KPI."""

    @pytest.fixture(scope="class")
    @classmethod
    def tables(cls):
        """One agent and a 1 h warm-up; five contacts.

        At 100 s (in the warm-up), 4000 s, 5000 s; after the last day (as a cooldown
        would simulate them) a repeat of the 4000 s issue, answered at once, and the
        first contact of a new issue.
        """
        scenario = tiny({"g": {"skills": ["calls"], "staff": 1}}, warmup="1h")
        records = replay(scenario, [(100.0, 0, 60.0), (4000.0, 0, 60.0), (5000.0, 0, 60.0),
                                    (DAY + 100.0, 0, 60.0), (DAY + 200.0, 0, 60.0)])
        contacts = contacts_frame(records, scenario, 0)
        late = 3
        contacts.loc[late, ["issue_id", "answer", "end", "wait", "handle"]] = [
            1, DAY + 100.0, DAY + 160.0, 0.0, 60.0]
        contacts.loc[late, ["origin", "outcome"]] = ["repeat", "completed"]
        contacts.loc[late, ["answered", "resolved"]] = True
        contacts.loc[late, "group"] = "g"
        contacts.loc[1, "resolved"] = False  # which is why the customer called again
        return scenario, contacts, staff_frame(records, 0)

    def test_contacts_after_the_last_day_are_not_counted(self, tables):
        """Contact KPIs count arrivals in [warm-up, days x 24 h): here two."""
        scenario, contacts, staff = tables
        kpis = replication_summary(contacts, staff, scenario, None)["kpis"]
        assert kpis["offered"] == 2 and kpis["answered"] == 2
        assert kpis["repeat_rate"] == 0.0

    def test_tables_without_outcomes_read_as_before(self, tables):
        """A contacts table stored without `outcome` gives the same KPIs, none hung up."""
        scenario, contacts, staff = tables
        kpis = replication_summary(contacts, staff, scenario, None)["kpis"]
        older = replication_summary(contacts.drop(columns="outcome"), staff, scenario,
                                    None)["kpis"]
        assert older["hung_up"] == 0
        assert {k: v for k, v in older.items() if k != "hung_up"} == {
            k: v for k, v in kpis.items() if k != "hung_up"}

    def test_issues_keep_their_later_contacts(self, tables):
        """An issue first seen in the window counts all its contacts, even after it."""
        scenario, contacts, staff = tables
        kpis = replication_summary(contacts, staff, scenario, None)["kpis"]
        assert kpis["contacts_per_issue"] == 1.5  # issues at 4000 s (2 contacts) and 5000 s
        assert kpis["customer_effort"] == 90.0  # (60 + 60) and 60 seconds of talk
        assert kpis["fcr"] == 0.5  # the 4000 s issue came back; the new one is not counted

    def test_interval_table_counts_the_same_contacts(self, tables):
        """Intervals count the window's contacts: none in the warm-up, none after the end."""
        scenario, contacts, staff = tables
        table = interval_table(contacts, staff, scenario, None)
        table = table[table.contact_type == "all"]
        assert table["offered"].sum() == 2
        assert table["offered"].iloc[0] == 0 and math.isnan(table["service_level"].iloc[0])
        assert table["offered"].iloc[-1] == 0

    def test_agent_time_stops_at_the_next_opening(self, tables):
        """With a cooldown, the next day's agent time and work are not the window's."""
        scenario, contacts, staff = tables
        kept = contacts.iloc[:3]
        within = replication_summary(kept, staff, scenario, None)["kpis"]["occupancy"]
        next_day = pd.concat([staff, staff.assign(time=staff["time"] + DAY)], ignore_index=True)
        cooled = scenario.model_copy(update={"cooldown": DAY})
        got = replication_summary(contacts, next_day, cooled, None)["kpis"]["occupancy"]
        assert got == within and 0 < got < 1


class _Counted(np.ndarray):
    """An array that adds the size of every array a numpy operation on it reads to WORK.

    Only the operations our code calls count: what numpy does inside one of them (a
    quantile's partition, a sort's copies) is numpy's business and differs between numpy
    versions, so nested operations are not counted again.
    """

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _count(inputs)
        inputs = tuple(np.asarray(x) if isinstance(x, _Counted) else x for x in inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(np.asarray(x) if isinstance(x, _Counted) else x
                                  for x in kwargs["out"])
        with _inside():
            result = getattr(ufunc, method)(*inputs, **kwargs)
        return result.view(_Counted) if isinstance(result, np.ndarray) else result

    def __array_function__(self, func, types, args, kwargs):
        _count(args)
        _count(kwargs.values())
        with _inside():
            return super().__array_function__(func, types, args, kwargs)

    def __getitem__(self, key):
        if (not DEPTH[0] and isinstance(key, np.ndarray) and key.dtype == bool
                and threading.get_ident() == COUNTING[0]):
            WORK[0] += self.size
        return super().__getitem__(key)


WORK = [0]
DEPTH = [0]  # > 0 inside a numpy operation already counted
# the thread whose work counts: a simulation another test left running in this process
# (the trainer's page runs in threads) must not add its own to the count
COUNTING = [threading.get_ident()]


@contextlib.contextmanager
def _inside():
    mine = threading.get_ident() == COUNTING[0]
    DEPTH[0] += mine
    try:
        yield
    finally:
        DEPTH[0] -= mine


def _count(values):
    if DEPTH[0] or threading.get_ident() != COUNTING[0]:
        return
    for value in values:
        if isinstance(value, np.ndarray):
            WORK[0] += value.size
        elif isinstance(value, (list, tuple)):
            _count(value)


def _many_types(tmp_path, n):
    """A day of n contact types (same volume each) and n/4 groups of 4 skills."""
    lines = ["name: many", "days: 1", "open: 08:00", "close: 12:00", "interval: 30m",
             "contact_types:"]
    for i in range(n):
        lines += [f"  t{i}:", "    arrivals: {rate: 3/h}",
                  "    handle: {dist: exponential, mean: 4m}",
                  "    patience: {dist: exponential, mean: 3m}"]
    lines.append("agents:")
    for g in range(n // 4):
        skills = ", ".join(f"t{j}" for j in range(4 * g, 4 * g + 4))
        lines += [f"  g{g}:", f"    skills: [{skills}]", "    staff: 1"]
    path = tmp_path / f"many{n}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return sim.load_scenario(path)


class TestScaling:
    def test_metrics_linear_in_contact_types_and_groups(self, tmp_path, monkeypatch):
        """Measuring twice the types (and contacts, groups) reads about twice the array cells.

        Counted, not timed: every numpy operation on the metrics' columns adds the sizes
        of the arrays it reads. Quadratic code (a mask over all contacts per type or
        group) reads 4x as much for 2x the types; linear code 2x, up to the random
        volumes (a Poisson count of ~1,000 contacts per 100 types: within a few %).
        """
        runs = {}
        for n in (200, 400):
            scenario = _many_types(tmp_path, n)
            runs[n] = scenario, sim.run(scenario, seed=3, replications=1)
        for cls in (metrics.Columns, metrics.AgentTime):
            def counting_init(self, *args, _init=cls.__init__, **kwargs):
                _init(self, *args, **kwargs)
                for name, value in vars(self).items():
                    if isinstance(value, np.ndarray):
                        setattr(self, name, value.view(_Counted))

            monkeypatch.setattr(cls, "__init__", counting_init)
        work = {}
        COUNTING[0] = threading.get_ident()
        for n, (scenario, result) in runs.items():
            WORK[0] = 0
            measure(scenario, 0, result.contacts, result.legs, result.staff)
            work[n] = WORK[0]
        assert work[400] < 2.6 * work[200], work
