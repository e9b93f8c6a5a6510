"""Who is counted, and what takes a resource: the fixes of the issue "Trustworthy numbers".

Each check compares the simulation with a closed form; tolerances are 3 confidence
half-widths over independent replications (as in tests/test_theory.py), and each test
also asserts that the faulty figure lies outside them, so it can fail.
"""

from pathlib import Path

import numpy as np
import pytest
from test_theory import assert_agrees

import sim
from sim import erlang, schedule
from sim.engine import run_replication
from sim.schedule import per_interval

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


class TestTrunkLines:
    def test_only_phone_contacts_take_lines(self):
        """An email backlog beside 7 Erlangs of calls on 10 lines: calls block as Erlang B."""
        sc = sim.load_scenario(SCENARIOS / "erlang_b.yaml", overrides={
            "days": 2,
            "contact_types.emails": {"channel": "email", "arrivals": {"rate": "60/h"},
                                     "handle": {"dist": "exponential", "mean": "20m"}},
            "agents.mailroom": {"skills": ["emails"], "staff": 5},
        })
        result = sim.run(sc, seed=21, replications=12)
        calls = result.contacts[(result.contacts["contact_type"] == "calls")
                                & (result.contacts["arrival"] >= sc.warmup)]
        per_rep = calls.groupby("replication")["blocked"].mean().to_numpy()
        theory = [erlang.erlang_b(n, 7.0) for n in (10, 9, 11)]
        assert_agrees("call block rate", per_rep, theory[0], wrong=theory[1:])
        emails = result.contacts[result.contacts["contact_type"] == "emails"]
        assert len(emails) > 1000
        assert not emails["blocked"].any()


class TestClosingTime:
    def test_occupancy_of_a_short_plain_day(self):
        """M/M/42 at 30 Erlangs, 08:00-14:00 over 4 days: occupancy a/c = 30/42.

        Idle agents go home at closing; those finishing a call stay until it ends and
        that time counts, so busy time / time on duty is the offered load per agent.
        """
        sc = sim.load_scenario(SCENARIOS / "erlang_c.yaml", overrides={
            "days": 4, "open": "08:00", "close": "14:00", "warmup": 0,
            "contact_types.calls.arrivals.rate": "450/h"})
        result = sim.run(sc, seed=22, replications=20)
        assert_agrees("occupancy", result.replications["occupancy"].to_numpy(), 30 / 42,
                      wrong=[0.680])

    def test_staff_never_exceeds_schedule(self):
        """Agents on duty per interval never exceed the schedule, closing intervals included."""
        for path, days in (("erlang_c.yaml", 2), ("refund_vs_relations.yaml", 2)):
            sc = sim.load_scenario(SCENARIOS / path, overrides={
                "days": days, "open": "08:00", "close": "14:00", "interval": "30m"})
            result = sim.run(sc, seed=3, replications=2)
            table = result.intervals_by_replication
            for name in sc.contact_types:
                groups = [g for g, spec in sc.agents.items() if name in spec.skills]
                scheduled = sum(
                    np.array([schedule.on_phones(s, sc.agents[g].shrinkage) for s in (
                        per_interval(sc.agents[g].staff, sc)
                        if isinstance(sc.agents[g].staff, list)
                        else np.full(sc.days * sc.intervals_per_day, sc.agents[g].staff))])
                    for g in groups)
                for _, rows in table[table["contact_type"] == name].groupby("replication"):
                    staff = rows["staff"].to_numpy()
                    assert len(staff) == len(scheduled)
                    worst = int(np.argmax(staff - scheduled))
                    assert staff[worst] <= scheduled[worst] + 1e-9, (
                        path, name, worst, staff[worst], scheduled[worst])


    def test_round_the_clock_center_never_closes_between_days(self):
        """Open 00:00-24:00: nobody goes home at midnight (no dip in the staff log)."""
        sc = sim.load_scenario(SCENARIOS / "erlang_c.yaml", overrides={"days": 2})
        records = run_replication(sc, seed=1, replication=0)
        inside = (records.staff_time > 0) & (records.staff_time < 2 * 86400)
        assert records.staff_count[records.staff_time == 0].max() == 42
        assert not inside.any() or records.staff_count[inside].min() == 42


class TestUnanswerable:
    def test_nobody_to_answer_is_counted_and_warned(self, tmp_path):
        """A contact type nobody can answer: a warning naming it, and KPIs that show it."""
        import subprocess
        import sys
        out = subprocess.run(
            [sys.executable, "-m", "sim", "run", str(SCENARIOS / "erlang_c.yaml"),
             "--set", "agents.pool.staff=0", "--set", "days=1", "-r", "1",
             "--no-report", "--out", str(tmp_path / "r")],
            capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "calls" in out.stderr and "warning" in out.stderr.lower()
        import json
        kpis = json.loads((tmp_path / "r" / "summary.json").read_text())["kpis"]
        assert kpis["answered"] == 0
        assert kpis["unanswered"] == kpis["offered"] > 0
        assert kpis["service_level"] == 0.0
        assert np.isfinite(kpis["mean_wait"]) and kpis["mean_wait"] > 0


class TestCooldown:
    RESOLUTION, REPEAT, MAX_CONTACTS = 0.6, 1.0, 4

    def cohort(self, cooldown: str):
        """Plenty of agents, never a wait: each contact resolves with 0.6, else repeats."""
        return sim.scenario_from_dict({
            "name": "cohort", "days": 5, "interval": "1h", "cooldown": cooldown,
            "contact_types": {"calls": {
                "arrivals": {"rate": "20/h"},
                "handle": {"dist": "exponential", "mean": "5m"},
                "resolution": self.RESOLUTION,
                "repeat": {"probability": self.REPEAT, "max_contacts": self.MAX_CONTACTS,
                           "delay": {"dist": "exponential", "mean": "1d"}}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 40}},
        })

    def test_contacts_per_issue_with_cooldown(self):
        """Contacts per issue of the measured days' issues: the geometric sum, exactly.

        An issue comes back while unresolved (q = 0.4 per contact), at most 4 contacts:
        E = 1 + q + q² + q³. A 10-day cooldown leaves less than 1e-4 of it out (a chain
        of three 1-day exponential delays beyond 10 days); without it, the issues of the
        last days lose their repeats.
        """
        q = (1 - self.RESOLUTION) * self.REPEAT
        exact = sum(q**k for k in range(self.MAX_CONTACTS))
        with_cooldown = sim.run(self.cohort("10d"), seed=31, replications=12)
        cut_off = sim.run(self.cohort("0s"), seed=31, replications=12)
        assert_agrees("contacts_per_issue",
                      with_cooldown.replications["contacts_per_issue"].to_numpy(), exact,
                      wrong=[float(cut_off.summary["contacts_per_issue"])])
        assert_agrees("fcr", with_cooldown.replications["fcr"].to_numpy(), self.RESOLUTION)
        # the measured days' contacts are the same with or without a cooldown
        a, b = (r.contacts for r in (with_cooldown, cut_off))
        first = [x[(x["origin"] == "first") & (x["arrival"] < 5 * 86400)] for x in (a, b)]
        assert np.array_equal(first[0]["arrival"], first[1]["arrival"])

    @pytest.mark.parametrize(("path", "cooldown", "closed"), [
        ("small_bank.yaml", "2h", True),    # ends at night, before the next day opens
        ("small_bank.yaml", "10h", False),  # ends while the cooldown's day is open
        ("erlang_c.yaml", "2h", False),     # open round the clock
    ])
    def test_nobody_comes_on_duty_after_the_run_ends(self, path, cooldown, closed):
        """The staff log ends with the cooldown: no shift comes on after it, all go home.

        Before, the day the cooldown reached into was staffed to its end: the next
        morning's shift came on duty after the run had ended (open round the clock, the
        agents stayed on duty a day after it). Agents still finishing a contact at the end
        may leave after it; nobody comes on (but for one called back to a transfer of a
        contact still in progress, as after any closing: none here).
        """
        sc = sim.load_scenario(SCENARIOS / path, overrides={"days": 2, "cooldown": cooldown})
        records = run_replication(sc, seed=1, replication=0)
        end = sc.days * 86400 + sc.cooldown
        for g in range(len(sc.agents)):
            mine = records.staff_group == g
            times, counts = records.staff_time[mine], records.staff_count[mine]
            at_end = counts[times <= end][-1]
            after = counts[times > end]
            assert np.all(np.diff(np.r_[at_end, after]) < 0), (g, times[times > end], after)
            assert counts[-1] == 0, (g, times[-1], counts[-1])
        # closed: everyone had gone home at closing, hours before the end; open: those busy
        # at the end finish their contacts (minutes each), the others leave at the end
        last = records.staff_time.max()
        assert last <= end + (0 if closed else 3600), (last - end) / 3600
