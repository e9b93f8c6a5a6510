"""Costs (``costs:``): the cost KPIs, their identities, and one cost by hand.

The identities (:mod:`sim.costs`) hold for every replication of every scenario, so they
are checked as invariants on random scenarios (:mod:`strategies`); the money amounts are
checked against a hand computation from the run's own tables; validation rules each
have their one-line error.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from strategies import cost_blocks, scenarios

import sim
from sim.costs import COST_PARTS, scheduled_seconds
from sim.engine import SimulationError
from sim.measure import replication_tables
from sim.metrics import COST_KPIS, KPIS, measured_window
from sim.units import DAY

BASE = {
    "name": "costed", "seed": 3, "days": 2, "open": "08:00", "close": "12:00",
    "interval": "1h", "warmup": "8.5h",
    "contact_types": {"calls": {"arrivals": {"rate": "100/h"},
                                "handle": {"dist": "exponential", "mean": "4m"},
                                "patience": {"dist": "exponential", "mean": "2m"},
                                "resolution": 0.8,
                                "repeat": {"probability": 0.5,
                                           "delay": {"dist": "exponential", "mean": "1h"}}}},
    "agents": {"pool": {"skills": ["calls"], "staff": [7, 8, 8, 6], "shrinkage": 0.1}},
    "costs": {"agents": {"pool": {"hourly": 30, "overtime_factor": 1.5}},
              "per_abandon": 5, "per_wait_minute": 0.5, "per_blocked": 2,
              "revenue": {"calls": 12}},
}


class TestIdentities:
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=scenarios(), seed=st.integers(0, 2**32), choice=st.data())
    def test_identities_hold_on_random_scenarios(self, data, seed, choice):
        """Total = the six parts, profit = revenue - total, each part its count x its price."""
        data["costs"] = choice.draw(cost_blocks(list(data["agents"]),
                                                list(data["contact_types"])))
        note(yaml.safe_dump(data, sort_keys=False, default_flow_style=None))
        scenario = sim.scenario_from_dict(data)
        try:
            kpis = replication_tables(scenario, seed, 0).kpis
        except SimulationError:
            return  # a stuck warm transfer: documented, tested in test_invariants
        costs = scenario.costs
        assert set(kpis) == set(KPIS) | set(COST_KPIS)
        assert kpis["total_cost"] == pytest.approx(sum(kpis[p] for p in COST_PARTS))
        assert kpis["profit"] == pytest.approx(kpis["revenue"] - kpis["total_cost"])
        assert kpis["abandon_cost"] == pytest.approx(
            costs.per_abandon * (kpis["abandoned"] + kpis["hung_up"]))
        assert kpis["blocked_cost"] == pytest.approx(costs.per_blocked * kpis["blocked"])
        assert kpis["callback_cost"] == pytest.approx(costs.per_callback * kpis["callbacks"])
        assert kpis["complaint_cost"] == pytest.approx(
            costs.per_complaint * kpis["complaints"])
        assert all(kpis[k] >= 0 for k in (*COST_PARTS, "revenue"))

    def test_no_costs_block_no_cost_kpis(self):
        """A scenario without costs: measures exactly the KPIs it always did."""
        data = {k: v for k, v in BASE.items() if k != "costs"}
        result = sim.run(sim.scenario_from_dict(data), replications=2)
        assert list(result.summary) == list(KPIS)
        assert list(result.replications.columns) == ["replication", *KPIS]


HOLDS = {  # billing agents consult an understaffed desk; customers hang up on hold
    "name": "holds", "seed": 5, "days": 1, "open": "08:00", "close": "12:00",
    "interval": "1h",
    "contact_types": {
        "billing": {"arrivals": {"rate": "60/h"},
                    "handle": {"dist": "exponential", "mean": "4m"},
                    "patience": {"dist": "exponential", "mean": "3m"},
                    "consult": {"probability": 0.5, "to": "desk",
                                "talk": {"dist": "exponential", "mean": "4m"},
                                "hold_patience": {"dist": "exponential", "mean": "2m"}}},
        "desk": {"arrivals": {"rate": 0}, "handle": {"dist": "exponential", "mean": "4m"}}},
    "agents": {"billing_team": {"skills": ["billing"], "staff": 6},
               "desk_team": {"skills": ["desk"], "staff": 1}},
    "costs": {"agents": {"billing_team": {"hourly": 30}, "desk_team": {"hourly": 40}},
              "per_abandon": 7},
}


class TestHungUp:
    def test_hung_up_callers_are_priced_as_abandons(self):
        """A caller answered who hangs up on hold is a customer lost: abandon_cost prices it.

        README "KPIs": ``abandon_cost`` is ``per_abandon`` x (abandoned + hung_up). Before
        ``RESULTS_VERSION`` 7 such a caller was also counted abandoned, and priced; since
        then it counted only in ``hung_up``, and cost nothing.
        """
        result = sim.run(sim.scenario_from_dict(HOLDS), replications=3)
        reps = result.replications
        assert (reps["hung_up"] > 0).all()  # the case at hand: hang-ups on hold
        assert reps["abandon_cost"].to_numpy() == pytest.approx(
            7 * (reps["abandoned"] + reps["hung_up"]).to_numpy())
        free = sim.run(sim.scenario_from_dict({**HOLDS, "costs": {**HOLDS["costs"],
                                                                 "per_abandon": 0}}),
                       replications=3).replications
        assert (reps["total_cost"] - free["total_cost"]).to_numpy() == pytest.approx(
            7 * (reps["abandoned"] + reps["hung_up"]).to_numpy())


class TestByHand:
    def test_costs_from_the_tables(self):
        """Every cost recomputed from the contacts, issues and staffing log with pandas."""
        scenario = sim.scenario_from_dict(BASE)
        result = sim.run(scenario, replications=3)
        window = (8.5 * 3600, 2 * DAY)
        for r, row in result.replications.set_index("replication").iterrows():
            c = result.contacts[result.contacts.replication == r]
            counted = c[(c.arrival >= window[0]) & (c.arrival < window[1])]
            waited_min = counted.queue_time.sum() / 60.0
            assert row.wait_cost == pytest.approx(0.5 * waited_min)
            hung_up = (counted.outcome == "hung_up").sum()
            assert row.abandon_cost == 5 * (counted.abandoned.sum() + hung_up)
            issues = result.issues[result.issues.replication == r]
            mine = issues[(issues.first_arrival >= window[0])
                          & (issues.first_arrival < window[1])]
            assert row.revenue == pytest.approx(12 * mine.resolved.sum())
            # scheduled: 7+8+8+6 agent-hours a day, less the first half hour of day 0 (08:00-08:30,
            # in the warm-up, 7 agents); shrinkage and absences are paid
            scheduled = 2 * (7 + 8 + 8 + 6) - 7 * 0.5
            overtime = 0.0  # agent-hours on duty after each closing, from the log
            log = result.staff[result.staff.replication == r].sort_values("time", kind="stable")
            times, agents = log.time.to_numpy(), log.agents.to_numpy()
            for day in range(2):
                close = day * DAY + 12 * 3600
                stop = (day + 1) * DAY + 8 * 3600 if day == 0 else math.inf
                for k in range(len(times) - 1):
                    begin, end = max(times[k], close), min(times[k + 1], stop)
                    if end > begin:
                        overtime += agents[k] * (end - begin) / 3600.0
            assert row.staff_cost == pytest.approx(30 * (scheduled + 1.5 * overtime))
            assert overtime > 0  # the check is not vacuous: agents finish after closing


class TestPaidTime:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 7), st.integers(1, 8), st.integers(0, 4),
                              st.lists(st.tuples(st.integers(0, 14), st.integers(1, 4),
                                                 st.booleans()),
                                       max_size=2)), min_size=1, max_size=4),
           st.integers(0, 3))
    def test_shift_breaks_are_paid(self, shifts, warmup_h):
        """Paid time is the shifts' length less their unpaid breaks (README "Costs")."""
        rows, expected = [], 0.0
        for start, hours, count, breaks in shifts:
            hours = min(hours, 8 - start)  # inside opening hours 08:00-16:00
            length = hours * 3600.0
            cuts = [{"at": at * 900.0, "length": n * 900.0, "paid": paid}
                    for at, n, paid in breaks if (at + n) * 900.0 <= length]
            cuts = [b for k, b in enumerate(cuts)  # breaks that do not overlap
                    if all(b["at"] >= c["at"] + c["length"] for c in cuts[:k])]
            rows.append({"start": (8 + start) * 3600.0, "length": length, "count": count,
                         "breaks": cuts})
            first = (8 + warmup_h) * 3600.0
            pieces = [((8 + start) * 3600.0, length, 1)] + [
                ((8 + start) * 3600.0 + b["at"], b["length"], -1) for b in cuts if not b["paid"]]
            expected += count * sum(sign * max(0.0, begin + span - max(begin, first))
                                    for begin, span, sign in pieces)
        data = {**BASE, "days": 1, "close": "16:00", "warmup": (8 + warmup_h) * 3600.0,
                "agents": {"pool": {"skills": ["calls"], "shifts": rows, "shrinkage": 0.2}}}
        scenario = sim.scenario_from_dict(data)
        paid = scheduled_seconds(scenario, "pool", measured_window(scenario))
        assert paid == pytest.approx(expected)


EARLY_AND_LATE = {
    "name": "early and late", "seed": 1, "days": 1, "open": "08:00", "close": "16:00",
    "interval": "1h",
    "contact_types": {"calls": {"arrivals": {"rate": "1/h"},
                                "handle": {"dist": "exponential", "mean": "4m"}}},
    "agents": {"pool": {"skills": ["calls"], "shifts": [
        {"start": "07:00", "length": "8h", "count": 2},     # an hour before opening
        {"start": "12:00", "length": "6h", "count": 1}]}},  # two hours past closing
    "costs": {"agents": {"pool": {"hourly": 10, "overtime_factor": 1.5}}},
}


class TestShiftsOutsideOpeningHours:
    """A shift is paid for its scheduled time, also where it runs outside opening hours.

    The simulator puts a shift's agents on the phones only while the center is open (a
    07:00 shift in a center opening at 08:00 takes its first contact at 08:00), but they
    are scheduled, so paid, from 07:00 (README "Costs").
    """

    @pytest.mark.parametrize(("warmup_h", "hours"), [
        (0.0, 2 * 8 + 6),           # the whole shifts
        (7.5, 2 * 7.5 + 6),         # the early shift from the end of the warm-up (07:30)
        (12.5, 2 * 2.5 + 5.5)])     # 12:30-15:00 twice, 12:30-18:00 once
    def test_whole_shift_is_paid(self, warmup_h, hours):
        """Paid seconds are the shifts' scheduled time in the window, opening hours or not."""
        scenario = sim.scenario_from_dict({**EARLY_AND_LATE, "warmup": warmup_h * 3600.0})
        paid = scheduled_seconds(scenario, "pool", measured_window(scenario))
        assert paid == pytest.approx(hours * 3600.0)

    def test_overtime_is_time_beyond_the_shift(self):
        """A late shift finishing a call after closing is paid overtime only past its end.

        One call at 15:50 lasting 3 h, answered by the 12:00-18:00 agent (the early ones
        left at 15:00): on duty after closing 16:00-18:50, of which 16:00-18:00 is
        scheduled (paid at 1x) and 18:00-18:50 overtime (1.5x). Wages: 10 x (2 x 8 + 6
        scheduled hours + 1.5 x 50/60) = 232.50.
        """
        from helpers import replay

        from sim.frames import contacts_frame, legs_frame, staff_frame
        from sim.measure import measure

        scenario = sim.scenario_from_dict({**EARLY_AND_LATE, "warmup": 0})
        records = replay(scenario, [(15 * 3600.0 + 50 * 60.0, 0, 3 * 3600.0)])
        staff = staff_frame(records, 0)
        assert staff["time"].max() == pytest.approx(18 * 3600.0 + 50 * 60.0)  # not vacuous
        kpis = measure(scenario, 0, contacts_frame(records, scenario, 0),
                       legs_frame(records, 0), staff).kpis
        assert kpis["staff_cost"] == pytest.approx(10 * (2 * 8 + 6 + 1.5 * 50 / 60))


class TestValidation:
    @pytest.mark.parametrize(("change", "path", "reason"), [
        ({"agents": {"nobody": {"hourly": 1}, "pool": {"hourly": 1}}}, r"costs\.agents\.nobody",
         "unknown agent group 'nobody'"),
        ({"agents": {}}, r"costs\.agents", "at least 1"),
        ({"revenue": {"emails": 3}}, r"costs\.revenue\.emails", "unknown contact type"),
        ({"per_abandon": -1}, r"costs\.per_abandon", "must be >= 0, got -1"),
        ({"agents": {"pool": {"hourly": 1, "overtime": 2}}}, r"costs\.agents\.pool\.overtime",
         "unknown field 'overtime'"),
    ])
    def test_bad_costs_are_one_line_errors(self, tmp_path, change, path, reason):
        """Each rule: one line naming the file and the field path, exit code 2."""
        data = yaml.safe_load(yaml.safe_dump(BASE))
        data["costs"].update(change)
        file = tmp_path / "bad.yaml"
        file.write_text(yaml.safe_dump(data))
        done = subprocess.run([sys.executable, "-m", "sim", "validate", str(file)],
                              capture_output=True, text=True)
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert any(str(file) in line and re.search(path, line)
                   and reason in line for line in done.stderr.splitlines()), done.stderr

    def test_every_group_needs_a_cost(self):
        """A group left out of costs.agents is an error, not a free agent."""
        data = yaml.safe_load(yaml.safe_dump(BASE))
        data["agents"]["extra"] = {"skills": ["calls"], "staff": 1}
        with pytest.raises(sim.ScenarioError, match=r"costs\.agents.*missing agent group 'extra'"):
            sim.scenario_from_dict(data)


def test_money_columns_in_sweep_match_run():
    """A sweep's cost columns are the run's, replication by replication (one KPI step)."""
    scenario = sim.scenario_from_dict(BASE)
    table = sim.sweep(scenario, grid={"agents.pool.staff": [[7, 8, 8, 6]]}, replications=2,
                      workers=1)
    run = sim.run(scenario, replications=2).replications
    for kpi in COST_KPIS:
        assert np.allclose(table[kpi].to_numpy(), run[kpi].to_numpy()), kpi


class TestCompare:
    def test_sentence_states_the_paired_differences(self):
        """The sentence's amounts are the paired mean differences per day, to the cent."""
        from sim.compare import compare, variant_scenarios
        from sim.cost_sentences import cost_sentences

        data = yaml.safe_load(yaml.safe_dump(BASE))
        data["warmup"] = 0
        data["variants"] = {"plus_two": {"agents.pool.staff": [9, 10, 10, 8]}}
        scenario = sim.scenario_from_dict(data)
        comparison = compare(variant_scenarios(scenario, ["plus_two"]), replications=4)
        table = comparison.table().set_index(["kpi", "variant"])
        wages = table.loc[("staff_cost", "plus_two"), "diff"] / 2
        saved = -table.loc[("abandon_cost", "plus_two"), "diff"] / 2
        (sentence,) = cost_sentences(comparison)
        assert sentence.startswith(f"plus_two costs {wages:,.2f} more a day in wages")
        assert f"saves {saved:,.2f} in abandons" in sentence
        # 8 scheduled agent-hours more a day at 30 (shrinkage is paid); the rest is overtime
        assert abs(wages - 30 * 8) < 0.1 * 30 * 8

    def test_sentence_parts_add_up_to_its_total(self):
        """Every cost part that moves is in the sentence, so its amounts add up to the total.

        With trunk lines, a variant with more agents changes the busy signals too: a
        sentence naming only wages, abandons and waiting left the rest of its total
        unexplained.
        Parts that do not move are left out; unchanged wages are "the same".
        """
        from sim.compare import compare, variant_scenarios
        from sim.cost_sentences import cost_sentences

        data = yaml.safe_load(yaml.safe_dump(BASE))
        data["warmup"] = 0
        data["lines"] = 9
        data["variants"] = {"plus_two": {"agents.pool.staff": [9, 10, 10, 8]},
                            "dearer_waits": {"costs.per_wait_minute": 1.5}}
        scenario = sim.scenario_from_dict(data)
        comparison = compare(variant_scenarios(scenario, ["plus_two", "dearer_waits"]),
                             replications=3)
        table = comparison.table().set_index(["kpi", "variant"])
        more, same = cost_sentences(comparison)
        assert table.loc[("blocked_cost", "plus_two"), "diff"] != 0  # the case at hand
        amounts = [float(x.replace(",", "")) for x in
                   re.findall(r"(\d[\d,]*(?:\.\d+)?) (?:more|less|in)", more.split(":")[0])]
        signs = [1.0 if "costs" in p or "more on" in p else -1.0
                 for p in re.split(r", | and ", more.split(":")[0])]
        found = re.search(r": ([\d,.]+) (more|less) in total", more)
        total = float(found[1].replace(",", "")) * (1 if found[2] == "more" else -1)
        assert "busy signals" in more, more
        assert "callbacks" not in more and "complaints" not in more, more
        assert sum(s * a for s, a in zip(signs, amounts)) == pytest.approx(total, abs=2.0), more
        assert re.search(r"; [\d,.]+ (more|less) profit a day", more), more  # it earns
        assert same.startswith("dearer_waits costs the same in wages"), same
        assert "abandons" not in same, same  # the same people wait: only waiting moves

    def test_compare_prints_the_sentence(self, tmp_path):
        """`ccsim compare` ends its table with the cost sentence of each variant."""
        data = yaml.safe_load(yaml.safe_dump(BASE))
        data["variants"] = {"plus_two": {"agents.pool.staff": [9, 10, 10, 8]}}
        file = tmp_path / "costed.yaml"
        file.write_text(yaml.safe_dump(data))
        done = subprocess.run([sys.executable, "-m", "sim", "compare", str(file), "-r", "2",
                               "--no-report", "-q", "--out", str(tmp_path / "out")],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert "plus_two costs" in done.stdout and "more over the measured window in wages" \
            in done.stdout
        assert "total_cost" in done.stdout and "profit" in done.stdout


def test_money_kpis_are_shown_as_money():
    """Every cost KPI is printed (CLI table, report) as money: 2 decimals, separators."""
    from sim.kpis import kpi_scale
    from sim.report import format_ci, format_kpi

    for kpi in COST_KPIS:
        assert kpi_scale(kpi) == (1.0, "money")
        assert format_kpi(kpi, 1234.5) == "1,234.50"
        assert format_ci(kpi, 12.345) == "± 12.35"


def test_revenue_and_profit_are_shown_only_with_revenue():
    """Without `revenue:`, the tables leave revenue (0) and profit (-total cost) out.

    A bank center's first run printed "profit -62,856.06": no news, and a puzzle. The
    KPIs are still measured and written (summary.json, replications.csv); only the
    tables for people (the run's, the comparison's, the report's) leave them out.
    """
    from sim.cli import format_summary
    from sim.cli_report import format_comparison
    from sim.compare import compare
    from sim.report import comparison_html, run_html

    earning = sim.scenario_from_dict(BASE)
    paid = sim.scenario_from_dict({**BASE, "costs": {
        k: v for k, v in BASE["costs"].items() if k != "revenue"}})
    for scenario, shown in ((earning, True), (paid, False)):
        result = sim.run(scenario, replications=2)
        assert "profit" in result.summary and "revenue" in result.replications
        comparison = compare({"baseline": scenario, "more": scenario.model_copy(
            update={"seed": scenario.seed})}, replications=2)
        texts = {"run table": format_summary(result), "comparison table":
                 format_comparison(comparison), "run report": run_html(result, []),
                 "comparison report": comparison_html(comparison, [])}
        for where, text in texts.items():
            lines = [line for line in text.splitlines() if re.search(r"\bprofit\b", line)]
            assert bool(lines) == shown, f"{where}: {lines[:2]}"
        assert "total_cost" in texts["run table"]
